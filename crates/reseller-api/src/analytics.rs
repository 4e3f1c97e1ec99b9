//! `GET /reseller/analytics`: usage of the APIs per tenant over a range of days (XAPP's
//! analytics endpoint): requests by operation and status class, unique tenant users and
//! connections, login URLs created and used, orders created and their value per currency.
//! Summed from daily counters, so a year costs a few rows per tenant and day.

use crate::{ok_json, owned_tenant, Principal, State};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use tenantry_domain::money::Currency;
use tenantry_domain::usage::{DayRange, UsageFigures};
use tenantry_domain::{time, Environment};
use tenantry_http::pagination;
use tenantry_http::{blocking, ApiError, Problem, Query};
use tenantry_storage::usage::{self, Breakdown};
use tenantry_storage::{DbConnection, Owner};
use utoipa::{IntoParams, ToSchema};

/// The range shown when the query names none: the last 30 days, today included.
const DEFAULT_DAYS: i64 = 30;

/// Range, tenant and paging of the per-tenant figures.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// First day (UTC, `YYYY-MM-DD`), included. Default: 29 days before `endDate`.
    #[param(value_type = Option<String>, format = Date, example = "2026-01-01")]
    pub start_date: Option<NaiveDate>,
    /// Last day (UTC), included; at most 366 days after `startDate`. Default: today.
    #[param(value_type = Option<String>, format = Date, example = "2026-12-31")]
    pub end_date: Option<NaiveDate>,
    /// Only this tenant (codeName): the totals are its figures.
    pub tenant: Option<String>,
    /// Tenants per page, 1 to 200, default 50.
    pub limit: Option<i64>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

/// Requests of one operation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationOut {
    /// Method and route, such as `GET /tenant/order`.
    #[schema(example = "GET /tenant/order")]
    pub operation: String,
    pub total: i64,
    /// Keyed `1xx` … `5xx`.
    pub by_status_class: BTreeMap<String, i64>,
}

/// Requests answered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestsOut {
    pub total: i64,
    /// Keyed `1xx` … `5xx`.
    #[schema(example = json!({"2xx": 120, "4xx": 3}))]
    pub by_status_class: BTreeMap<String, i64>,
    /// By operation, most requested first.
    pub by_operation: Vec<OperationOut>,
}

/// One-time login URLs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginUrlsOut {
    pub created: i64,
    /// Used to sign in.
    pub used: i64,
}

/// Orders of one currency.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyOrdersOut {
    #[schema(example = "SEK")]
    pub currency: String,
    pub count: i64,
    /// Their gross total (VAT included), a decimal string in the currency's unit.
    #[schema(example = "1250.00")]
    pub gross: String,
}

/// Orders created through the Tenant API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrdersOut {
    pub created: i64,
    pub by_currency: Vec<CurrencyOrdersOut>,
}

/// What a tenant, or all of them, used over the range.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FiguresOut {
    pub requests: RequestsOut,
    /// Distinct tenant users who called the Tenant API.
    pub unique_users: i64,
    /// Distinct API connections the Tenant API was called through.
    pub unique_connections: i64,
    pub login_urls: LoginUrlsOut,
    pub orders: OrdersOut,
}

/// One tenant's figures.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantFiguresOut {
    pub code_name: String,
    #[serde(flatten)]
    pub figures: FiguresOut,
}

/// Usage over a range: totals of the whole environment (or of `tenant`), and a page of
/// per-tenant figures, by codeName.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsOut {
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub end_date: NaiveDate,
    #[schema(value_type = String, example = "production")]
    pub environment: Environment,
    /// Everything, including requests about no tenant (listing tenants, managing webhooks).
    pub totals: FiguresOut,
    /// Tenants with any usage in the range.
    pub tenants: Vec<TenantFiguresOut>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl From<UsageFigures> for FiguresOut {
    fn from(f: UsageFigures) -> Self {
        let classes = |m: BTreeMap<&'static str, i64>| {
            m.into_iter()
                .map(|(class, n)| (class.to_owned(), n))
                .collect::<BTreeMap<_, _>>()
        };
        let mut by_operation: Vec<OperationOut> = f
            .requests_by_operation
            .into_iter()
            .map(|(operation, r)| OperationOut {
                operation,
                total: r.total,
                by_status_class: classes(r.by_status_class),
            })
            .collect();
        by_operation.sort_by(|a, b| b.total.cmp(&a.total).then(a.operation.cmp(&b.operation)));
        FiguresOut {
            requests: RequestsOut {
                total: f.requests,
                by_status_class: classes(f.requests_by_status_class),
                by_operation,
            },
            unique_users: f.unique_users,
            unique_connections: f.unique_connections,
            login_urls: LoginUrlsOut {
                created: f.login_urls_created,
                used: f.login_urls_used,
            },
            orders: OrdersOut {
                created: f.orders_created,
                by_currency: f
                    .orders_by_currency
                    .into_iter()
                    .map(|(currency, o)| CurrencyOrdersOut {
                        gross: Currency::from_code(&currency)
                            .map_or_else(|| o.gross.to_string(), |c| c.format(o.gross)),
                        currency,
                        count: o.count,
                    })
                    .collect(),
            },
        }
    }
}

