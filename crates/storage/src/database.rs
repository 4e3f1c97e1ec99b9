//! The connection pool over either backend, migrations, and the transaction helpers.

use crate::handoff::Handoff;
use crate::known_endpoints::KnownEndpoints;
use crate::reseller::KeyCheck;
use crate::{Result, StorageError};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::borrow::Cow;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// `INSERT … ON CONFLICT (key) DO UPDATE SET value = value + n RETURNING value`, starting at n:
/// an atomic counter per key. Not portable through the multi-backend, so it expands once per
/// connection variant.
macro_rules! increment_counter {
    ($conn:expr, $table:ident, $key:ident, $key_value:expr, $value:ident) => {
        $crate::database::increment_counter!($conn, $table, $key, $key_value, $value, 1_i64)
    };
    ($conn:expr, $table:ident, $key:ident, $key_value:expr, $value:ident, $amount:expr) => {{
        macro_rules! statement {
            ($c:expr) => {
                diesel::insert_into($table::table)
                    .values(($table::$key.eq($key_value), $table::$value.eq($amount)))
                    .on_conflict($table::$key)
                    .do_update()
                    .set($table::$value.eq($table::$value + $amount))
                    .returning($table::$value)
                    .get_result::<i64>($c)
            };
        }
        match $conn {
            $crate::DbConnection::Postgres(c) => statement!(c),
            $crate::DbConnection::Sqlite(c) => statement!(c),
        }
    }};
}
pub(crate) use increment_counter;

/// Rows per multi-row statement on PostgreSQL: well under its 65,535 bind parameters.
pub(crate) const ROWS_PER_STATEMENT: usize = 1000;

/// Runs `$statement!(connection, rows)` over `$rows`: on PostgreSQL as multi-row statements
/// (one round trip per thousand rows), on SQLite row by row (no round trips to save, one
/// cached statement, and diesel has no multi-row ON CONFLICT for it). ON CONFLICT is not
/// portable through the multi-backend connection, so each backend gets its own expansion.
/// `per_backend!(conn, rows, insert_into table)` inserts them.
macro_rules! per_backend {
    ($conn:expr, $rows:expr, insert_into $table:path) => {{
        macro_rules! insert {
            ($c:expr, $values:expr) => {
                diesel::insert_into($table).values($values).execute($c)
            };
        }
        $crate::database::per_backend!($conn, $rows, insert)
    }};
    ($conn:expr, $rows:expr, $statement:ident) => {
        match $conn {
            $crate::DbConnection::Postgres(c) => {
                if let [row] = &$rows[..] {
                    // One row (an event-producing write's event and delivery, mostly) as a
                    // statement of one shape, which diesel prepares once per connection: a
                    // multi-row statement's text varies with its row count, so diesel
                    // never caches it and PostgreSQL parses and plans it every time.
                    $statement!(c, row)?;
                } else {
                    for chunk in $rows.chunks($crate::database::ROWS_PER_STATEMENT) {
                        $statement!(c, chunk)?;
                    }
                }
            }
            $crate::DbConnection::Sqlite(c) => {
                for row in &$rows {
                    $statement!(c, row)?;
                }
            }
        }
    };
}
pub(crate) use per_backend;

/// Makes `$statement`, a hand-written PostgreSQL statement whose text never varies (its lists
/// are bound as arrays), one that diesel prepares once per connection (its type is its
/// statement-cache key) and runs with `RunQueryDsl`.
macro_rules! prepared_on_postgres {
    ($statement:ty) => {
        impl diesel::query_builder::QueryId for $statement {
            type QueryId = $statement;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl diesel::RunQueryDsl<diesel::PgConnection> for $statement {}
    };
}
pub(crate) use prepared_on_postgres;

/// Binds each `value` as its SQL `type` into the statement `out` builds, separated by commas:
/// `bind_list!(out, Text => &a, Array<Uuid> => &ids)`. For the hand-written statements.
macro_rules! bind_list {
    ($out:ident, $type:ty => $value:expr $(, $types:ty => $values:expr)* $(,)?) => {
        $out.push_bind_param::<$type, _>($value)?;
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$types, _>($values)?;
        )*
    };
}
pub(crate) use bind_list;

