//! `/portal/activity` and `/portal/usage`: what was done to this tenant (its entries in the
//! reseller's audit log, newest first) and how much its integrations called the API (the
//! usage counters, per day for the last 30 days, as a server-rendered SVG chart).

use crate::blocking;
use crate::error::PortalError;
use crate::page::{cursor, parse_cursor, render, Chrome, Section};
use crate::session::Visitor;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tenantry_domain::audit::{ActorType, Outcome};
use tenantry_domain::usage::DayRange;
use tenantry_http::AppState;
use tenantry_storage::audit::{self as audit, AuditFilter};
use tenantry_storage::usage;

const PAGE_SIZE: i64 = 25;

/// An audit entry as the page shows it.
pub struct Entry {
    pub at: String,
    pub who: String,
    pub operation: String,
    pub outcome: &'static str,
    pub failed: bool,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
    entries: Vec<Entry>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct ActivityQuery {
    before: Option<String>,
}

/// `GET /portal/activity`.
pub async fn activity(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, PortalError> {
    let before = query.before.as_deref().map(parse_cursor).transpose()?;
    let owner = visitor.owner();
    let filter = AuditFilter {
        tenant: Some(visitor.tenant.code_name.clone()),
        ..Default::default()
    };
    let page = blocking(move || {
        Ok(state
            .db
            .read(|conn| audit::list(conn, &owner, &filter, before, PAGE_SIZE))?)
    })
    .await?;
    let t = visitor.texts();
    let next = match (page.has_more, page.rows.last()) {
        (true, Some(last)) => Some(cursor(&last.created_at, &last.id)),
        _ => None,
    };
    let entries = page
        .rows
        .into_iter()
        .map(|e| Entry {
            at: t.datetime(&e.created_at),
            who: match e.actor_type {
                ActorType::TenantUser => t.get("activity.by_user").to_owned(),
                ActorType::TenantToken => t.get("activity.by_token").to_owned(),
                ActorType::ResellerUser | ActorType::ResellerKey => t.fill(
                    "activity.by_reseller",
                    &[("reseller", &visitor.reseller_name)],
                ),
                ActorType::Operator => t.get("activity.by_operator").to_owned(),
                ActorType::System => t.get("activity.by_system").to_owned(),
            },
            failed: !matches!(e.outcome, Outcome::Success | Outcome::Replayed),
            outcome: match e.outcome {
                Outcome::Success | Outcome::Replayed => t.get("activity.done"),
                _ => t.get("activity.refused"),
            },
            operation: e.operation,
        })
        .collect();
    render(&ActivityPage {
        chrome: Chrome::new(
            &visitor,
            Section::Activity,
            t.get("activity.title").to_owned(),
        ),
        entries,
        next,
    })
}

/// A day's bar in the chart.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub label: String,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    chrome: Chrome,
    total: i64,
    busiest: i64,
    average: String,
    bars: Vec<Bar>,
    first_day: String,
    last_day: String,
}

/// The chart's drawing area, in SVG user units.
const CHART_HEIGHT: i64 = 160;
const BAR_WIDTH: i64 = 18;
const BAR_GAP: i64 = 4;
const DAYS: i64 = 30;

/// `GET /portal/usage`: the tenant's API calls per day, the last 30 days up to today (UTC).
pub async fn usage(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PortalError> {
    let today = Utc::now().date_naive();
    let range = DayRange::last(DAYS, today);
    let (owner, code_name) = (visitor.owner(), visitor.tenant.code_name.clone());
    let daily = blocking(move || {
        Ok(state
            .db
            .read(|conn| usage::daily_requests(conn, &owner, &code_name, range))?)
    })
    .await?;
    let t = visitor.texts();
    let days: Vec<(NaiveDate, i64)> = (0..DAYS)
        .map(|i| {
            let day = range.start + chrono::Duration::days(i);
            let count = daily.iter().find(|(d, _)| *d == day).map_or(0, |(_, c)| *c);
            (day, count)
        })
        .collect();
    let total: i64 = days.iter().map(|(_, c)| c).sum();
    let busiest = days.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, (day, count))| {
            let height = if busiest == 0 {
                0
            } else {
                (count * CHART_HEIGHT + busiest - 1) / busiest
            };
            Bar {
                x: i as i64 * (BAR_WIDTH + BAR_GAP),
                y: CHART_HEIGHT - height,
                height,
                label: t.date(&day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()),
                count: *count,
            }
        })
        .collect();
    let date = |day: NaiveDate| t.date(&day.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    render(&UsagePage {
        chrome: Chrome::new(&visitor, Section::Usage, t.get("usage.title").to_owned()),
        total,
        busiest,
        average: format!("{:.1}", total as f64 / DAYS as f64),
        bars,
        first_day: date(range.start),
        last_day: date(range.end),
    })
}