/// The range a query asks for.
fn range_of(query: &AnalyticsQuery, today: NaiveDate) -> Result<DayRange, ApiError> {
    let end = query.end_date.unwrap_or(today);
    let start = query
        .start_date
        .unwrap_or_else(|| DayRange::last(DEFAULT_DAYS, end).start);
    Ok(DayRange::new(start, end)?)
}

/// Which tenants' figures a page holds: the one asked for, or a page of those with usage.
struct PageOf<'a> {
    tenant: Option<&'a str>,
    after: Option<&'a str>,
    limit: i64,
}

/// The totals of `scope` over `range` (of one tenant, when asked for) and a page of per-tenant
/// figures; whether more tenants follow.
fn figures(
    conn: &mut DbConnection,
    owner: &Owner,
    range: DayRange,
    page: PageOf,
) -> Result<(UsageFigures, Vec<TenantFiguresOut>, bool), ApiError> {
    let total = Breakdown::Total {
        tenant: page.tenant,
    };
    let mut totals = UsageFigures::default();
    for sum in usage::sums(conn, owner, range, total)? {
        totals.add(sum.metric, &sum.dimension, sum.tally);
    }
    for unique in usage::uniques(conn, owner, range, total)? {
        totals.set_unique(unique.kind, unique.count);
    }
    let tenants = match page.tenant {
        Some(code_name) => tenantry_storage::Page {
            rows: vec![code_name.to_owned()],
            has_more: false,
        },
        None => usage::tenants(conn, owner, range, page.after, page.limit)?,
    };
    let mut per_tenant: HashMap<String, UsageFigures> = HashMap::new();
    let breakdown = Breakdown::PerTenant(&tenants.rows);
    for sum in usage::sums(conn, owner, range, breakdown)? {
        per_tenant
            .entry(sum.tenant.unwrap_or_default())
            .or_default()
            .add(sum.metric, &sum.dimension, sum.tally);
    }
    for unique in usage::uniques(conn, owner, range, breakdown)? {
        per_tenant
            .entry(unique.tenant.unwrap_or_default())
            .or_default()
            .set_unique(unique.kind, unique.count);
    }
    let figures = tenants
        .rows
        .into_iter()
        .map(|code_name| TenantFiguresOut {
            figures: per_tenant.remove(&code_name).unwrap_or_default().into(),
            code_name,
        })
        .collect();
    Ok((totals, figures, tenants.has_more))
}

/// Usage analytics of your environment's tenants over a range of days (UTC). Counts include
/// every request this server answered until the moment of the query; other server processes
/// write theirs every second.
#[utoipa::path(get, path = "/reseller/analytics", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = AnalyticsOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "no such tenant", body = Problem), (status = 422, description = "the range is reversed or longer than 366 days", body = Problem)))]
pub async fn show(
    state: State,
    Principal(principal): Principal,
    query: Query<AnalyticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let range = range_of(&query, time::now().date_naive())?;
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode_cursor(c, |key| Some(key.to_owned())))
        .transpose()?;
    let environment = principal.environment;
    let (totals, tenants, has_more) = blocking(move || {
        // Read what this process answered so far, so a caller sees its own requests.
        state.usage.flush()?;
        state.db.read(|conn| {
            if let Some(code_name) = &query.tenant {
                owned_tenant(conn, &principal, code_name)?;
            }
            let page = PageOf {
                tenant: query.tenant.as_deref(),
                after: after.as_deref(),
                limit,
            };
            figures(conn, &principal.owner(), range, page)
        })
    })
    .await?;
    let next_cursor = pagination::next_cursor(has_more, &tenants, |t| t.code_name.clone());
    ok_json(&AnalyticsOut {
        start_date: range.start,
        end_date: range.end,
        environment,
        totals: totals.into(),
        tenants,
        next_cursor,
        has_more,
    })
}
