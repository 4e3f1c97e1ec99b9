//! `/metrics`: Prometheus counters by route, method and status, latency histograms and pool
//! gauges, equal to the requests a test made.

mod common;

use common::{Auth, TestServer, BOTH};

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no `{series}` in:\n{text}"))
}

#[test]
fn metrics_count_requests_by_route_and_status_time_them_and_show_the_pool() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("metered");
    let code_name = s.tenant(&r.bearer(), "m-1");
    for _ in 0..3 {
        s.call(
            "GET",
            &format!("/reseller/tenant/{code_name}"),
            &r.bearer(),
            None,
        )
        .expect(200);
    }
    s.call("GET", "/reseller/tenant/nobody-1", &r.bearer(), None)
        .expect(404);
    s.call("GET", "/reseller/tenant", &Auth::None, None)
        .expect(401);

    let response = s.call("GET", "/metrics", &Auth::None, None).expect(200);
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text;
    let requests = |route: &str, method: &str, status: u16| {
        value(
            &text,
            &format!(
                "tenantry_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    // By route pattern, not path: the 200s and the 404 share a route.
    assert_eq!(requests("/reseller/tenant/{codeName}", "GET", 200), 3.0);
    assert_eq!(requests("/reseller/tenant/{codeName}", "GET", 404), 1.0);
    assert_eq!(requests("/reseller/tenant", "GET", 401), 1.0);
    assert_eq!(requests("/reseller/tenant", "POST", 201), 1.0);
    let labels = "method=\"GET\",route=\"/reseller/tenant/{codeName}\"";
    assert_eq!(
        value(
            &text,
            &format!("tenantry_http_request_duration_seconds_count{{{labels}}}")
        ),
        4.0
    );
    assert_eq!(
        value(
            &text,
            &format!("tenantry_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}}")
        ),
        4.0
    );
    assert!(
        value(
            &text,
            &format!("tenantry_http_request_duration_seconds_sum{{{labels}}}")
        ) > 0.0
    );
    assert!(value(&text, "tenantry_db_pool_max_connections") >= 1.0);
    assert!(value(&text, "tenantry_db_pool_connections") >= 1.0);
}
