//! A reseller's webhook endpoints: registered, changed, deleted, their signing secret rotated,
//! an event delivered again. A signing secret arrives made (`tenantry-auth` makes them); unlike
//! a token it is stored as it is, since deliveries are signed with it.

use crate::{Actor, ServiceError};
use chrono::{DateTime, Duration, Utc};
use tenantry_domain::webhook::{Endpoint, EndpointDraft, EndpointPatch, UrlPolicy};
use tenantry_domain::DomainError;
use tenantry_storage::webhook as endpoints;
use tenantry_storage::{event as events, DbConnection, Owner};
use uuid::Uuid;

/// The longest overlap a rotated secret may keep signing: a week.
pub const MAX_OVERLAP_HOURS: i64 = 7 * 24;

/// Registers an endpoint in `scope`, signing with `secret`, after checking its URL against
/// `policy`.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    draft: EndpointDraft,
    policy: &UrlPolicy,
    secret: String,
    now: DateTime<Utc>,
) -> Result<Endpoint, ServiceError> {
    let event_types = draft.check(policy, owner.environment)?;
    let endpoint = Endpoint {
        id: Uuid::now_v7(),
        reseller_id: owner.reseller_id,
        environment: owner.environment,
        url: draft.url,
        description: draft.description,
        event_types,
        active: draft.active,
        secret,
        previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    endpoints::insert(conn, &endpoint)?;
    log::debug!("{actor} registered webhook endpoint {}", endpoint.id);
    Ok(endpoint)
}

/// Changes the endpoint `id` of `scope` as `patch` says.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    id: Uuid,
    patch: EndpointPatch,
    policy: &UrlPolicy,
    now: DateTime<Utc>,
) -> Result<Endpoint, ServiceError> {
    let mut endpoint = endpoints::find(conn, owner, id)?;
    patch.apply(&mut endpoint, policy, now)?;
    endpoints::update(conn, &endpoint)?;
    log::debug!("{actor} changed webhook endpoint {id}");
    Ok(endpoint)
}

/// Deletes the endpoint `id` of `scope`; deliveries still waiting for it are dropped.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    id: Uuid,
) -> Result<(), ServiceError> {
    let endpoint = endpoints::find(conn, owner, id)?;
    endpoints::delete(conn, &endpoint)?;
    log::debug!("{actor} deleted webhook endpoint {id}");
    Ok(())
}

/// Replaces the endpoint's signing secret with `secret`; the old one keeps signing for
/// `overlap_hours` (0 to [`MAX_OVERLAP_HOURS`]), so receivers can switch at any moment of it.
pub fn rotate_secret(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    id: Uuid,
    overlap_hours: i64,
    secret: String,
    now: DateTime<Utc>,
) -> Result<Endpoint, ServiceError> {
    if !(0..=MAX_OVERLAP_HOURS).contains(&overlap_hours) {
        return Err(DomainError::invalid(
            "overlapHours",
            "range",
            format!("must be 0 to {MAX_OVERLAP_HOURS}"),
        )
        .into());
    }
    let mut endpoint = endpoints::find(conn, owner, id)?;
    endpoint.previous_secret = Some(std::mem::replace(&mut endpoint.secret, secret));
    endpoint.previous_secret_expires_at = Some(now + Duration::hours(overlap_hours));
    endpoint.updated_at = now;
    endpoints::update(conn, &endpoint)?;
    log::debug!("{actor} rotated the secret of webhook endpoint {id}");
    Ok(endpoint)
}

/// Queues the event `event_id` of `scope` for delivery to the endpoint `endpoint_id` again,
/// whatever became of earlier deliveries; returns the delivery's id. Refused while the
/// endpoint is disabled.
pub fn resend(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    endpoint_id: Uuid,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, ServiceError> {
    let endpoint = endpoints::find(conn, owner, endpoint_id)?;
    let event = events::find(conn, owner, event_id)?;
    if !endpoint.active {
        return Err(ServiceError::Conflict {
            code: "webhook_disabled",
            message: "the endpoint is disabled: enable it (`active: true`) first".into(),
        });
    }
    let delivery = endpoints::queue(conn, endpoint.id, &event, now)?;
    log::debug!("{actor} resent event {event_id} to webhook endpoint {endpoint_id}");
    Ok(delivery)
}
