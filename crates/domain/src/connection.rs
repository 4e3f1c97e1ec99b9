//! API connections: what gives an integrator access to one tenant through the Tenant API.

use crate::{
    error::{into_result, rule_errors},
    DomainError, FieldError,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The connection type the Tenant API accepts, and the default (Sharespine's `api`).
pub const API_TYPE: &str = "api";

/// The largest `configuration` object accepted, serialized.
pub const MAX_CONFIGURATION_BYTES: usize = 16 * 1024;

/// An API connection as stored. `id` is 32 lowercase hex characters (Sharespine's shape).
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub tenant_id: Uuid,
    pub id: String,
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub configuration: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A fresh connection id: the 128 random bits of a v4 UUID as 32 hex characters.
pub fn new_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Whether `id` has the shape of a connection id, so malformed ids are refused before a lookup.
pub fn is_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What a reseller sends to create a connection.
#[derive(Debug, Clone, PartialEq, Validate)]
pub struct ConnectionDraft {
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub name: String,
    #[validate(custom(function = "kind_rule"))]
    pub kind: String,
    pub active: bool,
    pub configuration: serde_json::Map<String, serde_json::Value>,
}

impl ConnectionDraft {
    /// The default `api` connection a tenant gets with a company token (`withApiConnection`,
    /// `install.companyToken`).
    pub fn default_api() -> Self {
        ConnectionDraft {
            name: "API".into(),
            kind: API_TYPE.into(),
            active: true,
            configuration: Default::default(),
        }
    }

    pub fn check(self) -> Result<Self, DomainError> {
        let mut errors = rule_errors(&self);
        // Errors name fields as the JSON does, where the connection's kind is `type`.
        for e in &mut errors {
            if e.field == "kind" {
                e.field = "type".into();
            }
        }
        errors.extend(configuration_rule(&self.configuration));
        into_result(errors)?;
        Ok(self)
    }
}

/// A partial update of a connection. The type is fixed once created.
#[derive(Debug, Clone, Default, PartialEq, Validate)]
pub struct ConnectionPatch {
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub name: Option<String>,
    pub active: Option<bool>,
    pub configuration: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ConnectionPatch {
    pub fn apply(self, connection: &mut Connection, now: DateTime<Utc>) -> Result<(), DomainError> {
        let mut errors = rule_errors(&self);
        if let Some(c) = &self.configuration {
            errors.extend(configuration_rule(c));
        }
        into_result(errors)?;
        if let Some(v) = self.name {
            connection.name = v;
        }
        if let Some(v) = self.active {
            connection.active = v;
        }
        if let Some(v) = self.configuration {
            connection.configuration = v;
        }
        connection.updated_at = now;
        Ok(())
    }
}

/// Checks a connection type on its own (an integration names the type of the connections
/// it adds); the error names the field `type`.
pub fn check_type(kind: &str) -> Result<(), DomainError> {
    kind_rule(kind).map_err(|e| {
        DomainError::invalid(
            "type",
            &e.code,
            e.message.map(|m| m.to_string()).unwrap_or_default(),
        )
    })
}

/// Connection types: short lowercase words (`api`, `webshop`, `erp_sync`).
fn kind_rule(kind: &str) -> Result<(), ValidationError> {
    if (1..=32).contains(&kind.len())
        && kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(ValidationError::new("connection_type")
            .with_message("must be 1 to 32 lowercase letters, digits or `_`, such as `api`".into()))
    }
}

fn configuration_rule(
    configuration: &serde_json::Map<String, serde_json::Value>,
) -> Option<FieldError> {
    let size = serde_json::to_vec(configuration)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    (size > MAX_CONFIGURATION_BYTES).then(|| {
        FieldError::new(
            "configuration",
            "too_large",
            format!("must be at most {MAX_CONFIGURATION_BYTES} bytes of JSON"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex() {
        let id = new_id();
        assert!(is_id(&id), "{id}");
        assert!(is_id("00076ad40b558ecd874c5482108409ad"));
        assert!(!is_id("00076AD40B558ECD874C5482108409AD"));
        assert!(!is_id("1234"));
        assert_ne!(new_id(), new_id());
    }

    #[test]
    fn drafts_check_type_and_configuration_size() {
        let ok = ConnectionDraft {
            name: "API".into(),
            kind: "api".into(),
            active: true,
            configuration: Default::default(),
        };
        assert!(ok.clone().check().is_ok());
        let bad = ConnectionDraft {
            kind: "API Connector".into(),
            ..ok.clone()
        };
        let DomainError::Invalid(errors) = bad.check().unwrap_err();
        assert_eq!(errors[0].field, "type", "named as the JSON names it");
        let mut big = serde_json::Map::new();
        big.insert("blob".into(), "x".repeat(MAX_CONFIGURATION_BYTES).into());
        let DomainError::Invalid(errors) = ConnectionDraft {
            configuration: big,
            ..ok
        }
        .check()
        .unwrap_err();
        assert_eq!(errors[0].field, "configuration");
    }
}
