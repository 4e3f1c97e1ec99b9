//! `/portal/settings`: an admin changes the account's name, email and languages; the
//! reseller's fields stay the reseller's.

use super::*;
use tenantry_domain::event::EventType;
use tenantry_testkit::fixture;

#[test]
fn an_admin_saves_the_settings_and_the_tenant_updated_event_follows() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    let admin = Session::sign_in(&s, &t, "api", "/portal/settings");
    let page = admin.get("/portal/settings").expect(200).text;
    assert!(
        page.contains("<code>shop</code>"),
        "the customerReference, read-only: {page}"
    );
    assert!(page.contains("id=\"save-settings\""));
    admin
        .post(
            "/portal/settings",
            &[
                ("full_name", "Shop Sverige AB"),
                ("email", "info@shop.example"),
                ("default_language", "swe"),
                ("languages", "swe, eng"),
                // A forged field the page never sends changes nothing.
                ("customer_reference", "hijacked"),
            ],
        )
        .expect(303);
    let stored = s.stored_tenant(&t);
    assert_eq!(stored.full_name, "Shop Sverige AB");
    assert_eq!(stored.email, "info@shop.example");
    assert_eq!(stored.languages, ["swe", "eng"]);
    assert_eq!(stored.customer_reference, "shop");
    let reseller =
        s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, &t.reseller.code))
            .unwrap();
    let last = fixture::events(&s.db, &reseller, t.reseller.environment)
        .pop()
        .unwrap();
    assert_eq!(last.kind, EventType::TenantUpdated);
    assert_eq!(last.data["fullName"], "Shop Sverige AB");

    let bad = admin.post(
        "/portal/settings",
        &[
            ("full_name", ""),
            ("email", "nope"),
            ("default_language", "swe"),
            ("languages", "swe"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("id=\"full_name-error\"") && bad.text.contains("id=\"email-error\""));
    assert_eq!(
        s.stored_tenant(&t).full_name,
        "Shop Sverige AB",
        "nothing saved"
    );
}

#[test]
fn managers_and_viewers_read_the_settings_and_cannot_save_them() {
    let s = TestServer::start(ALONE);
    let t = tenant(&s);
    for login in ["manager", "viewer"] {
        let session = Session::sign_in(&s, &t, login, "/portal/settings");
        let page = session.get("/portal/settings").expect(200).text;
        assert!(page.contains("id=\"read-only\"") && !page.contains("id=\"save-settings\""));
        let forged = session.post(
            "/portal/settings",
            &[
                ("full_name", "Mine"),
                ("email", "m@x.example"),
                ("default_language", "eng"),
                ("languages", "eng"),
            ],
        );
        assert_eq!(forged.status, 403, "{login}");
    }
    assert_eq!(s.stored_tenant(&t).full_name, "Shop AB");
}
