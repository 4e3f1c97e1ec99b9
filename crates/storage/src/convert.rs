//! Conversions at the row ↔ domain boundary: TEXT ids, TEXT JSON, UTC timestamps.

use crate::{Result, StorageError};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::str::FromStr;
use uuid::Uuid;

pub(crate) fn to_db_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub(crate) fn from_db_time(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub(crate) fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StorageError::Corrupt(format!("id `{s}`: {e}")))
}

pub(crate) fn parse<T: FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StorageError::Corrupt)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("JSON column: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain vectors and JSON maps cannot fail.
    serde_json::to_string(v).expect("serializable value")
}
