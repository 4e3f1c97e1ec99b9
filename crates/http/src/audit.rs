//! Recording every write request of either surface in the audit log: who (principal and
//! credential), what (operation and path), which tenant, when, the request id and the outcome.
//! The authentication extractors name the actor as soon as the credential checks out, so a
//! request refused after that (a missing scope, the rate limit, a bad body) is recorded too.

use crate::{blocking, current_request_id, AppState, REPLAYED_HEADER};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};
use tenantry_auth::{Credential, ResellerPrincipal, TenantAccess, TenantPrincipal};
use tenantry_domain::audit::{ActorType, AuditEvent, Outcome};
use tenantry_domain::Environment;
use tenantry_storage::audit;
use uuid::Uuid;

/// Who a request acts as; set on the request by the authentication extractors.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    reseller_id: Uuid,
    environment: Environment,
    tenant: Option<String>,
    actor_type: ActorType,
    actor_id: String,
    surface: &'static str,
}

fn credential(c: Credential) -> (ActorType, String) {
    match c {
        Credential::ResellerUser(id) => (ActorType::ResellerUser, id.to_string()),
        Credential::ResellerKey(id) => (ActorType::ResellerKey, id.to_string()),
    }
}

impl Actor {
    pub(crate) fn of_reseller(p: &ResellerPrincipal, tenant: Option<String>) -> Actor {
        let (actor_type, actor_id) = credential(p.credential);
        Actor {
            reseller_id: p.reseller.id,
            environment: p.environment,
            tenant,
            actor_type,
            actor_id,
            surface: "reseller",
        }
    }

    pub(crate) fn of_tenant(p: &TenantPrincipal) -> Actor {
        let (actor_type, actor_id) = match &p.access {
            TenantAccess::ConnectionUser { user_id, .. } => {
                (ActorType::TenantUser, user_id.to_string())
            }
            TenantAccess::TenantToken { connection_id } => {
                (ActorType::TenantToken, connection_id.clone())
            }
            TenantAccess::Reseller { credential: c, .. } => credential(*c),
        };
        Actor {
            reseller_id: p.tenant.reseller_id,
            environment: p.tenant.environment,
            tenant: Some(p.tenant.code_name.clone()),
            actor_type,
            actor_id,
            surface: "tenant",
        }
    }

    pub(crate) fn attach(self, req: &HttpRequest) {
        req.extensions_mut().insert(self);
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware: `App::new().wrap(from_fn(audit))`, outside the idempotency middleware (a
/// replay is audited as one) and inside the request-id one.
pub async fn audit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let write = is_write(req.method());
    let response = next.call(req).await?;
    if !write {
        return Ok(response);
    }
    let request = response.request();
    let Some(actor) = request.extensions().get::<Actor>().cloned() else {
        return Ok(response);
    };
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(response);
    };
    let status = response.status().as_u16();
    let headers = response.headers();
    let replayed = headers.contains_key(REPLAYED_HEADER);
    // A created tenant is named by its Location, since the request could not name it.
    let tenant = actor.tenant.clone().or_else(|| {
        headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.strip_prefix("/reseller/tenant/"))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_owned)
    });
    let event = AuditEvent {
        id: Uuid::now_v7(),
        reseller_id: actor.reseller_id,
        environment: actor.environment,
        tenant,
        actor_type: actor.actor_type,
        actor_id: actor.actor_id,
        surface: actor.surface,
        operation: format!(
            "{} {}",
            request.method(),
            request.match_pattern().unwrap_or_default()
        ),
        method: request.method().to_string(),
        path: request.path().to_owned(),
        status,
        outcome: Outcome::of(status, replayed),
        request_id: current_request_id().unwrap_or_default(),
        created_at: tenantry_domain::time::now(),
    };
    let result = blocking(move || Ok(state.db.write(|conn| audit::insert(conn, &event))?)).await;
    if let Err(e) = result {
        // The work is done and answered; losing its record is logged loudly, not hidden.
        log::error!("could not record an audit event: {e}");
    }
    Ok(response)
}
