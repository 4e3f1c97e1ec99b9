//! The actix extractor that authenticates the Reseller API's callers.

use crate::audit::{self, AuditEntry};
use crate::rate_limit::{self, Allowance};
use crate::throttle::Attempt;
use crate::{blocking, idempotency, ApiError, AppState};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tenantry_auth::scheme::Headers;
use tenantry_auth::tenant::TenantHeaders;
use tenantry_auth::{
    AuthError, ResellerCredentials, ResellerPrincipal, TenantCredentials, TenantPrincipal,
};
use tenantry_domain::permission::Permission;
use tenantry_domain::scope::Scope;
use tenantry_storage::reseller::KeyCheck;
use tenantry_storage::tenant_token::CredentialCheck;
use tenantry_storage::{reseller, DbConnection, Result as StorageResult, StorageError};
use tokio::sync::watch;

/// Claims the request's Idempotency-Key for `owner`, unless the rate limit refused it (a
/// refused request does nothing, so it must not hold the key).
fn claim_unless_limited(
    state: &AppState,
    pending: Option<idempotency::Pending>,
    allowance: Option<Allowance>,
    owner: &str,
) -> Result<Option<idempotency::ClaimOutcome>, ApiError> {
    if allowance.is_some_and(|a| a.retry_after.is_some()) {
        return Ok(None);
    }
    pending
        .map(|p| idempotency::claim(&state.db, &p, owner))
        .transpose()
}

/// Applies the rate-limit decision and the idempotency claim to the request.
fn admit(
    req: &HttpRequest,
    allowance: Option<Allowance>,
    claim: Option<idempotency::ClaimOutcome>,
) -> Result<(), ApiError> {
    rate_limit::apply(req, allowance)?;
    match claim {
        Some(claim) => claim.apply(req),
        None => Ok(()),
    }
}

/// Which scope each operation of the Reseller API needs, by method and mounted route; the
/// Reseller API registers it as app data and the extractor enforces it. An operation the table
/// does not name is refused: a new route cannot slip through unscoped.
#[derive(Clone, Copy)]
pub struct RequiredScopes(pub fn(&str, &str) -> Option<Scope>);

/// The scope this request's operation needs; `Err` when its route names none.
fn required_scope(req: &HttpRequest) -> Option<Result<Scope, ApiError>> {
    let table = req.app_data::<RequiredScopes>()?;
    let pattern = req.match_pattern().unwrap_or_default();
    Some((table.0)(req.method().as_str(), &pattern).ok_or_else(|| {
        log::error!("no scope is declared for {} {pattern}", req.method());
        ApiError::from(AuthError::Forbidden {
            code: "missing_scope",
            message: "this operation declares no scope, so no credential may call it".into(),
        })
    }))
}

/// The Tenant API's permission table, `(method, route pattern) → Some(permission needed, if
/// any)`: the Tenant API registers it as app data and the extractor enforces it. An operation
/// the table does not name is refused, as for scopes.
#[derive(Clone, Copy)]
pub struct RequiredPermissions(pub fn(&str, &str) -> Option<Option<Permission>>);

/// The permission this request's operation needs (`Ok(None)`: none); `Err` when its route is
/// not in the table.
fn required_permission(req: &HttpRequest) -> Option<Result<Option<Permission>, ApiError>> {
    let table = req.app_data::<RequiredPermissions>()?;
    let pattern = req.match_pattern().unwrap_or_default();
    Some((table.0)(req.method().as_str(), &pattern).ok_or_else(|| {
        log::error!("no permission is declared for {} {pattern}", req.method());
        ApiError::from(AuthError::Forbidden {
            code: "missing_permission",
            message: "this operation declares no permission, so no credential may call it".into(),
        })
    }))
}

/// On a request while its credentials are checked. Extractors run concurrently and the first
/// error answers, so a body extractor that fails waits for this ([`authenticated`]).
#[derive(Clone)]
struct Authenticating(watch::Receiver<()>);

/// Marks `req` as being authenticated until the returned guard drops.
fn authenticating(req: &HttpRequest) -> watch::Sender<()> {
    let (done, watching) = watch::channel(());
    req.extensions_mut().insert(Authenticating(watching));
    done
}

/// Waits until the authentication of `req`, if one is under way, has finished.
pub(crate) async fn authenticated(req: &HttpRequest) {
    let pending = req.extensions().get::<Authenticating>().cloned();
    if let Some(Authenticating(mut watching)) = pending {
        // Nothing is ever sent: this returns when the sender drops, at the end of the check.
        let _ = watching.changed().await;
    }
}

