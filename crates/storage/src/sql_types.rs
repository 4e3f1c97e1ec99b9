//! The one column type beyond those the backends share: an id stored as PostgreSQL's 16-byte
//! `uuid`, and as TEXT on SQLite (which has no such type).
//!
//! Only the tables every event-producing write appends to use it — `events`,
//! `audit_events` and `webhook_attempts` (migration 000018). A TEXT id costs 37 bytes in the
//! row and again in each key it is part of; on PostgreSQL those bytes are WAL too. With these
//! seven ids as `uuid`, a `PATCH /reseller/tenant/{codeName}` wrote 1,892 bytes of WAL instead
//! of 2,138 (`cargo xtask bench --only webhooks`). The other tables keep TEXT ids: they are
//! written rarely, and their ids are compared across tables.

use crate::database::MultiBackend;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType};
use diesel::sqlite::Sqlite;
use std::io::Write;

/// An id column: `uuid` on PostgreSQL, TEXT (hyphenated, lowercase) on SQLite.
#[derive(SqlType, diesel::query_builder::QueryId, Clone, Copy, Debug)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Uuid;

/// A [`uuid::Uuid`] bound to or read from a [`Uuid`] column.
#[derive(AsExpression, FromSqlRow, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[diesel(sql_type = Uuid)]
pub(crate) struct Id(pub(crate) uuid::Uuid);

impl From<uuid::Uuid> for Id {
    fn from(id: uuid::Uuid) -> Id {
        Id(id)
    }
}

impl ToSql<Uuid, Pg> for Id {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Pg> for Id {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Id> {
        Ok(Id(uuid::Uuid::from_slice(value.as_bytes())?))
    }
}

impl ToSql<Uuid, Sqlite> for Id {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, Sqlite> for Id {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Id> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        Ok(Id(uuid::Uuid::parse_str(&text)?))
    }
}

impl HasSqlType<Uuid> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<Uuid>(lookup)
    }
}

impl ToSql<Uuid, MultiBackend> for Id {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Uuid, self));
        Ok(IsNull::No)
    }
}

impl FromSql<Uuid, MultiBackend> for Id {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Id> {
        value.from_sql::<Id, Uuid>()
    }
}
