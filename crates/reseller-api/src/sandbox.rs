//! `POST /reseller/tenant/{codeName}/sandbox/order`: fill a sandbox tenant with realistic
//! generated orders and products (Partoo: "the account starts empty, but can be filled by
//! fake data").

use crate::{tenant_in_scope, Principal, State};
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use tenantry_domain::event::{EventType, NewEvent};
use tenantry_domain::order::{price_rows, Order, OrderStatus};
use tenantry_domain::product::Product;
use tenantry_domain::{money::Currency, sandbox, time, Environment};
use tenantry_http::{blocking, ApiError, Json, Path, Problem};
use tenantry_storage::{order as orders, product as products, tenant};
use utoipa::ToSchema;
use uuid::Uuid;

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
    if !(1..=1000).contains(&body.count) {
        return Err(ApiError::invalid_field(
            "count",
            "range",
            "must be 1 to 1000",
        ));
    }
    let code_name = path.into_inner();
    let out = blocking(move || {
        state.db.write(|conn| {
            let t = tenant_in_scope(conn, &principal, &code_name)?;
            fill_in(conn, &t, body.count)
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// Fills `t` with `count` generated orders (and the products they name), in the caller's
/// transaction; refused for a production tenant.
pub(crate) fn fill_in(
    conn: &mut tenantry_storage::DbConnection,
    t: &tenantry_domain::tenant::Tenant,
    count: i64,
) -> Result<SandboxOut, ApiError> {
    if t.environment != Environment::Sandbox {
        return Err(ApiError::conflict(
            "production_tenant",
            "fake data is only for sandbox tenants",
        ));
    }
    let sek = Currency::from_code("SEK").expect("SEK is known");
    let now = time::now();
    let mut products_created = 0;
    let mut events = Vec::new();
    for (sku, name, price, _) in sandbox::PRODUCTS {
        if products::find(conn, t.id, sku)?.is_none() {
            let product = Product {
                tenant_id: t.id,
                sku: sku.to_string(),
                name: name.to_string(),
                price: sek.parse_amount(price, "price")?,
                currency: sek,
                stock: None,
                allow_backorder: false,
                active: true,
                created_at: now,
                updated_at: now,
                sequence: tenant::next_sequence(conn, t.id)?,
            };
            products::insert(conn, &product)?;
            let out = tenantry_api_types::product::ProductOut::from(product);
            events.push(NewEvent::about(t, EventType::ProductCreated, &out));
            products_created += 1;
        }
    }
    let seed = Uuid::new_v4().as_u64_pair().0;
    let first = now.timestamp_micros() as u64;
    for generated in sandbox::orders(seed, first, count as u64) {
        let (rows, totals) = price_rows(sek, &generated.rows)?;
        let order = Order {
            tenant_id: t.id,
            id: Uuid::new_v4(),
            number: generated.number,
            status: OrderStatus::New,
            currency: sek,
            customer: generated.customer,
            billing_address: generated.address.clone(),
            shipping_address: generated.address,
            rows,
            totals,
            metadata: Default::default(),
            created_at: now,
            updated_at: now,
            sequence: 0,
        };
        let (order, drawn) = orders::place(conn, order).map_err(|e| match e {
            orders::PlaceError::Storage(s) => ApiError::from(s),
            orders::PlaceError::Stock(s) => ApiError::conflict("insufficient_stock", s.to_string()),
        })?;
        events.extend(tenantry_api_types::order::placed_events(t, &order, drawn));
    }
    // Appended together: one counter update and one read of the endpoints for them all.
    tenantry_storage::event::append_all(conn, events, now)?;
    Ok(SandboxOut {
        orders_created: count,
        products_created,
    })
}