/// The failed-authentication throttle's keys for a password attempt (tokens are not
/// throttled: a SHA-256 lookup costs nothing to speak of and cannot be guessed).
fn password_attempt(req: &HttpRequest, account: Option<String>) -> Option<Attempt> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let account = account?;
    Some(
        state
            .throttle
            .attempt(state.throttle.client_address(req), Some(account)),
    )
}

/// The throttle's account for reseller credentials: the reseller code and login.
fn reseller_account(credentials: &ResellerCredentials) -> Option<String> {
    match credentials {
        ResellerCredentials::Basic {
            reseller, login, ..
        } => Some(format!("reseller:{reseller}/{login}")),
        ResellerCredentials::Key(_) => None,
    }
}

/// Refuses a throttled attempt before anything is looked up or verified.
fn check_throttle(state: &AppState, attempt: &Option<Attempt>) -> Result<(), ApiError> {
    match attempt {
        Some(attempt) => state.throttle.check(attempt),
        None => Ok(()),
    }
}

/// Counts a password check's outcome in the failed-authentication throttle.
fn count_attempt<T>(
    state: &AppState,
    attempt: &Option<Attempt>,
    outcome: Result<T, AuthError>,
) -> Result<T, ApiError> {
    if let Some(attempt) = attempt {
        match &outcome {
            Ok(_) => state.throttle.succeeded(attempt),
            Err(AuthError::Rejected(_)) => state.throttle.failed(attempt),
            Err(_) => {}
        }
    }
    Ok(outcome?)
}

/// A request authenticated as a reseller, by any of the three schemes.
#[derive(Debug, Clone)]
pub struct AuthenticatedReseller(pub ResellerPrincipal);

fn header<'a>(req: &'a HttpRequest, name: &str) -> Result<Option<&'a str>, ApiError> {
    req.headers()
        .get(name)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::unauthorized(format!("the {name} header is not readable text"))
            })
        })
        .transpose()
}

impl FromRequest for AuthenticatedReseller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = (|| {
            let headers = Headers {
                authorization: header(req, "authorization")?,
                x_reseller: header(req, "x-reseller")?,
                x_api_key: header(req, "x-apikey")?,
            };
            Ok::<_, ApiError>(ResellerCredentials::parse(headers)?)
        })();
        let attempt = parsed
            .as_ref()
            .ok()
            .and_then(|c| password_attempt(req, reseller_account(c)));
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let pending = idempotency::pending(req);
        let scope = required_scope(req);
        let checking = authenticating(req);
        let req = req.clone();
        Box::pin(async move {
            let _checking = checking;
            let credentials = parsed?;
            let state = state.ok_or_else(ApiError::internal)?;
            let (principal, admitted) = blocking(move || {
                // On the blocking pool: with a shared store this asks Redis.
                check_throttle(&state, &attempt)?;
                let outcome = state
                    .db
                    .read(|conn| Ok::<_, ApiError>(state.auth.reseller(conn, &credentials)))?;
                let principal = count_attempt(&state, &attempt, outcome)?;
                // From here on the caller is known: what is refused is still audited.
                let admitted = admit_reseller(&state, &principal, scope, pending);
                Ok((principal, admitted))
            })
            .await?;
            attach_reseller_actor(&req, &principal);
            let (allowance, claim) = admitted?;
            admit(&req, allowance, claim)?;
            Ok(AuthenticatedReseller(principal))
        })
    }
}

/// What a known reseller caller goes through before its operation: the scope the route
/// needs, its rate limit and its Idempotency-Key's claim. Asks Redis with a shared store
/// and writes the claim: off the async workers then.
fn admit_reseller(
    state: &AppState,
    principal: &ResellerPrincipal,
    scope: Option<Result<Scope, ApiError>>,
    pending: Option<idempotency::Pending>,
) -> Result<(Option<Allowance>, Option<idempotency::ClaimOutcome>), ApiError> {
    if let Some(scope) = scope {
        principal.require(scope?)?;
    }
    // Limited per reseller; idempotency keys are per reseller and environment.
    let reseller = principal.reseller.id;
    let allowance = state.limits.check(
        &reseller.to_string(),
        principal.reseller.rate_limit_per_minute,
    );
    let owner = format!("reseller:{reseller}:{}", principal.environment);
    let claim = claim_unless_limited(state, pending, allowance, &owner)?;
    Ok((allowance, claim))
}

