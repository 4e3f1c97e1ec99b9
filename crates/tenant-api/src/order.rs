//! `/tenant/order`: the tenant's orders, with gap-free incremental sync.

use crate::{ok_json, Caller, ReadCaller, State};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;
pub use tenantry_api_types::order::{OrderOut, RowOut, TotalsOut};
use tenantry_domain::money::vat_rate_decimal;
use tenantry_domain::order::{
    self as domain, Address, Customer, Order, OrderPatch, OrderStatus, RowDraft,
};
use tenantry_domain::usage::{Metric, Tally};
use tenantry_domain::{time, DomainError};
use tenantry_http::pagination::{self, ListPage};
use tenantry_http::{
    blocking, Acting, ApiError, AuditedTenant, Json, JsonWriter, Path, Problem, Query,
};
use tenantry_service as service;
use tenantry_storage::order::{self as orders, OrderFilter};
use tenantry_storage::Page;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

type JsonObject = serde_json::Map<String, serde_json::Value>;

/// One order row as sent. Amounts are decimal strings in the order's currency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RowIn {
    #[schema(example = "MUG-BLUE", min_length = 1, max_length = 64)]
    pub sku: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(example = 2, minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    /// Price of one unit excluding VAT, such as `"89.00"`; at most as many decimals as the
    /// currency has.
    #[schema(example = "89.00", schema_with = tenantry_http::openapi_schema::amount)]
    pub unit_price: String,
    /// Percent, such as `"25"`.
    #[schema(example = "25", schema_with = tenantry_http::openapi_schema::vat_rate)]
    pub vat_rate: String,
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderIn {
    /// Unique within the tenant.
    #[schema(example = "WEB-1001", pattern = "^[A-Za-z0-9._/-]{1,64}$")]
    pub number: String,
    /// Default `new`; an import may start an order further on.
    #[schema(schema_with = tenantry_http::openapi_schema::order_status_or_null, example = "new")]
    pub status: Option<OrderStatus>,
    /// ISO 4217, such as `SEK`.
    #[schema(example = "SEK", schema_with = tenantry_http::openapi_schema::currency)]
    pub currency: String,
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::customer)]
    pub customer: Customer,
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::address)]
    pub billing_address: Address,
    /// Defaults to the billing address.
    #[schema(schema_with = tenantry_http::openapi_schema::address_or_null)]
    pub shipping_address: Option<Address>,
    #[schema(min_items = 1, max_items = 500)]
    pub rows: Vec<RowIn>,
    #[serde(default)]
    #[schema(schema_with = tenantry_http::openapi_schema::json_object)]
    pub metadata: JsonObject,
}

/// A partial update of an order. Rows are fixed once placed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderPatchIn {
    /// new → processing → shipped → delivered; new or processing → cancelled.
    #[schema(schema_with = tenantry_http::openapi_schema::order_status_or_null)]
    pub status: Option<OrderStatus>,
    #[schema(schema_with = tenantry_http::openapi_schema::customer_or_null)]
    pub customer: Option<Customer>,
    #[schema(schema_with = tenantry_http::openapi_schema::address_or_null)]
    pub billing_address: Option<Address>,
    #[schema(schema_with = tenantry_http::openapi_schema::address_or_null)]
    pub shipping_address: Option<Address>,
    #[schema(schema_with = tenantry_http::openapi_schema::json_object_or_null)]
    pub metadata: Option<JsonObject>,
}

/// Writes `o` exactly as `OrderOut::from(o)` serializes, several times faster: the sync page
/// writes fifty orders per request (a test holds the two to the same bytes).
fn write_order(w: &mut JsonWriter, o: &Order) {
    let address = |w: &mut JsonWriter, a: &Address| {
        w.raw("{\"name\":");
        w.string(&a.name);
        w.raw(",\"street\":");
        w.string(&a.street);
        w.raw(",\"postalCode\":");
        w.string(&a.postal_code);
        w.raw(",\"city\":");
        w.string(&a.city);
        w.raw(",\"country\":");
        w.string(&a.country);
        w.raw("}");
    };
    let c = o.currency;
    let money = |w: &mut JsonWriter, minor: i64| w.plain(c.decimal(minor).as_str());
    w.raw("{\"id\":");
    w.uuid(o.id);
    w.raw(",\"number\":");
    w.string(&o.number);
    w.raw(",\"status\":");
    w.plain(o.status.as_str());
    w.raw(",\"currency\":");
    w.plain(c.code);
    w.raw(",\"customer\":{\"name\":");
    w.string(&o.customer.name);
    w.raw(",\"email\":");
    w.string(&o.customer.email);
    w.raw(",\"phone\":");
    w.string(&o.customer.phone);
    w.raw("},\"billingAddress\":");
    address(w, &o.billing_address);
    w.raw(",\"shippingAddress\":");
    address(w, &o.shipping_address);
    w.raw(",\"rows\":");
    w.array(&o.rows, |w, r| {
        w.raw("{\"sku\":");
        w.string(&r.sku);
        w.raw(",\"name\":");
        w.string(&r.name);
        w.raw(",\"quantity\":");
        w.int(r.quantity);
        w.raw(",\"unitPrice\":");
        money(w, r.unit_price);
        w.raw(",\"vatRate\":");
        w.plain(vat_rate_decimal(r.vat_rate).as_str());
        w.raw(",\"net\":");
        money(w, r.net);
        w.raw(",\"vat\":");
        money(w, r.vat);
        w.raw("}");
    });
    w.raw(",\"totals\":{\"net\":");
    money(w, o.totals.net);
    w.raw(",\"vat\":");
    money(w, o.totals.vat);
    w.raw(",\"gross\":");
    money(w, o.totals.gross);
    w.raw("},\"metadata\":");
    w.serde(&o.metadata);
    w.raw(",\"createdAt\":");
    w.timestamp(o.created_at);
    w.raw(",\"updatedAt\":");
    w.timestamp(o.updated_at);
    w.raw(",\"sequence\":");
    w.int(o.sequence);
    w.raw("}");
}

