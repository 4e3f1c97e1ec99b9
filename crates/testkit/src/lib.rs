//! What every crate's integration tests need: a fresh, migrated database of its own on the
//! backend the environment asks for — a SQLite file by default, or a new PostgreSQL database
//! when `TENANTRY_TEST_DATABASE_URL` names a server (it is dropped after the test). With
//! `TENANTRY_TEST_REQUIRE_POSTGRES` set, a missing PostgreSQL URL fails the test instead of
//! quietly running on SQLite.
//!
//! [`server::TestServer`] runs the real application on a loopback port with the surfaces a
//! test mounts (a surface crate mounts itself alone); [`client`] sends it requests;
//! [`receiver::Receiver`] is a real webhook endpoint; [`portal::Session`] a portal visitor.

pub mod browser;
pub mod client;
pub mod fixture;
pub mod portal;
pub mod receiver;
pub mod server;

use std::path::PathBuf;
use tenantry_storage::{provision, Backend, Database, PoolOptions};

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Files(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh database on the backend the environment asks for.
    pub fn new() -> TestDb {
        let name = format!("tenantry_test_{}", uuid::Uuid::new_v4().simple());
        match std::env::var("TENANTRY_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let url = provision::create_postgres_database(&admin_url, &name)
                    .unwrap_or_else(|e| panic!("TENANTRY_TEST_DATABASE_URL is set but no database could be created: {e}"));
                TestDb {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
            _ => {
                assert!(
                    std::env::var("TENANTRY_TEST_REQUIRE_POSTGRES").is_err(),
                    "TENANTRY_TEST_REQUIRE_POSTGRES is set, but TENANTRY_TEST_DATABASE_URL names no PostgreSQL server"
                );
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::Files(path),
                }
            }
        }
    }

    /// A migrated pool on this database.
    pub fn connect(&self) -> Database {
        let db = Database::connect(
            &self.url,
            PoolOptions {
                max_size: 8,
                ..Default::default()
            },
        )
        .expect("connect");
        db.migrate().expect("migrate");
        db
    }
}

impl Default for TestDb {
    fn default() -> Self {
        TestDb::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Files(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Err(e) = provision::drop_postgres_database(admin_url, name) {
                    eprintln!("could not drop test database {name}: {e}");
                }
            }
        }
    }
}

/// The replica's URL for the test database at `url`: `TENANTRY_TEST_REPLICA_URL` names the
/// replica server (any database on it); the database name is `url`'s. Panics without it: a
/// replica test must run, not pass unrun.
pub fn replica_url(url: &str) -> String {
    let server = std::env::var("TENANTRY_TEST_REPLICA_URL").unwrap_or_else(|_| {
        panic!(
            "TENANTRY_TEST_REPLICA_URL names no streaming replica of the test PostgreSQL: \
             .ci/replica.sh starts one (pg_basebackup -R, port 5433)"
        )
    });
    let name = url.rsplit('/').next().expect("a database name");
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// Which backend the suite runs on.
pub fn backend() -> Backend {
    match std::env::var("TENANTRY_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// The replica's WAL replay, paused until dropped: the replica then lags the primary by
/// whatever is written meanwhile, as a replica under load would.
pub struct PausedReplay {
    url: String,
}

impl PausedReplay {
    /// Pauses the replay of the replica at `url` (any database on it).
    pub fn pause(url: &str) -> PausedReplay {
        replay(url, "SELECT pg_wal_replay_pause()");
        PausedReplay {
            url: url.to_owned(),
        }
    }
}

impl Drop for PausedReplay {
    fn drop(&mut self) {
        replay(&self.url, "SELECT pg_wal_replay_resume()");
    }
}

fn replay(url: &str, sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(url)
        .unwrap_or_else(|e| panic!("connect to the replica {url}: {e}"));
    diesel::sql_query(sql)
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{sql} on {url}: {e}"));
}
