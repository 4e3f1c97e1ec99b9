//! `Idempotency-Key` on every POST, with Stripe's semantics: a retry with the same key and
//! request answers the first response again (status, `Content-Type`, `Location` and body, byte
//! for byte) and does nothing new; the same key with another request is 422; a retry while the
//! first request still runs is 409. Keys belong to the authenticated principal (a reseller in
//! one environment, or a tenant) and are kept 24 hours, in the database, so they hold across
//! processes and restarts.
//!
//! Two halves meet in the request's extensions: the middleware reads the body and fingerprints
//! the request; the authentication extractors, which are the first to know the principal, claim
//! the key; the middleware then stores the response, or answers a stored one.

use crate::{blocking, ApiError, AppState, MAX_BODY_BYTES};
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use chrono::Duration;
use futures_util::StreamExt;
use tenantry_storage::idempotency::{self, Claim, ClaimTimes, StoredResponse};
use tenantry_storage::{Database, StorageError};

/// The request header.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub use tenantry_storage::idempotency::RETENTION;
/// After this long, an unfinished claim is taken to belong to a request that died.
const ABANDONED_AFTER: Duration = Duration::minutes(5);

/// A POST that carries a key, not yet claimed (set by the middleware).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    key: String,
    fingerprint: String,
}

/// The key is this request's (set by an extractor once it claimed it).
#[derive(Debug, Clone)]
struct Claimed {
    principal: String,
    key: String,
}

/// An earlier request with this key finished: answer its response (set by an extractor).
#[derive(Debug, Clone)]
struct Replay(StoredResponse);

/// The key a request asks to claim, if it is an idempotent POST.
pub(crate) fn pending(req: &HttpRequest) -> Option<Pending> {
    req.extensions().get::<Pending>().cloned()
}

/// Claims the pending key for `principal`; called by the authentication extractors from their
/// blocking call. On `Ok`, the request may run; a replay is an `Err` the middleware replaces
/// with the stored response.
pub(crate) fn claim(
    db: &Database,
    pending: &Pending,
    principal: &str,
) -> Result<ClaimOutcome, ApiError> {
    let now = tenantry_domain::time::now();
    let times = ClaimTimes {
        now,
        expired_before: now - RETENTION,
        abandoned_before: now - ABANDONED_AFTER,
    };
    let attempt = || {
        db.write(|conn| {
            idempotency::claim(conn, principal, &pending.key, &pending.fingerprint, times)
        })
    };
    // Two first requests racing: the loser's insert fails; looking again finds the winner's.
    let claim = match attempt() {
        Err(StorageError::Duplicate(_)) => attempt()?,
        other => other?,
    };
    Ok(ClaimOutcome {
        claim,
        principal: principal.to_owned(),
        key: pending.key.clone(),
    })
}

/// What [`claim`] found, to be applied to the request on the async side.
pub(crate) struct ClaimOutcome {
    claim: Claim,
    principal: String,
    key: String,
}

impl ClaimOutcome {
    /// Records the outcome on the request; `Err` when the handler must not run.
    pub(crate) fn apply(self, req: &HttpRequest) -> Result<(), ApiError> {
        match self.claim {
            Claim::Started => {
                req.extensions_mut().insert(Claimed {
                    principal: self.principal,
                    key: self.key,
                });
                Ok(())
            }
            Claim::InProgress => Err(ApiError::conflict(
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still being processed: retry later",
            )),
            Claim::Mismatch => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request: use a new key for a new request",
            )),
            Claim::Completed(stored) => {
                req.extensions_mut().insert(Replay(stored));
                Err(ApiError::conflict("idempotent_replay", "replayed"))
            }
        }
    }
}

fn acceptable(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What makes two requests "the same": method, path, query and body. A JSON body is compared
/// by its value, so key order and whitespace do not matter.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut request = format!(
        "{} {}?{}\n",
        req.method(),
        req.uri().path(),
        req.uri().query().unwrap_or_default()
    )
    .into_bytes();
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => request.extend(value.to_string().into_bytes()),
        Err(_) => request.extend_from_slice(body),
    }
    tenantry_auth::token::sha256_hex(&request)
}

fn stored_response(stored: &StoredResponse) -> HttpResponse {
    let mut response = HttpResponse::build(
        StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    if let Some(content_type) = &stored.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
    }
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.insert_header((REPLAYED_HEADER, "true"));
    response.body(stored.body.clone())
}

fn header_text(
    response: &HttpResponse<impl MessageBody>,
    name: header::HeaderName,
) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_owned)
}

/// The middleware: `App::new().wrap(from_fn(idempotency))`, inside the request-id middleware.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(IDEMPOTENCY_KEY_HEADER) {
        Some(key) if req.method() == Method::POST => key.to_str().ok().map(str::to_owned),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let Some(key) = key.filter(|k| acceptable(k)) else {
        let error = ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say)",
        );
        return Ok(req.into_response(error.error_response()));
    };

    let mut payload = req.parts_mut().1.take();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        body.extend_from_slice(&chunk?);
        if body.len() > MAX_BODY_BYTES {
            let error = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body exceeds {MAX_BODY_BYTES} bytes"),
            );
            return Ok(req.into_response(error.error_response()));
        }
    }
    let body = body.freeze();
    let fingerprint = fingerprint(&req, &body);
    req.extensions_mut().insert(Pending { key, fingerprint });
    req.set_payload(body.into());

    let response = next.call(req).await?;
    let replay = response.request().extensions().get::<Replay>().cloned();
    if let Some(Replay(stored)) = replay {
        let replayed = stored_response(&stored);
        return Ok(response.into_response(replayed));
    }
    let claimed = response.request().extensions().get::<Claimed>().cloned();
    let (Some(claimed), Some(state)) = (
        claimed,
        response
            .request()
            .app_data::<web::Data<AppState>>()
            .cloned(),
    ) else {
        return Ok(response.map_into_boxed_body());
    };

    let (request, response) = response.into_parts();
    let status = response.status();
    // A server error may not have done its work: let a retry run it. A rate-limited request
    // did nothing either, nor did one whose remembered credential was refused after it was
    // admitted (`auth::unchecked_credentials`): its 401 is no answer for the principal's
    // other credentials to replay.
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::UNAUTHORIZED
    {
        let db = state.clone();
        let result = blocking(move || {
            Ok(db
                .db
                .write(|conn| idempotency::release(conn, &claimed.principal, &claimed.key))?)
        })
        .await;
        if let Err(e) = result {
            log::error!("could not release an Idempotency-Key: {e}");
        }
        return Ok(ServiceResponse::new(
            request,
            response.map_into_boxed_body(),
        ));
    }
    let content_type = header_text(&response, header::CONTENT_TYPE);
    let location = header_text(&response, header::LOCATION);
    let (head, response_body) = response.into_parts();
    let bytes = body::to_bytes(response_body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("response body"))?;
    let stored = StoredResponse {
        status: status.as_u16(),
        content_type,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    let result = blocking(move || {
        Ok(state
            .db
            .write(|conn| idempotency::complete(conn, &claimed.principal, &claimed.key, &stored))?)
    })
    .await;
    if let Err(e) = result {
        // The work is done and answered; a retry within ABANDONED_AFTER gets 409, after it
        // runs again. Logged, because that is the one window where a key does not protect.
        log::error!("could not store an Idempotency-Key's response: {e}");
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(bytes)),
    ))
}