/// Admits a caller this process remembers (`admit`: [`admit_reseller`] or [`admit_tenant`]):
/// on the async worker when all it needs is in this process's memory, on the blocking pool
/// when it asks Redis (a shared store) or claims an Idempotency-Key.
async fn admit_known<P, T>(
    state: &web::Data<AppState>,
    principal: &P,
    pending: Option<idempotency::Pending>,
    admit: impl FnOnce(&AppState, &P, Option<idempotency::Pending>) -> T + Send + 'static,
) -> Result<T, ApiError>
where
    P: Clone + Send + 'static,
    T: Send + 'static,
{
    if state.limits.asks_store() || pending.is_some() {
        let (state, principal) = (state.clone(), principal.clone());
        blocking(move || Ok(admit(&state, &principal, pending))).await
    } else {
        // All in this process's memory: no hop to the blocking pool.
        Ok(admit(state, principal, pending))
    }
}

/// Names the reseller caller on `req` for the audit log, with the tenant its path names. A
/// codeName that cannot be stored is refused by the path extractor; the audit event then
/// names no tenant rather than one the database would refuse.
fn attach_reseller_actor(req: &HttpRequest, principal: &ResellerPrincipal) {
    let tenant = req
        .match_info()
        .get("codeName")
        .filter(|c| tenantry_domain::text::control_character(c).is_none())
        .map(str::to_owned);
    audit::Actor::of_reseller(principal, tenant).attach(req);
}

/// A Reseller API write whose handler writes the request's audit entry in the write's own
/// transaction ([`AuditEntry::write`]), so its answer waits for one commit instead of two.
/// Authenticates as [`AuthenticatedReseller`] does, except for a key this process
/// authenticated in the last minute: that one is not looked up, and the write's transaction
/// begins by requiring it live and its reseller unchanged instead, in BEGIN's own round trip
/// on PostgreSQL. So the principal is the handler's only through [`AuditedReseller::write`].
pub struct AuditedReseller {
    principal: ResellerPrincipal,
    audit: AuditEntry,
    owed: Option<OwedKeyCheck>,
}

/// The check a remembered key's write owes, and the key to look up afresh when it fails.
struct OwedKeyCheck {
    check: KeyCheck,
    secret: String,
    /// Shared with the request's [`Unchecked`]: set once the write's transaction checks.
    checked: Arc<AtomicBool>,
}

/// A remembered credential whose check its request still owes: set as the request is
/// admitted on it, and marked checked where the request's own statement checks it (a
/// reseller key's write as its transaction begins, a tenant token's read in its page). A
/// request refused before that (its body, its query, its tenant: a 4xx) is answered as a
/// fresh lookup of the credential would answer it ([`unchecked_credentials`]).
#[derive(Clone)]
struct Unchecked {
    credential: Remembered,
    token_hash: String,
    checked: Arc<AtomicBool>,
}

/// The secret of a remembered credential, by kind.
#[derive(Clone)]
enum Remembered {
    ResellerKey(String),
    TenantToken(String),
}

impl Remembered {
    /// Forgets the credential (remembered under `token_hash`) and looks it up afresh: its
    /// refusal, if it no longer authenticates (what any route answers a fresh request with
    /// it).
    fn look_up_afresh(
        self,
        state: &AppState,
        token_hash: &str,
    ) -> Result<Option<ApiError>, ApiError> {
        let (outcome, challenge) = match self {
            Remembered::ResellerKey(secret) => {
                state.auth.forget_key(token_hash);
                let credentials = ResellerCredentials::Key(secret);
                let outcome = state
                    .db
                    .read(|conn| Ok::<_, ApiError>(state.auth.reseller(conn, &credentials)))?;
                (outcome.map(drop), crate::error::RESELLER_CHALLENGE)
            }
            Remembered::TenantToken(secret) => {
                state.auth.forget_token(token_hash);
                let credentials = TenantCredentials::TenantToken(secret);
                let outcome = state
                    .db
                    .read(|conn| Ok::<_, ApiError>(state.auth.tenant(conn, &credentials)))?;
                (outcome.map(drop), crate::error::TENANT_CHALLENGE)
            }
        };
        match outcome {
            Ok(()) => Ok(None),
            Err(AuthError::Storage(e)) => Err(e.into()),
            Err(refusal) => Ok(Some(ApiError::from(refusal).with_challenge(challenge))),
        }
    }
}

