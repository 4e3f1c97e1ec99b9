//! The portal's one error type, mapped once to an HTML error page: [`PortalError`] makes the
//! response, and the pages middleware (`page::pages`) renders it in the visitor's language.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use tenantry_service::ServiceError;
use tenantry_storage::StorageError;

/// Why a portal request did not do what it asked.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// The form's body is not what the page sends (a missing or mistyped field).
    #[error("the form could not be read: {0}")]
    BadForm(String),
    /// No live session: never signed in, signed out, idle or too old, or ended by the reseller.
    #[error("not signed in")]
    NotSignedIn,
    /// The tenant is deactivated or cancelled.
    #[error("the tenant cannot be used")]
    TenantNotUsable,
    /// The visitor's role does not allow it, or the form is forged (CSRF token, origin).
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A value a row's form sent breaks a rule; the message names it (the page re-renders
    /// field errors where it has a form of its own).
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with what exists; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// More requests than the reseller's rate allows in a minute; retry after these seconds.
    #[error("rate limited: retry after {0} s")]
    TooManyRequests(u64),
    /// A form posted as something other than `application/x-www-form-urlencoded`.
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the pages middleware needs to render an error page: the status and, for a conflict,
/// the use case's own message.
#[derive(Debug, Clone)]
pub(crate) struct ErrorPage {
    pub status: StatusCode,
    pub message: Option<String>,
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        match self {
            PortalError::BadForm(_) => StatusCode::BAD_REQUEST,
            PortalError::NotSignedIn => StatusCode::UNAUTHORIZED,
            PortalError::TenantNotUsable | PortalError::Forbidden(_) => StatusCode::FORBIDDEN,
            PortalError::NotFound(_) => StatusCode::NOT_FOUND,
            PortalError::Conflict(_) => StatusCode::CONFLICT,
            PortalError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PortalError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PortalError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            PortalError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            PortalError::Internal(cause) => log::error!("portal: {cause}"),
            PortalError::Forbidden(why) => log::info!("portal refused a request: {why}"),
            _ => {}
        }
        let message = match self {
            PortalError::Conflict(message) | PortalError::Invalid(message) => Some(message.clone()),
            PortalError::TenantNotUsable => Some(String::new()),
            _ => None,
        };
        let mut response = HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!doctype html><title>{status}</title><h1>{status}</h1>"
            ));
        response
            .extensions_mut()
            .insert(ErrorPage { status, message });
        response
    }
}

impl From<ServiceError> for PortalError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => PortalError::NotFound(what),
            ServiceError::Forbidden { message, .. } => PortalError::Forbidden(message),
            ServiceError::Storage(e) => PortalError::Internal(e.to_string()),
            // Invalid input is shown next to its fields by the page that took it; reaching
            // here, it is a conflict of sorts to report as it is.
            other => PortalError::Conflict(other.to_string()),
        }
    }
}

impl From<StorageError> for PortalError {
    fn from(e: StorageError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<askama::Error> for PortalError {
    fn from(e: askama::Error) -> Self {
        PortalError::Internal(format!("a template did not render: {e}"))
    }
}
