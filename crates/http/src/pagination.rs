//! Cursor pagination: `?limit=&cursor=` → `{"data": [...], "nextCursor": …, "hasMore": …}`.
//! Cursors are opaque to clients (base64url of the last row's sort key).

use crate::ApiError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page a client may ask for.
pub const MAX_LIMIT: i64 = 200;

/// Checks `limit`: absent means the default; out of range is a 400, not silently clamped.
pub fn limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be 1 to {MAX_LIMIT}, not {n}"),
        )),
    }
}

/// Wraps a sort key into a cursor.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// The cursor of the page after `rows`, when more follow: the sort key of the last row,
/// wrapped.
pub fn next_cursor<T>(has_more: bool, rows: &[T], key: impl Fn(&T) -> String) -> Option<String> {
    has_more
        .then(|| rows.last().map(|row| encode_cursor(&key(row))))
        .flatten()
}

/// Unwraps a cursor into its sort key; a cursor that was not made here is a 400.
pub fn decode_cursor<T>(
    cursor: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        // An empty cursor (`?cursor=`) names no place in any list.
        .filter(|key| !key.is_empty())
        .and_then(|key| parse(&key))
        .ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "the cursor is not one this API returned")
        })
}

/// The sort key of a list in (time, id) order: `micros/id`.
pub fn time_id_key(at: DateTime<Utc>, id: impl std::fmt::Display) -> String {
    format!("{}/{id}", at.timestamp_micros())
}

/// Parses a [`time_id_key`] whose id is a UUID.
pub fn parse_time_uuid_key(key: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (micros, id) = key.split_once('/')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::parse_str(id).ok()?,
    ))
}

/// Parses the key of a list in sequence order: a non-negative integer.
pub fn parse_sequence_key(key: &str) -> Option<i64> {
    key.parse().ok().filter(|n: &i64| *n >= 0)
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListPage<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null when this is the last.
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some(200)).unwrap(), 200);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
        let c = encode_cursor("2026-01-01:abc");
        assert_eq!(
            decode_cursor(&c, |k| Some(k.to_owned())).unwrap(),
            "2026-01-01:abc"
        );
        assert!(decode_cursor(&c, |_| None::<()>).is_err());
        assert!(decode_cursor("!!", |k| Some(k.to_owned())).is_err());
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(parse_time_uuid_key(&time_id_key(at, id)), Some((at, id)));
        assert_eq!(parse_time_uuid_key("12/not-a-uuid"), None);
        assert_eq!(parse_sequence_key("42"), Some(42));
        assert_eq!(parse_sequence_key("-1"), None);
    }
}
