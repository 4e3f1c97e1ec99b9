//! One error type for the HTTP edge, rendered as RFC 9457 `application/problem+json`.
//! Lower layers' errors are mapped here, once.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tenantry_auth::AuthError;
use tenantry_domain::{DomainError, FieldError};
use tenantry_service::ServiceError;
use tenantry_storage::StorageError;
use utoipa::ToSchema;

/// The challenge sent with every 401 of the Reseller API.
pub const RESELLER_CHALLENGE: &str =
    r#"Basic realm="Tenantry Reseller API", Bearer realm="Tenantry Reseller API""#;

/// The challenge sent with every 401 of the Tenant API.
pub const TENANT_CHALLENGE: &str =
    r#"Basic realm="Tenantry Tenant API", Bearer realm="Tenantry Tenant API""#;

/// An RFC 9457 problem. `code` is stable and machine-readable; `errors` names the offending
/// fields; `requestId` matches the `X-Request-Id` response header and the server's log line.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, such as `validation_failed` or `tenant_exists`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemFieldError>,
    pub request_id: String,
    /// Extra members some problems carry (`codeName` of the existing tenant on a 409, say).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemFieldError {
    /// The field as sent, camelCase, with `[i]` for list items.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<FieldError> for ProblemFieldError {
    fn from(e: FieldError) -> Self {
        ProblemFieldError {
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }
}

/// An error answered to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<ProblemFieldError>,
    extensions: serde_json::Map<String, serde_json::Value>,
    challenge: Option<&'static str>,
    /// Seconds for a `Retry-After` header (u32 keeps the error small: clippy's 128 bytes).
    retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Default::default(),
            challenge: None,
            retry_after: None,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// The UUID `raw` (an id from a path), or 404 naming `what`: a malformed id names nothing,
    /// so it is answered without a lookup, as an unknown one is.
    pub fn path_id(raw: &str, what: &str) -> Result<uuid::Uuid, Self> {
        uuid::Uuid::parse_str(raw).map_err(|_| Self::not_found(what))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail);
        e.challenge = Some(RESELLER_CHALLENGE);
        e
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed; the request id identifies it in the logs",
        )
    }

    /// One invalid field, as a 422.
    pub fn invalid_field(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)]).into()
    }

    /// Replaces the `WWW-Authenticate` challenge of a 401 (the Tenant API names its own realm).
    pub fn with_challenge(mut self, challenge: &'static str) -> Self {
        if self.challenge.is_some() {
            self.challenge = Some(challenge);
        }
        self
    }

    /// Sends `Retry-After: seconds` with the problem.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.min(u64::from(u32::MAX)) as u32);
        self
    }

    /// Adds a field-level error to the problem's `errors`.
    pub fn with_field(
        mut self,
        field: impl Into<String>,
        code: &str,
        message: impl Into<String>,
    ) -> Self {
        self.errors
            .push(FieldError::new(field, code, message).into());
        self
    }

    /// Adds a member to the problem body.
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The problem body as sent.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!(
                "https://tenantry.dev/problems/{}",
                self.code.replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
            request_id: crate::current_request_id().unwrap_or_default(),
            extensions: self.extensions.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(challenge) = self.challenge {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => {
                let detail = match errors.as_slice() {
                    [one] => format!("`{}` {}", one.field, one.message),
                    many => format!("{} fields are invalid; see `errors`", many.len()),
                };
                let mut api = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    detail,
                );
                api.errors = errors.into_iter().map(Into::into).collect();
                api
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(e) => e.into(),
            ServiceError::NotFound(what) => ApiError::new(StatusCode::NOT_FOUND, "not_found", what),
            ServiceError::TenantExists(ref existing) => {
                ApiError::conflict("tenant_exists", e.to_string())
                    .with("codeName", existing.code_name.clone())
            }
            ServiceError::UserExists { ref login, .. } => {
                ApiError::conflict("user_exists", e.to_string()).with("login", login.clone())
            }
            ServiceError::InsufficientStock(s) => {
                ApiError::conflict("insufficient_stock", s.to_string())
                    .with("sku", s.sku.clone())
                    .with("available", s.available)
                    .with("requested", s.requested)
            }
            ServiceError::OrderExists { ref number } => {
                ApiError::conflict("order_exists", e.to_string()).with("number", number.clone())
            }
            ServiceError::ProductExists { ref sku } => {
                ApiError::conflict("product_exists", e.to_string()).with("sku", sku.clone())
            }
            ServiceError::IllegalTransition(t) => {
                let allowed = t.allowed();
                let listed = if allowed.is_empty() {
                    "none".into()
                } else {
                    allowed.join(", ")
                };
                ApiError::conflict("illegal_transition", format!("{t}; allowed: {listed}"))
                    .with("from", t.from.as_str())
                    .with("to", t.to.as_str())
                    .with("allowed", allowed)
            }
            ServiceError::Forbidden { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            ServiceError::Conflict { code, message } => ApiError::conflict(code, message),
            ServiceError::Storage(e) => e.into(),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => ApiError::not_found(what),
            StorageError::Duplicate(what) => ApiError::conflict(
                "duplicate",
                format!("this would duplicate an existing resource ({what})"),
            ),
            StorageError::Pool(e) => {
                log::error!("database pool exhausted or unreachable: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database is unavailable; retry shortly",
                )
            }
            other => {
                // The cause goes to the log only: a 5xx body never shows internals.
                log::error!(
                    "request {} failed: {other}",
                    crate::current_request_id().unwrap_or_default()
                );
                ApiError::internal()
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing(why) | AuthError::Malformed(why) | AuthError::Rejected(why) => {
                ApiError::unauthorized(why)
            }
            AuthError::Forbidden { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            AuthError::Storage(e) => e.into(),
        }
    }
}
