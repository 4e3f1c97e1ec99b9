//! The wire shapes more than one part of Tenantry shows: an order or a product as the Tenant
//! API answers it is also what `order.created` and `product.updated` carry; a tenant, user or
//! connection as the Reseller API answers it is what `tenant.*`, `user.*` and `connection.*`
//! carry, whichever entry point made the change. The Reseller API's sandbox fill emits order
//! events too. Both API surfaces depend on this crate and on neither each other (as crates.io's
//! `crates_io_api_types` serves its API and its jobs).
//!
//! Pure data and conversions from the domain: no HTTP, no database.

pub mod connection;
pub mod integration;
pub mod login;
pub mod order;
pub mod product;
pub mod tenant;
pub mod user;
