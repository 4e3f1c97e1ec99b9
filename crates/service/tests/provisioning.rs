//! Creating a tenant and provisioning it, on a real database (SQLite, or PostgreSQL with
//! TENANTRY_TEST_DATABASE_URL): `tenant.created` in the creating transaction, then the job
//! appends what it made — sandbox products and orders, connections, the admin user — and
//! `tenant.ready` last, carrying the one-time secrets it was given; the login URL it carries
//! signs in once.

use tenantry_domain::audit::ActorType;
use tenantry_domain::event::EventType;
use tenantry_domain::secret::{NewSecret, StoredSecret};
use tenantry_domain::tenant::{Subscription, TenantDraft, TenantStatus};
use tenantry_domain::{time, Environment};
use tenantry_service::job::{self, Ran};
use tenantry_service::login::{self, LoginTarget, SignIn};
use tenantry_service::provisioning::{Provisioning, Secrets};
use tenantry_service::tenant::{self, NewTenant};
use tenantry_service::{sandbox, Actor, ServiceError};
use tenantry_storage::job::JobKind;
use tenantry_testkit::fixture::{audit_log, events, reseller};
use tenantry_testkit::TestDb;

fn secret(name: &str) -> NewSecret {
    NewSecret {
        secret: format!("{name}-secret"),
        stored: StoredSecret {
            hash: format!("{name}-hash"),
            hint: name[..4].into(),
        },
    }
}

fn new_tenant(reference: &str, provisioning: Provisioning) -> NewTenant {
    NewTenant {
        draft: TenantDraft {
            customer_reference: reference.into(),
            active: true,
            full_name: "Shop AB".into(),
            email: "it@shop.example".into(),
            default_language: "swe".into(),
            languages: vec![],
            options: vec![],
        },
        subscription: Subscription::default(),
        provisioning,
        api_connection: None,
    }
}

fn install(sandbox_orders: i64, login: Option<&str>) -> Provisioning {
    Provisioning {
        api_base_url: "https://tenantry.example".into(),
        company_token: true,
        sandbox_orders,
        login_url: login.map(|l| LoginTarget {
            login: l.into(),
            path: "/orders".into(),
        }),
        login_url_ttl_seconds: 600,
        template: None,
    }
}

#[test]
fn a_created_tenant_is_provisioned_once_and_announced_ready_with_its_secrets() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let actor = Actor::ResellerKey(uuid::Uuid::new_v4());
    let now = time::now();
    let input = NewTenant {
        api_connection: Some(secret("with").stored),
        ..new_tenant("shop", install(3, Some("owner")))
    };
    let (shop, api) = db
        .write(|conn| tenant::create(conn, &actor, &acme, Environment::Sandbox, input, now))
        .unwrap();
    assert_eq!(shop.code_name, "shop-1");
    assert_eq!(shop.status, TenantStatus::Provisioning);
    assert_eq!(api.unwrap().kind, "api");
    let created: Vec<EventType> = events(&db, &acme, Environment::Sandbox)
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        created,
        [EventType::TenantCreated, EventType::ConnectionCreated]
    );

    let made = |_: &tenantry_domain::tenant::Tenant| Secrets {
        company_token: secret("company"),
        login_url: secret("login"),
    };
    let ran = db.write(|conn| job::run_next(conn, now, &made)).unwrap();
    assert_eq!(ran, Ran::Job(JobKind::Provision));
    assert_eq!(
        db.write(|conn| job::run_next(conn, now, &made)).unwrap(),
        Ran::NoneDue,
        "a job runs once"
    );

    let feed = events(&db, &acme, Environment::Sandbox);
    let kinds: Vec<EventType> = feed[2..].iter().map(|e| e.kind).collect();
    let orders = kinds
        .iter()
        .filter(|k| **k == EventType::OrderCreated)
        .count();
    assert_eq!(orders, 3);
    assert_eq!(
        kinds[kinds.len() - 3..],
        [
            EventType::ConnectionCreated,
            EventType::UserCreated,
            EventType::TenantReady
        ]
    );
    assert!(feed.windows(2).all(|w| w[1].sequence == w[0].sequence + 1));
    let ready = &feed.last().unwrap().data;
    assert_eq!(ready["codeName"], "shop-1");
    assert_eq!(ready["status"], "active");
    assert_eq!(ready["companyToken"], "company-secret");
    assert_eq!(ready["sandboxOrders"], 3);
    assert_eq!(ready["apiBaseUrl"], "https://tenantry.example");
    assert_eq!(ready["login"]["login"], "owner");
    assert_eq!(
        ready["login"]["loginUrl"],
        "https://tenantry.example/_tokenlogin/owner/login-secret"
    );
    assert_eq!(ready["login"]["path"], "/orders");
    let user = &feed[feed.len() - 2].data;
    assert_eq!(user["login"], "owner");
    assert_eq!(user["role"], "admin");
    // No event but tenant.ready carries a secret.
    for event in &feed[..feed.len() - 1] {
        let text = event.data.to_string();
        assert!(
            !text.contains("-secret") && !text.contains("-hash"),
            "{text}"
        );
    }

    // The job is audited as the server's.
    let log = audit_log(&db, &acme, Environment::Sandbox);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].actor_type, log[0].actor_id.as_str(), log[0].surface),
        (ActorType::System, "", "worker")
    );
    assert_eq!(
        (log[0].operation.as_str(), log[0].tenant.as_deref()),
        ("provision", Some("shop-1"))
    );

    // The login URL works once.
    let policy = tenantry_domain::login_url::SessionPolicy::default();
    let signed_in = db
        .write(|conn| login::sign_in(conn, "login-hash", "owner", secret("session"), &policy, now))
        .unwrap();
    let SignIn::SignedIn { path, tenant } = signed_in else {
        panic!("not signed in: {signed_in:?}")
    };
    assert_eq!((path.as_str(), tenant.id), ("/orders", shop.id));
    let again = db
        .write(|conn| {
            login::sign_in(
                conn,
                "login-hash",
                "owner",
                secret("session2"),
                &policy,
                now,
            )
        })
        .unwrap();
    assert!(matches!(again, SignIn::Used), "{again:?}");
    let wrong = db
        .write(|conn| {
            login::sign_in(
                conn,
                "login-hash",
                "other",
                secret("session3"),
                &policy,
                now,
            )
        })
        .unwrap();
    assert!(matches!(wrong, SignIn::Unknown), "{wrong:?}");
}

