//! `/portal/integrations`: the tenant's side of partner linking (Cloud 66's user integration).
//! Everyone signed in sees the integrations offered and the links made; an admin connects one
//! (a consent page naming what the partner may do, then a 303 to the partner with `uid`,
//! `email` and `callback`) and disconnects a linked one. `callback` leads back to
//! [`callback`], which shows what came of the link, whether or not the partner posted back.

use crate::error::PortalError;
use crate::form::PortalForm;
use crate::page::{render, see_other, Chrome, FormTarget, Section};
use crate::session::Visitor;
use crate::{blocking, text};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::hash_map::{Entry, HashMap};
use tenantry_auth::token;
use tenantry_domain::integration::{partner_url, Integration, LinkState, CALLBACK_PATH};
use tenantry_domain::time;
use tenantry_http::AppState;
use tenantry_service::integration as service;
use tenantry_storage::integration as store;
use uuid::Uuid;

/// An integration as the page offers it.
pub struct Offer {
    pub id: Uuid,
    pub name: String,
    /// "By {partner}".
    pub by: String,
    pub description: String,
    pub permissions: Vec<&'static str>,
    pub linked: bool,
}

/// A link as the page lists it.
pub struct LinkRow {
    pub id: Uuid,
    pub integration: String,
    pub state: LinkState,
    pub state_label: &'static str,
    pub email: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    offers: Vec<Offer>,
    links: Vec<LinkRow>,
    may_manage: bool,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    chrome: Chrome,
    id: Uuid,
    intro: String,
    /// "If you allow it, {name} may:".
    asks: String,
    permissions: Vec<&'static str>,
    shares: String,
    destination: String,
}

#[derive(Template)]
#[template(path = "callback.html")]
struct CallbackPage {
    chrome: Chrome,
    state: LinkState,
    message: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

fn permission_labels(visitor: &Visitor, integration: &Integration) -> Vec<&'static str> {
    let t = visitor.texts();
    integration
        .permissions
        .iter()
        .map(|p| text::permission(t, *p))
        .collect()
}

/// `GET /portal/integrations`.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PortalError> {
    let t = visitor.texts();
    let tenant = visitor.tenant.clone();
    let (offered, links) = blocking(move || {
        state.db.read(|conn| {
            let offered = store::offered_to(conn, tenant.reseller_id, tenant.environment)?;
            // Each link's integration is read once, however many links it has (it may be one
            // no longer offered to this tenant).
            let mut names: HashMap<Uuid, String> = HashMap::new();
            let mut links = Vec::new();
            for link in store::links_of(conn, tenant.id)? {
                let name = match names.entry(link.integration_id) {
                    Entry::Occupied(known) => known.get().clone(),
                    Entry::Vacant(slot) => {
                        let (integration, _) = store::find_any(conn, link.integration_id)?;
                        slot.insert(integration.name).clone()
                    }
                };
                links.push((link, name));
            }
            Ok::<_, PortalError>((offered, links))
        })
    })
    .await?;
    let now = time::now();
    let linked: Vec<Uuid> = links
        .iter()
        .filter(|(l, _)| l.state(now) == LinkState::Linked)
        .map(|(l, _)| l.integration_id)
        .collect();
    let offers = offered
        .into_iter()
        .map(|(i, partner)| Offer {
            permissions: permission_labels(&visitor, &i),
            linked: linked.contains(&i.id),
            id: i.id,
            name: i.name,
            by: t.fill("integrations.by", &[("partner", &partner)]),
            description: i.description,
        })
        .collect();
    let links = links
        .into_iter()
        .map(|(l, integration)| {
            let state = l.state(now);
            LinkRow {
                id: l.id,
                integration,
                state,
                state_label: text::link_state(t, state),
                email: l.email,
                created: t.datetime(&l.created_at),
            }
        })
        .collect();
    let notice = match query.notice.as_deref() {
        Some("disconnected") => Some(t.get("integrations.disconnected_notice")),
        _ => None,
    };
    render(&IntegrationsPage {
        chrome: Chrome::new(
            &visitor,
            Section::Integrations,
            t.get("integrations.title").to_owned(),
        ),
        offers,
        links,
        may_manage: visitor.user.role.manages_account(),
        notice,
    })
}

