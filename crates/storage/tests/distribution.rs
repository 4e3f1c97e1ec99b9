//! The schema stays ready to be distributed by tenant (Citus, docs/scaling.md): read from the
//! database's own catalog after the migrations ran (PostgreSQL's `pg_index`/`pg_constraint`,
//! SQLite's `pragma_*`, so both migration sets are held to it), every tenant-owned table's
//! primary key and unique indexes lead with `tenant_id`, and every foreign key between
//! tenant-owned tables includes it. A table is tenant-owned when it has a `tenant_id` column
//! and is not listed below; every other table must be listed as a reference table (small,
//! copied to every node) or a local one (kept on the coordinator), with the reason.

use diesel::prelude::*;
use diesel::sql_types::Text;
use std::collections::BTreeMap;
use tenantry_storage::DbConnection;
use tenantry_testkit::TestDb;

/// Small tables read beside tenant data, replicated to every node.
const REFERENCE: &[(&str, &str)] = &[
    ("resellers", "a handful of rows, joined by every authenticated request"),
    ("reseller_users", "a few per reseller; Basic authentication reads them"),
    ("reseller_keys", "a few per reseller; every keyed request looks one up by hash"),
    ("reseller_portals", "one row per reseller and environment"),
    ("tenant_templates", "a few per reseller, read when a tenant is created"),
    ("integrations", "a few per partner; links reference them"),
    ("tenants", "one row per tenant, looked up by codeName and by customerReference, which must stay unique across tenants: a distributed table cannot enforce that"),
];

/// Kept on the coordinator: per-reseller streams and queues, read in their own order rather
/// than by tenant.
const LOCAL: &[(&str, &str)] = &[
    (
        "code_name_counters",
        "one counter per codeName base, taken across tenants",
    ),
    (
        "event_sequences",
        "the per-reseller sequence every event takes (docs/scaling.md)",
    ),
    ("events", "the per-reseller feed, paged by that sequence"),
    ("webhook_endpoints", "a reseller's endpoints"),
    (
        "webhook_deliveries",
        "the delivery queue, claimed by due time across resellers",
    ),
    ("webhook_attempts", "the attempt log, read per endpoint"),
    ("audit_events", "the per-reseller audit log"),
    (
        "idempotency_keys",
        "keyed by principal, which may be a reseller",
    ),
    (
        "usage_counters",
        "per-reseller analytics, summed across tenants",
    ),
    (
        "usage_subjects",
        "per-reseller analytics, counted across tenants",
    ),
    (
        "tenant_jobs",
        "the job queue, claimed by due time across tenants",
    ),
];

/// One table as the catalog describes it.
#[derive(Debug, Default)]
struct Table {
    columns: Vec<String>,
    primary_key: Vec<String>,
    /// Each unique index or constraint's columns, by name.
    unique: Vec<(String, Vec<String>)>,
    /// Each foreign key's columns and the table it references.
    foreign_keys: Vec<(Vec<String>, String)>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = Text)]
    c: String,
}

fn rows(conn: &mut DbConnection, sql: &str) -> Vec<(String, String, String)> {
    let rows: Vec<Row> = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(sql).load(pg),
        DbConnection::Sqlite(lite) => diesel::sql_query(sql).load(lite),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| (r.a, r.b, r.c)).collect()
}

fn split(list: &str) -> Vec<String> {
    list.split(',').map(str::to_owned).collect()
}

/// Every table of the schema, from PostgreSQL's catalog.
fn postgres_schema(conn: &mut DbConnection) -> BTreeMap<String, Table> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let columns = "SELECT table_name::text AS a, column_name::text AS b, ''::text AS c \
         FROM information_schema.columns WHERE table_schema = 'public' \
         AND table_name <> '__diesel_schema_migrations' ORDER BY table_name, ordinal_position";
    for (table, column, _) in rows(conn, columns) {
        tables.entry(table).or_default().columns.push(column);
    }
    let indexes = "SELECT t.relname::text AS a, i.relname::text AS b, \
         (CASE WHEN x.indisprimary THEN 'p:' ELSE 'u:' END) || \
         (SELECT string_agg(att.attname::text, ',' ORDER BY k.ord) \
            FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord) \
            JOIN pg_attribute att ON att.attrelid = t.oid AND att.attnum = k.attnum) AS c \
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND x.indisunique";
    for (table, index, kind_columns) in rows(conn, indexes) {
        let Some(t) = tables.get_mut(&table) else {
            continue;
        };
        match kind_columns.split_once(':') {
            Some(("p", list)) => t.primary_key = split(list),
            Some((_, list)) => t.unique.push((index, split(list))),
            None => unreachable!(),
        }
    }
    let keys = "SELECT c.conrelid::regclass::text AS a, c.confrelid::regclass::text AS b, \
         (SELECT string_agg(att.attname::text, ',' ORDER BY k.ord) \
            FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord) \
            JOIN pg_attribute att ON att.attrelid = c.conrelid AND att.attnum = k.attnum) AS c \
         FROM pg_constraint c WHERE c.contype = 'f'";
    for (table, referenced, list) in rows(conn, keys) {
        if let Some(t) = tables.get_mut(&table) {
            t.foreign_keys.push((split(&list), referenced));
        }
    }
    tables
}

