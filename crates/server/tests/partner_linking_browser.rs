//! The whole partner-linking handshake in a real headless Chromium: a tenant admin opens a
//! login URL, clicks Connect on the Integrations page, confirms on the consent page, and the
//! browser is sent to a partner site this test serves; the partner posts the uid back to
//! Tenantry's partner endpoint over HTTP and sends the browser to the callback, which shows
//! the service added. Then the admin disconnects it, and the partner's token stops working.
//! Runs on the backend the environment names; without Chromium it fails, saying so.
//!
//! With `TENANTRY_SCREENSHOTS=dir`, it also saves the pages docs/partner-linking.md shows.

mod common;

use common::{agent, send, Auth, TestServer, BOTH};
use fantoccini::Locator;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use tenantry_domain::permission::Role;
use tenantry_testkit::browser::{browser, click, driver, expect_text, screenshot, text};

/// What the partner site's post-backs were answered with.
type Answers = Arc<Mutex<Vec<(u16, Value)>>>;

/// A partner's site on a loopback port: `GET /connect?uid&email&callback` posts the uid back
/// to `link_endpoint` with `auth` and the partner's own payload, then sends the browser to
/// `callback` (303), as the seed's partner does.
fn partner_site(link_endpoint: String, auth: Auth) -> (String, Answers) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/connect", listener.local_addr().unwrap());
    let answers: Answers = Arc::default();
    let recorded = answers.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (endpoint, auth, recorded) =
                (link_endpoint.clone(), auth.clone(), recorded.clone());
            // A connection per thread: Chromium opens spare ones it may never use.
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                    return;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/");
                let url = url::Url::parse(&format!("http://partner{target}")).unwrap();
                if url.path() != "/connect" {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                }
                let param = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                let body = json!({
                    "link_uid": param("uid"),
                    "user_email": param("email"),
                    "projectUid": "proj-42",
                })
                .to_string();
                let answer = send(
                    &agent(),
                    "POST",
                    &endpoint,
                    &auth,
                    Some(("application/json", &body)),
                );
                recorded
                    .lock()
                    .unwrap()
                    .push((answer.status, answer.json()));
                let reply = format!(
                    "HTTP/1.1 303 See Other\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    param("callback")
                );
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    (url, answers)
}

#[test]
fn a_tenant_admin_links_a_partner_service_in_a_real_browser() {
    let s = TestServer::start(BOTH);
    let acme = s.reseller("acme");
    let shop = s.api_tenant(&acme, "shop", Role::Admin);
    let partner = s.reseller("backup");
    tenantry_server::admin::update_reseller(&s.db, "backup", None, Some(true)).unwrap();
    // The integration is made first, so its partner endpoint is known; then pointed at the
    // partner site that posts to it.
    let made = s
        .call(
            "POST",
            "/reseller/integration",
            &partner.bearer(),
            Some(json!({
                "name": "Acme Backup",
                "description": "Nightly backups of your orders, kept for a year.",
                "redirectUrl": "https://backup.example/connect",
                "connectionType": "acme_backup",
                "permissions": ["order:read", "product:read"],
                "visibility": "all",
            })),
        )
        .expect(201)
        .json();
    let id = made["id"].as_str().unwrap().to_owned();
    let endpoint = s.url(made["linkEndpoint"].as_str().unwrap());
    let (site, answers) = partner_site(endpoint, partner.bearer());
    s.call(
        "PATCH",
        &format!("/reseller/integration/{id}"),
        &partner.bearer(),
        Some(json!({"redirectUrl": site})),
    )
    .expect(200);

    let driver = driver();
    let login = s.login_url(&shop, "api", "/portal/integrations");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        client.goto(&login).await.unwrap();
        expect_text(&client, "h1", "Integrations").await;
        screenshot(&client, "integrations").await;
        click(&client, Locator::Css(&format!("a[data-connect='{id}']"))).await;
        expect_text(&client, "h1", "Connect Acme Backup").await;
        let permissions = text(&client, "#consent-permissions").await;
        assert!(
            permissions.contains("Read orders") && permissions.contains("Read products"),
            "{permissions}"
        );
        screenshot(&client, "consent").await;

        // Consent: to the partner and back.
        click(&client, Locator::Id("confirm-connect")).await;
        expect_text(
            &client,
            "#link-state",
            "Acme Backup was added to this account.",
        )
        .await;
        let back = client.current_url().await.unwrap();
        assert_eq!(back.path(), "/portal/integrations/callback");
        screenshot(&client, "integration-linked").await;

        client.goto(&s.url("/portal/integrations")).await.unwrap();
        let links = text(&client, "#links").await;
        assert!(
            links.contains("Acme Backup") && links.contains("Connected"),
            "{links}"
        );
        click(&client, Locator::Css("#links button.danger")).await;
        expect_text(
            &client,
            "#notice",
            "The integration was disconnected: its access ended at once.",
        )
        .await;
        client.close().await.unwrap();
    });

    let answers = answers.lock().unwrap().clone();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let (status, answer) = &answers[0];
    assert_eq!(*status, 200, "{answer}");
    assert_eq!(answer["status"], "service added");
    let token = Auth::Bearer(answer["token"].as_str().unwrap().to_owned());
    s.call("GET", "/tenant/order", &token, None)
        .expect_problem(401, "unauthorized");
    let connection = s
        .call(
            "GET",
            &format!(
                "/reseller/tenant/{}/connection/{}",
                shop.code_name,
                answer["connectionId"].as_str().unwrap()
            ),
            &acme.bearer(),
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        connection["configuration"],
        json!({"projectUid": "proj-42"})
    );
    assert_eq!(connection["active"], false);
}
