//! Ending a tenant's portal sessions: the browser sessions its login URLs started.

use crate::{ok_json, Principal, State};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use tenantry_http::{blocking, Acting, ApiError, Path, Problem, Query};
use tenantry_service as service;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// End only the sessions of this tenant user.
    pub login: Option<String>,
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionsEnded {
    pub ended: usize,
}

/// End the tenant's portal sessions: all of them, or with `?login=` those of one user. Their
/// cookies stop working at once, on every process; a login URL starts a new one.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/session", tag = "tenant", params(("codeName" = String, Path), SessionQuery),
    responses((status = 200, body = SessionsEnded), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "no such tenant, or no such user of it", body = Problem), (status = 422, body = Problem)))]
pub async fn end(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    query: Query<SessionQuery>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let login = query.into_inner().login;
    let ended = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            Ok::<_, ApiError>(service::session::end_all(
                conn,
                &actor,
                &owner,
                &code_name,
                login.as_deref(),
            )?)
        })
    })
    .await?;
    ok_json(&SessionsEnded { ended })
}
