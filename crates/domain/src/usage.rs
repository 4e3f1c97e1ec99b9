//! Usage analytics (XAPP's analytics endpoint): what each tenant's use of the APIs amounts to,
//! counted per UTC day so that any range of days sums from a few rows per day instead of a
//! scan of a request log.
//!
//! A counter is named by a [`Metric`] and a dimension that qualifies it: the operation of a
//! request (`GET /tenant/order`), the currency of an order. Unique users and connections
//! cannot be summed over days, so they are kept as the set of ids seen each day.
//!
//! Counts are also kept per month, so a range reads whole months from month rows and only its
//! ragged ends from day rows ([`DayRange::pieces`]): a year is about a dozen rows per counter.

use crate::error::DomainError;
use crate::money::Currency;
use crate::Environment;
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest range one analytics query may cover: a year and a leap day.
pub const MAX_RANGE_DAYS: i64 = 366;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Requests answered with a status of this class; the dimension is the operation.
    Requests(StatusClass),
    /// Login URLs created.
    LoginUrlsCreated,
    /// Login URLs used to sign in.
    LoginUrlsUsed,
    /// Orders created through the Tenant API; the dimension is the currency and the amount
    /// their gross value in its minor unit.
    OrdersCreated,
}

/// An HTTP status class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    Informational,
    Success,
    Redirection,
    ClientError,
    ServerError,
}

impl StatusClass {
    /// The class of `status`; anything outside 100–599 counts as a server error.
    pub fn of(status: u16) -> StatusClass {
        match status {
            100..=199 => StatusClass::Informational,
            200..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirection,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    /// `1xx` … `5xx`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Informational => "1xx",
            StatusClass::Success => "2xx",
            StatusClass::Redirection => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
        }
    }
}

impl Metric {
    /// The stored name: `requests.2xx`, `login_urls.created`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Requests(StatusClass::Informational) => "requests.1xx",
            Metric::Requests(StatusClass::Success) => "requests.2xx",
            Metric::Requests(StatusClass::Redirection) => "requests.3xx",
            Metric::Requests(StatusClass::ClientError) => "requests.4xx",
            Metric::Requests(StatusClass::ServerError) => "requests.5xx",
            Metric::LoginUrlsCreated => "login_urls.created",
            Metric::LoginUrlsUsed => "login_urls.used",
            Metric::OrdersCreated => "orders.created",
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        use StatusClass::*;
        [
            Metric::Requests(Informational),
            Metric::Requests(Success),
            Metric::Requests(Redirection),
            Metric::Requests(ClientError),
            Metric::Requests(ServerError),
            Metric::LoginUrlsCreated,
            Metric::LoginUrlsUsed,
            Metric::OrdersCreated,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or_else(|| format!("unknown usage metric `{s}`"))
    }
}

/// Whose usage a counter or subject belongs to, and on which day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageScope {
    pub reseller_id: Uuid,
    pub environment: Environment,
    pub day: NaiveDate,
    /// The tenant's codeName; `None` for a reseller's requests about no tenant (listing its
    /// tenants, managing webhooks), which count in the totals only.
    pub tenant: Option<String>,
}

/// One counter of one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub scope: UsageScope,
    pub metric: Metric,
    /// The operation (`GET /tenant/order`) or currency (`SEK`); empty when the metric has
    /// none.
    pub dimension: String,
}

impl CounterKey {
    /// `metric` of `tenant` on `day`.
    pub fn for_tenant(
        tenant: &crate::tenant::Tenant,
        day: NaiveDate,
        metric: Metric,
        dimension: &str,
    ) -> CounterKey {
        CounterKey {
            scope: UsageScope {
                reseller_id: tenant.reseller_id,
                environment: tenant.environment,
                day,
                tenant: Some(tenant.code_name.clone()),
            },
            metric,
            dimension: dimension.to_owned(),
        }
    }
}

/// How much to add to a counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Occurrences.
    pub count: i64,
    /// Their value in a currency's minor unit (orders); 0 otherwise.
    pub amount: i64,
}

impl Tally {
    /// One occurrence worth `amount`.
    pub fn one(amount: i64) -> Tally {
        Tally { count: 1, amount }
    }

    pub fn add(&mut self, other: Tally) {
        self.count += other.count;
        self.amount += other.amount;
    }
}

/// What a unique-count subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A tenant user, by id.
    User,
    /// An API connection, by id.
    Connection,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Connection => "connection",
        }
    }
}

impl std::str::FromStr for SubjectKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(SubjectKind::User),
            "connection" => Ok(SubjectKind::Connection),
            other => Err(format!("unknown subject kind `{other}`")),
        }
    }
}

