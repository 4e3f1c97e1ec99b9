//! A real Tenantry application on a loopback port, in this process, on a fresh database: the
//! shared middleware stack (`tenantry_http::app`) with the surfaces a test mounts. A surface
//! crate's tests mount that surface alone; the server crate's mount both.

use crate::client::{agent, basic, send, Auth, Response};
use crate::TestDb;
use actix_web::web;
use serde_json::Value;
use service::reseller::{NewReseller, NewResellerUser};
use std::net::TcpListener;
use std::sync::mpsc;
use tenantry_auth::token::{self, TokenKind};
use tenantry_auth::{password, Authenticator};
use tenantry_domain::permission::Role;
use tenantry_domain::tenant::TenantDraft;
use tenantry_domain::user::UserDraft;
use tenantry_domain::{scope, time, Environment};
use tenantry_http::app::{Mount, Threads};
use tenantry_http::{AppState, AuthThrottle, ServiceConfig};
use tenantry_service::provisioning::Provisioning;
use tenantry_service::tenant::NewTenant;
use tenantry_service::{self as service, Actor};
use tenantry_storage::{reseller as resellers, Database, Owner, PoolOptions};

/// The password of the API user [`TestServer::api_tenant`] creates.
pub const API_PASSWORD: &str = "a long api user password";

/// A tenant with an API connection and an API user `api` ([`TestServer::api_tenant`]), and
/// the reseller that owns it.
#[derive(Clone, Debug)]
pub struct ApiTenant {
    pub id: String,
    pub code_name: String,
    /// The `api` connection's id.
    pub connection: String,
    /// Its company token.
    pub token: String,
    pub reseller: ResellerCreds,
}

impl ApiTenant {
    /// Sharespine: X-Tenant + X-ConnectionId + Basic with the API user's password.
    pub fn sharespine(&self) -> Auth {
        Auth::pairs(&[
            ("X-Tenant", &self.code_name),
            ("X-ConnectionId", &self.connection),
            ("Authorization", &basic("api", API_PASSWORD)),
        ])
    }

    /// Calipsa's company token as `Authorization: Bearer`.
    pub fn bearer(&self) -> Auth {
        Auth::Bearer(self.token.clone())
    }

    /// Partoo's `x-APIKey` with the company token.
    pub fn api_key(&self) -> Auth {
        Auth::ApiKey(self.token.clone())
    }

    /// Calipsa's partner token + X-Tenant-ID: the reseller's key acting for this tenant.
    pub fn as_reseller(&self) -> Auth {
        Auth::pairs(&[
            ("Authorization", &format!("Bearer {}", self.reseller.key)),
            ("X-Tenant-ID", &self.id),
        ])
    }

    /// The reseller's Basic credentials + X-Tenant-ID.
    pub fn as_reseller_basic(&self) -> Auth {
        Auth::pairs(&[
            (
                "Authorization",
                &basic(&self.reseller.login, &self.reseller.password),
            ),
            ("X-Reseller", &self.reseller.code),
            ("X-Tenant-ID", &self.id),
        ])
    }

    /// Every scheme the Tenant API accepts, named.
    pub fn schemes(&self) -> Vec<(&'static str, Auth)> {
        vec![
            ("sharespine", self.sharespine()),
            ("bearer", self.bearer()),
            ("x-apikey", self.api_key()),
            ("reseller+X-Tenant-ID", self.as_reseller()),
            ("reseller basic+X-Tenant-ID", self.as_reseller_basic()),
        ]
    }
}

/// A reseller's credentials, one of each kind.
#[derive(Clone, Debug)]
pub struct ResellerCreds {
    pub code: String,
    pub login: String,
    pub password: String,
    pub key: String,
    pub key_id: uuid::Uuid,
    pub environment: Environment,
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

/// A real Tenantry server on a loopback port, on a fresh database.
pub struct TestServer {
    pub base: String,
    pub db: Database,
    agent: ureq::Agent,
    handle: Option<actix_web::dev::ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Released (dropped in the test's thread) once the server has stopped.
    state: Option<web::Data<AppState>>,
    /// What it serves; a second server on its database serves the same.
    mounts: &'static [Mount],
    /// The database this server owns and drops; `None` for a second server on another's.
    _database: Option<TestDb>,
}

impl TestServer {
    /// A server mounting `mounts` on a fresh database.
    pub fn start(mounts: &'static [Mount]) -> TestServer {
        TestServer::start_with(mounts, ServiceConfig::default())
    }

