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
    #[error(transparent)]
    Storage(#[from] StorageError),
}
