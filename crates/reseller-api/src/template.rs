//! `GET /reseller/template`: the templates the operator defined for this reseller (XAPP's
//! custom templates). A new tenant's `template` names one, or its `tier` picks the one of
//! that name; provisioning then sets up what it says.

use crate::{ok_json, Principal, State};
use actix_web::HttpResponse;
use serde::Serialize;
use tenantry_domain::template::TenantTemplate;
use tenantry_http::{blocking, ApiError, Problem};
use tenantry_storage::template as templates;
use utoipa::ToSchema;

/// The reseller's templates, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    /// Each as the operator defined it: `name`, `description`, `options`, `connections`
    /// (`name`, `type`, `configuration`) and `sandboxOrders`.
    #[schema(value_type = Vec<Object>, example = json!([{"name": "retail", "description": "Webshops",
        "options": ["orders"], "connections": [{"name": "Webshop", "type": "api", "configuration": {}}], "sandboxOrders": 25}]))]
    pub data: Vec<TenantTemplate>,
}

/// List the tenant templates the operator defined for you (`tenantry reseller template set`).
/// Name one in a new tenant's `template`, or give the tenant a `tier` of the same name.
#[utoipa::path(get, path = "/reseller/template", tag = "tenant",
    responses((status = 200, body = TemplateList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(state: State, Principal(principal): Principal) -> Result<HttpResponse, ApiError> {
    let data = blocking(move || {
        state
            .db
            .read(|conn| Ok::<_, ApiError>(templates::list(conn, principal.reseller.id)?))
    })
    .await?;
    ok_json(&TemplateList { data })
}
