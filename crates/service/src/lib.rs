//! Tenantry's use cases. Every state change of the product is one function here,
//! `fn(&mut DbConnection, &Actor, Input) -> Result<Output, ServiceError>`: it checks the
//! domain's rules, persists through storage and appends its events on the caller's connection,
//! inside the caller's transaction (`Database::write`). The Reseller API, the Tenant API, the
//! operator's CLI and the background jobs all call the same function, so a rule and the event
//! it emits are written once.
//!
//! This crate knows neither HTTP nor the CLI: [`ServiceError`] is mapped to problem+json once,
//! in `tenantry-http`, and to the CLI's messages in the server.

mod actor;
pub mod capability;
mod error;

pub use actor::Actor;
pub use error::ServiceError;
