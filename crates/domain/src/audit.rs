//! The audit log: one entry per write request of either surface, whatever its outcome.

use crate::Environment;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who made a request: the kind of credential and its id.
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
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::ResellerUser => "reseller_user",
            ActorType::ResellerKey => "reseller_key",
            ActorType::TenantUser => "tenant_user",
            ActorType::TenantToken => "tenant_token",
        }
    }
}

impl std::str::FromStr for ActorType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            ActorType::ResellerUser,
            ActorType::ResellerKey,
            ActorType::TenantUser,
            ActorType::TenantToken,
        ]
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
    /// `reseller` or `tenant`.
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
