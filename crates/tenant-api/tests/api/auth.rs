//! Every authentication scheme answers who the caller is.

use super::*;

#[test]
fn every_scheme_answers_who_am_i() {
    let s = TestServer::start(ALONE);
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "manager");
    for (scheme, auth) in t.schemes() {
        let me = s.call("GET", "/tenant", &auth, None).expect(200).json();
        assert_eq!(me["tenant"]["codeName"], t.code_name.as_str(), "{scheme}");
        assert_eq!(me["tenant"]["environment"], "sandbox");
        let expected = match scheme {
            "sharespine" => "connection_user",
            "bearer" | "x-apikey" => "tenant_token",
            _ => "reseller",
        };
        assert_eq!(me["authenticatedBy"], expected, "{scheme}");
        assert_eq!(
            me["permissions"].as_array().unwrap().len(),
            4,
            "{scheme}: {me}"
        );
    }
    let me = s.call("GET", "/tenant", &t.sharespine(), None).json();
    assert_eq!(
        (me["user"].as_str(), me["connectionId"].as_str()),
        (Some("api"), Some(t.connection.as_str()))
    );
}