impl Unchecked {
    /// Records on `req` that its remembered credential's check is owed; returns the flag to
    /// set once the check is made.
    fn owe(req: &HttpRequest, credential: Remembered, token_hash: &str) -> Arc<AtomicBool> {
        let checked = Arc::new(AtomicBool::new(false));
        req.extensions_mut().insert(Unchecked {
            credential,
            token_hash: token_hash.to_owned(),
            checked: checked.clone(),
        });
        checked
    }
}

/// The middleware that looks up a remembered credential whose request was refused before
/// its own statement checked it, and answers with the lookup's refusal if the credential
/// no longer authenticates: a key or token revoked since it was remembered is told 401 (a
/// tenant deactivated since, 403), not what a live one would be told (422 for its body,
/// 404 for another's tenant). As for a fresh request, the refused credential names no
/// caller to audit or meter. Innermost (`App::new().wrap(from_fn(unchecked_credentials))`
/// first), so the audit log and the Idempotency-Key's record see that answer. Costs a
/// lookup only for such refusals.
pub async fn unchecked_credentials(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let response = next.call(req).await?;
    // Nearly every response passes here, most on a remembered credential: nothing is read or
    // copied before the status says it is such a refusal.
    let status = response.status();
    if !status.is_client_error() || status == StatusCode::UNAUTHORIZED {
        return Ok(response.map_into_left_body());
    }
    let unchecked = response
        .request()
        .extensions()
        .get::<Unchecked>()
        .filter(|u| !u.checked.load(Ordering::Relaxed))
        .cloned();
    let state = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned();
    let (Some(unchecked), Some(state)) = (unchecked, state) else {
        return Ok(response.map_into_left_body());
    };
    let Unchecked {
        credential,
        token_hash,
        ..
    } = unchecked;
    match blocking(move || credential.look_up_afresh(&state, &token_hash)).await? {
        Some(refusal) => {
            let (req, _) = response.into_parts();
            req.extensions_mut().remove::<audit::Actor>();
            let refused = ServiceResponse::new(req, refusal.error_response());
            Ok(refused.map_into_right_body())
        }
        None => Ok(response.map_into_left_body()),
    }
}

/// How a checked write ended: the check failed (nothing was written), or the write did.
enum Checked {
    KeyChanged,
    Failed(ApiError),
}

impl From<StorageError> for Checked {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::KeyChanged => Checked::KeyChanged,
            other => Checked::Failed(other.into()),
        }
    }
}

impl AuditedReseller {
    /// The caller, for what a remembered key cannot have changed: its environment, its
    /// reseller's id ([`ResellerPrincipal::owner`]), its scopes. Anything else of the
    /// reseller is taken from the principal [`AuditedReseller::write`] passes.
    pub fn principal(&self) -> &ResellerPrincipal {
        &self.principal
    }

    /// Runs `f` in one transaction ([`tenantry_storage::Database::write`]) with the checked
    /// principal and the request's audit entry. When the key was remembered and no longer
    /// holds as remembered, nothing has run: it is forgotten and looked up afresh, and `f`
    /// runs with what the lookup finds, or the answer is the lookup's refusal (401 for a
    /// revoked or expired key), as for a request that was never remembered.
    pub fn write<T>(
        self,
        state: &AppState,
        f: impl FnOnce(&mut DbConnection, &ResellerPrincipal, &AuditEntry) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let AuditedReseller {
            principal,
            audit,
            owed,
        } = self;
        if let Some(owed) = &owed {
            owed.checked.store(true, Ordering::Relaxed);
        }
        let mut f = Some(f);
        let checked = state
            .db
            .write_checked(owed.as_ref().map(|owed| &owed.check), |conn| {
                let f = f.take().expect("a transaction runs its work once");
                f(conn, &principal, &audit).map_err(Checked::Failed)
            });
        let (Err(Checked::KeyChanged), Some(owed), Some(f)) = (&checked, owed, f) else {
            return checked.map_err(|e| match e {
                Checked::Failed(e) => e,
                Checked::KeyChanged => ApiError::internal(),
            });
        };
        state.auth.forget_key(&owed.check.token_hash);
        let credentials = ResellerCredentials::Key(owed.secret);
        let principal = state
            .db
            .read(|conn| Ok::<_, ApiError>(state.auth.reseller(conn, &credentials)))??;
        state.db.write(|conn| f(conn, &principal, &audit))
    }
}

