//! What every handler can reach: the database, the authenticator and the service settings.

use crate::{ApiError, AuditLog, Metrics, RateLimits, UsageMeter};
use actix_web::web;
use chrono::Duration;
use tenantry_auth::Authenticator;
use tenantry_storage::Database;

/// Settings the API surfaces need.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The base URL clients reach this server at (`https://api.example.com`). When absent,
    /// links (login URLs) are built from the request's scheme and Host.
    pub public_url: Option<String>,
    /// How long a login URL works.
    pub login_url_ttl: Duration,
    /// Which webhook URLs resellers may register.
    pub webhook_policy: tenantry_domain::webhook::UrlPolicy,
    /// When portal sessions end.
    pub sessions: tenantry_domain::login_url::SessionPolicy,
    /// How long a partner may take to post back a link's uid.
    pub link_ttl: Duration,
}

impl ServiceConfig {
    /// The base URL clients reach this server at: the configured public URL, or the
    /// request's scheme and Host.
    pub fn base_url(&self, req: &actix_web::HttpRequest) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            }
        }
    }

    /// Where login URLs point (for `req`) and how long they work.
    pub fn login_urls(&self, req: &actix_web::HttpRequest) -> tenantry_service::login::LoginUrls {
        tenantry_service::login::LoginUrls {
            base: self.base_url(req),
            ttl: self.login_url_ttl,
        }
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            public_url: None,
            login_url_ttl: tenantry_domain::login_url::DEFAULT_TTL,
            webhook_policy: Default::default(),
            sessions: Default::default(),
            link_ttl: Duration::minutes(tenantry_domain::integration::DEFAULT_LINK_TTL_MINUTES),
        }
    }
}

/// Shared application state (`web::Data<AppState>`).
pub struct AppState {
    pub db: Database,
    pub auth: Authenticator,
    pub config: ServiceConfig,
    /// This process's request rate limiters.
    pub limits: RateLimits,
    /// This process's failed-authentication throttle.
    pub throttle: crate::AuthThrottle,
    /// This process's Prometheus metrics.
    pub metrics: Metrics,
    /// The audit log's batched writer.
    pub audit: AuditLog,
    /// The usage analytics' batched meter.
    pub usage: UsageMeter,
}

/// Runs blocking work (diesel, argon2) on actix's blocking pool, off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let request_id = crate::current_request_id().unwrap_or_default();
    web::block(f).await.map_err(|e| {
        log::error!("request {request_id}: blocking task failed: {e}");
        ApiError::internal()
    })?
}

/// A 200 with a JSON body.
pub fn ok_json<T: serde::Serialize>(body: &T) -> Result<actix_web::HttpResponse, ApiError> {
    Ok(actix_web::HttpResponse::Ok().json(body))
}

/// An OpenAPI document as pretty JSON with a final newline: what `GET …/openapi.json` serves
/// and `cargo xtask openapi` commits, byte for byte.
pub fn openapi_json(doc: &utoipa::openapi::OpenApi) -> String {
    doc.to_pretty_json()
        .expect("an OpenAPI document serializes")
        + "\n"
}

/// Answers with an OpenAPI document.
pub fn openapi_response(document: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(document)
}
