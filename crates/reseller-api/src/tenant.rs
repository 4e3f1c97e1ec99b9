//! `/reseller/tenant`: create, list, read, update (deactivate) and delete tenants.

use crate::{ok_json, owned_tenant, Principal, State};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
pub use tenantry_api_types::tenant::TenantOut;

use serde::Deserialize;
use tenantry_api_types::connection::ConnectionOut;
use tenantry_domain::tenant::{Subscription, TenantDraft, TenantPatch};
use tenantry_domain::time;
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{
    blocking, Acting, ApiError, AuditedReseller, Json, Path, Problem, Query, ServiceConfig,
};
use tenantry_service as service;
use tenantry_service::login::LoginTarget;
use tenantry_service::provisioning::Provisioning;
use tenantry_service::tenant::NewTenant;
use tenantry_storage::tenant::{self as tenants, TenantFilter};
use utoipa::{IntoParams, ToSchema};

/// Sharespine's create-tenant body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantIn {
    /// Your reference for the customer; unique among your tenants; the codeName is made from it.
    #[schema(example = "mycustomer", min_length = 1, max_length = 100)]
    pub customer_reference: String,
    /// Normally true; false creates the tenant deactivated.
    #[serde(default = "tenantry_http::default_true")]
    pub active: bool,
    #[schema(example = "My Customer AB", min_length = 1, max_length = 200)]
    pub full_name: String,
    #[schema(example = "it@mycustomer.example", format = Email, max_length = 254)]
    pub email: String,
    /// ISO 639 code, such as `swe`.
    #[schema(example = "swe", pattern = "^[a-z]{2,3}$")]
    pub default_language: String,
    /// ISO 639 codes, at most 50.
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::languages)]
    pub languages: Vec<String>,
    /// Options the tenant gets; each must be a capability granted to you.
    #[serde(default)]
    pub options: Vec<String>,
    /// Also create a default `api` connection and return it with its tenant token (a
    /// Calipsa-style company token) in the response.
    #[serde(default)]
    pub with_api_connection: bool,
    /// Subscription tier (XAPP).
    #[schema(min_length = 1, max_length = 50)]
    pub tier: Option<String>,
    /// Contract length in months.
    #[schema(minimum = 1, maximum = 120)]
    pub contract_length: Option<i64>,
    #[schema(format = "uri", max_length = 2000)]
    pub website: Option<String>,
    /// One of `GET /reseller/template`.
    #[schema(min_length = 1, max_length = 100)]
    pub template: Option<String>,
    /// Your own id for the customer.
    #[schema(min_length = 1, max_length = 100)]
    pub external_id: Option<String>,
    /// What provisioning, which runs after this request returns, prepares; `tenant.ready`
    /// announces the result.
    #[serde(default)]
    pub install: InstallIn,
}

impl TenantIn {
    /// The use case's input: provisioning's links point at this server as `req` reached it.
    fn into_input(self, config: &ServiceConfig, req: &actix_web::HttpRequest) -> NewTenant {
        let install = self.install;
        NewTenant {
            draft: TenantDraft {
                customer_reference: self.customer_reference,
                active: self.active,
                full_name: self.full_name,
                email: self.email,
                default_language: self.default_language,
                languages: self.languages,
                options: self.options,
            },
            subscription: Subscription {
                tier: self.tier,
                contract_length: self.contract_length,
                website: self.website,
                template: self.template,
                external_id: self.external_id,
            },
            provisioning: Provisioning {
                api_base_url: config.base_url(req),
                company_token: install.company_token,
                sandbox_orders: install.sandbox_orders,
                login_url: install.login_url.map(|l| LoginTarget {
                    login: l.login,
                    path: l.path,
                }),
                login_url_ttl_seconds: config.login_url_ttl.num_seconds(),
                template: None,
            },
            api_connection: None,
        }
    }
}

/// What `tenant.ready` should carry.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstallIn {
    /// Create an `api` connection and put its company token in `tenant.ready`.
    #[serde(default)]
    pub company_token: bool,
    /// Generated sandbox orders to fill a sandbox tenant with (0 to 1000); when 0, the
    /// template's `sandboxOrders`.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub sandbox_orders: i64,
    /// Put a one-time login URL for this user in `tenant.ready`; a user of that login is
    /// created as the tenant's `admin` (with the tenant's name, email and language) unless
    /// provisioning finds one.
    pub login_url: Option<InstallLoginIn>,
}

/// The user and path of `tenant.ready`'s login URL.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstallLoginIn {
    #[schema(example = "owner", pattern = "^[A-Za-z0-9._@+-]{1,100}$")]
    pub login: String,
    /// A path on this server, as for `POST …/login/{login}`.
    #[serde(default = "crate::login::root")]
    #[schema(
        example = "/",
        pattern = "^/(?!/)[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\\\]{0,1999}$"
    )]
    pub path: String,
}