/// Background work a transaction can queue, each kind with its own workers to wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Webhook deliveries, for the webhook workers.
    Deliveries = 0,
    /// Tenant jobs, for the tenant jobs thread.
    Jobs = 1,
    /// Webhook deliveries due at once, that only a claim finds (not handed off): counted so
    /// a worker knows when the queue in the database is worth reading before its next poll.
    /// A commit that queues them counts as one that queued [`Work::Deliveries`] as well
    /// ([`queued`] notes both).
    ClaimableDeliveries = 2,
}

thread_local! {
    /// The kinds of background work (bits of [`Work`]) the transaction running on this thread
    /// queued; `Database::write` reads it after the commit to wake a worker of this process.
    static WORK_QUEUED: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// Notes that the transaction running on this thread queued `work`; claimable deliveries
/// are deliveries too, so their commit wakes a webhook worker.
pub(crate) fn queued(work: Work) {
    let mut bits = 1 << work as u8;
    if work == Work::ClaimableDeliveries {
        bits |= 1 << Work::Deliveries as u8;
    }
    WORK_QUEUED.set(WORK_QUEUED.get() | bits);
}

/// Commits that queued one kind of work, and the workers waiting for the next.
#[derive(Default)]
struct Signal {
    commits: Mutex<u64>,
    changed: Condvar,
}

/// One connection to either backend. Queries written against it run on both; where a
/// backend needs its own statement (ON CONFLICT, say), code matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme and returns what to hand the driver. Diesel's own
    /// `establish` would try each backend in turn, and SQLite accepts any string as a path.
    pub fn from_url(url: &str) -> Result<(Backend, String)> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StorageError::UnsupportedUrl(url.to_owned()));
            }
            Ok((Backend::Sqlite, path.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pgsslmode = std::env::var_os("PGSSLMODE").is_some();
            Ok((Backend::Postgres, without_loopback_tls(url, pgsslmode)))
        } else {
            Err(StorageError::UnsupportedUrl(url.to_owned()))
        }
    }
}

/// `url` with `sslmode=disable` added when it names a loopback host and says nothing of TLS
/// (no `sslmode` in it, and no `PGSSLMODE` in the environment: `pgsslmode`). libpq's
/// default, `prefer`, encrypts loopback traffic too, which protects nothing on one host and
/// cost about 7 % of the machine's CPU in `cargo xtask bench --only webhooks` (952 against
/// 881 writes/s). A URL that asks for TLS keeps it, and any other host keeps libpq's default.
fn without_loopback_tls(url: &str, pgsslmode: bool) -> String {
    let (_, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let query = rest.split_once('?').map(|(_, q)| q);
    let names_tls =
        pgsslmode || query.is_some_and(|q| q.split('&').any(|p| p.starts_with("sslmode=")));
    if !loopback || names_tls {
        return url.to_owned();
    }
    let separator = if query.is_some() { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 10,
            connection_timeout: Duration::from_secs(10),
        }
    }
}

struct Manager {
    backend: Backend,
    target: String,
}

/// A PostgreSQL connection returned to the pool this recently, by a use that did not fail, is
/// handed out again without a test query: under load that round trip was one in four of a
/// sync request's. An idle or suspect connection is tested before use, so one the server
/// dropped (a restart, an idle timeout) is replaced instead of failing a request.
const TRUST_RECENT_USE: Duration = Duration::from_secs(1);

/// A pooled connection, with what the pool needs to know to trust it without a test query.
struct Pooled {
    conn: DbConnection,
    returned_at: Instant,
    /// Its last use ended in an error, which may have been the connection's own.
    suspect: bool,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> std::result::Result<Pooled, r2d2::Error> {
        Ok(Pooled {
            conn: self.establish()?,
            returned_at: Instant::now(),
            suspect: false,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> std::result::Result<(), r2d2::Error> {
        if !pooled.suspect && pooled.returned_at.elapsed() < TRUST_RECENT_USE {
            return Ok(());
        }
        pooled
            .conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)?;
        pooled.suspect = false;
        Ok(())
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        // Called as the connection goes back to the pool: the moment of its last use. One a
        // panic left inside a transaction is dropped, not handed to the next request.
        pooled.returned_at = Instant::now();
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut pooled.conn)
    }
}

impl Manager {
    fn establish(&self) -> std::result::Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.target)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; FULL makes every acknowledged commit
                // survive a power loss, not only a crash; foreign keys carry the cascades.
                // The busy timeout comes first: switching a fresh file to WAL takes a lock, and the
                // pool opens several connections at once.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub connections: u32,
    pub idle: u32,
    pub max_size: u32,
}

