//! `/tenant/product`: the tenant's catalogue.

use crate::{ok_json, Caller, ReadCaller, State};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use serde::{Deserialize, Deserializer};
pub use tenantry_api_types::product::ProductOut;
use tenantry_domain::product::{is_sku, ProductDraft, ProductPatch};
use tenantry_domain::time;
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{blocking, Acting, ApiError, AuditedTenant, Json, Path, Problem, Query};
use tenantry_service as service;
use tenantry_storage::product as products;
use utoipa::{IntoParams, ToSchema};

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductIn {
    /// Unique within the tenant; names the product in paths.
    #[schema(example = "MUG-BLUE", pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub sku: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Excluding VAT, a decimal string such as `"89.00"`; at most as many decimals as the
    /// currency has.
    #[schema(example = "89.00", schema_with = tenantry_http::openapi_schema::amount)]
    pub price: String,
    #[schema(example = "SEK", schema_with = tenantry_http::openapi_schema::currency)]
    pub currency: String,
    /// Units on hand (0 to 1,000,000,000); absent or null for untracked stock.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: Option<i64>,
    #[serde(default)]
    pub allow_backorder: bool,
    #[serde(default = "tenantry_http::default_true")]
    pub active: bool,
}

/// A partial update; SKU and currency are fixed. `stock: null` stops tracking stock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductPatchIn {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(schema_with = tenantry_http::openapi_schema::amount_or_null)]
    pub price: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    pub stock: Option<Option<i64>>,
    pub allow_backorder: Option<bool>,
    pub active: Option<bool>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Query of the product list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn sku(path: &str) -> Result<String, ApiError> {
    if is_sku(path) {
        Ok(path.to_owned())
    } else {
        Err(ApiError::not_found("product"))
    }
}

/// Create a product.
#[utoipa::path(post, path = "/tenant/product", tag = "product", request_body = ProductIn,
    responses((status = 201, body = ProductOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "SKU taken", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    AuditedTenant {
        principal: caller,
        audit,
    }: AuditedTenant,
    Json(body): Json<ProductIn>,
) -> Result<HttpResponse, ApiError> {
    let draft = ProductDraft {
        sku: body.sku,
        name: body.name,
        price: body.price,
        currency: body.currency,
        stock: body.stock,
        allow_backorder: body.allow_backorder,
        active: body.active,
    };
    let (actor, tenant) = (caller.actor(), caller.tenant.clone());
    let product = blocking(move || {
        state.db.write(|conn| {
            audit.write(conn, StatusCode::CREATED)?;
            let now = time::now();
            Ok::<_, ApiError>(service::product::create(conn, &actor, &tenant, draft, now)?)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/tenant/product/{}", product.sku)))
        .json(ProductOut::from(product)))
}

/// List products by SKU.
#[utoipa::path(get, path = "/tenant/product", tag = "product", params(ProductListQuery),
    responses((status = 200, body = ListPage<ProductOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    state: State,
    caller: ReadCaller,
    query: Query<ProductListQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, |k| is_sku(k).then(|| k.to_owned())))
        .transpose()?;
    let tenant_id = caller.principal.tenant.id;
    // A list may come from a replica (`--read-database-url`): it may lag, never skip.
    let page = caller
        .read(state, move |conn, credential| {
            products::list_for(conn, credential, tenant_id, after.as_deref(), limit)
        })
        .await?;
    let next_cursor = pagination::next_cursor(page.has_more, &page.rows, |p| p.sku.clone());
    ok_json(&ListPage {
        data: page.rows.into_iter().map(ProductOut::from).collect(),
        next_cursor,
        has_more: page.has_more,
    })
}

/// Read a product.
#[utoipa::path(get, path = "/tenant/product/{sku}", tag = "product", params(("sku" = String, Path)),
    responses((status = 200, body = ProductOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Caller(caller): Caller,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku(&path)?;
    let tenant_id = caller.tenant.id;
    let product = blocking(move || {
        state.db.read(|conn| {
            products::find(conn, tenant_id, &sku)?.ok_or_else(|| ApiError::not_found("product"))
        })
    })
    .await?;
    ok_json(&ProductOut::from(product))
}

/// Update a product.
#[utoipa::path(patch, path = "/tenant/product/{sku}", tag = "product", params(("sku" = String, Path)), request_body = ProductPatchIn,
    responses((status = 200, body = ProductOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    AuditedTenant {
        principal: caller,
        audit,
    }: AuditedTenant,
    path: Path<String>,
    Json(body): Json<ProductPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku(&path)?;
    let patch = ProductPatch {
        name: body.name,
        price: body.price,
        stock: body.stock,
        allow_backorder: body.allow_backorder,
        active: body.active,
    };
    let (actor, tenant) = (caller.actor(), caller.tenant.clone());
    let product = blocking(move || {
        state.db.write(|conn| {
            audit.write(conn, StatusCode::OK)?;
            let now = time::now();
            Ok::<_, ApiError>(service::product::update(
                conn, &actor, &tenant, &sku, patch, now,
            )?)
        })
    })
    .await?;
    ok_json(&ProductOut::from(product))
}

/// Delete a product. Orders that named it keep their rows.
#[utoipa::path(delete, path = "/tenant/product/{sku}", tag = "product", params(("sku" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    state: State,
    AuditedTenant {
        principal: caller,
        audit,
    }: AuditedTenant,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sku = sku(&path)?;
    let (actor, tenant) = (caller.actor(), caller.tenant.clone());
    blocking(move || {
        state.db.write(|conn| {
            audit.write(conn, StatusCode::NO_CONTENT)?;
            Ok::<_, ApiError>(service::product::delete(conn, &actor, &tenant, &sku)?)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
