//! `/portal/orders`: the tenant's orders newest first, filtered by status and the day they
//! were placed; an order with its rows and exact totals; and, for admins and managers, its
//! status moved along the state machine (only the moves it allows are offered), through the
//! same use case as `PATCH /tenant/order/{id}`.

use crate::blocking;
use crate::error::PortalError;
use crate::form::PortalForm;
use crate::i18n::Texts;
use crate::page::{cursor, parse_cursor, render, see_other, Chrome, Section};
use crate::session::Visitor;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use tenantry_domain::money::format_vat_rate;
use tenantry_domain::order::{OrderPatch, OrderStatus};
use tenantry_domain::time;
use tenantry_http::AppState;
use tenantry_service::{order as service, ServiceError};
use tenantry_storage::order::{self as orders, BrowseFilter};
use uuid::Uuid;

/// Orders a page lists.
const PAGE_SIZE: i64 = 25;

/// The catalog's word for a status.
pub fn status_label(t: Texts, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => t.get("order.status.new"),
        OrderStatus::Processing => t.get("order.status.processing"),
        OrderStatus::Shipped => t.get("order.status.shipped"),
        OrderStatus::Delivered => t.get("order.status.delivered"),
        OrderStatus::Cancelled => t.get("order.status.cancelled"),
    }
}

/// An order as the list shows it.
pub struct Line {
    pub id: Uuid,
    pub number: String,
    pub placed: String,
    pub status: &'static str,
    pub customer: String,
    pub total: String,
}

/// A status as a filter or a move offers it.
pub struct StatusChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    chrome: Chrome,
    orders: Vec<Line>,
    statuses: Vec<StatusChoice>,
    from: String,
    to: String,
    /// The query of the next page, if there is one.
    next: Option<String>,
}

fn day(text: &Option<String>, name: &str) -> Result<Option<NaiveDate>, PortalError> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| PortalError::BadForm(format!("{name} must be a date such as 2026-12-01"))),
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// `GET /portal/orders`.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PortalError> {
    let query = query.into_inner();
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            OrderStatus::ALL
                .into_iter()
                .find(|o| o.as_str() == s)
                .ok_or_else(|| PortalError::BadForm(format!("no status {s}")))?,
        ),
    };
    let (from, to) = (day(&query.from, "from")?, day(&query.to, "to")?);
    let filter = BrowseFilter {
        status,
        placed_from: from.map(start_of),
        placed_before: to.and_then(|d| d.succ_opt()).map(start_of),
    };
    let after = query.after.as_deref().map(parse_cursor).transpose()?;
    let tenant_id = visitor.tenant.id;
    let page = blocking(move || {
        Ok(state
            .db
            .read(|conn| orders::browse(conn, tenant_id, &filter, after, PAGE_SIZE))?)
    })
    .await?;
    let t = visitor.texts();
    let next = match (page.has_more, page.rows.last()) {
        (true, Some(last)) => {
            let mut pairs = vec![("after", cursor(&last.created_at, &last.id))];
            for (name, value) in [
                ("status", &query.status),
                ("from", &query.from),
                ("to", &query.to),
            ] {
                if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
                    pairs.push((name, v.clone()));
                }
            }
            Some(
                serde_urlencoded::to_string(pairs)
                    .map_err(|e| PortalError::Internal(e.to_string()))?,
            )
        }
        _ => None,
    };
    let lines = page
        .rows
        .into_iter()
        .map(|o| Line {
            placed: t.datetime(&o.created_at),
            status: status_label(t, o.status),
            customer: o.customer.name.clone(),
            total: t.money(o.currency, o.totals.gross),
            id: o.id,
            number: o.number,
        })
        .collect();
    let statuses = OrderStatus::ALL
        .into_iter()
        .map(|s| StatusChoice {
            value: s.as_str(),
            label: status_label(t, s),
            selected: Some(s) == status,
        })
        .collect();
    render(&OrdersPage {
        chrome: Chrome::new(&visitor, Section::Orders, t.get("orders.title").to_owned()),
        orders: lines,
        statuses,
        from: from.map(|d| d.to_string()).unwrap_or_default(),
        to: to.map(|d| d.to_string()).unwrap_or_default(),
        next,
    })
}

