//! Usage analytics: daily counters and the users and connections seen each day, added to in
//! batches and summed over a range of days within one reseller's environment.

use crate::schema::{usage_counters as counters, usage_subjects as subjects};
use crate::{DbConnection, Page, ResellerScope, Result};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tenantry_domain::usage::{
    CounterKey, DayRange, Metric, Subject, SubjectKind, Tally, UsageScope,
};

/// Expands `$statement` once per backend: ON CONFLICT is not portable through the
/// multi-backend connection.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $statement:expr) => {
        match $conn {
            DbConnection::Postgres($c) => $statement,
            DbConnection::Sqlite($c) => $statement,
        }
    };
}

/// The rows of `$table` in a reseller scope and range of days (both tables share the key).
macro_rules! in_range {
    ($table:ident, $scope:expr, $range:expr) => {
        $table::reseller_id
            .eq($scope.reseller_id.to_string())
            .and($table::environment.eq($scope.environment.to_string()))
            .and($table::day.between($range.start.to_string(), $range.end.to_string()))
    };
}

fn tenant_column(tenant: &Option<String>) -> &str {
    tenant.as_deref().unwrap_or("")
}

/// The row key of a scope, in the order rows are written: several processes adding to the
/// same counters take their row locks in one order, so they cannot deadlock.
fn scope_key(s: &UsageScope) -> (String, String, String, String) {
    (
        s.reseller_id.to_string(),
        s.environment.to_string(),
        s.day.to_string(),
        tenant_column(&s.tenant).to_owned(),
    )
}

/// Adds `counters` to their rows and records `seen` subjects, in the caller's transaction.
pub fn add(
    conn: &mut DbConnection,
    counters: &[(CounterKey, Tally)],
    seen: &[Subject],
) -> Result<()> {
    let mut rows: Vec<_> = counters
        .iter()
        .map(|(key, tally)| {
            let (reseller_id, environment, day, tenant) = scope_key(&key.scope);
            (
                (
                    reseller_id,
                    environment,
                    day,
                    tenant,
                    key.metric.as_str(),
                    key.dimension.as_str(),
                ),
                *tally,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for ((reseller_id, environment, day, tenant, metric, dimension), tally) in rows {
        let values = (
            counters::reseller_id.eq(reseller_id),
            counters::environment.eq(environment),
            counters::day.eq(day),
            counters::tenant.eq(tenant),
            counters::metric.eq(metric),
            counters::dimension.eq(dimension),
            counters::quantity.eq(tally.count),
            counters::amount.eq(tally.amount),
        );
        per_backend!(conn, |c| diesel::insert_into(counters::table)
            .values(values)
            .on_conflict((
                counters::reseller_id,
                counters::environment,
                counters::day,
                counters::tenant,
                counters::metric,
                counters::dimension,
            ))
            .do_update()
            .set((
                counters::quantity.eq(counters::quantity + tally.count),
                counters::amount.eq(counters::amount + tally.amount),
            ))
            .execute(c))?;
    }
    let mut seen: Vec<_> = seen
        .iter()
        .map(|s| (scope_key(&s.scope), s.kind.as_str(), s.id.as_str()))
        .collect();
    seen.sort();
    seen.dedup();
    for ((reseller_id, environment, day, tenant), kind, subject) in seen {
        let values = (
            subjects::reseller_id.eq(reseller_id),
            subjects::environment.eq(environment),
            subjects::day.eq(day),
            subjects::tenant.eq(tenant),
            subjects::kind.eq(kind),
            subjects::subject.eq(subject),
        );
        per_backend!(conn, |c| diesel::insert_into(subjects::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
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

/// The counters of `scope` summed over `range`.
pub fn sums(
    conn: &mut DbConnection,
    scope: &ResellerScope,
    range: DayRange,
    breakdown: Breakdown<'_>,
) -> Result<Vec<CounterSum>> {
    // PostgreSQL sums BIGINT to NUMERIC: cast back, on both backends alike.
    let quantity = || sql::<BigInt>("CAST(SUM(quantity) AS BIGINT)");
    let amount = || sql::<BigInt>("CAST(SUM(amount) AS BIGINT)");
    let rows: Vec<(Option<String>, String, String, i64, i64)> = match breakdown {
        Breakdown::Total { tenant } => {
            let mut query = counters::table
                .filter(in_range!(counters, scope, range))
                .group_by((counters::metric, counters::dimension))
                .select((counters::metric, counters::dimension, quantity(), amount()))
                .into_boxed();
            if let Some(tenant) = tenant {
                query = query.filter(counters::tenant.eq(tenant.to_owned()));
            }
            query
                .load::<(String, String, i64, i64)>(conn)?
                .into_iter()
                .map(|(m, d, q, a)| (None, m, d, q, a))
                .collect()
        }
        Breakdown::PerTenant(tenants) => counters::table
            .filter(in_range!(counters, scope, range))
            .filter(counters::tenant.eq_any(tenants))
            .group_by((counters::tenant, counters::metric, counters::dimension))
            .select((
                counters::tenant,
                counters::metric,
                counters::dimension,
                quantity(),
                amount(),
            ))
            .load::<(String, String, String, i64, i64)>(conn)?
            .into_iter()
            .map(|(t, m, d, q, a)| (Some(t), m, d, q, a))
            .collect(),
    };
    rows.into_iter()
        .map(|(tenant, metric, dimension, count, amount)| {
            Ok(CounterSum {
                tenant,
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
    scope: &ResellerScope,
    range: DayRange,
    breakdown: Breakdown<'_>,
) -> Result<Vec<UniqueCount>> {
    let distinct = || sql::<BigInt>("COUNT(DISTINCT subject)");
    let rows: Vec<(Option<String>, String, i64)> = match breakdown {
        Breakdown::Total { tenant } => {
            let mut query = subjects::table
                .filter(in_range!(subjects, scope, range))
                .group_by(subjects::kind)
                .select((subjects::kind, distinct()))
                .into_boxed();
            if let Some(tenant) = tenant {
                query = query.filter(subjects::tenant.eq(tenant.to_owned()));
            }
            query
                .load::<(String, i64)>(conn)?
                .into_iter()
                .map(|(k, n)| (None, k, n))
                .collect()
        }
        Breakdown::PerTenant(tenants) => subjects::table
            .filter(in_range!(subjects, scope, range))
            .filter(subjects::tenant.eq_any(tenants))
            .group_by((subjects::tenant, subjects::kind))
            .select((subjects::tenant, subjects::kind, distinct()))
            .load::<(String, String, i64)>(conn)?
            .into_iter()
            .map(|(t, k, n)| (Some(t), k, n))
            .collect(),
    };
    rows.into_iter()
        .map(|(tenant, kind, count)| {
            Ok(UniqueCount {
                tenant,
                kind: crate::convert::parse(&kind)?,
                count,
            })
        })
        .collect()
}

/// The codeNames of the tenants with usage in `range`, in order, after `after`.
pub fn tenants(
    conn: &mut DbConnection,
    scope: &ResellerScope,
    range: DayRange,
    after: Option<&str>,
    limit: i64,
) -> Result<Page<String>> {
    let mut query = counters::table
        .filter(in_range!(counters, scope, range))
        .filter(counters::tenant.ne(""))
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