impl FromRequest for AuditedReseller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let known = (|| {
            let state = state.as_ref()?;
            let credentials = ResellerCredentials::parse(Headers {
                authorization: header(req, "authorization").ok()?,
                x_reseller: header(req, "x-reseller").ok()?,
                x_api_key: header(req, "x-apikey").ok()?,
            })
            .ok()?;
            let known = state.auth.reseller_known(&credentials)?;
            let ResellerCredentials::Key(secret) = credentials else {
                return None;
            };
            Some((known, secret))
        })();
        let Some((known, secret)) = known else {
            let authenticating = AuthenticatedReseller::from_request(req, payload);
            return with_audit_entry(
                req,
                authenticating,
                |AuthenticatedReseller(principal), audit| AuditedReseller {
                    principal,
                    audit,
                    owed: None,
                },
            );
        };
        let checked = Unchecked::owe(
            req,
            Remembered::ResellerKey(secret.clone()),
            &known.check.token_hash,
        );
        let pending = idempotency::pending(req);
        let scope = required_scope(req);
        let checking = authenticating(req);
        let req = req.clone();
        Box::pin(async move {
            let _checking = checking;
            let state = state.ok_or_else(ApiError::internal)?;
            let principal = ResellerPrincipal::clone(&known.principal);
            let admitted = admit_known(&state, &principal, pending, move |state, p, pending| {
                admit_reseller(state, p, scope, pending)
            })
            .await?;
            attach_reseller_actor(&req, &principal);
            let (allowance, claim) = admitted?;
            admit(&req, allowance, claim)?;
            Ok(AuditedReseller {
                principal,
                audit: AuditEntry::of(&req),
                owed: Some(OwedKeyCheck {
                    check: known.check,
                    secret,
                    checked,
                }),
            })
        })
    }
}

/// What the audited extractors share: `authenticating`, then the request's [`AuditEntry`]
/// (taken once the authentication has named the actor), put together by `audited`.
fn with_audit_entry<P: 'static, A: 'static>(
    req: &HttpRequest,
    authenticating: LocalBoxFuture<'static, Result<P, ApiError>>,
    audited: fn(P, AuditEntry) -> A,
) -> LocalBoxFuture<'static, Result<A, ApiError>> {
    let req = req.clone();
    Box::pin(async move {
        let principal = authenticating.await?;
        Ok(audited(principal, AuditEntry::of(&req)))
    })
}

/// A request authenticated for one tenant, by any of the Tenant API's schemes.
#[derive(Debug, Clone)]
pub struct AuthenticatedTenant(pub TenantPrincipal);

/// The Tenant API's credentials of `req`, parsed.
fn tenant_credentials(req: &HttpRequest) -> Result<TenantCredentials, ApiError> {
    let headers = TenantHeaders {
        authorization: header(req, "authorization")?,
        x_api_key: header(req, "x-apikey")?,
        x_tenant: header(req, "x-tenant")?,
        x_connection_id: header(req, "x-connectionid")?,
        x_tenant_id: header(req, "x-tenant-id")?,
        x_reseller: header(req, "x-reseller")?,
    };
    Ok(TenantCredentials::parse(headers)?)
}

/// The failed-authentication throttle's account for tenant credentials with a password.
fn tenant_account(parsed: &Result<TenantCredentials, ApiError>) -> Option<String> {
    match parsed {
        Ok(TenantCredentials::ConnectionUser {
            code_name, login, ..
        }) => Some(format!("tenant:{code_name}/{login}")),
        Ok(TenantCredentials::Reseller { credentials, .. }) => reseller_account(credentials),
        _ => None,
    }
}

/// What a known tenant caller goes through before its operation: the permission the route
/// needs, its rate limit and its Idempotency-Key's claim. Asks Redis with a shared store
/// and writes the claim: off the async workers then.
fn admit_tenant(
    state: &AppState,
    principal: &TenantPrincipal,
    rate: i64,
    permission: Option<Result<Option<Permission>, ApiError>>,
    pending: Option<idempotency::Pending>,
) -> Result<(Option<Allowance>, Option<idempotency::ClaimOutcome>), ApiError> {
    let owner = format!("tenant:{}", principal.tenant.id);
    let allowance = state.limits.check(&owner, rate);
    if let Some(Some(needed)) = permission.transpose()? {
        principal.require(needed)?;
    }
    let claim = claim_unless_limited(state, pending, allowance, &owner)?;
    Ok((allowance, claim))
}