/// Every table of the schema, from SQLite's catalog.
fn sqlite_schema(conn: &mut DbConnection) -> BTreeMap<String, Table> {
    let names = "SELECT name AS a, '' AS b, '' AS c FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'";
    let mut tables = BTreeMap::new();
    for (name, _, _) in rows(conn, names) {
        // The names come from sqlite_master itself.
        let columns = format!(
            "SELECT name AS a, CAST(pk AS TEXT) AS b, '' AS c FROM pragma_table_info('{name}')"
        );
        let mut table = Table::default();
        let mut key: Vec<(i64, String)> = Vec::new();
        for (column, pk, _) in rows(conn, &columns) {
            let position: i64 = pk.parse().unwrap();
            if position > 0 {
                key.push((position, column.clone()));
            }
            table.columns.push(column);
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        let indexes = format!(
            "SELECT name AS a, origin AS b, '' AS c FROM pragma_index_list('{name}') WHERE \"unique\" = 1"
        );
        for (index, origin, _) in rows(conn, &indexes) {
            if origin == "pk" {
                continue;
            }
            let columns = format!(
                "SELECT name AS a, '' AS b, '' AS c FROM pragma_index_info('{index}') ORDER BY seqno"
            );
            let list = rows(conn, &columns).into_iter().map(|r| r.0).collect();
            table.unique.push((index, list));
        }
        let keys = format!(
            "SELECT CAST(id AS TEXT) AS a, \"table\" AS b, \"from\" AS c \
             FROM pragma_foreign_key_list('{name}') ORDER BY id, seq"
        );
        let mut by_id: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
        for (id, referenced, column) in rows(conn, &keys) {
            let entry = by_id.entry(id).or_insert_with(|| (Vec::new(), referenced));
            entry.0.push(column);
        }
        table.foreign_keys = by_id.into_values().collect();
        tables.insert(name, table);
    }
    tables
}

/// What keeps `tables` from being distributed by tenant, one line each.
fn violations(tables: &BTreeMap<String, Table>) -> Vec<String> {
    let listed = |name: &str| REFERENCE.iter().chain(LOCAL).any(|(t, _)| *t == name);
    let mut found = Vec::new();
    for (name, _) in REFERENCE.iter().chain(LOCAL) {
        if !tables.contains_key(*name) {
            found.push(format!("{name} is listed but does not exist"));
        }
    }
    let tenant_owned = |name: &str| {
        tables
            .get(name)
            .is_some_and(|t| t.columns.iter().any(|c| c == "tenant_id"))
            && !listed(name)
    };
    for (name, table) in tables {
        if listed(name) {
            continue;
        }
        if !tenant_owned(name) {
            found.push(format!(
                "{name} has no tenant_id and is listed neither as a reference nor a local table"
            ));
            continue;
        }
        if table.primary_key.first().map(String::as_str) != Some("tenant_id") {
            found.push(format!(
                "{name}'s primary key ({}) does not lead with tenant_id",
                table.primary_key.join(", ")
            ));
        }
        for (index, columns) in &table.unique {
            if columns.first().map(String::as_str) != Some("tenant_id") {
                found.push(format!(
                    "{name}'s unique index {index} ({}) does not lead with tenant_id",
                    columns.join(", ")
                ));
            }
        }
        for (columns, referenced) in &table.foreign_keys {
            if tenant_owned(referenced) && !columns.iter().any(|c| c == "tenant_id") {
                found.push(format!(
                    "{name}'s foreign key ({}) to {referenced} does not include tenant_id",
                    columns.join(", ")
                ));
            }
        }
    }
    found
}

fn schema(conn: &mut DbConnection) -> BTreeMap<String, Table> {
    match conn {
        DbConnection::Postgres(_) => postgres_schema(conn),
        DbConnection::Sqlite(_) => sqlite_schema(conn),
    }
}

#[test]
fn every_tenant_owned_table_leads_its_keys_with_tenant_id() {
    let db = TestDb::new();
    let database = db.connect();
    let tables = database
        .read(|conn| Ok::<_, tenantry_storage::StorageError>(schema(conn)))
        .unwrap();
    assert!(tables.contains_key("orders") && tables["orders"].primary_key == ["tenant_id", "id"]);
    assert!(
        tables["orders"]
            .unique
            .iter()
            .any(|(_, c)| c == &["tenant_id", "number"]),
        "the catalog is read: {:?}",
        tables["orders"]
    );
    assert_eq!(violations(&tables), Vec::<String>::new());
}

#[test]
fn a_table_that_breaks_the_rule_is_named() {
    let db = TestDb::new();
    let database = db.connect();
    let tables = database
        .write(|conn| {
            for sql in [
                "CREATE TABLE bad_notes (tenant_id TEXT NOT NULL, id TEXT PRIMARY KEY, code TEXT UNIQUE)",
                "CREATE TABLE bad_replies (tenant_id TEXT NOT NULL, id TEXT NOT NULL, note_id TEXT REFERENCES bad_notes (id), PRIMARY KEY (tenant_id, id))",
                "CREATE TABLE stray (id TEXT PRIMARY KEY)",
            ] {
                match conn {
                    DbConnection::Postgres(pg) => diesel::sql_query(sql).execute(pg),
                    DbConnection::Sqlite(lite) => diesel::sql_query(sql).execute(lite),
                }?;
            }
            Ok::<_, tenantry_storage::StorageError>(schema(conn))
        })
        .unwrap();
    let found = violations(&tables);
    let about = |table: &str, what: &str| {
        found
            .iter()
            .any(|v| v.starts_with(table) && v.contains(what))
    };
    assert!(about("bad_notes", "primary key (id)"), "{found:?}");
    assert!(about("bad_notes", "unique index"), "{found:?}");
    assert!(
        about("bad_replies", "foreign key (note_id) to bad_notes"),
        "{found:?}"
    );
    assert!(about("stray", "listed neither"), "{found:?}");
    assert_eq!(found.len(), 4, "{found:?}");
}