/// What [`Database::write_batch`] made of a batch's items.
#[derive(Debug)]
pub struct BatchOutcome<T> {
    /// Committed.
    pub written: Vec<T>,
    /// Refused by the database one by one while it answered other queries (a value it cannot
    /// store, a broken constraint): writing them again would fail again.
    pub rejected: Vec<(T, StorageError)>,
    /// Not written because the database could not be reached or was busy: worth retrying.
    pub unwritten: Vec<T>,
    /// Why `unwritten` is not empty.
    pub error: Option<StorageError>,
}

/// The database: a pool of connections to one SQLite file or one PostgreSQL database.
/// Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    /// A streaming replica for reads that may see the recent past ([`Database::read_replica`]).
    replica: Option<Pool<Manager>>,
    backend: Backend,
    /// SQLite has one writer at a time; taking this lock before a write transaction makes
    /// writers of this process queue here instead of failing with "database is locked" when a
    /// deferred transaction tries to upgrade. Unused on PostgreSQL.
    sqlite_writer: Arc<Mutex<()>>,
    /// Counts this process's committed transactions that queued each kind of background
    /// work (indexed by [`Work`]), so a worker wakes at such a commit instead of polling fast.
    queued: Arc<[Signal; 3]>,
    /// Where this process's writes hand their deliveries to its webhook workers, while it
    /// runs some ([`Database::hand_off_deliveries`]).
    handoff: Arc<std::sync::RwLock<Option<Arc<Handoff>>>>,
    /// The resellers' active webhook endpoints this process's appends last read.
    known_endpoints: Arc<KnownEndpoints>,
}

enum TxError<E> {
    Inner(E),
    Database(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Database(e)
    }
}

/// A SQLite transaction that takes the write lock at its start (`BEGIN IMMEDIATE`). A deferred
/// one takes it at its first write, and when another process (a second server, an operator's
/// command) holds it then, SQLite answers "database is locked" at once instead of waiting the
/// busy timeout: the upgrade could deadlock. Taken first, the lock is waited for.
const SQLITE_BEGIN: &str = "BEGIN IMMEDIATE";

/// A transaction begun by `begin` (a simple query: [`SQLITE_BEGIN`], or PostgreSQL's BEGIN with
/// a [`KeyCheck`]), `f` run in it, committed when `f` returns `Ok` and rolled back otherwise.
/// When `begin` fails, any transaction block it opened is rolled back and `f` is not run.
fn begun_transaction<T, E>(
    conn: &mut DbConnection,
    begin: &str,
    f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
) -> std::result::Result<T, TxError<E>> {
    use diesel::connection::{AnsiTransactionManager as Manager, TransactionManager};
    let begun = match conn {
        DbConnection::Postgres(c) => Manager::begin_transaction_sql(c, begin),
        DbConnection::Sqlite(c) => Manager::begin_transaction_sql(c, begin),
    };
    if let Err(e) = begun {
        // A statement after BEGIN failed, leaving the block aborted (or BEGIN itself failed,
        // and this finds no block to end).
        let _ = conn.batch_execute("ROLLBACK");
        return Err(TxError::Database(e));
    }
    let value = f(conn);
    let ended = match (conn, value.is_ok()) {
        (DbConnection::Postgres(c), true) => Manager::commit_transaction(c),
        (DbConnection::Sqlite(c), true) => Manager::commit_transaction(c),
        (DbConnection::Postgres(c), false) => Manager::rollback_transaction(c),
        (DbConnection::Sqlite(c), false) => Manager::rollback_transaction(c),
    };
    let value = value.map_err(TxError::Inner)?;
    ended?;
    Ok(value)
}

/// A pool of connections to `target`.
fn pool(backend: Backend, target: String, options: PoolOptions) -> Result<Pool<Manager>> {
    Ok(Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        // A PostgreSQL connection can die with its server (see `TRUST_RECENT_USE`); an open
        // SQLite file cannot, and the test query cost SQLite reads more than the read.
        .test_on_check_out(backend == Backend::Postgres)
        .build(Manager { backend, target })?)
}

/// Runs `f` on a connection of `pool`, outside a transaction, marking it suspect if `f` failed.
fn read_on<T, E: From<StorageError>>(
    pool: &Pool<Manager>,
    f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let mut conn = pool.get().map_err(StorageError::from)?;
    let result = f(&mut conn.conn);
    conn.suspect = result.is_err();
    result
}

