//! Usage analytics: counters and the users and connections seen, per day and per month, per
//! tenant and for all tenants together, added to in batches and summed over a range of days
//! within one reseller's environment.
//!
//! Each count is written four times — its day and its month, its tenant and `*` (all) — so a
//! query reads a dozen month rows for a year, and totals never sum over tenants.

use crate::database::per_backend;
use crate::schema::{usage_counters as counters, usage_subjects as subjects};
use crate::{DbConnection, Owner, Page, Result};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::upsert::excluded;
use std::collections::{BTreeMap, BTreeSet};
use tenantry_domain::usage::{
    month_of, CounterKey, DayRange, Metric, Period, Piece, Subject, SubjectKind, Tally, UsageScope,
};

/// The tenant column of the rows that sum every tenant and the requests about none.
const ALL: &str = "*";

#[derive(Insertable)]
#[diesel(table_name = counters)]
struct CounterRow {
    reseller_id: String,
    environment: String,
    tenant: String,
    period: &'static str,
    day: String,
    metric: &'static str,
    dimension: String,
    quantity: i64,
    amount: i64,
}

#[derive(Insertable)]
#[diesel(table_name = subjects)]
struct SubjectRow {
    reseller_id: String,
    environment: String,
    tenant: String,
    period: &'static str,
    day: String,
    kind: &'static str,
    subject: String,
}

/// The (reseller, environment, tenant, period, day) of each row a scope's count goes to, in
/// one order: several processes adding to the same rows lock them in that order, so they
/// cannot deadlock.
fn rows_of(scope: &UsageScope) -> Vec<(String, String, String, &'static str, String)> {
    let tenants = scope.tenant.as_deref().into_iter().chain([ALL]);
    tenants
        .flat_map(|tenant| {
            [
                (Period::Day, scope.day),
                (Period::Month, month_of(scope.day)),
            ]
            .map(|(period, day)| {
                (
                    scope.reseller_id.to_string(),
                    scope.environment.to_string(),
                    tenant.to_owned(),
                    period.as_str(),
                    day.to_string(),
                )
            })
        })
        .collect()
}

/// Adds `counters` and records `seen` subjects, in the caller's transaction.
pub fn add(
    conn: &mut DbConnection,
    counters: &[(CounterKey, Tally)],
    seen: &[Subject],
) -> Result<()> {
    let mut sums = BTreeMap::new();
    for (key, tally) in counters {
        for row in rows_of(&key.scope) {
            let sum: &mut Tally = sums
                .entry((row, key.metric.as_str(), key.dimension.clone()))
                .or_default();
            sum.add(*tally);
        }
    }
    let rows: Vec<CounterRow> = sums
        .into_iter()
        .map(|((row, metric, dimension), tally)| CounterRow {
            reseller_id: row.0,
            environment: row.1,
            tenant: row.2,
            period: row.3,
            day: row.4,
            metric,
            dimension,
            quantity: tally.count,
            amount: tally.amount,
        })
        .collect();
    macro_rules! upsert {
        ($c:expr, $values:expr) => {
            diesel::insert_into(counters::table)
                .values($values)
                .on_conflict((
                    counters::reseller_id,
                    counters::environment,
                    counters::tenant,
                    counters::period,
                    counters::day,
                    counters::metric,
                    counters::dimension,
                ))
                .do_update()
                .set((
                    counters::quantity.eq(counters::quantity + excluded(counters::quantity)),
                    counters::amount.eq(counters::amount + excluded(counters::amount)),
                ))
                .execute($c)
        };
    }
    per_backend!(conn, rows, upsert);
    let seen: BTreeSet<_> = seen
        .iter()
        .flat_map(|s| {
            rows_of(&s.scope)
                .into_iter()
                .map(|row| (row, s.kind.as_str(), s.id.clone()))
        })
        .collect();
    let rows: Vec<SubjectRow> = seen
        .into_iter()
        .map(|(row, kind, subject)| SubjectRow {
            reseller_id: row.0,
            environment: row.1,
            tenant: row.2,
            period: row.3,
            day: row.4,
            kind,
            subject,
        })
        .collect();
    macro_rules! insert {
        ($c:expr, $values:expr) => {
            diesel::insert_into(subjects::table)
                .values($values)
                .on_conflict_do_nothing()
                .execute($c)
        };
    }
    per_backend!(conn, rows, insert);
    Ok(())
}

/// A counter summed over a range: of one tenant, or of all when `tenant` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterSum {
    pub tenant: Option<String>,
    pub metric: Metric,
    pub dimension: String,
    pub tally: Tally,
}

/// A distinct count of subjects over a range: of one tenant, or of all when `tenant` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueCount {
    pub tenant: Option<String>,
    pub kind: SubjectKind,
    pub count: i64,
}

/// Whose figures to sum.
#[derive(Debug, Clone, Copy)]
pub enum Breakdown<'a> {
    /// Everything of the scope (or of one tenant), summed together.
    Total { tenant: Option<&'a str> },
    /// Each of these tenants on its own.
    PerTenant(&'a [String]),
}

impl Breakdown<'_> {
    /// The tenant column values to read.
    fn tenants(self) -> Vec<String> {
        match self {
            Breakdown::Total { tenant } => vec![tenant.unwrap_or(ALL).to_owned()],
            Breakdown::PerTenant(tenants) => tenants.to_vec(),
        }
    }

    /// How a row's tenant is reported.
    fn report(self, tenant: String) -> Option<String> {
        match self {
            Breakdown::Total { .. } => None,
            Breakdown::PerTenant(_) => Some(tenant),
        }
    }
}

