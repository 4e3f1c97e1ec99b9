//! A JSON writer for the hottest response, the order-sync page: field names are written as
//! literals and plain strings copied straight, where serde_json escapes every key and value
//! one call at a time (that was a fifth of the server's CPU on a 50-order page). The output is
//! byte for byte serde_json's: a string that needs escaping, and any value without a method of
//! its own here, goes through serde_json itself.

use actix_web::HttpResponse;
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Builds one JSON document in memory.
pub struct JsonWriter {
    out: Vec<u8>,
}

impl JsonWriter {
    /// A writer whose buffer holds `capacity` bytes before it grows.
    pub fn with_capacity(capacity: usize) -> Self {
        JsonWriter {
            out: Vec::with_capacity(capacity),
        }
    }

    /// Appends JSON text as it is: punctuation and `"key":` literals.
    pub fn raw(&mut self, json: &str) {
        self.out.extend_from_slice(json.as_bytes());
    }

    /// Appends a string value, escaped exactly as serde_json escapes it.
    pub fn string(&mut self, s: &str) {
        if needs_escaping(s.as_bytes()) {
            self.serde(s);
        } else {
            self.quoted(s);
        }
    }

    /// Appends a string value that cannot need escaping (digits, hex ids, codes), unscanned.
    pub fn plain(&mut self, s: &str) {
        debug_assert!(!needs_escaping(s.as_bytes()), "{s:?} needs escaping");
        self.quoted(s);
    }

    fn quoted(&mut self, s: &str) {
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
    }

    /// Appends an integer.
    pub fn int(&mut self, n: i64) {
        self.raw(itoa::Buffer::new().format(n));
    }

    /// Appends `true` or `false`.
    pub fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    /// Appends an id as serde writes a `Uuid`: hyphenated, lowercase.
    pub fn uuid(&mut self, id: Uuid) {
        self.plain(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    }

    /// Appends a time as serde writes a `DateTime<Utc>`: RFC 3339 in UTC with `Z`, and 0, 3, 6
    /// or 9 fraction digits, as few as show it exactly.
    pub fn timestamp(&mut self, t: DateTime<Utc>) {
        let nanos = t.nanosecond();
        if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
            // Years past four digits and leap seconds: rare enough for serde to write.
            return self.serde(&t);
        }
        let mut text = [0u8; 30];
        let mut at = 0;
        let mut digits = |value: u32, width: usize, at: &mut usize| {
            for i in (0..width).rev() {
                text[*at + i] = b'0' + (value / 10_u32.pow((width - 1 - i) as u32) % 10) as u8;
            }
            *at += width;
        };
        let (year, month, day) = (t.year() as u32, t.month(), t.day());
        let (hour, minute, second) = (t.hour(), t.minute(), t.second());
        digits(year, 4, &mut at);
        digits(month, 2, &mut at);
        digits(day, 2, &mut at);
        digits(hour, 2, &mut at);
        digits(minute, 2, &mut at);
        digits(second, 2, &mut at);
        let fraction = match nanos {
            0 => None,
            n if n % 1_000_000 == 0 => Some((n / 1_000_000, 3)),
            n if n % 1_000 == 0 => Some((n / 1_000, 6)),
            n => Some((n, 9)),
        };
        if let Some((value, width)) = fraction {
            digits(value, width, &mut at);
        }
        let d = &text[..at];
        self.out.push(b'"');
        self.out.extend_from_slice(&d[0..4]);
        for (sep, range) in [
            (b'-', 4..6),
            (b'-', 6..8),
            (b'T', 8..10),
            (b':', 10..12),
            (b':', 12..14),
        ] {
            self.out.push(sep);
            self.out.extend_from_slice(&d[range]);
        }
        if at > 14 {
            self.out.push(b'.');
            self.out.extend_from_slice(&d[14..]);
        }
        self.out.extend_from_slice(b"Z\"");
    }

    /// Appends any value through serde_json (free-form metadata, say).
    pub fn serde<T: Serialize + ?Sized>(&mut self, value: &T) {
        serde_json::to_writer(&mut self.out, value).expect("a value serde_json can write");
    }

    /// Appends `items` as a JSON array, each written by `write`.
    pub fn array<T>(&mut self, items: &[T], mut write: impl FnMut(&mut Self, &T)) {
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write(self, item);
        }
        self.out.push(b']');
    }

    /// The document written so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// A 200 answer carrying the document.
    pub fn into_response(self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("application/json")
            .body(self.out)
    }
}

/// Whether serde_json would escape any of `bytes`: exactly the control characters, `"` and `\`.
fn needs_escaping(bytes: &[u8]) -> bool {
    // Eight bytes at a time with the classic "has a byte less than n" word test (exact for
    // n ≤ 128; a byte equal to c is a zero byte of x ^ c…c): a short string is scanned in a
    // step or two instead of a branch per byte.
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
        if control
            || has_zero(x ^ (ONES * u64::from(b'"')))
            || has_zero(x ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "",
            "plain",
            "Åsa Öberg 💡",
            "quote \" and backslash \\",
            "control \u{1} \n \t \u{1f} del \u{7f}",
            "slash / stays",
            "</script>",
        ] {
            let mut w = JsonWriter::with_capacity(0);
            w.string(s);
            assert_eq!(w.into_bytes(), serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn the_word_at_a_time_scan_finds_exactly_the_bytes_serde_escapes() {
        let naive = |b: &[u8]| b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
        // Every byte value at every position of strings around the eight-byte boundaries,
        // among plain text and among non-ASCII bytes.
        for len in 1..=19 {
            for at in 0..len {
                for filler in [b'a', 0x80, 0xff, b'!', 0x21, 0x5d, 0x1f + 1] {
                    for byte in 0..=255u8 {
                        let mut text = vec![filler; len];
                        text[at] = byte;
                        assert_eq!(needs_escaping(&text), naive(&text), "{text:?}");
                    }
                }
            }
        }
        assert!(!needs_escaping(b""));
    }

    #[test]
    fn timestamps_match_serde_json() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        for t in [
            at("2026-11-23T11:24:44.861166Z"),
            at("2026-01-02T03:04:05Z"),
            at("2026-01-02T03:04:05.100Z"),
            at("2026-01-02T03:04:05.000001Z"),
            at("2026-01-02T03:04:05.123456789Z"),
            at("0001-01-01T00:00:00Z"),
            at("9999-12-31T23:59:59.999999Z"),
            at("+10000-01-01T00:00:00Z"),
            at("2016-12-31T23:59:60.5Z"),
            Utc::now(),
        ] {
            let mut w = JsonWriter::with_capacity(0);
            w.timestamp(t);
            assert_eq!(
                String::from_utf8(w.into_bytes()).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn numbers_ids_and_booleans_match_serde_json() {
        let id = Uuid::new_v4();
        let mut w = JsonWriter::with_capacity(0);
        w.array(&[i64::MIN, -1, 0, 7, i64::MAX], |w, n| w.int(*n));
        w.uuid(id);
        w.bool(true);
        w.bool(false);
        let expected = format!(
            "{}{}truefalse",
            serde_json::to_string(&[i64::MIN, -1, 0, 7, i64::MAX]).unwrap(),
            serde_json::to_string(&id).unwrap()
        );
        assert_eq!(String::from_utf8(w.into_bytes()).unwrap(), expected);
    }
}
