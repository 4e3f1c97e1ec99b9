//! A small blocking HTTP client for tests: requests with any of the products' credentials,
//! answers read whole, problem+json checked.

use serde_json::Value;

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Basic {
        reseller: String,
        login: String,
        password: String,
    },
    Bearer(String),
    ApiKey(String),
    /// Raw headers, for malformed credentials.
    Headers(Vec<(String, String)>),
}

impl Auth {
    /// Exactly these headers.
    pub fn pairs(pairs: &[(&str, &str)]) -> Auth {
        Auth::Headers(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// These credentials plus one more header.
    pub fn with(&self, name: &str, value: &str) -> Auth {
        let mut headers = self.headers();
        headers.push((name.to_owned(), value.to_owned()));
        Auth::Headers(headers)
    }

    /// The request headers these credentials send.
    pub fn headers(&self) -> Vec<(String, String)> {
        match self {
            Auth::None => vec![],
            Auth::Basic {
                reseller,
                login,
                password,
            } => vec![
                ("Authorization".into(), basic(login, password)),
                ("X-Reseller".into(), reseller.clone()),
            ],
            Auth::Bearer(key) => vec![("Authorization".into(), format!("Bearer {key}"))],
            Auth::ApiKey(key) => vec![("x-APIKey".into(), key.clone())],
            Auth::Headers(h) => h.clone(),
        }
    }
}

/// An `Authorization: Basic` value.
pub fn basic(login: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    )
}

/// A response, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.text);
        self
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["code"], code, "body: {body}");
        assert_eq!(body["status"], status);
        assert!(
            body["requestId"].as_str().is_some_and(|id| !id.is_empty()),
            "requestId in {body}"
        );
        assert_eq!(
            Some(body["requestId"].as_str().unwrap()),
            self.header("x-request-id")
        );
        body
    }
}

/// A plain HTTP client that follows no redirects.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// Sends one request.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    auth: &Auth,
    body: Option<(&str, &str)>,
) -> Response {
    let mut req = agent.request(method, url);
    for (k, v) in auth.headers() {
        req = req.set(&k, &v);
    }
    let result = match body {
        Some((content_type, text)) => {
            if !content_type.is_empty() {
                req = req.set("Content-Type", content_type);
            }
            req.send_string(text)
        }
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|name| {
            response
                .all(&name)
                .into_iter()
                .map(|v| (name.clone(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let text = response.into_string().unwrap_or_default();
    Response {
        status,
        headers,
        text,
    }
}