#[test]
fn a_refused_creation_appends_nothing_and_schedules_nothing() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let actor = Actor::Operator;
    let now = time::now();
    let create = |input: NewTenant, environment: Environment| {
        db.write(|conn| tenant::create(conn, &actor, &acme, environment, input, now))
    };
    create(new_tenant("shop", install(0, None)), Environment::Sandbox).unwrap();
    let before = events(&db, &acme, Environment::Sandbox).len();

    let taken = create(new_tenant("shop", install(0, None)), Environment::Sandbox).unwrap_err();
    let ServiceError::TenantExists(existing) = taken else {
        panic!("{taken:?}")
    };
    assert_eq!(existing.code_name, "shop-1");
    let fake_in_production = create(
        new_tenant("live", install(5, None)),
        Environment::Production,
    )
    .unwrap_err();
    assert!(
        fake_in_production
            .to_string()
            .contains("install.sandboxOrders"),
        "{fake_in_production}"
    );
    let bad_login = create(
        new_tenant("other", install(0, Some("no spaces"))),
        Environment::Sandbox,
    )
    .unwrap_err();
    assert!(
        bad_login.to_string().contains("install.loginUrl.login"),
        "{bad_login}"
    );

    assert_eq!(events(&db, &acme, Environment::Sandbox).len(), before);
    assert!(events(&db, &acme, Environment::Production).is_empty());
    let none = |_: &tenantry_domain::tenant::Tenant| -> Secrets { unreachable!() };
    // Only shop-1's provisioning is queued (it asks for a company token: give it one).
    let made = |_: &tenantry_domain::tenant::Tenant| Secrets {
        company_token: secret("company"),
        login_url: secret("login"),
    };
    assert_eq!(
        db.write(|conn| job::run_next(conn, now, &made)).unwrap(),
        Ran::Job(JobKind::Provision)
    );
    assert_eq!(
        db.write(|conn| job::run_next(conn, now, &none)).unwrap(),
        Ran::NoneDue
    );
}

#[test]
fn a_sandbox_fill_appends_product_and_order_events_and_refuses_production() {
    let database = TestDb::new();
    let db = database.connect();
    let acme = reseller(&db, "acme");
    let sandbox_shop = tenantry_testkit::fixture::tenant(&db, &acme, 1, Environment::Sandbox, &[]);
    let live_shop = tenantry_testkit::fixture::tenant(&db, &acme, 2, Environment::Production, &[]);
    let actor = Actor::ResellerUser(uuid::Uuid::new_v4());
    let now = time::now();
    let filled = db
        .write(|conn| sandbox::fill(conn, &actor, &sandbox_shop, 4, now))
        .unwrap();
    assert_eq!(filled.orders_created, 4);
    assert_eq!(
        filled.products_created as usize,
        tenantry_domain::sandbox::PRODUCTS.len()
    );
    let feed = events(&db, &acme, Environment::Sandbox);
    let count = |kind| feed.iter().filter(|e| e.kind == kind).count();
    assert_eq!(
        count(EventType::ProductCreated),
        tenantry_domain::sandbox::PRODUCTS.len()
    );
    assert_eq!(count(EventType::OrderCreated), 4);
    assert!(feed
        .iter()
        .all(|e| e.tenant.as_ref().unwrap().id == sandbox_shop.id));

    // Sandbox order numbers count from the fill's time in microseconds: a later fill.
    let later = now + chrono::Duration::seconds(1);
    let again = db
        .write(|conn| sandbox::fill(conn, &actor, &sandbox_shop, 1, later))
        .unwrap();
    assert_eq!(again.products_created, 0, "the catalogue is made once");

    let refused = db
        .write(|conn| sandbox::fill(conn, &actor, &live_shop, 1, now))
        .unwrap_err();
    assert!(
        matches!(
            refused,
            ServiceError::Conflict {
                code: "production_tenant",
                ..
            }
        ),
        "{refused:?}"
    );
    let out_of_range = db
        .write(|conn| sandbox::fill(conn, &actor, &sandbox_shop, 1001, now))
        .unwrap_err();
    assert!(
        matches!(out_of_range, ServiceError::Invalid(_)),
        "{out_of_range:?}"
    );
    assert!(events(&db, &acme, Environment::Production).is_empty());
}
