//! Parsing the Reseller API's three authentication schemes from header values:
//! `Authorization: Basic` + `X-Reseller` (Sharespine), `Authorization: Bearer` (Calipsa) and
//! `x-APIKey` (Partoo). A token in the query string is never read.

use crate::AuthError;
use base64::{engine::general_purpose::STANDARD, Engine};

/// A credential as presented, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResellerCredentials {
    /// Reseller user login and password, with the reseller's code.
    Basic {
        reseller: String,
        login: String,
        password: String,
    },
    /// A reseller API key.
    Key(String),
}

/// The header values the schemes read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headers<'a> {
    pub authorization: Option<&'a str>,
    pub x_reseller: Option<&'a str>,
    pub x_api_key: Option<&'a str>,
}

impl ResellerCredentials {
    /// Reads the credential from the headers.
    pub fn parse(headers: Headers<'_>) -> Result<Self, AuthError> {
        if let Some(key) = headers.x_api_key {
            if headers.authorization.is_some() {
                return Err(AuthError::Malformed(
                    "send either Authorization or x-APIKey, not both",
                ));
            }
            return Ok(ResellerCredentials::Key(key.trim().to_owned()));
        }
        let Some(authorization) = headers.authorization else {
            return Err(AuthError::Missing(
                "authentication required: send Authorization: Basic with X-Reseller, Authorization: Bearer <key> or x-APIKey: <key>",
            ));
        };
        let (scheme, value) = authorization
            .trim()
            .split_once(' ')
            .unwrap_or((authorization, ""));
        let value = value.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            if value.is_empty() {
                return Err(AuthError::Malformed("the Bearer token is empty"));
            }
            Ok(ResellerCredentials::Key(value.to_owned()))
        } else if scheme.eq_ignore_ascii_case("basic") {
            let (login, password) = decode_basic(value)?;
            let reseller = headers
                .x_reseller
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .ok_or(AuthError::Missing(
                    "Basic authentication needs the X-Reseller header naming your reseller code",
                ))?;
            Ok(ResellerCredentials::Basic {
                reseller: reseller.to_owned(),
                login,
                password,
            })
        } else {
            Err(AuthError::Malformed(
                "unsupported Authorization scheme: use Basic or Bearer",
            ))
        }
    }
}

/// Decodes `base64(login:password)`.
pub fn decode_basic(value: &str) -> Result<(String, String), AuthError> {
    let malformed = AuthError::Malformed("the Basic credentials are not base64 of login:password");
    let bytes = STANDARD
        .decode(value)
        .map_err(|_| AuthError::Malformed("the Basic credentials are not valid Base64"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| AuthError::Malformed("the Basic credentials are not UTF-8"))?;
    if tenantry_domain::text::control_character(&text).is_some() {
        return Err(AuthError::Malformed(
            "the Basic credentials contain a control character",
        ));
    }
    let (login, password) = text.split_once(':').ok_or(malformed)?;
    Ok((login.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!("Basic {}", STANDARD.encode(s))
    }

    #[test]
    fn each_scheme_parses() {
        let auth = basic("anna:s3cret:with:colons");
        let h = Headers {
            authorization: Some(&auth),
            x_reseller: Some("acme"),
            x_api_key: None,
        };
        assert_eq!(
            ResellerCredentials::parse(h).unwrap(),
            ResellerCredentials::Basic {
                reseller: "acme".into(),
                login: "anna".into(),
                password: "s3cret:with:colons".into()
            }
        );
        let h = Headers {
            authorization: Some("Bearer tnr_test_x"),
            ..Default::default()
        };
        assert_eq!(
            ResellerCredentials::parse(h).unwrap(),
            ResellerCredentials::Key("tnr_test_x".into())
        );
        let h = Headers {
            x_api_key: Some("tnr_test_y"),
            ..Default::default()
        };
        assert_eq!(
            ResellerCredentials::parse(h).unwrap(),
            ResellerCredentials::Key("tnr_test_y".into())
        );
    }

    #[test]
    fn incomplete_or_odd_credentials_are_refused() {
        assert!(matches!(
            ResellerCredentials::parse(Headers::default()),
            Err(AuthError::Missing(_))
        ));
        let auth = basic("anna:pw");
        let no_reseller = Headers {
            authorization: Some(&auth),
            ..Default::default()
        };
        assert!(matches!(
            ResellerCredentials::parse(no_reseller),
            Err(AuthError::Missing(_))
        ));
        for bad in [
            "Basic !!!",
            "Basic",
            "Digest abc",
            "Bearer ",
            &basic("no-colon"),
            &basic("an\u{0}na:pw"),
            &basic("anna:p\u{1}w"),
        ] {
            let h = Headers {
                authorization: Some(bad),
                x_reseller: Some("acme"),
                ..Default::default()
            };
            assert!(
                matches!(ResellerCredentials::parse(h), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
        let both = Headers {
            authorization: Some("Bearer a"),
            x_api_key: Some("b"),
            ..Default::default()
        };
        assert!(ResellerCredentials::parse(both).is_err());
    }
}
