//! The portal's languages: English and Swedish, picked from the user's `defaultLanguage`
//! (`swe` or `sv` → Swedish, anything else English). Texts live in `locales/*.json`, one flat
//! catalog per language with the same keys (a test holds them to that); dates are formatted
//! for the language.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Sv,
}

type Catalog = HashMap<String, String>;

fn load(json: &str) -> Catalog {
    serde_json::from_str(json).expect("a locale catalog is a flat JSON object of strings")
}

static EN: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../locales/en.json")));
static SV: LazyLock<Catalog> = LazyLock::new(|| load(include_str!("../locales/sv.json")));

impl Lang {
    /// The language for a user whose `defaultLanguage` is `code` (ISO 639).
    pub fn for_user(code: &str) -> Lang {
        match code {
            "swe" | "sv" => Lang::Sv,
            _ => Lang::En,
        }
    }

    /// This language's texts.
    pub fn texts(self) -> Texts {
        Texts {
            lang: self,
            catalog: match self {
                Lang::En => &EN,
                Lang::Sv => &SV,
            },
        }
    }
}

/// One language's catalog, as the templates read it.
#[derive(Clone, Copy)]
pub struct Texts {
    pub lang: Lang,
    catalog: &'static Catalog,
}

impl Texts {
    /// The text of `key`; a key missing from the catalog shows as itself (a test keeps every
    /// key the code and templates use in both catalogs).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.catalog.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text of `key` with each `{name}` replaced by its value.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The `lang` attribute of the page.
    pub fn code(&self) -> &'static str {
        match self.lang {
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    /// A moment as people of this language write it (UTC, as the server stores it).
    pub fn datetime(&self, at: &DateTime<Utc>) -> String {
        match self.lang {
            Lang::En => at.format("%-d %b %Y, %H:%M UTC").to_string(),
            Lang::Sv => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// An amount of `currency` in minor units as people of this language write it: exact,
    /// from the integer (`SEK 1,234.50`; `1 234,50 SEK`).
    pub fn money(&self, currency: tenantry_domain::money::Currency, minor: i64) -> String {
        let plain = currency.format(minor);
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let (group, point) = match self.lang {
            Lang::En => (",", "."),
            Lang::Sv => ("\u{a0}", ","),
        };
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(digit);
        }
        let amount = if fraction.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{point}{fraction}")
        };
        match self.lang {
            Lang::En => format!("{} {amount}", currency.code),
            Lang::Sv => format!("{amount}\u{a0}{}", currency.code),
        }
    }

    /// A day as people of this language write it.
    pub fn date(&self, at: &DateTime<Utc>) -> String {
        match self.lang {
            Lang::En => at.format("%-d %b %Y").to_string(),
            Lang::Sv => at.format("%Y-%m-%d").to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) fn catalogs() -> [(&'static str, &'static Catalog); 2] {
    [("en", &EN), ("sv", &SV)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys_and_no_empty_text() {
        let [(_, en), (_, sv)] = catalogs();
        let mut missing: Vec<_> = en.keys().filter(|k| !sv.contains_key(*k)).collect();
        missing.extend(sv.keys().filter(|k| !en.contains_key(*k)));
        assert!(missing.is_empty(), "in one catalog only: {missing:?}");
        for (name, catalog) in catalogs() {
            assert!(catalog.values().all(|t| !t.trim().is_empty()), "{name}");
        }
    }

    #[test]
    fn every_key_the_code_and_templates_use_is_in_the_catalogs() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut sources = String::new();
        for sub in ["src", "templates"] {
            for entry in std::fs::read_dir(format!("{dir}{sub}")).unwrap() {
                sources.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        let mut used = Vec::new();
        for call in [".get(\"", ".fill(\""] {
            for (at, _) in sources.match_indices(call) {
                let rest = &sources[at + call.len()..];
                let key = &rest[..rest.find('"').unwrap()];
                if key.contains('.') && !key.ends_with('.') {
                    used.push(key.to_owned());
                }
            }
        }
        assert!(used.len() > 20, "the scan found the keys: {used:?}");
        let [(_, en), _] = catalogs();
        let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "used but not in the catalogs: {missing:?}"
        );
    }

    #[test]
    fn money_is_exact_and_written_the_languages_way() {
        let sek = tenantry_domain::money::Currency::from_code("SEK").unwrap();
        let jpy = tenantry_domain::money::Currency::from_code("JPY").unwrap();
        assert_eq!(Lang::En.texts().money(sek, 123_450), "SEK 1,234.50");
        assert_eq!(
            Lang::Sv.texts().money(sek, 123_450),
            "1\u{a0}234,50\u{a0}SEK"
        );
        assert_eq!(Lang::En.texts().money(sek, -5), "SEK -0.05");
        assert_eq!(Lang::En.texts().money(jpy, 1_500_000), "JPY 1,500,000");
        assert_eq!(Lang::En.texts().money(sek, 99_999), "SEK 999.99");
    }

    #[test]
    fn swedish_users_get_swedish() {
        assert_eq!(Lang::for_user("swe"), Lang::Sv);
        assert_eq!(Lang::for_user("eng"), Lang::En);
        assert_eq!(Lang::Sv.texts().get("nav.signout"), "Logga ut");
        assert_eq!(
            Lang::En.texts().fill("signed_in_as", &[("name", "Anna")]),
            "Signed in as Anna"
        );
    }
}
