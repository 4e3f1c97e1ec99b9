//! A portal visitor over real HTTP: signed in by a login URL as a browser is, posting forms
//! as the portal's own pages do (same origin, the session's CSRF token).

use crate::client::{agent, send, Auth, Response};
use crate::server::{ApiTenant, TestServer};

/// A browser's session: its cookie and the CSRF token its pages carry.
pub struct Session<'a> {
    s: &'a TestServer,
    pub cookie: String,
    pub csrf: String,
}

impl<'a> Session<'a> {
    /// Opens a login URL for `login` landing on `path`, as a browser would, and keeps the
    /// cookie it sets.
    pub fn sign_in(s: &'a TestServer, t: &ApiTenant, login: &str, path: &str) -> Session<'a> {
        let url = s.login_url(t, login, path);
        let opened = send(&agent(), "GET", &url, &Auth::None, None);
        assert_eq!(opened.status, 303, "{}", opened.text);
        assert_eq!(opened.header("location"), Some(path));
        let set = opened
            .header("set-cookie")
            .expect("a session cookie")
            .to_owned();
        let cookie = set.split(';').next().unwrap().to_owned();
        let mut session = Session {
            s,
            cookie,
            csrf: String::new(),
        };
        session.csrf = csrf_of(&session.get("/portal").expect(200).text);
        session
    }

    pub fn headers(&self, extra: &[(&str, &str)]) -> Auth {
        let mut pairs = vec![("Cookie", self.cookie.as_str())];
        pairs.extend_from_slice(extra);
        Auth::pairs(&pairs)
    }

    pub fn get(&self, path: &str) -> Response {
        send(&agent(), "GET", &self.s.url(path), &self.headers(&[]), None)
    }

    /// A form post as this portal's own page sends it: same origin, with the session's token.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &self.browser_headers())
    }

    /// What Chromium sends with a post from the portal's own page: `Origin: null` (the page's
    /// `Referrer-Policy: no-referrer` says so) and `Sec-Fetch-Site: same-origin`.
    pub fn browser_headers(&self) -> Vec<(String, String)> {
        vec![
            ("Origin".into(), "null".into()),
            ("Sec-Fetch-Site".into(), "same-origin".into()),
        ]
    }

    /// A form post with exactly these fields and headers (besides the cookie).
    pub fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(String, String)],
    ) -> Response {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let extra: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        send(
            &agent(),
            "POST",
            &self.s.url(path),
            &self.headers(&extra),
            Some(("application/x-www-form-urlencoded", &body)),
        )
    }
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("a form with a CSRF token in {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}
