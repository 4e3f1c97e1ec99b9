//! Tenantry's domain: the entities a reseller program is made of and the rules they obey.
//!
//! This crate is pure: it depends on neither diesel nor actix, does no I/O and reads no clock
//! of its own (callers pass `now`). Embed it to validate input exactly as the server does:
//!
//! ```
//! use tenantry_domain::tenant::{TenantDraft, code_name_base};
//!
//! let draft = TenantDraft {
//!     customer_reference: "My Customer".into(),
//!     active: true,
//!     full_name: "My Customer AB".into(),
//!     email: "it@mycustomer.example".into(),
//!     default_language: "swe".into(),
//!     languages: vec!["swe".into(), "eng".into()],
//!     options: vec![],
//! };
//! assert_eq!(code_name_base("sp", &draft.customer_reference), "spmy-customer");
//! assert!(draft.check(&[]).is_ok());
//! ```

pub mod audit;
pub mod connection;
pub mod environment;
pub mod error;
pub mod event;
pub mod integration;
pub mod login_url;
pub mod money;
pub mod order;
pub mod permission;
pub mod product;
pub mod reseller;
pub mod sandbox;
pub mod scope;
pub mod secret;
pub mod template;
pub mod tenant;
pub mod text;
pub mod time;
pub mod usage;
pub mod user;
pub mod webhook;

pub use environment::Environment;
pub use error::{DomainError, FieldError};
