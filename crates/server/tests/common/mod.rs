//! The integration-test harness: a fresh real database per test (a SQLite file, or a new
//! PostgreSQL database when `TENANTRY_TEST_DATABASE_URL` names a server), a real server on a
//! loopback port, and a small HTTP client.
#![allow(dead_code)]

pub mod process;
pub mod receiver;

use actix_web::web;
use serde_json::Value;
use std::net::TcpListener;
use std::sync::mpsc;
use tenantry_auth::Authenticator;
use tenantry_domain::Environment;
use tenantry_http::{AppState, AuthThrottle, ServiceConfig};
use tenantry_server::{admin, Surface};
use tenantry_storage::{Database, PoolOptions};
#[allow(unused_imports)] // each test binary uses its part
pub use tenantry_testkit::{backend, TestDb};

/// A reseller's credentials, one of each kind.
#[derive(Clone, Debug)]
pub struct ResellerCreds {
    pub code: String,
    pub login: String,
    pub password: String,
    pub key: String,
    pub key_id: uuid::Uuid,
}

impl ResellerCreds {
    pub fn basic(&self) -> Auth {
        Auth::Basic {
            reseller: self.code.clone(),
            login: self.login.clone(),
            password: self.password.clone(),
        }
    }

    pub fn bearer(&self) -> Auth {
        Auth::Bearer(self.key.clone())
    }

    pub fn api_key(&self) -> Auth {
        Auth::ApiKey(self.key.clone())
    }

    /// The three schemes, named.
    pub fn schemes(&self) -> Vec<(&'static str, Auth)> {
        vec![
            ("basic", self.basic()),
            ("bearer", self.bearer()),
            ("x-apikey", self.api_key()),
        ]
    }
}

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
    /// These credentials plus one more header.
    #[allow(dead_code)]
    pub fn with(&self, name: &str, value: &str) -> Auth {
        let mut headers = self.headers();
        headers.push((name.to_owned(), value.to_owned()));
        Auth::Headers(headers)
    }

    fn headers(&self) -> Vec<(String, String)> {
        use base64::Engine;
        match self {
            Auth::None => vec![],
            Auth::Basic {
                reseller,
                login,
                password,
            } => vec![
                (
                    "Authorization".into(),
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{login}:{password}"))
                    ),
                ),
                ("X-Reseller".into(), reseller.clone()),
            ],
            Auth::Bearer(key) => vec![("Authorization".into(), format!("Bearer {key}"))],
            Auth::ApiKey(key) => vec![("x-APIKey".into(), key.clone())],
            Auth::Headers(h) => h.clone(),
        }
    }
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

/// A real Tenantry server on a loopback port, on a fresh database.
pub struct TestServer {
    pub base: String,
    pub db: Database,
    agent: ureq::Agent,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Released (dropped in the test's thread) once the server has stopped.
    state: Option<web::Data<AppState>>,
    /// The database this server owns and drops; `None` for a second server on another's.
    _database: Option<TestDb>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(ServiceConfig::default())
    }

    /// A server whose resellers may register webhooks on loopback (the receivers tests run).
    pub fn with_webhooks() -> TestServer {
        TestServer::start_with(ServiceConfig {
            webhook_policy: tenantry_domain::webhook::UrlPolicy {
                allow_private: true,
            },
            ..Default::default()
        })
    }

    /// A delivery worker on this server's database, run by the test (`drain(now)`), so retries
    /// are driven by a clock the test sets rather than by waiting.
    pub fn dispatcher(&self) -> tenantry_webhook::Dispatcher {
        tenantry_webhook::Dispatcher::new(
            self.db.clone(),
            tenantry_webhook::Settings {
                policy: tenantry_domain::webhook::UrlPolicy {
                    allow_private: true,
                },
                timeout: std::time::Duration::from_secs(5),
                ..Default::default()
            },
        )
    }

    pub fn start_with(config: ServiceConfig) -> TestServer {
        TestServer::start_on_fresh_db(config, AuthThrottle::default())
    }

    /// A server without the failed-authentication throttle, for tests that send hundreds of
    /// wrong credentials to check each endpoint's 401 (tests/throttle.rs tests the throttle).
    pub fn unthrottled() -> TestServer {
        TestServer::start_on_fresh_db(
            ServiceConfig::default(),
            AuthThrottle::new(false, Vec::new()),
        )
    }

    /// A server that trusts its loopback peer as a proxy: requests name their client in
    /// `X-Forwarded-For`.
    pub fn behind_proxy() -> TestServer {
        TestServer::start_on_fresh_db(
            ServiceConfig::default(),
            AuthThrottle::new(true, vec![std::net::Ipv4Addr::LOCALHOST.into()]),
        )
    }

    fn start_on_fresh_db(config: ServiceConfig, throttle: AuthThrottle) -> TestServer {
        let database = TestDb::new();
        let db = database.connect();
        let mut server = TestServer::serve(db, config, throttle);
        server._database = Some(database);
        server
    }

    /// Another server process's stand-in: a second server, with its own state (caches,
    /// limiters), on this server's database.
    #[allow(dead_code)]
    pub fn second(&self) -> TestServer {
        TestServer::serve(
            self.db.clone(),
            ServiceConfig::default(),
            AuthThrottle::default(),
        )
    }

