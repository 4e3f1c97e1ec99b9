//! Secrets shown once: tokens, keys, login URL and session secrets. Making one is
//! `tenantry-auth`'s (from the OS's random source); the use cases store only what
//! [`StoredSecret`] holds.

/// What is stored of a secret: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Its last characters, to tell tokens and keys apart in a list (empty where nothing is
    /// listed: login URLs, sessions).
    pub hint: String,
}

/// A freshly made secret: show `secret` once, store `stored`.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub secret: String,
    pub stored: StoredSecret,
}