/// A page of orders read after sequence `after`, as `ListPage<OrderOut>` serializes it (the
/// documented schema), written with [`write_order`] without building it.
fn write_page(page: &Page<Order>, after: i64) -> JsonWriter {
    let orders = &page.rows;
    // About 900 bytes an order: sized once instead of doubling five times.
    let mut w = JsonWriter::with_capacity(1024 * (orders.len() + 1));
    w.raw("{\"data\":");
    w.array(orders, write_order);
    // Present on every page, also an empty one: the sync loop stores it.
    let last = orders.last().map(|o| o.sequence).unwrap_or(after);
    w.raw(",\"nextCursor\":");
    w.string(&pagination::encode_cursor(&last.to_string()));
    w.raw(",\"hasMore\":");
    w.bool(page.has_more);
    w.raw("}");
    w
}

/// Query of the order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderListQuery {
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
    /// The `nextCursor` you stored; absent starts from the beginning.
    pub cursor: Option<String>,
    /// RFC 3339; only orders updated at or after it (inclusive).
    #[param(format = DateTime)]
    pub modified_since: Option<String>,
    /// Only orders in this status.
    #[param(schema_with = tenantry_http::openapi_schema::order_status)]
    pub status: Option<String>,
}

/// Builds a new order from its wire form; every bad field is reported at once.
pub fn draft(tenant_id: Uuid, body: OrderIn, now: DateTime<Utc>) -> Result<Order, ApiError> {
    let mut errors = Vec::new();
    if let Err(e) = domain::check_number(&body.number) {
        errors.push(e);
    }
    let currency = domain::currency(&body.currency)
        .map_err(|e| errors.push(e))
        .ok();
    let rows: Vec<RowDraft> = body
        .rows
        .into_iter()
        .map(|r| RowDraft {
            sku: r.sku,
            name: r.name,
            quantity: r.quantity,
            unit_price: r.unit_price,
            vat_rate: r.vat_rate,
        })
        .collect();
    let priced = currency.and_then(|c| {
        domain::price_rows(c, &rows)
            .map_err(|DomainError::Invalid(l)| errors.extend(l))
            .ok()
    });
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let (rows, totals) = priced.expect("no errors");
    Ok(Order {
        tenant_id,
        id: Uuid::new_v4(),
        number: body.number,
        status: body.status.unwrap_or(OrderStatus::New),
        currency: currency.expect("no errors"),
        shipping_address: body
            .shipping_address
            .unwrap_or_else(|| body.billing_address.clone()),
        customer: body.customer,
        billing_address: body.billing_address,
        rows,
        totals,
        metadata: body.metadata,
        created_at: now,
        updated_at: now,
        sequence: 0,
    })
}

