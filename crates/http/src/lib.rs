//! Tenantry's HTTP toolkit, shared by the Reseller and Tenant API surfaces: the problem+json
//! error type and its one mapping from the lower layers' errors (domain, storage, auth and the
//! use cases' `ServiceError`), the JSON body and query
//! extractors that turn bad input into 400/415/422, cursors, request ids, the application
//! state, the authentication extractors, and the application both surfaces mount into
//! ([`app`]).

mod actor;
pub mod app;
mod audit;
mod auth;
mod body;
pub mod docs;
mod error;
mod idempotency;
mod json_writer;
pub mod limit_store;
mod metrics;
mod openapi;
pub mod pagination;
mod rate_limit;
mod request_id;
pub mod resource;
mod state;
mod throttle;
mod usage;

pub use actor::Acting;
pub use audit::{audit, audit_as_portal_user, AuditEntry, AuditLog};
pub use auth::{
    AuditedReseller, AuditedTenant, AuthenticatedReseller, AuthenticatedTenant,
    AuthenticatedTenantRead, RequiredPermissions, RequiredScopes,
};
pub use body::{default_true, path_config, query_config, Json, Path, Query, MAX_BODY_BYTES};
pub use error::{ApiError, Problem, ProblemFieldError};
pub use idempotency::{
    idempotency, IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER, RETENTION as IDEMPOTENCY_RETENTION,
};
pub use json_writer::JsonWriter;
pub use metrics::{metrics, Metrics};
pub use openapi::{document_conventions, schema as openapi_schema, PROBLEM_JSON};
pub use rate_limit::{note_allowance, rate_limit_headers, Allowance, RateLimits};
pub use request_id::{current_request_id, request_id, REQUEST_ID_HEADER};
pub use resource::{resource, Resource};
pub use state::{blocking, ok_json, openapi_json, openapi_response, AppState, ServiceConfig};
pub use throttle::AuthThrottle;
pub use usage::{usage, UsageMeter};