/// One row of an order as its page shows it.
pub struct RowLine {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub vat_rate: String,
    pub net: String,
    pub vat: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    id: Uuid,
    status: &'static str,
    placed: String,
    updated: String,
    customer: tenantry_domain::order::Customer,
    billing: tenantry_domain::order::Address,
    shipping: tenantry_domain::order::Address,
    rows: Vec<RowLine>,
    net: String,
    vat: String,
    gross: String,
    moves: Vec<StatusChoice>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    notice: Option<String>,
}

fn order_id(path: web::Path<String>) -> Result<Uuid, PortalError> {
    let id = path.into_inner();
    Uuid::parse_str(&id).map_err(|_| PortalError::NotFound(format!("order {id}")))
}

/// `GET /portal/orders/{id}`.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PortalError> {
    let id = order_id(id)?;
    let tenant_id = visitor.tenant.id;
    let order =
        blocking(move || Ok(state.db.read(|conn| orders::find(conn, tenant_id, id))?)).await?;
    let t = visitor.texts();
    let money = |minor| t.money(order.currency, minor);
    let moves = if visitor.user.role.manages_commerce() {
        order
            .status
            .next()
            .iter()
            .map(|s| StatusChoice {
                value: s.as_str(),
                label: status_label(t, *s),
                selected: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = OrderPage {
        chrome: Chrome::new(
            &visitor,
            Section::Orders,
            t.fill("order.title", &[("number", &order.number)]),
        ),
        id: order.id,
        status: status_label(t, order.status),
        placed: t.datetime(&order.created_at),
        updated: t.datetime(&order.updated_at),
        rows: order
            .rows
            .iter()
            .map(|r| RowLine {
                sku: r.sku.clone(),
                name: r.name.clone(),
                quantity: r.quantity,
                unit_price: money(r.unit_price),
                vat_rate: format!("{} %", format_vat_rate(r.vat_rate)),
                net: money(r.net),
                vat: money(r.vat),
            })
            .collect(),
        net: money(order.totals.net),
        vat: money(order.totals.vat),
        gross: money(order.totals.gross),
        moves,
        notice: (query.notice.as_deref() == Some("moved")).then(|| t.get("order.moved")),
        customer: order.customer,
        billing: order.billing_address,
        shipping: order.shipping_address,
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct Move {
    status: String,
}

/// `POST /portal/orders/{id}/status`: moves the order to the status asked for, if the state
/// machine allows it (409 otherwise), and appends `order.updated`.
pub async fn set_status(
    state: web::Data<AppState>,
    id: web::Path<String>,
    PortalForm {
        visitor, fields, ..
    }: PortalForm<Move>,
) -> Result<HttpResponse, PortalError> {
    visitor.require(visitor.user.role.manages_commerce(), "change orders")?;
    let id = order_id(id)?;
    let to = OrderStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == fields.status)
        .ok_or_else(|| PortalError::BadForm(format!("no status {}", fields.status)))?;
    let patch = OrderPatch {
        status: Some(to),
        ..Default::default()
    };
    let (actor, tenant) = (visitor.actor(), visitor.tenant.clone());
    let moved = blocking(move || {
        Ok(state
            .db
            .write(|conn| service::update(conn, &actor, &tenant, id, patch, time::now())))
    })
    .await?;
    match moved {
        Ok(_) => Ok(see_other(&format!("/portal/orders/{id}?notice=moved"))),
        Err(ServiceError::IllegalTransition(e)) => {
            Err(PortalError::Conflict(visitor.texts().fill(
                "order.illegal_move",
                &[
                    ("from", status_label(visitor.texts(), e.from)),
                    ("to", status_label(visitor.texts(), e.to)),
                ],
            )))
        }
        Err(e) => Err(e.into()),
    }
}
