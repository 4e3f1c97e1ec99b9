//! Money without floating point: amounts are integers of the currency's minor unit, written
//! in JSON as exact decimal strings (`"199.00"`, `"1500"` for JPY).

use crate::DomainError;
use std::fmt;

/// An ISO 4217 currency this server knows, with its number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    pub exponent: u32,
}

/// The currencies accepted: the ISO 4217 codes in common trade, with their minor units.
pub const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("ZAR", 2),
];

impl Currency {
    /// The currency with this ISO 4217 code (upper case), if known.
    pub fn from_code(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(code, exponent)| Currency {
                code,
                exponent: *exponent,
            })
    }

    /// Parses `"12.50"` into minor units (1250 for SEK). More decimals than the currency has,
    /// signs, exponents and anything that is not a plain decimal are refused.
    pub fn parse_amount(self, text: &str, field: &str) -> Result<i64, DomainError> {
        let invalid = || {
            DomainError::invalid(
                field,
                "amount",
                format!("must be a non-negative decimal string with at most {} decimals, such as \"{}\"", self.exponent, self.format(1999)),
            )
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || whole.len() > 15
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > self.exponent as usize
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(invalid());
        }
        let scale = 10_i64.pow(self.exponent);
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let padded = format!("{fraction:0<width$}", width = self.exponent as usize);
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| invalid())?
        };
        whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(invalid)
    }

    /// Formats minor units as an exact decimal string (`1250` → `"12.50"`).
    pub fn format(self, minor: i64) -> String {
        self.decimal(minor).as_str().to_owned()
    }

    /// The exact decimal text of `minor` units, on the stack: what [`Currency::format`] gives,
    /// for a writer that copies it on (the sync page writes eight amounts an order, and an
    /// allocation for each showed up beside the page's own copying).
    pub fn decimal(self, minor: i64) -> Decimal {
        // Digits written by hand, right to left: going through `format!` was most of the cost
        // of rendering an order.
        let exponent = self.exponent as usize;
        let mut text = Decimal {
            bytes: [0; DECIMAL_CAPACITY],
            start: DECIMAL_CAPACITY,
        };
        let mut push = |b: u8| {
            text.start -= 1;
            text.bytes[text.start] = b;
        };
        let mut rest = minor.unsigned_abs();
        let mut written = 0;
        loop {
            if exponent > 0 && written == exponent {
                push(b'.');
            }
            push(b'0' + (rest % 10) as u8);
            rest /= 10;
            written += 1;
            if rest == 0 && written > exponent {
                break;
            }
        }
        if minor < 0 {
            push(b'-');
        }
        text
    }
}

/// Room for any `i64` in any known currency: a sign, 19 digits, a point, and the zeros
/// before the digits of an amount smaller than one unit (exponents are at most 3).
const DECIMAL_CAPACITY: usize = 24;

/// The decimal text of an amount, from [`Currency::decimal`].
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    bytes: [u8; DECIMAL_CAPACITY],
    /// Where the text starts: it is written from the end.
    start: usize,
}

impl Decimal {
    /// The text, such as `"12.50"`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[self.start..]).expect("ASCII digits")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Percentages, read and written as amounts with two decimals.
const PERCENT: Currency = Currency {
    code: "%",
    exponent: 2,
};

/// A VAT rate in hundredths of a percent (`"25"` → 2500, `"12.5"` → 1250), 0 to 100 %.
pub fn parse_vat_rate(text: &str, field: &str) -> Result<i64, DomainError> {
    let rate = PERCENT.parse_amount(text, field).map_err(|_| {
        DomainError::invalid(
            field,
            "vat_rate",
            "must be a percentage from \"0\" to \"100\" with at most 2 decimals",
        )
    })?;
    if rate > 10_000 {
        return Err(DomainError::invalid(
            field,
            "vat_rate",
            "must be at most \"100\"",
        ));
    }
    Ok(rate)
}

/// Formats a VAT rate in hundredths of a percent (`2500` → `"25.00"`).
pub fn format_vat_rate(rate: i64) -> String {
    vat_rate_decimal(rate).as_str().to_owned()
}

/// A VAT rate's text as [`format_vat_rate`] gives it, on the stack.
pub fn vat_rate_decimal(rate: i64) -> Decimal {
    PERCENT.decimal(rate)
}

/// The VAT on `net` minor units at `rate` hundredths of a percent, rounded half away from zero
/// to the minor unit: the rule tax authorities apply per line.
pub fn vat_of(net: i64, rate: i64) -> Option<i64> {
    let product = (net as i128).checked_mul(rate as i128)?;
    let rounded = (product + 5_000) / 10_000;
    i64::try_from(rounded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_per_currency() {
        let sek = Currency::from_code("SEK").unwrap();
        assert_eq!(sek.parse_amount("12.50", "x").unwrap(), 1250);
        assert_eq!(sek.parse_amount("12.5", "x").unwrap(), 1250);
        assert_eq!(sek.parse_amount("12", "x").unwrap(), 1200);
        assert_eq!(sek.parse_amount("0.01", "x").unwrap(), 1);
        for bad in [
            "12.505",
            "-1",
            "1e3",
            "",
            ".5",
            "12.",
            "1,5",
            " 1",
            "999999999999999999",
        ] {
            assert!(sek.parse_amount(bad, "x").is_err(), "{bad}");
        }
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(jpy.parse_amount("1500", "x").unwrap(), 1500);
        assert!(jpy.parse_amount("1500.5", "x").is_err());
        assert_eq!(sek.format(1250), "12.50");
        assert_eq!(sek.format(5), "0.05");
        assert_eq!(sek.format(-5), "-0.05");
        assert_eq!(jpy.format(1500), "1500");
        assert_eq!(Currency::from_code("KWD").unwrap().format(1), "0.001");
        assert_eq!(sek.format(0), "0.00");
        assert_eq!(jpy.format(0), "0");
        assert_eq!(sek.format(i64::MIN), "-92233720368547758.08");
        assert_eq!(jpy.format(i64::MAX), "9223372036854775807");
        assert!(Currency::from_code("sek").is_none());
        assert!(Currency::from_code("XXX").is_none());
    }

    #[test]
    fn vat_is_exact_and_rounds_half_away_from_zero() {
        assert_eq!(parse_vat_rate("25", "v").unwrap(), 2500);
        assert_eq!(parse_vat_rate("12.5", "v").unwrap(), 1250);
        assert!(parse_vat_rate("100.01", "v").is_err());
        assert!(parse_vat_rate("-6", "v").is_err());
        assert_eq!(format_vat_rate(600), "6.00");
        assert_eq!(vat_of(1000, 2500), Some(250));
        assert_eq!(vat_of(1, 5000), Some(1), "0.5 rounds up");
        assert_eq!(vat_of(3, 1250), Some(0), "0.375 rounds down");
        assert_eq!(vat_of(0, 2500), Some(0));
        // 0.1 + 0.2 in floating point is not 0.3; here it is.
        assert_eq!(
            vat_of(10, 10_000).unwrap() + vat_of(20, 10_000).unwrap(),
            30
        );
    }
}