/// Checks `req`'s tenant credentials against the database and admits the caller.
fn authenticate_tenant(
    req: &HttpRequest,
    parsed: Result<TenantCredentials, ApiError>,
) -> LocalBoxFuture<'static, Result<TenantPrincipal, ApiError>> {
    let attempt = password_attempt(req, tenant_account(&parsed));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let pending = idempotency::pending(req);
    let permission = required_permission(req);
    let checking = authenticating(req);
    let req = req.clone();
    Box::pin(async move {
        let _checking = checking;
        let credentials = parsed?;
        let state = state.ok_or_else(ApiError::internal)?;
        let (principal, admitted) = blocking(move || {
            // On the blocking pool: with a shared store this asks Redis.
            check_throttle(&state, &attempt)?;
            let (principal, rate) = state.db.read(|conn| {
                let outcome = state.auth.tenant(conn, &credentials);
                let principal = count_attempt(&state, &attempt, outcome)?;
                let reseller = principal.tenant.reseller_id;
                let rate = state
                    .limits
                    .reseller_rate(reseller, || reseller::rate_limit(conn, reseller))?;
                Ok::<_, ApiError>((principal, rate))
            })?;
            // From here on the caller is known: what is refused is still audited.
            let admitted = admit_tenant(&state, &principal, rate, permission, pending);
            Ok((principal, admitted))
        })
        .await?;
        audit::Actor::of_tenant(&principal).attach(&req);
        let (allowance, claim) = admitted?;
        admit(&req, allowance, claim)?;
        Ok(principal)
    })
}

impl FromRequest for AuthenticatedTenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let authenticating = authenticate_tenant(req, tenant_credentials(req));
        Box::pin(async move {
            authenticating
                .await
                .map(AuthenticatedTenant)
                .map_err(|e| e.with_challenge(crate::error::TENANT_CHALLENGE))
        })
    }
}

/// A Tenant API write whose handler writes the request's audit entry in the write's own
/// transaction ([`AuditEntry::write`]), as [`AuditedReseller`] does for the Reseller API.
/// Authenticates as [`AuthenticatedTenant`] does.
pub struct AuditedTenant {
    pub principal: TenantPrincipal,
    pub audit: AuditEntry,
}

impl FromRequest for AuditedTenant {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticating = AuthenticatedTenant::from_request(req, payload);
        with_audit_entry(
            req,
            authenticating,
            |AuthenticatedTenant(principal), audit| AuditedTenant { principal, audit },
        )
    }
}

/// A Tenant API caller of a list or sync read, whose credential check may be left to the
/// read itself: a tenant token this process authenticated in the last minute is not looked
/// up again, and the page's own statement requires it live ([`CredentialCheck`]). One round
/// trip per sync page instead of two; a revoked token, a deactivated connection or tenant is
/// still refused on its very next request, through any process. Serve the read with
/// [`AuthenticatedTenantRead::read`].
pub struct AuthenticatedTenantRead {
    /// Shared with this process's memory of the token when it was remembered.
    pub principal: Arc<TenantPrincipal>,
    owed: Option<OwedCheck>,
    req: HttpRequest,
}

/// The check a remembered token's read owes, and the secret to authenticate it again when
/// the read finds it refused (to answer exactly as a fresh request would).
struct OwedCheck {
    token_hash: String,
    secret: String,
    /// Shared with the request's [`Unchecked`]: set once the read runs, which checks.
    checked: Arc<AtomicBool>,
}