/// A partial update; absent fields keep their value. `active: false` deactivates the tenant
/// (all data kept), `active: true` activates it again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantPatchIn {
    #[schema(min_length = 1, max_length = 100)]
    pub customer_reference: Option<String>,
    pub active: Option<bool>,
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(pattern = "^[a-z]{2,3}$")]
    pub default_language: Option<String>,
    #[schema(schema_with = tenantry_http::openapi_schema::languages_or_null)]
    pub languages: Option<Vec<String>>,
    pub options: Option<Vec<String>>,
}

/// Query of the tenant list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TenantListQuery {
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
    /// Only active (true) or only deactivated (false) tenants.
    pub active: Option<bool>,
    /// Only the tenant with this customerReference.
    pub customer_reference: Option<String>,
}

/// Create a tenant.
#[utoipa::path(post, path = "/reseller/tenant", tag = "tenant", request_body = TenantIn,
    responses(
        (status = 201, description = "Created; save `codeName`", body = TenantOut),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 409, description = "customerReference taken; `codeName` names the existing tenant", body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    audited: AuditedReseller,
    req: actix_web::HttpRequest,
    Json(body): Json<TenantIn>,
) -> Result<HttpResponse, ApiError> {
    let with_api_connection = body.with_api_connection;
    let input = body.into_input(&state.config, &req);
    // The default `api` connection's company token is in the answer, shown this once.
    let environment = audited.principal().environment;
    let token = with_api_connection.then(|| crate::connection::new_token(environment));
    let secret = token.as_ref().map(|t| t.secret.clone());
    let (tenant, connection) = blocking(move || {
        let input = NewTenant {
            api_connection: token.map(|t| t.stored),
            ..input
        };
        audited.write(&state, |conn, principal, audit| {
            let (actor, reseller, now) = (principal.actor(), &principal.reseller, time::now());
            let created = service::tenant::create(conn, &actor, reseller, environment, input, now)?;
            audit.write_about(conn, StatusCode::CREATED, &created.0.code_name)?;
            Ok(created)
        })
    })
    .await?;
    let connection = connection.map(|c| ConnectionOut {
        token: secret,
        ..ConnectionOut::from(c)
    });
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/reseller/tenant/{}", tenant.code_name),
        ))
        .json(TenantOut {
            connection,
            ..TenantOut::from(tenant)
        }))
}

/// List your tenants (cursor-paginated, oldest first).
#[utoipa::path(get, path = "/reseller/tenant", tag = "tenant", params(TenantListQuery),
    responses((status = 200, body = ListPage<TenantOut>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub async fn list(
    state: State,
    Principal(principal): Principal,
    query: Query<TenantListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, pagination::parse_time_uuid_key))
        .transpose()?;
    let filter = TenantFilter {
        active: query.active,
        customer_reference: query.customer_reference,
    };
    let page = blocking(move || {
        state.db.read(|conn| {
            Ok(tenants::list(
                conn,
                &principal.owner(),
                &filter,
                after,
                limit,
            )?)
        })
    })
    .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |t| {
        pagination::time_id_key(t.created_at, t.id)
    });
    ok_json(&ListPage {
        data: page.rows.into_iter().map(TenantOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

/// Read a tenant.
#[utoipa::path(get, path = "/reseller/tenant/{codeName}", tag = "tenant", params(("codeName" = String, Path)),
    responses((status = 200, body = TenantOut), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let tenant = blocking(move || {
        state
            .db
            .read(|conn| owned_tenant(conn, &principal, &code_name))
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}

/// Update a tenant; `active: false` deactivates it, `active: true` activates it.
#[utoipa::path(patch, path = "/reseller/tenant/{codeName}", tag = "tenant", params(("codeName" = String, Path)), request_body = TenantPatchIn,
    responses((status = 200, body = TenantOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
    Json(body): Json<TenantPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let patch = TenantPatch {
        customer_reference: body.customer_reference,
        active: body.active,
        full_name: body.full_name,
        email: body.email,
        default_language: body.default_language,
        languages: body.languages,
        options: body.options,
    };
    let tenant = blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::OK)?;
            let (actor, owner) = (principal.actor(), principal.owner());
            let capabilities = &principal.reseller.capabilities;
            Ok(service::tenant::update(
                conn,
                &actor,
                &owner,
                capabilities,
                &code_name,
                patch,
            )?)
        })
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}

/// Delete a tenant and all its data (users, connections, login URLs). Cannot be undone:
/// deactivate instead to pause a customer.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}", tag = "tenant", params(("codeName" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    audited: AuditedReseller,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    blocking(move || {
        audited.write(&state, |conn, principal, audit| {
            audit.write(conn, StatusCode::NO_CONTENT)?;
            let (actor, owner) = (principal.actor(), principal.owner());
            Ok(service::tenant::delete(conn, &actor, &owner, &code_name)?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
