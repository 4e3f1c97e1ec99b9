//! Onboarding throughput and Basic ÷ Bearer on `GET /reseller/tenant/{codeName}`.

use super::*;

pub(super) struct Figures {
    pub(super) flows_per_s: f64,
    /// Median over adjacent rounds of Basic req/s ÷ Bearer req/s.
    pub(super) basic_to_bearer: f64,
    pub(super) bearer_per_s: f64,
    pub(super) basic_per_s: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
}

pub(super) fn bench_backend(bin: &Path, url: &str) -> Result<Figures, String> {
    let key = bench_reseller(bin, url)?;
    let user = cli(
        bin,
        url,
        &[
            "reseller",
            "user",
            "create",
            "--reseller",
            "bench",
            "--login",
            "bench",
        ],
    )?;
    let password = user["password"].as_str().unwrap().to_owned();
    let server = start_server(bin, url)?;
    let base = server.base.clone();
    let bearer = format!("Bearer {key}");
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("bench:{password}")
        )
    );

    // Onboarding flows.
    let flows = load(CLIENTS, FLOW_SECONDS, |client, i| {
        let agent = client;
        let reference = format!("c{}-{}", std::thread::current().name().unwrap_or("t"), i);
        let post = |path: &str, body: Value| {
            agent
                .post(&format!("{base}{path}"))
                .set("Authorization", &bearer)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string())
                .map_err(|e| e.to_string())
                .and_then(|r| r.into_json::<Value>().map_err(|e| e.to_string()))
        };
        let tenant = post(
            "/reseller/tenant",
            json!({"customerReference": reference, "fullName": "Bench", "email": "b@bench.example", "defaultLanguage": "swe"}),
        )?;
        let cn = tenant["codeName"].as_str().ok_or("no codeName")?.to_owned();
        post(
            &format!("/reseller/tenant/{cn}/user"),
            json!({"login": "anna", "email": "a@bench.example"}),
        )?;
        post(&format!("/reseller/tenant/{cn}/connection"), json!({}))?;
        post(
            &format!("/reseller/tenant/{cn}/login/anna"),
            json!({"path": "/"}),
        )?;
        Ok(())
    })?;
    let flows_per_s = flows.count as f64 / flows.seconds;

    // Reads: Basic vs Bearer, interleaved twice so drift hits both alike.
    let first = ureq::get(&format!("{base}/reseller/tenant?limit=1"))
        .set("Authorization", &bearer)
        .call()
        .map_err(|e| e.to_string())?;
    let first: Value = first.into_json().map_err(|e| e.to_string())?;
    let cn = first["data"][0]["codeName"]
        .as_str()
        .ok_or("no tenant")?
        .to_owned();
    let read = |auth: &str| {
        let auth = auth.to_owned();
        let url = format!("{base}/reseller/tenant/{cn}");
        load(CLIENTS, READ_SECONDS, |agent, _| {
            let mut req = agent.get(&url).set("Authorization", &auth);
            if auth.starts_with("Basic") {
                req = req.set("X-Reseller", "bench");
            }
            req.call().map(|_| ()).map_err(|e| e.to_string())
        })
    };
    let mut bearer_runs = Vec::new();
    let mut basic_runs = Vec::new();
    // Adjacent rounds see the same machine: the ratio is the median of the per-pair ratios, so a
    // noisy neighbour during one round does not decide it.
    for _ in 0..READ_ROUNDS {
        bearer_runs.push(read(&bearer)?);
        basic_runs.push(read(&basic)?);
    }
    let mut pair_ratios: Vec<f64> = bearer_runs
        .iter()
        .zip(&basic_runs)
        .map(|(b, a)| (a.count as f64 / a.seconds) / (b.count as f64 / b.seconds))
        .collect();
    eprintln!(
        "   read rounds (bearer/basic req/s): {}",
        bearer_runs
            .iter()
            .zip(&basic_runs)
            .map(|(b, a)| format!(
                "{:.0}/{:.0}",
                b.count as f64 / b.seconds,
                a.count as f64 / a.seconds
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let basic_to_bearer = median(&mut pair_ratios);
    let rate = |runs: &[Load]| {
        runs.iter().map(|r| r.count as f64).sum::<f64>()
            / runs.iter().map(|r| r.seconds).sum::<f64>()
    };
    let mut latencies: Vec<Duration> = bearer_runs
        .iter()
        .flat_map(|r| r.latencies.clone())
        .collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Ok(Figures {
        flows_per_s,
        basic_to_bearer,
        bearer_per_s: rate(&bearer_runs),
        basic_per_s: rate(&basic_runs),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}