/// A user or connection seen using a tenant's API on a day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    pub scope: UsageScope,
    pub kind: SubjectKind,
    pub id: String,
}

/// An inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DayRange {
    /// Checks a requested range: the end not before the start, at most [`MAX_RANGE_DAYS`].
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<DayRange, DomainError> {
        if end < start {
            return Err(DomainError::invalid(
                "endDate",
                "before_start",
                "must not be before startDate",
            ));
        }
        let days = (end - start).num_days() + 1;
        if days > MAX_RANGE_DAYS {
            return Err(DomainError::invalid(
                "endDate",
                "range_too_long",
                format!("the range is {days} days; at most {MAX_RANGE_DAYS} are allowed"),
            ));
        }
        Ok(DayRange { start, end })
    }

    /// The `days` days up to and including `today`.
    pub fn last(days: i64, today: NaiveDate) -> DayRange {
        DayRange {
            start: today - chrono::Duration::days(days - 1),
            end: today,
        }
    }
}

/// How long a stored row's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Day,
    /// A calendar month, named by its first day.
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Month => "month",
        }
    }
}

/// The first day of `day`'s month: what names its month row.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

/// Rows of one period whose first day lies in `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub period: Period,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DayRange {
    /// The rows that cover exactly this range: whole months as month rows, the days before
    /// the first and after the last whole month as day rows.
    pub fn pieces(&self) -> Vec<Piece> {
        let day = chrono::Duration::days(1);
        let first_whole = if self.start.day() == 1 {
            self.start
        } else {
            next_month(self.start)
        };
        // The first day after the last whole month.
        let after_whole = month_of(self.end + day);
        if first_whole >= after_whole {
            return vec![Piece {
                period: Period::Day,
                from: self.start,
                to: self.end,
            }];
        }
        let mut pieces = Vec::with_capacity(3);
        if self.start < first_whole {
            pieces.push(Piece {
                period: Period::Day,
                from: self.start,
                to: first_whole - day,
            });
        }
        pieces.push(Piece {
            period: Period::Month,
            from: first_whole,
            to: month_of(after_whole - day),
        });
        if after_whole <= self.end {
            pieces.push(Piece {
                period: Period::Day,
                from: after_whole,
                to: self.end,
            });
        }
        pieces
    }
}

fn next_month(day: NaiveDate) -> NaiveDate {
    month_of(month_of(day) + chrono::Duration::days(32))
}

/// Requests of one operation, by status class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationRequests {
    pub total: i64,
    pub by_status_class: BTreeMap<&'static str, i64>,
}

/// Orders of one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CurrencyOrders {
    pub count: i64,
    /// Gross value in the currency's minor unit.
    pub gross: i64,
}

/// The usage of a tenant, or of all of a reseller's, over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageFigures {
    pub requests: i64,
    pub requests_by_status_class: BTreeMap<&'static str, i64>,
    /// Keyed by operation (`GET /tenant/order`).
    pub requests_by_operation: BTreeMap<String, OperationRequests>,
    pub unique_users: i64,
    pub unique_connections: i64,
    pub login_urls_created: i64,
    pub login_urls_used: i64,
    pub orders_created: i64,
    /// Keyed by currency code.
    pub orders_by_currency: BTreeMap<String, CurrencyOrders>,
}

impl UsageFigures {
    /// Adds a counter's sum over the range.
    pub fn add(&mut self, metric: Metric, dimension: &str, tally: Tally) {
        match metric {
            Metric::Requests(class) => {
                let class = class.as_str();
                self.requests += tally.count;
                *self.requests_by_status_class.entry(class).or_default() += tally.count;
                let operation = self
                    .requests_by_operation
                    .entry(dimension.to_owned())
                    .or_default();
                operation.total += tally.count;
                *operation.by_status_class.entry(class).or_default() += tally.count;
            }
            Metric::LoginUrlsCreated => self.login_urls_created += tally.count,
            Metric::LoginUrlsUsed => self.login_urls_used += tally.count,
            Metric::OrdersCreated => {
                self.orders_created += tally.count;
                let orders = self
                    .orders_by_currency
                    .entry(dimension.to_owned())
                    .or_default();
                orders.count += tally.count;
                orders.gross += tally.amount;
            }
        }
    }

    /// Sets the count of distinct subjects of a kind seen over the range.
    pub fn set_unique(&mut self, kind: SubjectKind, count: i64) {
        match kind {
            SubjectKind::User => self.unique_users = count,
            SubjectKind::Connection => self.unique_connections = count,
        }
    }
}