impl FromRequest for AuthenticatedTenantRead {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = tenant_credentials(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let known = match (&parsed, &state) {
            (Ok(credentials @ TenantCredentials::TenantToken(secret)), Some(state)) => {
                state.auth.tenant_known(credentials).and_then(|known| {
                    let rate = state
                        .limits
                        .known_reseller_rate(known.principal.tenant.reseller_id)?;
                    Some((known, rate, secret.clone()))
                })
            }
            _ => None,
        };
        let Some((known, rate, secret)) = known else {
            let authenticating = authenticate_tenant(req, parsed);
            let req = req.clone();
            return Box::pin(async move {
                let principal = authenticating
                    .await
                    .map_err(|e| e.with_challenge(crate::error::TENANT_CHALLENGE))?;
                Ok(AuthenticatedTenantRead {
                    principal: Arc::new(principal),
                    owed: None,
                    req,
                })
            });
        };
        let checked = Unchecked::owe(
            req,
            Remembered::TenantToken(secret.clone()),
            &known.token_hash,
        );
        let pending = idempotency::pending(req);
        let permission = required_permission(req);
        let checking = authenticating(req);
        let req = req.clone();
        Box::pin(async move {
            let _checking = checking;
            let state = state.ok_or_else(ApiError::internal)?;
            let principal = known.principal;
            let admitted = admit_known(&state, &principal, pending, move |state, p, pending| {
                admit_tenant(state, p, rate, permission, pending)
            })
            .await?;
            audit::Actor::of_tenant(&principal).attach(&req);
            let challenge = |e: ApiError| e.with_challenge(crate::error::TENANT_CHALLENGE);
            let (allowance, claim) = admitted.map_err(challenge)?;
            admit(&req, allowance, claim).map_err(challenge)?;
            Ok(AuthenticatedTenantRead {
                principal,
                owed: Some(OwedCheck {
                    token_hash: known.token_hash,
                    secret,
                    checked,
                }),
                req,
            })
        })
    }
}

impl AuthenticatedTenantRead {
    /// Runs `read` where reads of the recent past go (the replica, if any), passing it the
    /// credential check it owes. When the read finds the credential refused, the token is
    /// forgotten and authenticated afresh, so the answer is what any route gives (401 for a
    /// revoked token, 403 for a deactivated tenant or connection).
    ///
    /// With a replica the owed check runs on the primary first: a replica may not have
    /// replayed a revocation yet, and the page may lag where a credential must not.
    pub async fn read<T: Send + 'static>(
        self,
        state: web::Data<AppState>,
        read: impl Fn(&mut DbConnection, &CredentialCheck) -> StorageResult<Option<T>> + Send + 'static,
    ) -> Result<T, ApiError> {
        let tenant_id = self.principal.tenant.id;
        let Some(owed) = self.owed else {
            return blocking(move || {
                let page = state
                    .db
                    .read_replica(|conn| Ok::<_, ApiError>(read(conn, &CredentialCheck::Done)?))?;
                page.ok_or_else(ApiError::internal)
            })
            .await;
        };
        owed.checked.store(true, Ordering::Relaxed);
        let served = blocking(move || {
            let mut check = CredentialCheck::Owed {
                token_hash: owed.token_hash.clone(),
            };
            if state.db.has_replica() {
                let live = state
                    .db
                    .read(|conn| Ok::<_, ApiError>(check.verify(conn, tenant_id)?))?;
                if !live {
                    return refused(&state, &owed, read);
                }
                check = CredentialCheck::Done;
            }
            let page = state
                .db
                .read_replica(|conn| Ok::<_, ApiError>(read(conn, &check)?))?;
            match page {
                Some(page) => Ok(Served::Page(page)),
                None => refused(&state, &owed, read),
            }
        })
        .await;
        let challenge = |e: ApiError| e.with_challenge(crate::error::TENANT_CHALLENGE);
        match served.map_err(challenge)? {
            Served::Page(page) => Ok(page),
            Served::Refused(e) => {
                // Refused as a fresh request is: its credential names no caller to meter.
                self.req.extensions_mut().remove::<audit::Actor>();
                Err(challenge(e))
            }
        }
    }
}

/// What a remembered token's read came to.
enum Served<T> {
    Page(T),
    /// The credential no longer authenticates, and why.
    Refused(ApiError),
}

/// A read found the remembered token refused: forgets it and authenticates it afresh on the
/// primary for the exact refusal; if it checks out after all (its tenant reactivated between
/// the two), reads again.
fn refused<T>(
    state: &AppState,
    owed: &OwedCheck,
    read: impl Fn(&mut DbConnection, &CredentialCheck) -> StorageResult<Option<T>>,
) -> Result<Served<T>, ApiError> {
    let remembered = Remembered::TenantToken(owed.secret.clone());
    if let Some(refusal) = remembered.look_up_afresh(state, &owed.token_hash)? {
        return Ok(Served::Refused(refusal));
    }
    let page = state
        .db
        .read_replica(|conn| Ok::<_, ApiError>(read(conn, &CredentialCheck::Done)?))?;
    page.map(Served::Page).ok_or_else(ApiError::internal)
}
