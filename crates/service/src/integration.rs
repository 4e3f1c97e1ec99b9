//! Partner integrations and the Cloud 66 handshake that links one to a tenant:
//!
//! 1. a partner offers an integration ([`create`], [`update`], [`delete`]);
//! 2. a tenant's admin consents in the portal ([`start`]): a pending [`Link`] with a uid the
//!    browser carries to the partner;
//! 3. the partner posts the uid back ([`complete`]): the tenant gets a connection of the
//!    integration's type, the partner a token limited to the consented permissions;
//! 4. the admin disconnects it ([`unlink`]), or deletes its connection: the token stops working
//!    at once.
//!
//! `integration.linked` and `integration.unlinked` go to the tenant's reseller and to the
//! partner, each in its own feed; each side's audit log records what the other side did.

use crate::{audit, connection, emit, emit_to, Actor, ServiceError, StoredSecret};
use chrono::{DateTime, Duration, Utc};
use tenantry_api_types::integration::LinkOut;
use tenantry_domain::connection::{Connection, ConnectionDraft, ConnectionPatch};
use tenantry_domain::event::EventType;
use tenantry_domain::integration::{
    same_email, Integration, IntegrationDraft, IntegrationPatch, Link, LinkPost, LinkRefusal,
    LinkState, Visibility,
};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::user::TenantUser;
use tenantry_storage::integration as store;
use tenantry_storage::{
    reseller as resellers, tenant as tenants, tenant_token, user as users, DbConnection, Owner,
};
use uuid::Uuid;

/// Offers a new integration of `owner` (the partner, in one environment).
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    draft: IntegrationDraft,
    now: DateTime<Utc>,
) -> Result<Integration, ServiceError> {
    let partner = resellers::find(conn, owner.reseller_id)?;
    let checked = draft.check(owner.environment, partner.public_integrations)?;
    let integration = Integration {
        id: Uuid::now_v7(),
        reseller_id: owner.reseller_id,
        environment: owner.environment,
        name: checked.name,
        description: checked.description,
        redirect_url: checked.redirect_url,
        connection_type: checked.connection_type,
        permissions: checked.permissions,
        visibility: checked.visibility,
        created_at: now,
        updated_at: now,
    };
    store::insert(conn, &integration)?;
    log::debug!("{actor} offered integration {}", integration.id);
    Ok(integration)
}

/// Changes the integration `id` of `owner`. Links made before keep the permissions consented
/// to then.
pub fn update(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    id: Uuid,
    patch: IntegrationPatch,
    now: DateTime<Utc>,
) -> Result<Integration, ServiceError> {
    let mut integration = store::find(conn, owner, id)?;
    let partner = resellers::find(conn, owner.reseller_id)?;
    patch.apply(&mut integration, partner.public_integrations, now)?;
    store::update(conn, &integration)?;
    log::debug!("{actor} changed integration {id}");
    Ok(integration)
}

/// Withdraws the integration `id` of `owner`: every tenant linked to it is unlinked first (the
/// partner's tokens stop working, both sides hear `integration.unlinked`), then it and its
/// links are deleted.
pub fn delete(
    conn: &mut DbConnection,
    actor: &Actor,
    owner: &Owner,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let integration = store::find(conn, owner, id)?;
    for link in store::active_links(conn, id, None)? {
        if let Some(tenant) = tenants::find_unscoped(conn, link.tenant_id)? {
            end_link(conn, actor, &tenant, &integration, link, Side::Partner, now)?;
        }
    }
    store::delete(conn, id)?;
    log::debug!("{actor} withdrew integration {id}");
    Ok(())
}

/// Whether `integration` may be connected by `tenant`: the same environment, and either the
/// tenant's own reseller's or a public one of a partner the operator lets publish.
fn offered_to(
    conn: &mut DbConnection,
    integration: &Integration,
    tenant: &Tenant,
) -> Result<bool, ServiceError> {
    if integration.environment != tenant.environment {
        return Ok(false);
    }
    if integration.reseller_id == tenant.reseller_id {
        return Ok(true);
    }
    Ok(integration.visibility == Visibility::All
        && resellers::find(conn, integration.reseller_id)?.public_integrations)
}