/// The counter of an order's creation: its currency and gross value.
pub fn order_created(scope: UsageScope, currency: Currency, gross: i64) -> (CounterKey, Tally) {
    (
        CounterKey {
            scope,
            metric: Metric::OrdersCreated,
            dimension: currency.code.to_owned(),
        },
        Tally::one(gross),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn metric_names_round_trip() {
        for status in [100, 204, 302, 404, 503, 999] {
            let m = Metric::Requests(StatusClass::of(status));
            assert_eq!(m.as_str().parse::<Metric>().unwrap(), m);
        }
        assert_eq!(
            StatusClass::of(422).as_str(),
            "4xx",
            "a 422 is a client error"
        );
        for m in [
            Metric::LoginUrlsCreated,
            Metric::LoginUrlsUsed,
            Metric::OrdersCreated,
        ] {
            assert_eq!(m.as_str().parse::<Metric>().unwrap(), m);
        }
        assert!("requests.6xx".parse::<Metric>().is_err());
    }

    #[test]
    fn ranges_are_checked() {
        assert!(DayRange::new(day("2026-01-02"), day("2026-01-01")).is_err());
        assert!(DayRange::new(day("2024-01-01"), day("2024-12-31")).is_ok());
        assert!(DayRange::new(day("2025-01-01"), day("2026-01-02")).is_err());
        let last = DayRange::last(30, day("2026-03-01"));
        assert_eq!(last.start, day("2026-01-31"));
        assert_eq!(last.end, day("2026-03-01"));
    }

    #[test]
    fn a_range_reads_whole_months_and_its_ragged_ends() {
        let piece = |period, from: &str, to: &str| Piece {
            period,
            from: day(from),
            to: day(to),
        };
        let pieces = |start: &str, end: &str| DayRange::new(day(start), day(end)).unwrap().pieces();
        assert_eq!(
            pieces("2025-11-26", "2026-11-25"),
            vec![
                piece(Period::Day, "2025-11-26", "2025-11-30"),
                piece(Period::Month, "2025-12-01", "2026-10-01"),
                piece(Period::Day, "2026-11-01", "2026-11-25"),
            ]
        );
        assert_eq!(
            pieces("2024-01-01", "2024-12-31"),
            vec![piece(Period::Month, "2024-01-01", "2024-12-01")]
        );
        assert_eq!(
            pieces("2024-02-01", "2024-02-29"),
            vec![piece(Period::Month, "2024-02-01", "2024-02-01")]
        );
        // No whole month: days only.
        assert_eq!(
            pieces("2026-01-15", "2026-02-10"),
            vec![piece(Period::Day, "2026-01-15", "2026-02-10")]
        );
        assert_eq!(
            pieces("2026-01-01", "2026-01-30"),
            vec![piece(Period::Day, "2026-01-01", "2026-01-30")]
        );
        assert_eq!(
            pieces("2026-01-31", "2026-03-01"),
            vec![
                piece(Period::Day, "2026-01-31", "2026-01-31"),
                piece(Period::Month, "2026-02-01", "2026-02-01"),
                piece(Period::Day, "2026-03-01", "2026-03-01"),
            ]
        );
        // Every day of any range is covered once.
        let start = day("2025-12-20");
        for len in 0..120 {
            let end = start + chrono::Duration::days(len);
            let covered: i64 = DayRange::new(start, end)
                .unwrap()
                .pieces()
                .iter()
                .map(|p| match p.period {
                    Period::Day => (p.to - p.from).num_days() + 1,
                    Period::Month => (next_month(p.to) - p.from).num_days(),
                })
                .sum();
            assert_eq!(covered, len + 1, "{start}..{end}");
        }
        assert_eq!(month_of(day("2026-02-28")), day("2026-02-01"));
    }

    #[test]
    fn figures_sum_by_class_operation_and_currency() {
        let mut f = UsageFigures::default();
        let get = "GET /tenant/order";
        f.add(Metric::Requests(StatusClass::Success), get, Tally::one(0));
        f.add(
            Metric::Requests(StatusClass::ClientError),
            get,
            Tally {
                count: 2,
                amount: 0,
            },
        );
        f.add(Metric::OrdersCreated, "SEK", Tally::one(12_500));
        f.add(Metric::OrdersCreated, "SEK", Tally::one(500));
        f.add(Metric::LoginUrlsUsed, "", Tally::one(0));
        assert_eq!(f.requests, 3);
        assert_eq!(f.requests_by_status_class["4xx"], 2);
        assert_eq!(f.requests_by_operation[get].by_status_class["2xx"], 1);
        assert_eq!(
            f.orders_by_currency["SEK"],
            CurrencyOrders {
                count: 2,
                gross: 13_000
            }
        );
        assert_eq!((f.orders_created, f.login_urls_used), (2, 1));
    }
}
