use tenantry_storage::StorageError;

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credential at all.
    #[error("{0}")]
    Missing(&'static str),
    /// A credential that cannot be right, whatever the database holds (bad Base64, bad
    /// checksum, wrong prefix): refused before any lookup.
    #[error("{0}")]
    Malformed(&'static str),
    /// A well-formed credential that does not match: unknown, wrong password, revoked.
    #[error("{0}")]
    Rejected(&'static str),
    /// Authenticated, but not allowed: a deactivated tenant or connection, a missing
    /// permission. `code` is the stable problem code.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}
