//! The audit log: one entry per write request of either surface, whatever its outcome, and
//! per change the operator's CLI or a job of the server makes.

use crate::Environment;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who makes a change, named the same way by every entry point (the Reseller and Tenant API,
/// the operator's CLI, the server's jobs) and in the audit log.
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

impl Actor {
    /// The kind of actor, as the audit log stores it.
    pub fn kind(&self) -> ActorType {
        match self {
            Actor::ResellerUser(_) => ActorType::ResellerUser,
            Actor::ResellerKey(_) => ActorType::ResellerKey,
            Actor::TenantUser(_) => ActorType::TenantUser,
            Actor::TenantToken(_) => ActorType::TenantToken,
            Actor::Operator => ActorType::Operator,
            Actor::System => ActorType::System,
        }
    }

    /// The credential's id (the connection's for a token); empty for the operator and the
    /// server, which have none.
    pub fn id(&self) -> String {
        match self {
            Actor::ResellerUser(id) | Actor::ResellerKey(id) | Actor::TenantUser(id) => {
                id.to_string()
            }
            Actor::TenantToken(connection) => connection.clone(),
            Actor::Operator | Actor::System => String::new(),
        }
    }

    /// Where the change came from, as the audit log's `surface` says: `reseller`, `tenant`,
    /// `cli` or `worker`.
    pub fn surface(&self) -> &'static str {
        match self {
            Actor::ResellerUser(_) | Actor::ResellerKey(_) => "reseller",
            Actor::TenantUser(_) | Actor::TenantToken(_) => "tenant",
            Actor::Operator => "cli",
            Actor::System => "worker",
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

/// The kind of [`Actor`] behind an audited change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    /// A reseller user (Basic); the id is the user's.
    ResellerUser,
    /// A reseller API key; the id is the key's.
    ResellerKey,
    /// A tenant user through an API connection (Sharespine); the id is the user's.
    TenantUser,
    /// A connection's company token (Calipsa); the id is the connection's.
    TenantToken,
    /// The operator's command line; no id.
    Operator,
    /// A job of the server; no id.
    System,
}

impl ActorType {
    pub const ALL: [ActorType; 6] = [
        ActorType::ResellerUser,
        ActorType::ResellerKey,
        ActorType::TenantUser,
        ActorType::TenantToken,
        ActorType::Operator,
        ActorType::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::ResellerUser => "reseller_user",
            ActorType::ResellerKey => "reseller_key",
            ActorType::TenantUser => "tenant_user",
            ActorType::TenantToken => "tenant_token",
            ActorType::Operator => "operator",
            ActorType::System => "system",
        }
    }
}

impl std::str::FromStr for ActorType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ActorType::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown actor type `{s}`"))
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the change was made.
    Success,
    /// An Idempotency-Key retry answered with the first response; nothing new was made.
    Replayed,
    /// Anything else: refused or failed, nothing was changed.
    Failure,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Replayed, Outcome::Failure];

    pub fn of(status: u16, replayed: bool) -> Outcome {
        match (replayed, status) {
            (true, _) => Outcome::Replayed,
            (false, 200..=299) => Outcome::Success,
            _ => Outcome::Failure,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Replayed => "replayed",
            Outcome::Failure => "failure",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| format!("unknown outcome `{s}`"))
    }
}

/// One audited request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub environment: Environment,
    /// The tenant's codeName, when the request was about one.
    pub tenant: Option<String>,
    pub actor_type: ActorType,
    pub actor_id: String,
    /// `reseller` or `tenant` (the API called), `cli` (the operator) or `worker` (a job).
    pub surface: &'static str,
    /// The operation: method and route, such as `POST /reseller/tenant/{codeName}/user`.
    pub operation: String,
    pub method: String,
    /// The path as requested.
    pub path: String,
    pub status: u16,
    pub outcome: Outcome,
    pub request_id: String,
    pub created_at: DateTime<Utc>,
}
