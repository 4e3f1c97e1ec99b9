//! `/portal/connections`: the tenant's API connections. Everyone signed in sees them; an
//! admin creates, activates, deactivates and deletes them and issues or rotates a company
//! token, shown once. Each change is the same use case the Reseller API calls, so it appends
//! the same event and lands in the same audit log.

use crate::error::PortalError;
use crate::form::PortalForm;
use crate::page::{render, render_status, see_other, Chrome, Section};
use crate::session::Visitor;
use crate::{blocking, field_errors};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::connection::{self as domain, ConnectionDraft, ConnectionPatch};
use tenantry_domain::time;
use tenantry_http::AppState;
use tenantry_service::{connection as service, ServiceError};
use tenantry_storage::{connection as connections, tenant_token};

/// A connection as the page lists it.
pub struct Row {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub is_api: bool,
    pub active: bool,
    pub created: String,
    /// "…ab12" of its newest active company token, if it has one.
    pub token_hint: Option<String>,
}

/// What the create form sent back, to show again with its errors.
#[derive(Default, Deserialize)]
pub struct NewConnection {
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub configuration: String,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    connections: Vec<Row>,
    may_manage: bool,
    notice: Option<&'static str>,
    form: NewConnection,
    errors: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "token.html")]
struct TokenPage {
    chrome: Chrome,
    token: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

async fn rows(state: &web::Data<AppState>, visitor: &Visitor) -> Result<Vec<Row>, PortalError> {
    let (state, tenant_id, t) = (state.clone(), visitor.tenant.id, visitor.texts());
    blocking(move || {
        let (list, hints) = state.db.read(|conn| {
            let list = connections::list(conn, tenant_id, None, 500)?.rows;
            Ok::<_, PortalError>((list, tenant_token::active_hints(conn, tenant_id)?))
        })?;
        Ok(list
            .into_iter()
            .map(|c| Row {
                token_hint: hints
                    .iter()
                    .rev()
                    .find(|(id, _)| *id == c.id)
                    .map(|(_, hint)| t.fill("connections.token_ending", &[("hint", hint)])),
                is_api: c.kind == domain::API_TYPE,
                created: t.datetime(&c.created_at),
                id: c.id,
                name: c.name,
                kind: c.kind,
                active: c.active,
            })
            .collect())
    })
    .await
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    notice: Option<&'static str>,
    form: NewConnection,
    errors: HashMap<String, String>,
) -> Result<ConnectionsPage, PortalError> {
    let t = visitor.texts();
    Ok(ConnectionsPage {
        connections: rows(state, visitor).await?,
        chrome: Chrome::new(
            visitor,
            Section::Connections,
            t.get("connections.title").to_owned(),
        ),
        may_manage: visitor.user.role.manages_account(),
        notice,
        form,
        errors,
    })
}

/// `GET /portal/connections`.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PortalError> {
    let t = visitor.texts();
    let notice = match query.notice.as_deref() {
        Some("created") => Some(t.get("connections.created_notice")),
        Some("updated") => Some(t.get("connections.updated_notice")),
        Some("deleted") => Some(t.get("connections.deleted_notice")),
        _ => None,
    };
    let form = NewConnection {
        kind: domain::API_TYPE.into(),
        ..Default::default()
    };
    render(&page(&state, &visitor, notice, form, HashMap::new()).await?)
}

fn require_admin(visitor: &Visitor) -> Result<(), PortalError> {
    visitor.require(visitor.user.role.manages_account(), "change connections")
}

/// `POST /portal/connections`: creates a connection, or shows the form again with each
/// field's error next to it (422).
pub async fn create(
    state: web::Data<AppState>,
    PortalForm {
        visitor,
        fields: form,
        ..
    }: PortalForm<NewConnection>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let configuration = match form.configuration.trim() {
        "" => Ok(serde_json::Map::new()),
        text => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text),
    };
    let configuration = match configuration {
        Ok(c) => c,
        Err(_) => {
            let errors = HashMap::from([(
                "configuration".to_owned(),
                visitor.texts().get("field.json").to_owned(),
            )]);
            return refused(&state, &visitor, form, errors).await;
        }
    };
    let draft = ConnectionDraft {
        name: form.name.trim().to_owned(),
        kind: form.kind.trim().to_owned(),
        active: true,
        configuration,
    };
    let (db, actor, tenant) = (state.clone(), visitor.actor(), visitor.tenant.clone());
    let created = blocking(move || {
        Ok(db
            .db
            .write(|conn| service::create(conn, &actor, &tenant, draft, None, time::now())))
    })
    .await?;
    match created {
        Ok(_) => Ok(see_other("/portal/connections?notice=created")),
        Err(ServiceError::Invalid(e)) => refused(&state, &visitor, form, field_errors(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    form: NewConnection,
    errors: HashMap<String, String>,
) -> Result<HttpResponse, PortalError> {
    render_status(
        &page(state, visitor, None, form, errors).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

fn connection_id(path: web::Path<String>) -> Result<String, PortalError> {
    let id = path.into_inner();
    if domain::is_id(&id) {
        Ok(id)
    } else {
        Err(PortalError::NotFound(format!("connection {id}")))
    }
}

#[derive(Deserialize)]
pub struct Activation {
    active: bool,
}

/// `POST /portal/connections/{id}/active`: activates or deactivates it; deactivated, its
/// company tokens stop opening the Tenant API at once.
pub async fn set_active(
    state: web::Data<AppState>,
    id: web::Path<String>,
    PortalForm {
        visitor,
        fields: form,
        ..
    }: PortalForm<Activation>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = connection_id(id)?;
    let patch = ConnectionPatch {
        active: Some(form.active),
        ..Default::default()
    };
    let (actor, tenant) = (visitor.actor(), visitor.tenant.clone());
    blocking(move || {
        Ok(state
            .db
            .write(|conn| service::update(conn, &actor, &tenant, &id, patch, time::now()))?)
    })
    .await?;
    Ok(see_other("/portal/connections?notice=updated"))
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /portal/connections/{id}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    id: web::Path<String>,
    PortalForm { visitor, .. }: PortalForm<Nothing>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = connection_id(id)?;
    let (actor, tenant) = (visitor.actor(), visitor.tenant.clone());
    blocking(move || {
        Ok(state
            .db
            .write(|conn| service::delete(conn, &actor, &tenant, &id))?)
    })
    .await?;
    Ok(see_other("/portal/connections?notice=deleted"))
}

/// `POST /portal/connections/{id}/token`: issues the connection's company token, or rotates
/// it (the old ones stop working), and shows it this once.
pub async fn rotate_token(
    state: web::Data<AppState>,
    id: web::Path<String>,
    PortalForm { visitor, .. }: PortalForm<Nothing>,
) -> Result<HttpResponse, PortalError> {
    require_admin(&visitor)?;
    let id = connection_id(id)?;
    let made = token::generate(TokenKind::TenantToken, visitor.tenant.environment);
    let (actor, tenant, stored) = (visitor.actor(), visitor.tenant.clone(), made.stored);
    let connection = blocking(move || {
        Ok(state
            .db
            .write(|conn| service::rotate_token(conn, &actor, &tenant, &id, stored, time::now()))?)
    })
    .await?;
    let t = visitor.texts();
    render(&TokenPage {
        chrome: Chrome::new(
            &visitor,
            Section::Connections,
            t.fill("token.title", &[("name", &connection.name)]),
        ),
        token: made.secret,
    })
}
