//! `/portal/settings`: the account's name, email and languages, which an admin changes;
//! customerReference, environment and options are the reseller's, shown read-only.

use crate::error::PortalError;
use crate::form::PortalForm;
use crate::page::{render, render_status, see_other, Chrome, Section};
use crate::session::Visitor;
use crate::{blocking, field_errors, text};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;
use tenantry_domain::tenant::TenantPatch;
use tenantry_http::AppState;
use tenantry_service::{tenant as service, ServiceError};

/// What the form holds.
#[derive(Default, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub default_language: String,
    /// Comma-separated ISO 639 codes.
    #[serde(default)]
    pub languages: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    may_manage: bool,
    notice: Option<&'static str>,
    form: Settings,
    errors: HashMap<String, String>,
    customer_reference: String,
    environment: &'static str,
    options: String,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    notice: Option<String>,
}

fn show_page(
    visitor: &Visitor,
    form: Settings,
    errors: HashMap<String, String>,
    notice: Option<&'static str>,
) -> SettingsPage {
    let t = visitor.texts();
    let tenant = &visitor.tenant;
    SettingsPage {
        chrome: Chrome::new(
            visitor,
            Section::Settings,
            t.get("settings.title").to_owned(),
        ),
        may_manage: visitor.user.role.manages_account(),
        notice,
        form,
        errors,
        customer_reference: tenant.customer_reference.clone(),
        environment: text::environment(t, tenant.environment),
        options: if tenant.options.is_empty() {
            t.get("settings.no_options").to_owned()
        } else {
            tenant.options.join(", ")
        },
    }
}

/// `GET /portal/settings`.
pub async fn show(
    visitor: Visitor,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PortalError> {
    let tenant = &visitor.tenant;
    let form = Settings {
        full_name: tenant.full_name.clone(),
        email: tenant.email.clone(),
        default_language: tenant.default_language.clone(),
        languages: tenant.languages.join(", "),
    };
    let notice =
        (query.notice.as_deref() == Some("saved")).then(|| visitor.texts().get("settings.saved"));
    render(&show_page(&visitor, form, HashMap::new(), notice))
}

/// `POST /portal/settings`: saves them through the same use case as
/// `PATCH /reseller/tenant/{codeName}`, or shows the form again with each field's error.
pub async fn save(
    state: web::Data<AppState>,
    PortalForm {
        visitor, fields, ..
    }: PortalForm<Settings>,
) -> Result<HttpResponse, PortalError> {
    visitor.require(visitor.user.role.manages_account(), "change the settings")?;
    let languages = fields
        .languages
        .split(',')
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let patch = TenantPatch {
        full_name: Some(fields.full_name.trim().to_owned()),
        email: Some(fields.email.trim().to_owned()),
        default_language: Some(fields.default_language.trim().to_owned()),
        languages: Some(languages),
        ..Default::default()
    };
    let (owner, actor) = (visitor.owner(), visitor.actor());
    let code_name = visitor.tenant.code_name.clone();
    let saved = blocking(move || {
        Ok(state
            .db
            .write(|conn| service::update(conn, &actor, &owner, &[], &code_name, patch)))
    })
    .await?;
    match saved {
        Ok(_) => Ok(see_other("/portal/settings?notice=saved")),
        Err(ServiceError::Invalid(e)) => {
            let page = show_page(&visitor, fields, field_errors(e), None);
            render_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
