//! `/reseller/portal`: what this reseller sets for its tenants' portal in this environment —
//! where the portal's "Back to {reseller}" link leads, and which of its own origins may show
//! the portal in a frame.

use crate::{ok_json, Principal, State};
use actix_web::HttpResponse;
use serde::{Deserialize, Deserializer, Serialize};
use tenantry_domain::reseller::PortalSettings;
use tenantry_domain::time;
use tenantry_http::{blocking, Acting, ApiError, Json, Problem};
use tenantry_service as service;
use tenantry_service::reseller::PortalPatch;
use tenantry_storage::reseller as resellers;
use utoipa::ToSchema;

/// The portal settings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PortalOut {
    /// Where the portal's "Back to {reseller}" link leads; `null`: no link.
    pub return_url: Option<String>,
    /// Origins that may show the portal in a frame; empty: none may.
    pub frame_ancestors: Vec<String>,
}

impl From<PortalSettings> for PortalOut {
    fn from(s: PortalSettings) -> Self {
        PortalOut {
            return_url: s.return_url,
            frame_ancestors: s.frame_ancestors,
        }
    }
}

/// A partial update; absent fields keep their value, `returnUrl: null` removes the link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortalPatchIn {
    /// An https URL.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = "uri", pattern = "^https://", max_length = 2000)]
    pub return_url: Option<Option<String>>,
    /// https origins such as `https://app.example.com`, at most 10. The portal's session
    /// cookie is `SameSite=Lax`, so a frame on another site gets no session: embed it from a
    /// site of your own domain.
    #[schema(schema_with = tenantry_http::openapi_schema::origins_or_null)]
    pub frame_ancestors: Option<Vec<String>>,
}

/// Tells `"returnUrl": null` (remove it) from an absent `returnUrl` (keep it).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Read the portal settings of this environment.
#[utoipa::path(get, path = "/reseller/portal", tag = "tenant",
    responses((status = 200, body = PortalOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get(state: State, Principal(principal): Principal) -> Result<HttpResponse, ApiError> {
    let settings = blocking(move || {
        let owner = principal.owner();
        Ok(state.db.read(|conn| resellers::portal(conn, &owner))?)
    })
    .await?;
    ok_json(&PortalOut::from(settings))
}

/// Change the portal settings of this environment: the "Back to" link (https) and the origins
/// that may frame the portal (https origins; none by default).
#[utoipa::path(patch, path = "/reseller/portal", tag = "tenant", request_body = PortalPatchIn,
    responses((status = 200, body = PortalOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    Principal(principal): Principal,
    Json(body): Json<PortalPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let patch = PortalPatch {
        return_url: body.return_url,
        frame_ancestors: body.frame_ancestors,
    };
    let settings = blocking(move || {
        let (actor, owner) = (principal.actor(), principal.owner());
        state.db.write(|conn| {
            let now = time::now();
            Ok::<_, ApiError>(service::reseller::set_portal(
                conn, &actor, &owner, patch, now,
            )?)
        })
    })
    .await?;
    ok_json(&PortalOut::from(settings))
}