/// The integration `id` if `tenant` may connect it, with its partner's name; any other is not
/// found.
pub fn offered(
    conn: &mut DbConnection,
    tenant: &Tenant,
    id: Uuid,
) -> Result<(Integration, String), ServiceError> {
    let (integration, partner) = store::find_any(conn, id)?;
    if offered_to(conn, &integration, tenant)? {
        Ok((integration, partner))
    } else {
        Err(ServiceError::NotFound("integration not found".into()))
    }
}

/// A tenant admin's consent: a pending link of `user` to the integration `id`, its uid stored
/// as `uid` says (the caller keeps the secret for the partner's redirect), valid `ttl`. Only
/// an admin may consent; an integration the tenant has linked already is a conflict.
#[allow(clippy::too_many_arguments)]
pub fn start(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    user: &TenantUser,
    id: Uuid,
    uid: StoredSecret,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<(Integration, Link), ServiceError> {
    if !user.role.manages_account() {
        return Err(ServiceError::Forbidden {
            code: "admin_required",
            message: "only a tenant admin may connect an integration".into(),
        });
    }
    let (integration, _) = offered(conn, tenant, id)?;
    if !store::active_links(conn, id, Some(tenant.id))?.is_empty() {
        return Err(ServiceError::Conflict {
            code: "already_linked",
            message: format!("{} is already linked to this account", integration.name),
        });
    }
    let link = Link::new(tenant.id, &integration, user.id, &user.email, ttl, now);
    store::insert_link(conn, &link, &uid.hash)?;
    log::debug!(
        "{actor} consented to integration {id} for tenant {}",
        tenant.code_name
    );
    Ok((integration, link))
}

/// What a successful post-back made.
#[derive(Debug)]
pub struct Linked {
    pub tenant: Tenant,
    pub link: Link,
    pub connection: Connection,
}

/// The partner's post-back for its integration `id`: checks it as the seed's table says, then
/// adds a connection of the integration's type to the linked tenant (configuration: the
/// post's other fields) with `token` as its company token, limited to the consented
/// permissions. `uid_hash` is the hash of `post.uid`. Of two posts of one uid, one wins.
#[allow(clippy::too_many_arguments)]
pub fn complete(
    conn: &mut DbConnection,
    actor: &Actor,
    partner: &Owner,
    id: Uuid,
    post: LinkPost,
    uid_hash: &str,
    token: StoredSecret,
    now: DateTime<Utc>,
) -> Result<Linked, ServiceError> {
    let integration = store::find(conn, partner, id)?;
    let link = store::find_link_by_uid(conn, uid_hash)?
        .filter(|l| l.integration_id == integration.id && l.state(now) == LinkState::Pending)
        .ok_or(LinkRefusal::InvalidUid)?;
    // Claimed first: of two posts of this uid, the second waits here for the first to commit
    // and then finds it used. A refusal below rolls the claim back with the rest.
    if !store::claim_link(conn, &link, now)? {
        return Err(LinkRefusal::InvalidUid.into());
    }
    let tenant = tenants::find_unscoped(conn, link.tenant_id)?.ok_or(LinkRefusal::InvalidUid)?;
    if !offered_to(conn, &integration, &tenant)? {
        return Err(LinkRefusal::InvalidUid.into());
    }
    if !same_email(&post.email, &link.email) {
        return Err(LinkRefusal::InvalidEmail.into());
    }
    // The consenting admin must still be one, of a tenant still in use.
    let may_accept = match users::find(conn, tenant.id, link.user_id) {
        Ok(user) => user.role.manages_account() && tenant.status.is_usable(),
        Err(tenantry_storage::StorageError::NotFound(_)) => false,
        Err(e) => return Err(e.into()),
    };
    if !may_accept {
        return Err(LinkRefusal::InvalidEmail.into());
    }
    let linked = store::active_links(conn, integration.id, Some(tenant.id))?;
    if linked.iter().any(|l| l.id != link.id) {
        return Err(LinkRefusal::AlreadyLinked(integration.name.clone()).into());
    }
    let draft = ConnectionDraft {
        name: integration.name.clone(),
        kind: integration.connection_type.clone(),
        active: true,
        configuration: post.payload,
    };
    let created = connection::create(conn, actor, &tenant, draft, None, now)?;
    store::attach_connection(conn, &link, &created.id)?;
    tenant_token::insert(
        conn,
        tenant.id,
        &created.id,
        &token.hash,
        &token.hint,
        Some(&link.permissions),
        now,
    )?;
    let link = Link {
        linked_at: Some(now),
        connection_id: Some(created.id.clone()),
        ..link
    };
    announce(
        conn,
        actor,
        &tenant,
        &integration,
        &link,
        Side::Partner,
        now,
    )?;
    log::debug!(
        "{actor} linked integration {id} to tenant {}",
        tenant.code_name
    );
    Ok(Linked {
        tenant,
        link,
        connection: created,
    })
}

/// The tenant's link `id` with its integration and partner name, for the portal to show.
pub fn link_of(
    conn: &mut DbConnection,
    tenant: &Tenant,
    id: Uuid,
) -> Result<(Link, Integration, String), ServiceError> {
    let link = store::find_link(conn, tenant.id, id)?;
    let (integration, partner) = store::find_any(conn, link.integration_id)?;
    Ok((link, integration, partner))
}

/// Disconnects the tenant's linked link `id`: the partner's token is revoked and the
/// connection deactivated, in this transaction, and both sides hear `integration.unlinked`.
pub fn unlink(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Link, ServiceError> {
    let (link, integration, _) = link_of(conn, tenant, id)?;
    if link.state(now) != LinkState::Linked {
        return Err(ServiceError::Conflict {
            code: "not_linked",
            message: format!("{} is not linked to this account", integration.name),
        });
    }
    end_link(conn, actor, tenant, &integration, link, Side::Tenant, now)
}

/// The connection `connection_id` of `tenant` is being deleted: a link that added it ends, as
/// an unlink does (its token goes with the connection).
pub(crate) fn connection_removed(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    connection_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let Some(link) = store::link_of_connection(conn, tenant.id, connection_id)? else {
        return Ok(());
    };
    if store::mark_unlinked(conn, &link, now)? {
        let (integration, _) = store::find_any(conn, link.integration_id)?;
        let link = Link {
            unlinked_at: Some(now),
            ..link
        };
        announce(conn, actor, tenant, &integration, &link, Side::Tenant, now)?;
    }
    Ok(())
}

fn end_link(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    integration: &Integration,
    link: Link,
    by: Side,
    now: DateTime<Utc>,
) -> Result<Link, ServiceError> {
    if !store::mark_unlinked(conn, &link, now)? {
        return Err(ServiceError::Conflict {
            code: "not_linked",
            message: format!("{} is not linked to this account", integration.name),
        });
    }
    if let Some(connection_id) = &link.connection_id {
        tenant_token::revoke_for_connection(conn, tenant.id, connection_id, now)?;
        let deactivate = ConnectionPatch {
            active: Some(false),
            ..Default::default()
        };
        match connection::update(conn, actor, tenant, connection_id, deactivate, now) {
            Ok(_) | Err(ServiceError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let link = Link {
        unlinked_at: Some(now),
        ..link
    };
    announce(conn, actor, tenant, integration, &link, by, now)?;
    log::debug!(
        "{actor} unlinked integration {} from tenant {}",
        integration.id,
        tenant.code_name
    );
    Ok(link)
}

/// Which side of a link made a change: the partner (posting back, withdrawing its
/// integration) or the tenant's (its admin, its reseller, the operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Partner,
    Tenant,
}

/// Appends `integration.linked` or `.unlinked`, as the link now is, for the tenant's reseller and, when the partner is another reseller, for
/// the partner too; and records the change in the audit log of the side that did not make the
/// request (the request's own side is audited by its surface).
fn announce(
    conn: &mut DbConnection,
    actor: &Actor,
    tenant: &Tenant,
    integration: &Integration,
    link: &Link,
    by: Side,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let kind = match link.state(now) {
        LinkState::Linked => EventType::IntegrationLinked,
        _ => EventType::IntegrationUnlinked,
    };
    let partner = resellers::find(conn, integration.reseller_id)?;
    let data = LinkOut::new(link, integration, &partner.code, now);
    emit(conn, tenant, kind, &data)?;
    if partner.id == tenant.reseller_id {
        return Ok(());
    }
    emit_to(conn, partner.id, tenant, kind, &data)?;
    let operation = format!("{kind} {} ({})", integration.name, link.id);
    let other_side = Owner {
        reseller_id: match by {
            Side::Partner => tenant.reseller_id,
            Side::Tenant => partner.id,
        },
        environment: tenant.environment,
    };
    audit::record(
        conn,
        actor,
        &other_side,
        Some(&tenant.code_name),
        operation,
        now,
    )
}
