//! Lifecycle events: every state change appends one, in the transaction of the change (a
//! transactional outbox), so the events feed and the webhooks never miss or invent a change.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::{fmt, str::FromStr};
use uuid::Uuid;

use crate::Environment;

/// How long events stay in the feed by default (an operator setting).
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

macro_rules! event_types {
    ($($variant:ident => $name:literal,)*) => {
        /// What happened. The name (`tenant.created`) is what the feed, the webhook body and
        /// an endpoint's filter use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $($variant,)*
        }

        impl EventType {
            /// Every event type, in documentation order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }
        }

        impl FromStr for EventType {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(EventType::$variant),)*
                    other => Err(format!("unknown event type `{other}`")),
                }
            }
        }
    };
}

event_types! {
    TenantCreated => "tenant.created",
    TenantUpdated => "tenant.updated",
    TenantReady => "tenant.ready",
    TenantDeactivated => "tenant.deactivated",
    TenantActivated => "tenant.activated",
    TenantCancellationScheduled => "tenant.cancellation_scheduled",
    TenantCancellationWithdrawn => "tenant.cancellation_withdrawn",
    TenantCancelled => "tenant.cancelled",
    TenantDeleted => "tenant.deleted",
    UserCreated => "user.created",
    UserUpdated => "user.updated",
    UserDeleted => "user.deleted",
    ConnectionCreated => "connection.created",
    ConnectionUpdated => "connection.updated",
    ConnectionDeleted => "connection.deleted",
    OrderCreated => "order.created",
    OrderUpdated => "order.updated",
    ProductCreated => "product.created",
    ProductUpdated => "product.updated",
    ProductDeleted => "product.deleted",
    IntegrationLinked => "integration.linked",
    IntegrationUnlinked => "integration.unlinked",
    WebhookDisabled => "webhook.disabled",
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The tenant an event concerns, as the feed and the webhook body name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTenant {
    pub id: Uuid,
    pub code_name: String,
}

/// An event as stored, listed and delivered.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Per reseller, increasing in commit order: the feed's cursor.
    pub sequence: i64,
    #[serde(skip)]
    pub reseller_id: Uuid,
    pub environment: Environment,
    pub tenant: Option<EventTenant>,
    pub created_at: DateTime<Utc>,
    /// The resource as the API shows it after the change.
    pub data: serde_json::Value,
}

/// An event about to be appended; the store gives it its sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventType,
    pub reseller_id: Uuid,
    pub environment: Environment,
    pub tenant: Option<EventTenant>,
    pub data: serde_json::Value,
}

impl NewEvent {
    /// An event about `tenant`, carrying `data` (the resource as the API shows it).
    pub fn about(
        tenant: &crate::tenant::Tenant,
        kind: EventType,
        data: &impl Serialize,
    ) -> NewEvent {
        NewEvent {
            kind,
            reseller_id: tenant.reseller_id,
            environment: tenant.environment,
            tenant: Some(EventTenant {
                id: tenant.id,
                code_name: tenant.code_name.clone(),
            }),
            // The API's response types serialize to JSON without fail.
            data: serde_json::to_value(data).expect("a response body serializes"),
        }
    }
}

/// Event types named in a filter (a webhook endpoint's, the feed's `type=`): each must exist.
/// An empty list means every type.
pub fn parse_types(names: &[String]) -> Result<Vec<EventType>, crate::DomainError> {
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match name.parse::<EventType>() {
            Ok(t) if !types.contains(&t) => types.push(t),
            Ok(_) => {}
            Err(message) => errors.push(crate::FieldError::new(
                format!("eventTypes[{i}]"),
                "unknown_event_type",
                message,
            )),
        }
    }
    crate::error::into_result(errors)?;
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
        assert!("tenant.exploded".parse::<EventType>().is_err());
    }

    #[test]
    fn a_filter_names_known_types_once() {
        let types = parse_types(&["order.created".into(), "order.created".into()]).unwrap();
        assert_eq!(types, vec![EventType::OrderCreated]);
        let crate::DomainError::Invalid(errors) =
            parse_types(&["order.created".into(), "nope".into()]).unwrap_err();
        assert_eq!(errors[0].field, "eventTypes[1]");
    }
}
