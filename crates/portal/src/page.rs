//! What every portal page shares: the chrome around it (tenant, reseller, user, navigation by
//! role, the CSRF token its forms carry), rendering a template, and the pages middleware that
//! gives every response the browser-security headers and renders error pages in the
//! visitor's language.

use crate::error::{ErrorPage, PortalError};
use crate::i18n::{Lang, Texts};
use crate::session::Visitor;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use askama::Template;

/// A section of the portal, as the navigation lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Connections,
    Integrations,
    Users,
    Settings,
    Orders,
    Products,
    Activity,
    Usage,
}

impl Section {
    const ALL: [Section; 9] = [
        Section::Overview,
        Section::Orders,
        Section::Products,
        Section::Connections,
        Section::Integrations,
        Section::Users,
        Section::Settings,
        Section::Activity,
        Section::Usage,
    ];

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "/portal",
            Section::Connections => "/portal/connections",
            Section::Integrations => "/portal/integrations",
            Section::Users => "/portal/users",
            Section::Settings => "/portal/settings",
            Section::Orders => "/portal/orders",
            Section::Products => "/portal/products",
            Section::Activity => "/portal/activity",
            Section::Usage => "/portal/usage",
        }
    }

    fn label_key(self) -> &'static str {
        match self {
            Section::Overview => "nav.overview",
            Section::Connections => "nav.connections",
            Section::Integrations => "nav.integrations",
            Section::Users => "nav.users",
            Section::Settings => "nav.settings",
            Section::Orders => "nav.orders",
            Section::Products => "nav.products",
            Section::Activity => "nav.activity",
            Section::Usage => "nav.usage",
        }
    }
}

/// A navigation link.
pub struct NavItem {
    pub path: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame of a signed-in page.
pub struct Chrome {
    pub t: Texts,
    pub title: String,
    pub tenant_name: String,
    pub reseller_name: String,
    pub user_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub css: String,
    pub js: String,
    /// "Back to {reseller}", where the reseller set a return URL.
    pub back: Option<(String, String)>,
}

/// The origins a reseller lets frame its tenants' portal, left on the request for the pages
/// middleware's `Content-Security-Policy`.
#[derive(Clone)]
pub(crate) struct FrameAncestors(pub Vec<String>);

/// An origin besides this server's that the page's forms may lead to, left on the request for
/// the `Content-Security-Policy`'s `form-action`: the consent page's form is answered with a
/// redirect to the partner, which browsers check against `form-action` too.
#[derive(Clone)]
pub(crate) struct FormTarget(pub String);

impl Chrome {
    /// The chrome of `section` for `visitor`, titled by the catalog's `title_key`.
    pub fn new(visitor: &Visitor, section: Section, title: String) -> Chrome {
        let t = visitor.texts();
        let user = &visitor.user;
        Chrome {
            t,
            title,
            tenant_name: visitor.tenant.full_name.clone(),
            reseller_name: visitor.reseller_name.clone(),
            user_name: if user.full_name.is_empty() {
                user.login.clone()
            } else {
                user.full_name.clone()
            },
            role: crate::text::role(t, user.role),
            csrf: visitor.csrf.clone(),
            nav: Section::ALL
                .into_iter()
                .map(|s| NavItem {
                    path: s.path(),
                    label: t.get(s.label_key()),
                    current: s == section,
                })
                .collect(),
            css: crate::assets::css(),
            js: crate::assets::js(),
            back: visitor.portal.return_url.clone().map(|url| {
                let label = t.fill("nav.back", &[("reseller", &visitor.reseller_name)]);
                (url, label)
            }),
        }
    }

    /// "Signed in as …".
    pub fn signed_in_as(&self) -> String {
        self.t.fill("signed_in_as", &[("name", &self.user_name)])
    }
}

/// A 200 page from `template`.
pub fn render(template: &impl Template) -> Result<HttpResponse, PortalError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(template.render()?))
}