/// Create an order. Rows naming a product with tracked stock draw it down in the same
/// transaction; an order that would drive stock below zero is refused unless the product
/// allows backorders.
#[utoipa::path(post, path = "/tenant/order", tag = "order", request_body = OrderIn,
    responses((status = 201, body = OrderOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "number taken, or not enough stock", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: State,
    AuditedTenant {
        principal: caller,
        audit,
    }: AuditedTenant,
    Json(body): Json<OrderIn>,
) -> Result<HttpResponse, ApiError> {
    let order = draft(caller.tenant.id, body, time::now())?;
    let (actor, tenant) = (caller.actor(), caller.tenant.clone());
    let meter = state.clone();
    let order = blocking(move || {
        state.db.write(|conn| {
            audit.write(conn, StatusCode::CREATED)?;
            let now = time::now();
            Ok::<_, ApiError>(service::order::place(conn, &actor, &tenant, order, now)?)
        })
    })
    .await?;
    meter.usage.count(
        &caller.tenant,
        Metric::OrdersCreated,
        order.currency.code,
        Tally::one(order.totals.gross),
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/tenant/order/{}", order.id)))
        .json(OrderOut::from(order)))
}

/// List orders in change order: the incremental sync feed. Store `nextCursor` (present on
/// every page, also an empty one) and pass it back as `cursor` to get what changed since.
#[utoipa::path(get, path = "/tenant/order", tag = "order", params(OrderListQuery),
    responses((status = 200, body = ListPage<OrderOut>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list(
    state: State,
    caller: ReadCaller,
    query: Query<OrderListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, pagination::parse_sequence_key))
        .transpose()?
        .unwrap_or(0);
    let filter = OrderFilter {
        status: query.status.as_deref().map(status_of).transpose()?,
        modified_since: query.modified_since.as_deref().map(time_of).transpose()?,
    };
    let tenant_id = caller.principal.tenant.id;
    // The sync page may come from a replica (`--read-database-url`): a lagging one returns
    // less, never a gap, so the cursor stays right. Its statement also checks the caller's
    // credential when that is owed: one round trip per page.
    //
    // The page is written to JSON on the thread that read it: its orders' thousand-odd
    // allocations are then freed by the thread that made them, which mimalloc does without
    // the atomic hand-back a free from another thread costs.
    let page = caller
        .read(state, move |conn, credential| {
            let page = orders::list_for(conn, credential, tenant_id, after, &filter, limit)?;
            Ok(page.map(|page| write_page(&page, after)))
        })
        .await?;
    Ok(page.into_response())
}

/// The `status` filter.
fn status_of(raw: &str) -> Result<OrderStatus, ApiError> {
    raw.parse()
        .map_err(|e| ApiError::bad_request("invalid_query", e))
}

/// The `modifiedSince` filter.
fn time_of(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                format!("modifiedSince must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not `{raw}`"),
            )
        })
}

/// Read an order.
#[utoipa::path(get, path = "/tenant/order/{id}", tag = "order", params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    state: State,
    Caller(caller): Caller,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "order")?;
    let tenant_id = caller.tenant.id;
    let order =
        blocking(move || state.db.read(|conn| Ok(orders::find(conn, tenant_id, id)?))).await?;
    ok_json(&OrderOut::from(order))
}

/// Update an order's status, customer, addresses or metadata. An illegal status change is a
/// 409 listing the allowed ones.
#[utoipa::path(patch, path = "/tenant/order/{id}", tag = "order", params(("id" = Uuid, Path)), request_body = OrderPatchIn,
    responses((status = 200, body = OrderOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "illegal status change", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: State,
    AuditedTenant {
        principal: caller,
        audit,
    }: AuditedTenant,
    path: Path<String>,
    Json(body): Json<OrderPatchIn>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiError::path_id(&path, "order")?;
    let patch = OrderPatch {
        status: body.status,
        customer: body.customer,
        billing_address: body.billing_address,
        shipping_address: body.shipping_address,
        metadata: body.metadata,
    };
    let (actor, tenant) = (caller.actor(), caller.tenant.clone());
    let order = blocking(move || {
        state.db.write(|conn| {
            audit.write(conn, StatusCode::OK)?;
            let now = time::now();
            Ok::<_, ApiError>(service::order::update(
                conn, &actor, &tenant, id, patch, now,
            )?)
        })
    })
    .await?;
    ok_json(&OrderOut::from(order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(body: serde_json::Value, sequence: i64) -> Order {
        let body: OrderIn = serde_json::from_value(body).unwrap();
        let mut order = draft(Uuid::new_v4(), body, time::now()).unwrap();
        order.sequence = sequence;
        order
    }

    #[test]
    fn the_sync_page_is_written_byte_for_byte_as_serde_writes_it() {
        let plain = order(
            json!({"number": "WEB-1", "currency": "SEK",
                   "rows": [{"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "89.00", "vatRate": "25"}]}),
            7,
        );
        let tricky = order(
            json!({"number": "Q/1.x_-", "status": "processing", "currency": "JPY",
                   "customer": {"name": "Åsa \"Ace\" Öberg 💡", "email": "a@x.example", "phone": "+46\n70"},
                   "billingAddress": {"name": "A\tB", "street": "Gatan 1", "postalCode": "123 45", "city": "Umeå", "country": "SE"},
                   "shippingAddress": {"name": "\u{1}", "street": "", "postalCode": "", "city": "", "country": ""},
                   "rows": [{"sku": "A/B", "name": "</script>", "quantity": 1, "unitPrice": "0", "vatRate": "12.5"},
                            {"sku": "C", "name": "", "quantity": 1000000, "unitPrice": "99999", "vatRate": "0"}],
                   "metadata": {"z": [1, 2.5, null, true], "a": {"nested": "v\"al"}, "emoji": "🦀"}}),
            8,
        );
        // The cursor names the last order's sequence (8), or on an empty page where it read
        // from (0).
        for (orders, next_cursor, has_more) in
            [(vec![plain, tricky], "OA", true), (vec![], "MA", false)]
        {
            let read = Page {
                rows: orders,
                has_more,
            };
            let written = write_page(&read, 0).into_bytes();
            let page = ListPage {
                data: read.rows.into_iter().map(OrderOut::from).collect(),
                next_cursor: Some(next_cursor.to_owned()),
                has_more,
            };
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&page).unwrap()
            );
        }
    }
}
