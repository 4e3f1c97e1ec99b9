//! Tenantry's credentials: the token format, hashing of tokens and passwords, parsing of every
//! authentication scheme the seeds use, and resolution of a credential to a principal.
//!
//! Framework-free on purpose: the actix extractors in `tenantry-http` call into this crate,
//! and an embedding program can authenticate the same way without actix.

mod error;
mod known_tokens;
pub mod password;
pub mod principal;
pub mod scheme;
pub mod session;
pub mod tenant;
pub mod token;
pub mod webhook;

pub use error::AuthError;
pub use known_tokens::KnownToken;
pub use password::PasswordCache;
pub use principal::{Authenticator, Credential, KnownKey, ResellerPrincipal};
pub use scheme::ResellerCredentials;
pub use tenant::{TenantAccess, TenantCredentials, TenantPrincipal};