/// A page from `template` with `status`: a form shown again with its errors (422), or with
/// the use case's refusal (409).
pub fn render_status(
    template: &impl Template,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, PortalError> {
    let mut response = render(template)?;
    *response.status_mut() = status;
    Ok(response)
}

/// A list page's cursor: the last row's time (µs) and id, as the next page's query carries
/// it. Orders and activity page newest first by it.
pub fn cursor(at: &chrono::DateTime<chrono::Utc>, id: &uuid::Uuid) -> String {
    format!("{}.{}", at.timestamp_micros(), id.simple())
}

/// Reads a [`cursor`]; anything else is not a page of the list (400).
pub fn parse_cursor(
    text: &str,
) -> Result<(chrono::DateTime<chrono::Utc>, uuid::Uuid), PortalError> {
    let bad = || PortalError::BadForm("not a page of this list".into());
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, uuid::Uuid::parse_str(id).map_err(|_| bad())?))
}

/// A 303 to `path` after a form: post/redirect/get.
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    t: Texts,
    css: String,
    title: String,
    body: String,
}

/// The middleware around every portal route: error pages in the visitor's language (the
/// session extractor leaves it on the request; without one, the browser's `Accept-Language`
/// picks Swedish or English), and the security headers.
pub async fn pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let accept_swedish = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("sv"));
    let response = next.call(req).await?;
    let page = response.response().extensions().get::<ErrorPage>().cloned();
    let ancestors = response
        .request()
        .extensions()
        .get::<FrameAncestors>()
        .map(|a| a.0.clone())
        .unwrap_or_default();
    let form_target = response
        .request()
        .extensions()
        .get::<FormTarget>()
        .map(|t| t.0.clone());
    let mut response = match page {
        None => response.map_into_boxed_body(),
        Some(page) => {
            let lang = response
                .request()
                .extensions()
                .get::<Lang>()
                .copied()
                .unwrap_or(if accept_swedish { Lang::Sv } else { Lang::En });
            let request = tenantry_http::current_request_id().unwrap_or_default();
            let html = error_page(lang, &page, &request);
            response.map_body(|_, _| BoxBody::new(html))
        }
    };
    secure(response.headers_mut(), &ancestors, form_target.as_deref());
    Ok(response)
}

fn error_page(lang: Lang, page: &ErrorPage, request: &str) -> String {
    let t = lang.texts();
    let code = page.status.as_u16();
    let title = match code {
        400 => t.get("error.title.400"),
        401 => t.get("error.title.401"),
        403 => t.get("error.title.403"),
        404 => t.get("error.title.404"),
        409 => t.get("error.title.409"),
        422 => t.get("error.title.422"),
        415 => t.get("error.title.415"),
        429 => t.get("error.title.429"),
        _ => t.get("error.title.500"),
    };
    let body = match (code, &page.message) {
        (403, Some(_)) => t.get("error.deactivated").to_owned(),
        (_, Some(message)) => message.clone(),
        (400, None) => t.get("error.body.400").to_owned(),
        (401, None) => t.get("error.body.401").to_owned(),
        (403, None) => t.get("error.body.403").to_owned(),
        (404, None) => t.get("error.body.404").to_owned(),
        (415, None) => t.get("error.body.415").to_owned(),
        (429, None) => t.get("error.body.429").to_owned(),
        _ => t.fill("error.body.500", &[("request", request)]),
    };
    let template = ErrorTemplate {
        t,
        css: crate::assets::css(),
        title: title.to_owned(),
        body,
    };
    template
        .render()
        .unwrap_or_else(|_| format!("<!doctype html><h1>{code}</h1>"))
}

/// The headers every portal response carries: a CSP that allows only this server's own
/// stylesheet and script (no inline script), forms posting only here, and framing only by
/// the origins the reseller named (none by default); no sniffing, no referrer; and pages
/// with data are never cached. `form_target`: one more origin forms may lead to (a checked
/// URL's origin, which holds nothing that could end the directive).
fn secure(headers: &mut header::HeaderMap, frame_ancestors: &[String], form_target: Option<&str>) {
    let ancestors = if frame_ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        // Checked https origins (`PortalSettings::check`): nothing in them can end the
        // directive or add another.
        frame_ancestors.join(" ")
    };
    let form_action = match form_target {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action {form_action}; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if frame_ancestors.is_empty() {
        // For browsers that predate frame-ancestors; with ancestors named, the CSP decides.
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