    /// A server whose resellers may register webhooks on loopback (the receivers tests run).
    pub fn with_webhooks(mounts: &'static [Mount]) -> TestServer {
        TestServer::start_with(
            mounts,
            ServiceConfig {
                webhook_policy: tenantry_domain::webhook::UrlPolicy {
                    allow_private: true,
                },
                ..Default::default()
            },
        )
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

    pub fn start_with(mounts: &'static [Mount], config: ServiceConfig) -> TestServer {
        TestServer::start_on_fresh_db(mounts, config, AuthThrottle::default())
    }

    /// A server without the failed-authentication throttle, for tests that send hundreds of
    /// wrong credentials to check each endpoint's 401 (tests/throttle.rs tests the throttle).
    pub fn unthrottled(mounts: &'static [Mount]) -> TestServer {
        TestServer::start_on_fresh_db(
            mounts,
            ServiceConfig::default(),
            AuthThrottle::new(false, Vec::new()),
        )
    }

    /// A server that trusts its loopback peer as a proxy: requests name their client in
    /// `X-Forwarded-For`.
    pub fn behind_proxy(mounts: &'static [Mount]) -> TestServer {
        TestServer::start_on_fresh_db(
            mounts,
            ServiceConfig::default(),
            AuthThrottle::new(true, vec![std::net::Ipv4Addr::LOCALHOST.into()]),
        )
    }

    fn start_on_fresh_db(
        mounts: &'static [Mount],
        config: ServiceConfig,
        throttle: AuthThrottle,
    ) -> TestServer {
        let database = TestDb::new();
        let db = database.connect();
        let mut server = TestServer::serve(db, mounts, config, throttle);
        server._database = Some(database);
        server
    }

    /// A server whose database has a streaming replica for the Tenant API's list and sync
    /// reads, as `serve --read-database-url` has: PostgreSQL only, the replica named by
    /// `TENANTRY_TEST_REPLICA_URL` (`.ci/run` starts one with `pg_basebackup -R`). Waits until
    /// the replica has replayed the test database's creation and migrations.
    pub fn with_replica(mounts: &'static [Mount]) -> TestServer {
        let database = TestDb::new();
        let db = database.connect();
        let replica = crate::replica_url(&database.url);
        let expected = db
            .applied_migrations()
            .expect("count the primary's migrations");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let replayed = Database::connect(&replica, PoolOptions::default())
                .and_then(|r| r.applied_migrations())
                .unwrap_or(0);
            if replayed == expected {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the replica {replica} has not replayed the test database within 30 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let db = db.with_replica(&replica).expect("a replica pool");
        let mut server = TestServer::serve(
            db,
            mounts,
            ServiceConfig::default(),
            AuthThrottle::default(),
        );
        server._database = Some(database);
        server
    }

    /// Another server process's stand-in: a second server, with its own state (caches,
    /// limiters), on this server's database.
    pub fn second(&self) -> TestServer {
        self.on_surface(self.mounts)
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
        TestServer::serve(
            db,
            self.mounts,
            ServiceConfig::default(),
            AuthThrottle::default(),
        )
    }

    /// A second server on this server's database that mounts only `mounts`, as a process
    /// started with `--surface` does.
    pub fn on_surface(&self, mounts: &'static [Mount]) -> TestServer {
        TestServer::serve(
            self.db.clone(),
            mounts,
            ServiceConfig::default(),
            AuthThrottle::default(),
        )
    }

    fn serve(
        db: Database,
        mounts: &'static [Mount],
        config: ServiceConfig,
        throttle: AuthThrottle,
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
                let (server, addr) = tenantry_http::app::server(
                    state,
                    listener,
                    mounts,
                    Threads {
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
            mounts,
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

    /// The `data` of the list page `GET path` answers, which must be 200.
    pub fn list(&self, path: &str, auth: &Auth) -> Vec<Value> {
        match self.call("GET", path, auth, None).expect(200).json()["data"].take() {
            Value::Array(rows) => rows,
            other => panic!("GET {path}: `data` is not a list: {other}"),
        }
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
        let new = NewReseller {
            code: code.into(),
            name: format!("Reseller {code}"),
            code_name_prefix: String::new(),
            capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
        };
        let actor = &Actor::Operator;
        self.db
            .write(|conn| {
                service::reseller::create(conn, actor, new, time::now())?;
                // Suites make hundreds of requests a minute; rate-limit tests set their own.
                service::reseller::set_rate_limit(conn, actor, code, 1_000_000)
            })
            .expect("create reseller");
        self.credentials(code, environment)
    }

    /// Another user and key of an existing reseller, in `environment`: the key holds every
    /// scope.
    pub fn credentials(&self, code: &str, environment: Environment) -> ResellerCreds {
        let login = format!(
            "user-{environment}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let password = "a long test password".to_owned();
        let new = NewResellerUser {
            login: login.clone(),
            password_hash: password::hash(&password),
            environment,
        };
        let token = token::generate(TokenKind::ResellerKey, environment);
        let actor = &Actor::Operator;
        let key = self
            .db
            .write(|conn| {
                let user = service::reseller::create_user(conn, actor, code, new, time::now())?;
                let owner = Owner {
                    reseller_id: user.reseller_id,
                    environment,
                };
                let (name, scopes) = ("test", scope::ALL.to_vec());
                let stored = token.stored.clone();
                service::key::create(conn, actor, &owner, name, scopes, stored, time::now())
            })
            .expect("create reseller user and key");
        ResellerCreds {
            code: code.into(),
            login,
            password,
            key: token.secret,
            key_id: key.id,
            environment,
        }
    }

    /// A tenant of `reseller` made through the use cases, as `POST /reseller/tenant` with
    /// `withApiConnection` and `POST …/user` make it, so a server mounting the Tenant API alone
    /// can be tested: its default `api` connection with the company token, and an API user
    /// `api` (English-speaking) with `role` and the password [`API_PASSWORD`].
    pub fn api_tenant(&self, reseller: &ResellerCreds, reference: &str, role: Role) -> ApiTenant {
        let environment = reseller.environment;
        let token = token::generate(TokenKind::TenantToken, environment);
        let input = NewTenant {
            draft: TenantDraft {
                customer_reference: reference.into(),
                active: true,
                full_name: "Shop AB".into(),
                email: "shop@x.example".into(),
                default_language: "swe".into(),
                languages: vec![],
                options: vec![],
            },
            subscription: Default::default(),
            provisioning: Provisioning {
                api_base_url: self.base.clone(),
                company_token: false,
                sandbox_orders: 0,
                login_url: None,
                login_url_ttl_seconds: 0,
                template: None,
            },
            api_connection: Some(token.stored.clone()),
        };
        let user = UserDraft {
            login: "api".into(),
            full_name: String::new(),
            email: "api@x.example".into(),
            permissions: vec![],
            role,
            default_language: "eng".into(),
            password: None,
        };
        let password_hash = password::hash(API_PASSWORD);
        let actor = &Actor::ResellerKey(reseller.key_id);
        let (tenant, connection) = self
            .db
            .write(|conn| {
                let owner = resellers::find_by_code(conn, &reseller.code)?;
                let now = time::now();
                let (tenant, connection) =
                    service::tenant::create(conn, actor, &owner, environment, input, now)?;
                let user = user.check()?;
                service::user::create(conn, actor, &tenant, user, Some(password_hash), now)?;
                Ok::<_, service::ServiceError>((tenant, connection))
            })
            .expect("create a tenant with an API connection and user");
        ApiTenant {
            id: tenant.id.to_string(),
            code_name: tenant.code_name,
            connection: connection.expect("the api connection").id.to_string(),
            token: token.secret,
            reseller: reseller.clone(),
        }
    }

    /// The tenant `tenant` names, as stored now.
    pub fn stored_tenant(&self, tenant: &ApiTenant) -> tenantry_domain::tenant::Tenant {
        let id = tenant.id.parse().expect("a tenant id");
        self.db
            .read(|conn| tenantry_storage::tenant::find_unscoped(conn, id))
            .expect("read the tenant")
            .expect("the tenant exists")
    }

    /// Another user `login` of `tenant` with `role` and the default language `language`
    /// (`swe` for Swedish pages), made through the use case.
    pub fn tenant_user(&self, tenant: &ApiTenant, login: &str, role: Role, language: &str) {
        let stored = self.stored_tenant(tenant);
        let draft = UserDraft {
            login: login.into(),
            full_name: format!("{login} Person"),
            email: format!("{login}@x.example"),
            permissions: vec![],
            role,
            default_language: language.into(),
            password: None,
        };
        let actor = &Actor::ResellerKey(tenant.reseller.key_id);
        self.db
            .write(|conn| {
                let draft = draft.check()?;
                service::user::create(conn, actor, &stored, draft, None, time::now())
            })
            .expect("create a tenant user");
    }

    /// A login URL for user `login` of `tenant` that lands on `path`, issued through the use
    /// case as `POST …/login/{login}` issues it.
    pub fn login_url(&self, tenant: &ApiTenant, login: &str, path: &str) -> String {
        let stored = self.stored_tenant(tenant);
        let target = tenantry_service::login::LoginTarget {
            login: login.into(),
            path: path.into(),
        };
        let urls = tenantry_service::login::LoginUrls {
            base: self.base.clone(),
            ttl: tenantry_domain::login_url::DEFAULT_TTL,
        };
        let actor = &Actor::ResellerKey(tenant.reseller.key_id);
        self.db
            .write(|conn| {
                service::login::issue(
                    conn,
                    actor,
                    &stored,
                    target,
                    &urls,
                    token::one_time(),
                    time::now(),
                )
            })
            .expect("issue a login URL")
            .login_url
    }

    /// Creates a tenant with an API connection and returns the connection's company token.
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
            tenantry_http::app::release(state);
        }
    }
}
