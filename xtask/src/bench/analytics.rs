//! Usage analytics: a year of daily counters, then timed `GET /reseller/analytics`.

use super::*;

pub(super) struct AnalyticsFigures {
    /// (p50, p99) ms.
    pub(super) all: (f64, f64),
    pub(super) one: (f64, f64),
    pub(super) seed_seconds: f64,
}

/// A year of usage for [`USAGE_TENANTS`] tenants, then timed analytics queries over it.
pub(super) fn bench_analytics(tools: &Tools, url: &str) -> Result<AnalyticsFigures, String> {
    let key = bench_reseller(&tools.bin, url)?;
    let started = Instant::now();
    crate::status(Command::new(&tools.data).args([
        "usage",
        url,
        &USAGE_TENANTS.to_string(),
        &USAGE_DAYS.to_string(),
    ]))?;
    let seed_seconds = started.elapsed().as_secs_f64();
    if url.starts_with("postgres") {
        psql(url, "VACUUM ANALYZE")?;
    }
    let server = start_server(&tools.bin, url)?;
    let today = chrono::Utc::now().date_naive();
    let range = format!(
        "startDate={}&endDate={today}",
        today - chrono::Duration::days(USAGE_DAYS - 1)
    );
    let timed = |query: &str, expect_tenants: usize| -> Result<(f64, f64), String> {
        let mut millis = Vec::new();
        for _ in 0..ANALYTICS_QUERIES {
            let started = Instant::now();
            let body: Value = ureq::get(&format!("{}/reseller/analytics?{query}", server.base))
                .set("Authorization", &format!("Bearer {key}"))
                .call()
                .map_err(|e| format!("analytics: {e}"))?
                .into_json()
                .map_err(|e| e.to_string())?;
            millis.push(started.elapsed().as_secs_f64() * 1000.0);
            let tenants = body["tenants"].as_array().map_or(0, Vec::len);
            // Every seeded day counts: five operations of 10..14 requests and a 4xx per day.
            let expected = (10 + 11 + 12 + 13 + 14 + 1) * USAGE_DAYS;
            if tenants != expect_tenants
                || body["tenants"][0]["requests"]["total"].as_i64() != Some(expected)
            {
                return Err(format!("unexpected analytics answer: {body}"));
            }
        }
        millis.sort_by(f64::total_cmp);
        let pct = |p: f64| millis[((millis.len() as f64 * p) as usize).min(millis.len() - 1)];
        Ok((pct(0.5), pct(0.99)))
    };
    Ok(AnalyticsFigures {
        all: timed(&range, 50)?,
        one: timed(&format!("{range}&tenant=bench-7"), 1)?,
        seed_seconds,
    })
}
