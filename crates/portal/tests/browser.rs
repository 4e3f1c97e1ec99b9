//! The portal in a real headless Chromium, driven through chromedriver by fantoccini: open a
//! login URL, land on the deep-linked page, create a connection, see its token once, add a
//! user, change an order's status, edit a product, sign out and see the old session refused. Runs on the backend the environment names, like every
//! suite. Chromium and chromedriver come from Debian (`chromium`, `chromium-driver`; `cargo
//! xtask test` and CI install them): without them this test fails, saying so, rather than
//! passing untested.
//!
//! With `TENANTRY_SCREENSHOTS=dir`, it also saves the pages docs/portal.md shows.

use fantoccini::Locator;
use tenantry_domain::permission::Role;
use tenantry_http::app::Mount;
use tenantry_testkit::browser::{browser, click, driver, expect_text, screenshot, text, type_into};
use tenantry_testkit::server::TestServer;

const ALONE: &[Mount] = &[tenantry_portal::configure];

#[test]
fn a_tenant_admin_configures_a_connection_in_a_real_browser() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = s.api_tenant(&r, "shop", Role::Admin);
    let stored = s.stored_tenant(&t);
    let actor = tenantry_service::Actor::Operator;
    s.db.write(|conn| {
        tenantry_service::sandbox::fill(conn, &actor, &stored, 3, tenantry_domain::time::now())
    })
    .unwrap();
    let order = s
        .db
        .read(|conn| tenantry_storage::order::list(conn, stored.id, 0, &Default::default(), 10))
        .unwrap()
        .rows
        .remove(0);
    let driver = driver();
    let url = s.login_url(&t, "api", "/portal/connections");
    let overview = s.login_url(&t, "api", "/portal");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        // The overview, before anything changes (each login URL starts a session of its own).
        client.goto(&overview).await.unwrap();
        expect_text(&client, "h1", "Overview").await;
        screenshot(&client, "overview").await;

        // The login URL lands on the page it links to.
        client.goto(&url).await.unwrap();
        assert_eq!(
            client.current_url().await.unwrap().path(),
            "/portal/connections"
        );
        expect_text(&client, "h1", "Connections").await;

        // Create a connection through the form.
        client
            .find(Locator::Id("name"))
            .await
            .unwrap()
            .send_keys("Webshop sync")
            .await
            .unwrap();
        let kind = client.find(Locator::Id("type")).await.unwrap();
        kind.clear().await.unwrap();
        kind.send_keys("webshop").await.unwrap();
        client
            .find(Locator::Id("configuration"))
            .await
            .unwrap()
            .send_keys(r#"{"shop": "main"}"#)
            .await
            .unwrap();
        click(&client, Locator::Id("create-connection")).await;
        expect_text(&client, "#notice", "The connection was created.").await;
        let table = text(&client, "#connections").await;
        assert!(
            table.contains("Webshop sync") && table.contains("webshop"),
            "{table}"
        );
        screenshot(&client, "connections").await;

        // Issue the API connection's token: shown once.
        let row = format!(
            "tr[data-connection='{}'] form[action$='/token'] button",
            t.connection
        );
        click(&client, Locator::Css(&row)).await;
        let token = text(&client, "#token").await;
        assert!(token.starts_with("tnt_test_"), "{token}");
        screenshot(&client, "token").await;
        click(&client, Locator::Css("a.button")).await;
        expect_text(&client, "h1", "Connections").await;
        let source = client.source().await.unwrap();
        assert!(!source.contains(&token), "the token is never shown again");
        assert!(source.contains(&format!("ending in {}", &token[token.len() - 4..])));

        // Add a user.
        client.goto(&s.url("/portal/users")).await.unwrap();
        type_into(&client, "login", "erik").await;
        type_into(&client, "full_name", "Erik Ek").await;
        type_into(&client, "email", "erik@shop.example").await;
        click(&client, Locator::Id("create-user")).await;
        expect_text(&client, "#notice", "The user was added.").await;
        assert!(text(&client, "#users").await.contains("Erik Ek"));

        // Change an order's status, from the list to its page.
        client.goto(&s.url("/portal/orders")).await.unwrap();
        screenshot(&client, "orders").await;
        let first = format!("tr[data-order='{}'] a", order.id);
        click(&client, Locator::Css(&first)).await;
        expect_text(&client, "#order-status", "New").await;
        click(&client, Locator::Css("button[data-move='processing']")).await;
        expect_text(&client, "#notice", "The order's status was changed.").await;
        expect_text(&client, "#order-status", "Processing").await;
        screenshot(&client, "order").await;

        // Edit a product's price.
        client.goto(&s.url("/portal/products")).await.unwrap();
        let sku = &order.rows[0].sku;
        let price = client
            .find(Locator::Id(&format!("price-{sku}")))
            .await
            .unwrap();
        price.clear().await.unwrap();
        price.send_keys("42.00").await.unwrap();
        let save = format!("tr[data-product='{sku}'] button");
        click(&client, Locator::Css(&save)).await;
        expect_text(&client, "#notice", "The product was changed.").await;

        // Sign out; the old session is refused.
        click(&client, Locator::Id("sign-out")).await;
        expect_text(&client, "h1", "You are signed out").await;
        client.goto(&s.url("/portal/connections")).await.unwrap();
        expect_text(&client, "h1", "You are not signed in").await;
        client.close().await.unwrap();
    });
    let stored =
        s.db.read(|conn| tenantry_storage::connection::list(conn, t.id.parse().unwrap(), None, 10));
    let names: Vec<String> = stored.unwrap().rows.into_iter().map(|c| c.name).collect();
    assert!(names.contains(&"Webshop sync".to_owned()), "{names:?}");
}