    /// A new process's stand-in: a second server with a pool of its own on this database.
    pub fn restarted(&self) -> TestServer {
        let url = &self
            ._database
            .as_ref()
            .expect("the first server owns the database")
            .url;
        let db = Database::connect(
            url,
            PoolOptions {
                max_size: 8,
                ..Default::default()
            },
        )
        .expect("connect");
        TestServer::serve(db, ServiceConfig::default(), AuthThrottle::default())
    }

    /// A second server on this server's database that serves only `surface`, as a process
    /// started with `--surface` does.
    #[allow(dead_code)]
    pub fn on_surface(&self, surface: Surface) -> TestServer {
        TestServer::serve_surface(
            self.db.clone(),
            ServiceConfig::default(),
            AuthThrottle::default(),
            surface,
        )
    }

    fn serve(db: Database, config: ServiceConfig, throttle: AuthThrottle) -> TestServer {
        TestServer::serve_surface(db, config, throttle, Surface::All)
    }

    fn serve_surface(
        db: Database,
        config: ServiceConfig,
        throttle: AuthThrottle,
        surface: Surface,
    ) -> TestServer {
        let state = web::Data::new(AppState {
            db: db.clone(),
            auth: Authenticator::default(),
            config,
            limits: Default::default(),
            throttle,
            metrics: Default::default(),
            audit: tenantry_http::AuditLog::new(db.clone()),
            usage: tenantry_http::UsageMeter::new(db.clone(), true),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let (tx, rx) = mpsc::channel();
        let kept = state.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (server, addr) = tenantry_server::server(
                    state,
                    listener,
                    surface,
                    tenantry_server::Threads {
                        workers: Some(2),
                        ..Default::default()
                    },
                )
                .expect("server");
                tx.send((server.handle(), addr))
                    .expect("report the address");
                server.await.expect("server runs");
            })
        });
        let (handle, addr) = rx.recv().expect("server started");
        TestServer {
            base: format!("http://{addr}"),
            db,
            agent: agent(),
            handle: Some(handle),
            thread: Some(thread),
            state: Some(kept),
            _database: None,
        }
    }

    /// The server's application state (its audit log, meters, limiters).
    pub fn state(&self) -> &AppState {
        self.state.as_ref().expect("a running server has its state")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with a JSON body (or none).
    pub fn call(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> Response {
        let text = body.map(|b| b.to_string());
        send(
            &self.agent,
            method,
            &self.url(path),
            auth,
            text.as_deref().map(|t| ("application/json", t)),
        )
    }

    /// A request with a raw body and content type ("" sends none).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        content_type: &str,
        body: &str,
    ) -> Response {
        send(
            &self.agent,
            method,
            &self.url(path),
            auth,
            Some((content_type, body)),
        )
    }

    /// A request with extra headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let auth = Auth::Headers(
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        send(&self.agent, "GET", &self.url(path), &auth, None)
    }

    /// Creates a reseller with a sandbox user and a sandbox key.
    pub fn reseller(&self, code: &str) -> ResellerCreds {
        self.reseller_in(code, Environment::Sandbox, &["analytics", "orders"])
    }

    pub fn reseller_in(
        &self,
        code: &str,
        environment: Environment,
        capabilities: &[&str],
    ) -> ResellerCreds {
        let caps = capabilities.iter().map(|c| c.to_string()).collect();
        admin::create_reseller(&self.db, code, &format!("Reseller {code}"), "", caps)
            .expect("create reseller");
        // Suites make hundreds of requests a minute; tests/rate_limit.rs sets its own limits.
        admin::update_reseller(&self.db, code, Some(1_000_000)).expect("raise the rate limit");
        self.credentials(code, environment)
    }

    /// Another user and key of an existing reseller, in `environment`.
    pub fn credentials(&self, code: &str, environment: Environment) -> ResellerCreds {
        let login = format!(
            "user-{environment}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let user = admin::create_reseller_user(
            &self.db,
            code,
            &login,
            Some("a long test password".into()),
            environment,
        )
        .expect("create reseller user");
        let key = admin::create_key(&self.db, code, "test", environment, &[]).expect("create key");
        ResellerCreds {
            code: code.into(),
            login: user.login,
            password: user.password,
            key: key.key,
            key_id: key.id,
        }
    }

    /// Creates a tenant with an API connection and returns the connection's company token.
    #[allow(dead_code)]
    pub fn company_token(&self, auth: &Auth, reference: &str) -> Auth {
        let body = serde_json::json!({
            "customerReference": reference, "fullName": format!("{reference} AB"),
            "email": "it@example.com", "defaultLanguage": "swe", "withApiConnection": true
        });
        let tenant = self
            .call("POST", "/reseller/tenant", auth, Some(body))
            .expect(201)
            .json();
        Auth::Bearer(
            tenant["connection"]["token"]
                .as_str()
                .expect("token")
                .to_owned(),
        )
    }

    /// Creates a tenant and returns its codeName.
    pub fn tenant(&self, auth: &Auth, reference: &str) -> String {
        let body = serde_json::json!({
            "customerReference": reference, "active": true, "fullName": format!("{reference} AB"),
            "email": "it@example.com", "defaultLanguage": "swe", "languages": ["swe"], "options": []
        });
        let r = self
            .call("POST", "/reseller/tenant", auth, Some(body))
            .expect(201);
        r.json()["codeName"].as_str().expect("codeName").to_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            actix_web::rt::System::new().block_on(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(state) = self.state.take() {
            tenantry_server::release(state);
        }
    }
}
