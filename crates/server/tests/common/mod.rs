//! The server crate's end-to-end harness: testkit's real server mounting both surfaces, as
//! `serve` does by default, and `tenantry serve` as a child process.
#![allow(dead_code, unused_imports)] // each test binary uses its part

pub mod process;

pub use tenantry_testkit::client::{agent, send, Auth, Response};
pub use tenantry_testkit::receiver;
pub use tenantry_testkit::server::{ResellerCreds, TestServer};
pub use tenantry_testkit::{backend, TestDb};

use tenantry_http::app::Mount;

/// Both surfaces, as `serve --surface all` mounts them.
pub const BOTH: &[Mount] = tenantry_server::Surface::All.mounts();