impl Database {
    /// Opens a pool for `url` (`sqlite://PATH` or `postgres://…`). Does not migrate.
    pub fn connect(url: &str, options: PoolOptions) -> Result<Database> {
        let (backend, target) = Backend::from_url(url)?;
        let pool = pool(backend, target, options)?;
        Ok(Database {
            pool,
            replica: None,
            backend,
            sqlite_writer: Arc::new(Mutex::new(())),
            queued: Arc::default(),
            handoff: Arc::default(),
            known_endpoints: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Sends [`Database::read_replica`]'s reads to the streaming replica at `url`, with a pool
    /// as large as the primary's. PostgreSQL only, for both.
    pub fn with_replica(mut self, url: &str) -> Result<Database> {
        let (backend, target) = Backend::from_url(url)?;
        if self.backend != Backend::Postgres || backend != Backend::Postgres {
            return Err(StorageError::ReplicaUnsupported(url.to_owned()));
        }
        let options = PoolOptions {
            max_size: self.pool.max_size(),
            connection_timeout: self.pool.connection_timeout(),
        };
        self.replica = Some(pool(backend, target, options)?);
        Ok(self)
    }

    /// Whether reads of the recent past go to a replica.
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// How the connection pool is used right now.
    pub fn pool_status(&self) -> PoolStatus {
        let state = self.pool.state();
        PoolStatus {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }

    /// Applies the embedded migrations that have not run yet; returns how many ran.
    pub fn migrate(&self) -> Result<usize> {
        let _writer = self.lock_writer();
        let mut conn = self.pool.get()?;
        let applied = match &mut conn.conn {
            DbConnection::Postgres(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        applied.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// How many embedded migrations have not run on this database yet (0 when current).
    pub fn pending_migrations(&self) -> Result<usize> {
        let mut conn = self.pool.get()?;
        let pending = match &mut conn.conn {
            DbConnection::Postgres(c) => c.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
            DbConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        pending.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// How many migrations this database has applied, read without writing anything, so it
    /// works on a replica too (to wait for one to have replayed the schema).
    pub fn applied_migrations(&self) -> Result<i64> {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel::RunQueryDsl;
        let query = "SELECT COUNT(*) AS n FROM __diesel_schema_migrations";
        let mut conn = self.pool.get()?;
        let counted: Vec<Count> = match &mut conn.conn {
            DbConnection::Postgres(c) => diesel::sql_query(query).load(c),
            DbConnection::Sqlite(c) => diesel::sql_query(query).load(c),
        }?;
        Ok(counted.first().map_or(0, |c| c.n))
    }

    /// Reverts every migration (tests of the down scripts use this).
    pub fn revert_all_migrations(&self) -> Result<usize> {
        let _writer = self.lock_writer();
        let mut conn = self.pool.get()?;
        let reverted = match &mut conn.conn {
            DbConnection::Postgres(c) => c
                .revert_all_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
            DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        };
        reverted.map_err(|e| StorageError::Migration(e.to_string()))
    }

    /// Runs `f` on a pooled connection without a transaction: for requests that only read.
    pub fn read<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        read_on(&self.pool, f)
    }

    /// Runs `f` on the replica when there is one ([`Database::with_replica`]), as
    /// [`Database::read`] otherwise: for reads that may see the recent past, such as list and
    /// sync pages. A lagging replica returns less, never a gap: it replays the primary's
    /// commits in their order, and a tenant's sequence numbers are taken in commit order.
    /// Never for a read that must see a write just made, nor for credentials.
    pub fn read_replica<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        read_on(self.replica.as_ref().unwrap_or(&self.pool), f)
    }

    /// Runs `f` in one transaction: committed when `f` returns `Ok`, rolled back otherwise.
    /// Each request that writes makes exactly one call to this for its work (an
    /// Idempotency-Key's claim and stored answer are bookkeeping in their own).
    pub fn write<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.write_checked(None, f)
    }

    /// [`Database::write`] for a caller that acts on a remembered reseller key instead of a
    /// lookup: `check` must hold as the transaction begins, or `f` is not run and the answer
    /// is [`StorageError::KeyChanged`]. On PostgreSQL the check rides on BEGIN, in its round
    /// trip ([`KeyCheck::begin_sql`]); on SQLite (in process) it is the lookup itself.
    pub fn write_checked<T, E: From<StorageError>>(
        &self,
        check: Option<&KeyCheck>,
        f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let _writer = self.lock_writer();
        let mut conn = self.pool.get().map_err(StorageError::from)?;
        WORK_QUEUED.set(0);
        crate::known_endpoints::begin(self.known_endpoints.clone());
        crate::handoff::begin(
            self.handoff
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        );
        crate::audit::begin();
        let now = tenantry_domain::time::now();
        let (begin, checked_here) = match (&conn.conn, check) {
            (DbConnection::Postgres(_), Some(check)) => (check.begin_sql(now).into(), None),
            (DbConnection::Postgres(_), None) => (Cow::Borrowed("BEGIN"), None),
            (DbConnection::Sqlite(_), check) => (Cow::Borrowed(SQLITE_BEGIN), check),
        };
        let result = begun_transaction(&mut conn.conn, &begin, |c| {
            if let Some(check) = checked_here {
                if !check.holds(c, now)? {
                    return Err(E::from(StorageError::KeyChanged));
                }
            }
            let value = f(c)?;
            // What the audit log recorded and no append inserted ([`crate::audit::record`]).
            crate::audit::insert_uninserted(c)?;
            Ok(value)
        })
        .map_err(|e| match e {
            TxError::Inner(e) => e,
            TxError::Database(e) if KeyCheck::failed(&e) => E::from(StorageError::KeyChanged),
            TxError::Database(e) => E::from(StorageError::from(e)),
        });
        conn.suspect = result.is_err();
        crate::audit::finish();
        crate::handoff::finish(result.is_ok());
        crate::known_endpoints::finish(result.is_ok());
        let queued = WORK_QUEUED.replace(0);
        if result.is_ok() {
            for work in [Work::Deliveries, Work::Jobs, Work::ClaimableDeliveries] {
                if queued & 1 << work as u8 != 0 {
                    self.signal(work, false);
                }
            }
        }
        result
    }

    /// Runs `f`, which writes with one statement on PostgreSQL, without BEGIN and COMMIT
    /// there: a single statement commits by itself, and those two were round trips of their
    /// own. On SQLite it is [`Database::write`] (in process, no round trips to save, and `f`
    /// may take several statements there). For a write that queues no work and appends no
    /// event.
    pub fn write_statement<T, E: From<StorageError>>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match self.backend {
            Backend::Postgres => read_on(&self.pool, f),
            Backend::Sqlite => self.write(f),
        }
    }

    /// Writes `items` in one transaction (a group commit), isolating any item the database
    /// refuses: when the batch fails for a reason that is not [transient], each item is
    /// written in a transaction of its own, so one unstorable item cannot hold back the
    /// others. Nothing here retries: the caller decides what to do with each part.
    ///
    /// [transient]: StorageError::is_transient
    pub fn write_batch<T>(
        &self,
        items: Vec<T>,
        write: impl Fn(&mut DbConnection, &[T]) -> Result<()>,
    ) -> BatchOutcome<T> {
        let mut outcome = BatchOutcome {
            written: Vec::new(),
            rejected: Vec::new(),
            unwritten: Vec::new(),
            error: None,
        };
        if items.is_empty() {
            return outcome;
        }
        match self.write(|conn| write(conn, &items)) {
            Ok(()) => {
                outcome.written = items;
                return outcome;
            }
            Err(e) if e.is_transient() => {
                outcome.unwritten = items;
                outcome.error = Some(e);
                return outcome;
            }
            Err(e) => log::warn!(
                "a batch of {} failed ({e}); writing its items one by one",
                items.len()
            ),
        }
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            match self.write(|conn| write(conn, std::slice::from_ref(&item))) {
                Ok(()) => outcome.written.push(item),
                // Refused on its own while the database answers: the item is at fault.
                Err(e) if !e.is_transient() && self.answers() => outcome.rejected.push((item, e)),
                Err(e) => {
                    outcome.unwritten.push(item);
                    outcome.unwritten.extend(items);
                    outcome.error = Some(e);
                    break;
                }
            }
        }
        outcome
    }

    /// Whether the database answers a trivial query now.
    fn answers(&self) -> bool {
        use diesel::RunQueryDsl;
        self.read(|conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(StorageError::from)
        })
        .is_ok()
    }

    /// Hands the deliveries this process's writes queue to `handoff` (its webhook workers'),
    /// or, with `None`, leaves them all to the claim path again.
    pub fn hand_off_deliveries(&self, handoff: Option<Arc<Handoff>>) {
        *self.handoff.write().unwrap_or_else(|e| e.into_inner()) = handoff;
    }

    /// How many of this process's commits queued `work` (see [`Database::wait_for_queued`]).
    pub fn queued_commits(&self, work: Work) -> u64 {
        *self.queued[work as usize]
            .commits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every thread in [`Database::wait_for_queued`] for `work` (to stop them).
    pub fn wake_queued_waiters(&self, work: Work) {
        self.signal(work, true);
    }

    /// Counts a commit that queued `work` and wakes one waiting worker, or all of them. One
    /// is enough for a commit: waking every webhook worker and the jobs thread at each write
    /// cost PostgreSQL five empty claim transactions per `PATCH /reseller/tenant`.
    fn signal(&self, work: Work, everyone: bool) {
        let signal = &self.queued[work as usize];
        *signal.commits.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        if everyone {
            signal.changed.notify_all();
        } else {
            signal.changed.notify_one();
        }
    }

    /// Waits until this process commits a transaction that queued `work`, after `seen` such
    /// commits, or `timeout` passes; returns the count then. Other processes' commits do not
    /// wake it: workers poll as well.
    pub fn wait_for_queued(&self, work: Work, seen: u64, timeout: Duration) -> u64 {
        let signal = &self.queued[work as usize];
        let guard = signal.commits.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = signal
            .changed
            .wait_timeout_while(guard, timeout, |c| *c == seen)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }

    fn lock_writer(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        // A panic while holding the lock leaves no state behind it: the transaction rolled back.
        (self.backend == Backend::Sqlite)
            .then(|| self.sqlite_writer.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_comes_from_the_url_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://tenantry.db").unwrap(),
            (Backend::Sqlite, "tenantry.db".into())
        );
        assert_eq!(
            Backend::from_url("sqlite:///var/x.db").unwrap(),
            (Backend::Sqlite, "/var/x.db".into())
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://x").is_err());
        assert!(Backend::from_url("tenantry.db").is_err());
        assert!(Backend::from_url("sqlite://").is_err());
    }

    #[test]
    fn a_loopback_postgres_url_that_says_nothing_of_tls_goes_without() {
        let plain = |url: &str| without_loopback_tls(url, false);
        assert_eq!(
            plain("postgres://postgres@127.0.0.1:5432/t"),
            "postgres://postgres@127.0.0.1:5432/t?sslmode=disable"
        );
        assert_eq!(
            plain("postgresql://u:p@localhost/t?application_name=x"),
            "postgresql://u:p@localhost/t?application_name=x&sslmode=disable"
        );
        assert_eq!(
            plain("postgres://u@[::1]:5432/t"),
            "postgres://u@[::1]:5432/t?sslmode=disable"
        );
        // What asks for TLS, and any other host, is left as it is.
        for kept in [
            "postgres://u@127.0.0.1/t?sslmode=require",
            "postgres://u@db.example/t",
            "postgres://u@10.0.0.5:5432/t",
            "postgres:///t?host=/var/run/postgresql",
        ] {
            assert_eq!(plain(kept), kept);
        }
        assert_eq!(
            without_loopback_tls("postgres://u@127.0.0.1/t", true),
            "postgres://u@127.0.0.1/t"
        );
    }
}

/// Creating and dropping PostgreSQL databases: what the test suites use to give each test a
/// fresh database, and what an operator can use to provision one.
pub mod provision {
    use crate::{Result, StorageError};
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, PgConnection};

    fn valid_name(name: &str) -> Result<()> {
        if !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Ok(())
        } else {
            Err(StorageError::UnsupportedUrl(format!(
                "database name `{name}`"
            )))
        }
    }

    /// Creates database `name` on the server that `admin_url` reaches; returns its URL.
    pub fn create_postgres_database(admin_url: &str, name: &str) -> Result<String> {
        valid_name(name)?;
        let mut conn = PgConnection::establish(admin_url)?;
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(StorageError::from)?;
        let (base, _) = admin_url
            .rsplit_once('/')
            .ok_or_else(|| StorageError::UnsupportedUrl(admin_url.to_owned()))?;
        let query = admin_url
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        Ok(format!("{base}/{name}{query}"))
    }

    /// Drops database `name`, closing its remaining connections first.
    pub fn drop_postgres_database(admin_url: &str, name: &str) -> Result<()> {
        valid_name(name)?;
        let mut conn = PgConnection::establish(admin_url)?;
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(StorageError::from)?;
        Ok(())
    }
}
