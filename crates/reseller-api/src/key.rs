//! `/reseller/key`: the reseller's own API keys — create, list, revoke and rotate — within the
//! calling credential's environment. A key never creates a key with a scope it lacks itself.

use crate::{ok_json, Principal, State};
use actix_web::{http::header, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry_auth::token::{self, NewSecret, TokenKind};
use tenantry_auth::ResellerPrincipal;
use tenantry_domain::reseller::ResellerKey;
use tenantry_domain::scope::{self, Scope};
use tenantry_domain::{time, Environment, FieldError};
use tenantry_http::{blocking, Acting, ApiError, Json, Path, Problem};
use tenantry_service as service;
use tenantry_service::key::{Rotation, DEFAULT_OVERLAP_SECONDS};
use tenantry_storage::reseller as resellers;
use utoipa::ToSchema;
use uuid::Uuid;

/// A new key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyIn {
    /// A label to tell keys apart.
    #[schema(example = "webshop sync", min_length = 1, max_length = 100)]
    pub name: String,
    /// What the key may do (`GET /reseller/key/scope` lists them); default: every scope the
    /// calling credential holds.
    #[schema(example = json!(["tenant:read"]), schema_with = tenantry_http::openapi_schema::scopes_or_null)]
    pub scopes: Option<Vec<String>>,
}

/// A rotation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRotateIn {
    /// Seconds the old key keeps working beside the new one (0 to 2,592,000; default 86,400).
    #[schema(minimum = 0, maximum = 2_592_000)]
    pub overlap_seconds: Option<i64>,
}

/// A key as listed; the secret is never shown again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyOut {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = String, example = "sandbox")]
    pub environment: Environment,
    /// The token's last characters.
    pub hint: String,
    #[schema(example = json!(["tenant:read", "tenant:write"]))]
    pub scopes: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a rotated key stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the key opens the API now.
    pub active: bool,
}

impl KeyOut {
    fn new(k: ResellerKey, now: DateTime<Utc>) -> Self {
        KeyOut {
            active: k.is_active(now),
            id: k.id,
            name: k.name,
            environment: k.environment,
            hint: k.hint,
            scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            expires_at: k.expires_at,
        }
    }
}

/// A created key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKeyOut {
    #[serde(flatten)]
    pub key: KeyOut,
    /// The secret (`tnr_test_…` or `tnr_live_…`): store it now, it is not shown again.
    pub secret: String,
}

/// The caller's keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub data: Vec<KeyOut>,
}

/// The scopes asked for, each of which the caller must hold.
fn granted_scopes(
    principal: &ResellerPrincipal,
    asked: Option<Vec<String>>,
) -> Result<Vec<Scope>, ApiError> {
    let Some(names) = asked else {
        return Ok(principal.scopes.clone());
    };
    let scopes = scope::parse_all("scopes", &names)?;
    let errors: Vec<FieldError> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| Scope::parse(n).is_some_and(|s| !principal.scopes.contains(&s)))
        .map(|(i, n)| {
            FieldError::new(
                format!("scopes[{i}]"),
                "scope_not_held",
                format!("`{n}` is not a scope of the calling credential, so it cannot grant it"),
            )
        })
        .collect();
    tenantry_domain::error::into_result(errors)?;
    Ok(scopes)
}

fn created(key: ResellerKey, secret: String, now: DateTime<Utc>) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/reseller/key/{}", key.id)))
        .json(CreatedKeyOut {
            key: KeyOut::new(key, now),
            secret,
        })
}

/// Create an API key in the calling credential's environment; its secret is in this answer only.
#[utoipa::path(post, path = "/reseller/key", tag = "key", request_body = KeyIn,
    responses((status = 201, body = CreatedKeyOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    Principal(principal): Principal,
    Json(body): Json<KeyIn>,
) -> Result<HttpResponse, ApiError> {
    let scopes = granted_scopes(&principal, body.scopes)?;
    let NewSecret { secret, stored } =
        token::generate(TokenKind::ResellerKey, principal.environment);
    let now = time::now();
    let key = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let made = service::key::create(conn, &actor, &owner, &body.name, scopes, stored, now);
            Ok::<_, ApiError>(made?)
        })
    })
    .await?;
    Ok(created(key, secret, now))
}

/// List the API keys of the calling credential's environment, newest first, revoked and
/// expired ones included (marked `active: false`).
#[utoipa::path(get, path = "/reseller/key", tag = "key",
    responses((status = 200, body = KeyList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(state: State, Principal(principal): Principal) -> Result<HttpResponse, ApiError> {
    let keys = blocking(move || {
        state
            .db
            .read(|conn| Ok(resellers::list_keys(conn, principal.reseller.id)?))
            .map(|keys: Vec<ResellerKey>| {
                keys.into_iter()
                    .filter(|k| k.environment == principal.environment)
                    .collect::<Vec<_>>()
            })
    })
    .await?;
    let now = time::now();
    ok_json(&KeyList {
        data: keys.into_iter().map(|k| KeyOut::new(k, now)).collect(),
    })
}

/// Revoke an API key; it stops working at once (also the calling key, if it is this one).
#[utoipa::path(delete, path = "/reseller/key/{id}", tag = "key", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn revoke(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path.into_inner(), "key")?;
    blocking(move || {
        let actor = principal.actor();
        let (reseller, environment) = (principal.reseller.id, Some(principal.environment));
        state.db.write(|conn| {
            let now = time::now();
            Ok::<_, ApiError>(service::key::revoke(
                conn,
                &actor,
                reseller,
                environment,
                id,
                now,
            )?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an API key: a new key with the same name and scopes, and the old one keeps working
/// for `overlapSeconds` (default a day) so the new secret can be rolled out without downtime.
#[utoipa::path(post, path = "/reseller/key/{id}/rotate", tag = "key", params(("id" = Uuid, Path)), request_body = KeyRotateIn,
    responses((status = 201, body = CreatedKeyOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<KeyRotateIn>,
) -> Result<HttpResponse, ApiError> {
    let rotation = Rotation {
        id: ApiError::path_id(&path.into_inner(), "key")?,
        overlap_seconds: body.overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS),
        held: principal.scopes.clone(),
    };
    let NewSecret { secret, stored } =
        token::generate(TokenKind::ResellerKey, principal.environment);
    let now = time::now();
    let key = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let made = service::key::rotate(conn, &actor, &owner, rotation, stored, now);
            Ok::<_, ApiError>(made?)
        })
    })
    .await?;
    Ok(created(key, secret, now))
}

/// One scope of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeOut {
    pub name: &'static str,
    pub description: &'static str,
}

/// The scope catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeList {
    pub data: Vec<ScopeOut>,
}

/// List the scopes a key can hold.
#[utoipa::path(get, path = "/reseller/key/scope", tag = "key",
    responses((status = 200, body = ScopeList), (status = 401, body = Problem)))]
pub async fn scopes(_: Principal) -> Result<HttpResponse, ApiError> {
    ok_json(&ScopeList {
        data: scope::ALL
            .iter()
            .map(|s| ScopeOut {
                name: s.as_str(),
                description: s.description(),
            })
            .collect(),
    })
}
