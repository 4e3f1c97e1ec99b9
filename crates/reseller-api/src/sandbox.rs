//! `POST /reseller/tenant/{codeName}/sandbox/order`: fill a sandbox tenant with realistic
//! generated orders and products (Partoo: "the account starts empty, but can be filled by
//! fake data").

use crate::{owned_tenant, Principal, State};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use tenantry_domain::time;
use tenantry_http::{blocking, Acting, ApiError, Json, Path, Problem};
use tenantry_service as service;
use utoipa::ToSchema;

/// How many orders to generate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxIn {
    /// 1 to 1000.
    #[schema(example = 25, minimum = 1, maximum = 1000)]
    pub count: i64,
}

/// What was generated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxOut {
    pub orders_created: i64,
    pub products_created: i64,
}

/// Fill a sandbox tenant with generated orders (and the products they name). Refused for a
/// production tenant.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/sandbox/order", tag = "tenant", params(("codeName" = String, Path)), request_body = SandboxIn,
    responses((status = 201, body = SandboxOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "a production tenant", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn fill(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<SandboxIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let filled = blocking(move || {
        let actor = principal.actor();
        state.db.write(|conn| {
            let tenant = owned_tenant(conn, &principal, &code_name)?;
            let now = time::now();
            Ok::<_, ApiError>(service::sandbox::fill(
                conn, &actor, &tenant, body.count, now,
            )?)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(SandboxOut {
        orders_created: filled.orders_created,
        products_created: filled.products_created,
    }))
}
