//! `/portal`: the tenant at a glance, and what a working integration still needs.

use crate::error::PortalError;
use crate::page::{render, Chrome, Section};
use crate::session::Visitor;
use crate::{blocking, text};
use actix_web::{web, HttpResponse};
use askama::Template;
use tenantry_domain::connection::API_TYPE;
use tenantry_domain::tenant::TenantStatus;
use tenantry_http::AppState;
use tenantry_storage::{connection as connections, tenant_token};

/// A step still missing, linking to where it is done.
pub struct Missing {
    pub label: &'static str,
    pub path: &'static str,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview {
    chrome: Chrome,
    code_name: String,
    environment: &'static str,
    status: String,
    status_class: &'static str,
    missing: Vec<Missing>,
}

/// `GET /portal`.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PortalError> {
    let tenant_id = visitor.tenant.id;
    let (has_api_connection, has_token) = blocking(move || {
        state.db.read(|conn| {
            let api = connections::list(conn, tenant_id, None, 200)?
                .rows
                .into_iter()
                .any(|c| c.kind == API_TYPE && c.active);
            let token = !tenant_token::active_hints(conn, tenant_id)?.is_empty();
            Ok::<_, PortalError>((api, token))
        })
    })
    .await?;
    let t = visitor.texts();
    let mut missing = Vec::new();
    if !has_api_connection {
        missing.push(Missing {
            label: t.get("check.connection"),
            path: "/portal/connections",
        });
    }
    if !has_token {
        missing.push(Missing {
            label: t.get("check.token"),
            path: "/portal/connections",
        });
    }
    let tenant = &visitor.tenant;
    let status = match (tenant.status, &tenant.cancellation_effective_at) {
        (TenantStatus::CancellationScheduled, Some(at)) => {
            t.fill("status.cancellation_scheduled", &[("date", &t.date(at))])
        }
        (status, _) => text::status(t, status).to_owned(),
    };
    let status_class = match tenant.status {
        TenantStatus::Active => "ok",
        TenantStatus::Provisioning | TenantStatus::CancellationScheduled => "warn",
        TenantStatus::Deactivated | TenantStatus::Cancelled => "bad",
    };
    render(&Overview {
        chrome: Chrome::new(
            &visitor,
            Section::Overview,
            t.get("overview.title").to_owned(),
        ),
        code_name: tenant.code_name.clone(),
        environment: text::environment(t, tenant.environment),
        status,
        status_class,
        missing,
    })
}