fn require_admin(visitor: &Visitor) -> Result<(), PortalError> {
    visitor.require(
        visitor.user.role.manages_account(),
        "connect or disconnect integrations",
    )
}

fn uuid_in(path: web::Path<String>, what: &str) -> Result<Uuid, PortalError> {
    let raw = path.into_inner();
    Uuid::parse_str(&raw).map_err(|_| PortalError::NotFound(format!("{what} {raw}")))
}

/// `GET /portal/integrations/{id}/connect`: what connecting shares and allows, to confirm.
pub async fn consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    visitor: Visitor,
    id: web::Path<String>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = uuid_in(id, "integration")?;
    let tenant = visitor.tenant.clone();
    let (integration, partner) =
        blocking(move || Ok(state.db.read(|conn| service::offered(conn, &tenant, id))?)).await?;
    let t = visitor.texts();
    // The confirming form is answered with a redirect to the partner: let it lead there.
    req.extensions_mut()
        .insert(FormTarget(integration.partner_origin()));
    let destination = integration.partner_host();
    render(&ConsentPage {
        chrome: Chrome::new(
            &visitor,
            Section::Integrations,
            t.fill("consent.title", &[("name", &integration.name)]),
        ),
        id,
        intro: t.fill(
            "consent.intro",
            &[("name", &integration.name), ("partner", &partner)],
        ),
        asks: t.fill("consent.permissions", &[("name", &integration.name)]),
        permissions: permission_labels(&visitor, &integration),
        shares: t.fill("consent.shares", &[("email", &visitor.user.email)]),
        destination: t.fill("consent.destination", &[("host", &destination)]),
    })
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /portal/integrations/{id}/connect`: the admin's consent. Makes a link and sends the
/// browser to the partner (303) with the link's uid, the admin's email and the callback.
pub async fn connect(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    PortalForm { visitor, .. }: PortalForm<Nothing>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = uuid_in(id, "integration")?;
    let uid = token::one_time();
    let (actor, tenant, user) = (
        visitor.actor(),
        visitor.tenant.clone(),
        visitor.user.clone(),
    );
    let base = state.config.base_url(&req);
    let ttl = state.config.link_ttl;
    let stored = uid.stored;
    let (integration, link) = blocking(move || {
        Ok(state.db.write(|conn| {
            service::start(conn, &actor, &tenant, &user, id, stored, ttl, time::now())
        })?)
    })
    .await?;
    let callback = format!("{base}{CALLBACK_PATH}?link={}", link.id);
    let target = partner_url(
        &integration.redirect_url,
        &uid.secret,
        &link.email,
        &callback,
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .finish())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    link: Option<String>,
}

/// `GET /portal/integrations/callback?link=…`: where the partner sends the user back. Shows
/// the link's state: added, still waiting for the partner, expired or disconnected.
pub async fn callback(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PortalError> {
    let raw = query.into_inner().link.unwrap_or_default();
    let id = Uuid::parse_str(&raw).map_err(|_| PortalError::NotFound(format!("link {raw}")))?;
    let tenant = visitor.tenant.clone();
    let (link, integration, partner) =
        blocking(move || Ok(state.db.read(|conn| service::link_of(conn, &tenant, id))?)).await?;
    let t = visitor.texts();
    let state = link.state(time::now());
    let key = match state {
        LinkState::Linked => "callback.linked",
        LinkState::Pending => "callback.pending",
        LinkState::Expired => "callback.expired",
        LinkState::Unlinked => "callback.unlinked",
    };
    let names = [("name", integration.name.as_str()), ("partner", &partner)];
    render(&CallbackPage {
        chrome: Chrome::new(
            &visitor,
            Section::Integrations,
            t.fill("callback.title", &names),
        ),
        state,
        message: t.fill(key, &names),
    })
}

/// `POST /portal/integrations/links/{id}/disconnect`: revokes the partner's token and
/// deactivates its connection at once.
pub async fn disconnect(
    state: web::Data<AppState>,
    id: web::Path<String>,
    PortalForm { visitor, .. }: PortalForm<Nothing>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = uuid_in(id, "link")?;
    let (actor, tenant) = (visitor.actor(), visitor.tenant.clone());
    blocking(move || {
        Ok(state
            .db
            .write(|conn| service::unlink(conn, &actor, &tenant, id, time::now()))?)
    })
    .await?;
    Ok(see_other("/portal/integrations?notice=disconnected"))
}
