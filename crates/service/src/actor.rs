//! Who acts.

use std::fmt;
use uuid::Uuid;

/// Who makes a change, named the same way by every entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A reseller user (Basic authentication).
    ResellerUser(Uuid),
    /// A reseller API key.
    ResellerKey(Uuid),
    /// A tenant user, through an API connection.
    TenantUser(Uuid),
    /// A connection's company token; the id is the connection's.
    TenantToken(String),
    /// The operator, through the `tenantry` command line.
    Operator,
    /// A background job of the server (provisioning, a scheduled cancellation).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::ResellerUser(id) => write!(f, "reseller user {id}"),
            Actor::ResellerKey(id) => write!(f, "reseller key {id}"),
            Actor::TenantUser(id) => write!(f, "tenant user {id}"),
            Actor::TenantToken(connection) => write!(f, "the token of connection {connection}"),
            Actor::Operator => f.write_str("the operator"),
            Actor::System => f.write_str("the server"),
        }
    }
}