/// Always three pieces, so the query has one shape: a range needs at most three, and a
/// padding piece (from after to) matches nothing.
fn three_pieces(range: DayRange) -> [(&'static str, String, String); 3] {
    let mut pieces = range
        .pieces()
        .into_iter()
        .map(|Piece { period, from, to }| (period.as_str(), from.to_string(), to.to_string()));
    std::array::from_fn(|_| {
        pieces
            .next()
            .unwrap_or(("day", "9999-12-31".into(), "0000-01-01".into()))
    })
}

/// The rows of `$table` of an owner that cover a range of days exactly.
macro_rules! covering {
    ($table:ident, $scope:expr, $range:expr) => {{
        let [a, b, c] = three_pieces($range);
        let piece = |(period, from, to): (&'static str, String, String)| {
            $table::period.eq(period).and($table::day.between(from, to))
        };
        $table::reseller_id
            .eq($scope.reseller_id.to_string())
            .and($table::environment.eq($scope.environment.to_string()))
            .and(piece(a).or(piece(b)).or(piece(c)))
    }};
}

/// The counters of `scope` summed over `range`.
pub fn sums(
    conn: &mut DbConnection,
    owner: &Owner,
    range: DayRange,
    breakdown: Breakdown<'_>,
) -> Result<Vec<CounterSum>> {
    // PostgreSQL sums BIGINT to NUMERIC: cast back, on both backends alike.
    let rows = counters::table
        .filter(covering!(counters, owner, range))
        .filter(counters::tenant.eq_any(breakdown.tenants()))
        .group_by((counters::tenant, counters::metric, counters::dimension))
        .select((
            counters::tenant,
            counters::metric,
            counters::dimension,
            sql::<BigInt>("CAST(SUM(quantity) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(amount) AS BIGINT)"),
        ))
        .load::<(String, String, String, i64, i64)>(conn)?;
    rows.into_iter()
        .map(|(tenant, metric, dimension, count, amount)| {
            Ok(CounterSum {
                tenant: breakdown.report(tenant),
                metric: crate::convert::parse(&metric)?,
                dimension,
                tally: Tally { count, amount },
            })
        })
        .collect()
}

/// The distinct users and connections of `scope` seen over `range`.
pub fn uniques(
    conn: &mut DbConnection,
    owner: &Owner,
    range: DayRange,
    breakdown: Breakdown<'_>,
) -> Result<Vec<UniqueCount>> {
    let rows = subjects::table
        .filter(covering!(subjects, owner, range))
        .filter(subjects::tenant.eq_any(breakdown.tenants()))
        .group_by((subjects::tenant, subjects::kind))
        .select((
            subjects::tenant,
            subjects::kind,
            sql::<BigInt>("COUNT(DISTINCT subject)"),
        ))
        .load::<(String, String, i64)>(conn)?;
    rows.into_iter()
        .map(|(tenant, kind, count)| {
            Ok(UniqueCount {
                tenant: breakdown.report(tenant),
                kind: crate::convert::parse(&kind)?,
                count,
            })
        })
        .collect()
}

/// The codeNames of the tenants with usage in `range`, in order, after `after`.
pub fn tenants(
    conn: &mut DbConnection,
    owner: &Owner,
    range: DayRange,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<String>> {
    let mut query = counters::table
        .filter(covering!(counters, owner, range))
        .filter(counters::tenant.ne(ALL))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(counters::tenant.gt(after.to_owned()));
    }
    let rows = query
        .select(counters::tenant)
        .distinct()
        .order(counters::tenant.asc())
        .limit(limit + 1)
        .load::<String>(conn)?;
    Ok(Page::from_overfetch(rows, limit))
}

/// Requests (of every status) of the owner's tenant `tenant` on each day of `range` that had
/// any, oldest first: the daily rows, summed over operations.
pub fn daily_requests(
    conn: &mut DbConnection,
    owner: &Owner,
    tenant: &str,
    range: DayRange,
) -> Result<Vec<(chrono::NaiveDate, i64)>> {
    let rows = counters::table
        .filter(counters::reseller_id.eq(owner.reseller_id.to_string()))
        .filter(counters::environment.eq(owner.environment.to_string()))
        .filter(counters::tenant.eq(tenant))
        .filter(counters::period.eq(Period::Day.as_str()))
        .filter(counters::day.between(range.start.to_string(), range.end.to_string()))
        .filter(counters::metric.like("requests.%"))
        .group_by(counters::day)
        .order(counters::day.asc())
        .select((
            counters::day,
            sql::<BigInt>("CAST(SUM(quantity) AS BIGINT)"),
        ))
        .load::<(String, i64)>(conn)?;
    rows.into_iter()
        .map(|(day, count)| {
            let day = day
                .parse()
                .map_err(|_| crate::StorageError::Corrupt(format!("usage day `{day}`")))?;
            Ok((day, count))
        })
        .collect()
}
