//! The storage layer's one error type.

/// What can go wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The row asked for does not exist (or is not the caller's to see).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique constraint refused the write; the string names the constraint or columns.
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// A stored value could not be read back into the domain (a bug or a hand-edited row).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database URL is not one Tenantry understands.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A read replica was asked for where it cannot be: SQLite has none, and a replica is a
    /// PostgreSQL server.
    #[error("a read replica needs PostgreSQL for the primary and the replica: {0}")]
    ReplicaUnsupported(String),
    #[error("could not get a database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("could not connect to the database: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    /// A write's [`crate::reseller::KeyCheck`] failed as its transaction began: the key was
    /// revoked or expired, or its reseller changed, since this process remembered it. Nothing
    /// was written; the caller looks the key up afresh.
    #[error("the reseller key or its reseller changed since it was remembered")]
    KeyChanged,
}

impl From<diesel::result::Error> for StorageError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => StorageError::NotFound("row"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StorageError::Duplicate(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            other => StorageError::Database(other),
        }
    }
}

impl StorageError {
    /// True when the error says nothing about the data written: the database could not be
    /// reached, the connection broke, or another writer held the lock. Retrying the same work
    /// later can succeed. Anything else (a value the database cannot store, a broken
    /// constraint) will fail the same way every time.
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            StorageError::Pool(_) | StorageError::Connection(_) => true,
            StorageError::Database(Error::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure
                ) || {
                    let message = info.message();
                    message.contains("database is locked")
                        || message.contains("database is busy")
                        || message.contains("server closed the connection")
                        || message.contains("terminating connection")
                }
            }
            StorageError::Database(Error::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

/// Storage results.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
