//! `tenantry`: the server and the operator's command line.

use actix_web::web;

/// glibc's malloc spends a fifth of the order-sync request path in its own locks under many
/// threads (measured with perf); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Args, Parser, Subcommand};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use tenantry_auth::Authenticator;
use tenantry_domain::Environment;
use tenantry_http::{AppState, AuditLog, Metrics, RateLimits, ServiceConfig, UsageMeter};
use tenantry_server::{admin, bootstrap, Surface};
use tenantry_storage::{Database, PoolOptions};

#[derive(Parser)]
#[command(
    name = "tenantry",
    version,
    about = "Self-hosted reseller & tenant API platform"
)]
struct Cli {
    /// sqlite://PATH (the default, embedded) or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "TENANTRY_DATABASE_URL",
        default_value = "sqlite://tenantry.db"
    )]
    database_url: String,
    /// Database connections per process.
    #[arg(long, global = true, env = "TENANTRY_POOL_SIZE", default_value_t = 16)]
    pool_size: u32,
    /// Print one JSON object on stdout (secrets included, once) instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, bootstrap a first reseller on an empty database, and serve HTTP.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage resellers (integration partners).
    #[command(subcommand)]
    Reseller(ResellerCommand),
    /// Print an API surface's OpenAPI document (what `cargo xtask openapi` writes to docs/openapi/).
    Openapi {
        #[arg(value_enum, default_value = "reseller")]
        surface: OpenapiSurface,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OpenapiSurface {
    Reseller,
    Tenant,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TENANTRY_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Which API surfaces this process serves. `all` and `reseller` also run the background
    /// workers (tenant jobs, webhook delivery, housekeeping); `tenant` runs none, so run at
    /// least one `all` or `reseller` process per database.
    #[arg(long, env = "TENANTRY_SURFACE", value_enum, default_value = "all")]
    surface: Surface,
    /// Base URL clients reach this server at, used in login URLs (default: from each request's Host).
    #[arg(long, env = "TENANTRY_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds a login URL works.
    #[arg(long, env = "TENANTRY_LOGIN_URL_TTL", default_value_t = 600)]
    login_url_ttl: i64,
    /// Minutes a partner has to post back the uid of an integration link.
    #[arg(long, env = "TENANTRY_LINK_TTL_MINUTES", default_value_t = tenantry_domain::integration::DEFAULT_LINK_TTL_MINUTES)]
    link_ttl_minutes: i64,
    /// Minutes without a request after which a portal session ends.
    #[arg(long, env = "TENANTRY_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: i64,
    /// Hours after which a portal session ends, however busy.
    #[arg(long, env = "TENANTRY_SESSION_LIFETIME_HOURS", default_value_t = 12)]
    session_lifetime_hours: i64,
    /// Where the first-run bootstrap writes the sandbox reseller's credentials.
    #[arg(
        long,
        env = "TENANTRY_CREDENTIALS_FILE",
        default_value = "tenantry-credentials.json"
    )]
    credentials_file: PathBuf,
    /// Do not create a sandbox reseller on an empty database.
    #[arg(long, env = "TENANTRY_NO_BOOTSTRAP")]
    no_bootstrap: bool,
    /// Do not limit request rates (when a gateway in front of Tenantry limits them already).
    #[arg(long, env = "TENANTRY_NO_RATE_LIMIT")]
    no_rate_limit: bool,
    /// A streaming replica of the PostgreSQL database (`postgres://…`) for the Tenant API's
    /// order and product lists and sync pages; every other read, and every write, goes to the
    /// primary.
    #[arg(long, env = "TENANTRY_READ_DATABASE_URL")]
    read_database_url: Option<String>,
    /// Keep rate limits in Redis (`redis://HOST:PORT`), so they hold across processes; while
    /// it cannot be reached each process limits on its own (docs/scaling.md).
    #[arg(long, env = "TENANTRY_RATE_LIMIT_STORE")]
    rate_limit_store: Option<String>,
    /// A proxy or load balancer in front of Tenantry (an IP address; repeatable, or a comma-
    /// separated list in the variable): requests from it are attributed to the client its
    /// `X-Forwarded-For` names, for the failed-authentication throttle.
    #[arg(
        long = "trusted-proxy",
        env = "TENANTRY_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Do not collect metrics (`/metrics` then answers 404).
    #[arg(long, env = "TENANTRY_NO_METRICS")]
    no_metrics: bool,
    /// Do not meter usage for `GET /reseller/analytics` (it then shows only what other
    /// processes metered).
    #[arg(long, env = "TENANTRY_NO_USAGE_METERING")]
    no_usage_metering: bool,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "TENANTRY_WORKERS")]
    workers: Option<usize>,
    /// Threads per HTTP worker for database and password work; raise it for a remote
    /// PostgreSQL whose round trips are slow.
    #[arg(long, env = "TENANTRY_BLOCKING_THREADS", default_value_t = tenantry_http::app::DEFAULT_BLOCKING_PER_WORKER)]
    blocking_threads: usize,
    /// Threads delivering webhooks (0: this process delivers none; another must).
    #[arg(long, env = "TENANTRY_WEBHOOK_WORKERS", default_value_t = 4)]
    webhook_workers: usize,
    /// Allow webhook URLs over plain http and to loopback, private and link-local addresses
    /// (development and tests; never on a server resellers share).
    #[arg(long, env = "TENANTRY_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
    /// Seconds one webhook attempt may take.
    #[arg(long, env = "TENANTRY_WEBHOOK_TIMEOUT", default_value_t = 15)]
    webhook_timeout: u64,
    /// Seconds a claimed or handed-off delivery is its worker's; a process that dies
    /// mid-delivery leaves a claimed one to be delivered by another after this, and a handed-off
    /// one to the sweep after two leases.
    #[arg(long, env = "TENANTRY_WEBHOOK_LEASE", default_value_t = 60)]
    webhook_lease: i64,
    /// Days the events feed keeps events.
    #[arg(long, env = "TENANTRY_EVENT_RETENTION_DAYS", default_value_t = tenantry_domain::event::DEFAULT_RETENTION_DAYS)]
    event_retention_days: i64,
}

#[derive(Subcommand)]
enum ResellerCommand {
    /// Create a reseller.
    Create {
        /// The `X-Reseller` code.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// What its tenants' codeNames start with.
        #[arg(long, default_value = "")]
        code_name_prefix: String,
        /// A capability it may grant its tenants as options (repeatable).
        #[arg(long = "capability")]
        capabilities: Vec<String>,
    },
    /// List resellers.
    List,
    /// Change a reseller's settings.
    Update {
        /// The `X-Reseller` code.
        #[arg(long)]
        code: String,
        /// Requests per minute, per reseller on the Reseller API and per tenant on the Tenant API.
        #[arg(long)]
        rate_limit: Option<i64>,
        /// Let it offer integrations to every tenant on the server (`visibility: "all"`).
        #[arg(long, conflicts_with = "no_public_integrations")]
        public_integrations: bool,
        /// Offer its integrations only to its own tenants again.
        #[arg(long)]
        no_public_integrations: bool,
    },
    /// Manage the capabilities a reseller may grant its tenants as options.
    #[command(subcommand)]
    Capability(CapabilityCommand),
    /// Manage a reseller's users (Basic authentication).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a reseller's API keys (Bearer / x-APIKey).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage the templates that set up a reseller's new tenants (XAPP's custom templates).
    #[command(subcommand)]
    Template(TemplateCommand),
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Create or replace a template from its JSON definition (see docs/operations.md).
    Set {
        /// The reseller's `X-Reseller` code.
        #[arg(long)]
        code: String,
        /// A file holding the template's JSON, or `-` for standard input.
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// List a reseller's templates.
    List {
        /// The reseller's `X-Reseller` code.
        #[arg(long)]
        code: String,
    },
    /// Remove a template; tenants made from it keep what it set up.
    Remove {
        /// The reseller's `X-Reseller` code.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum CapabilityCommand {
    /// Grant a capability.
    Add {
        /// The reseller's `X-Reseller` code.
        #[arg(long)]
        code: String,
        #[arg(long)]
        capability: String,
    },
    /// Take a capability away; every tenant of the reseller that has it as an option loses it.
    Remove {
        /// The reseller's `X-Reseller` code.
        #[arg(long)]
        code: String,
        #[arg(long)]
        capability: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a reseller user; prints the password (generated unless given).
    Create {
        #[arg(long)]
        reseller: String,
        #[arg(long)]
        login: String,
        #[arg(long, env = "TENANTRY_RESELLER_PASSWORD")]
        password: Option<String>,
        #[arg(long, default_value = "sandbox")]
        environment: Environment,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; prints it once.
    Create {
        #[arg(long)]
        reseller: String,
        #[arg(long, default_value = "default")]
        name: String,
        #[arg(long, default_value = "sandbox")]
        environment: Environment,
        /// What the key may do, such as `tenant:read` (repeatable; default: every scope).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Revoke an API key; it stops working at once.
    Revoke {
        #[arg(long)]
        reseller: String,
        #[arg(long)]
        id: uuid::Uuid,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    if let Command::Openapi { surface } = cli.command {
        // Needs no database.
        print!(
            "{}",
            match surface {
                OpenapiSurface::Reseller => tenantry_reseller_api::openapi::document(),
                OpenapiSurface::Tenant => tenantry_tenant_api::openapi::document(),
            }
        );
        return ExitCode::SUCCESS;
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print<T: serde::Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) {
    if json {
        println!("{}", serde_json::to_string(value).expect("serializable"));
    } else {
        println!("{}", text());
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let db = Database::connect(
        &cli.database_url,
        PoolOptions {
            max_size: cli.pool_size,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let migrated = db.migrate().map_err(|e| e.to_string())?;
    let json = cli.json;
    match cli.command {
        Command::Migrate => {
            print(json, &serde_json::json!({ "applied": migrated }), || {
                format!("applied {migrated} migration(s)")
            });
            Ok(())
        }
        Command::Serve(args) => serve(db, args),
        Command::Reseller(command) => reseller(&db, json, command).map_err(|e| e.to_string()),
        Command::Openapi { .. } => unreachable!("answered before connecting"),
    }
}

fn reseller(db: &Database, json: bool, command: ResellerCommand) -> Result<(), admin::AdminError> {
    match command {
        ResellerCommand::Create {
            code,
            name,
            code_name_prefix,
            capabilities,
        } => {
            let r = admin::ResellerView::from(admin::create_reseller(
                db,
                &code,
                &name,
                &code_name_prefix,
                capabilities,
            )?);
            print(json, &r, || {
                format!("created reseller {} ({})", r.code, r.id)
            });
        }
        ResellerCommand::List => {
            let list: Vec<admin::ResellerView> = admin::list_resellers(db)?
                .into_iter()
                .map(Into::into)
                .collect();
            print(json, &serde_json::json!({ "data": list }), || {
                list.iter()
                    .map(|r| format!("{}\t{}\t{}", r.code, r.name, r.id))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ResellerCommand::Update {
            code,
            rate_limit,
            public_integrations,
            no_public_integrations,
        } => {
            let public = match (public_integrations, no_public_integrations) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let r =
                admin::ResellerView::from(admin::update_reseller(db, &code, rate_limit, public)?);
            print(json, &r, || {
                format!(
                    "reseller {}: {} requests per minute; integrations offered to {}",
                    r.code,
                    r.rate_limit_per_minute,
                    if r.public_integrations {
                        "every tenant"
                    } else {
                        "its own tenants"
                    }
                )
            });
        }
        ResellerCommand::Capability(CapabilityCommand::Add { code, capability }) => {
            let r = admin::ResellerView::from(admin::add_capability(db, &code, &capability)?);
            print(json, &r, || {
                format!(
                    "reseller {} capabilities: {}",
                    r.code,
                    r.capabilities.join(", ")
                )
            });
        }
        ResellerCommand::Capability(CapabilityCommand::Remove { code, capability }) => {
            let removed = admin::remove_capability(db, &code, &capability)?;
            print(json, &removed, || {
                format!(
                    "reseller {} no longer has `{capability}`; removed from {} tenant(s): {}",
                    removed.reseller.code,
                    removed.tenants_changed.len(),
                    removed.tenants_changed.join(", ")
                )
            });
        }
        ResellerCommand::User(UserCommand::Create {
            reseller,
            login,
            password,
            environment,
        }) => {
            let u = admin::create_reseller_user(db, &reseller, &login, password, environment)?;
            print(json, &u, || {
                format!(
                    "created {} user {} of {}; password: {}",
                    u.environment, u.login, u.reseller, u.password
                )
            });
        }
        ResellerCommand::Key(KeyCommand::Create {
            reseller,
            name,
            environment,
            scopes,
        }) => {
            let k = admin::create_key(db, &reseller, &name, environment, &scopes)?;
            print(json, &k, || {
                format!(
                    "created {} key {} for {}: {}\n(shown once: store it now)",
                    k.environment, k.id, k.reseller, k.key
                )
            });
        }
        ResellerCommand::Template(TemplateCommand::Set { code, file }) => {
            let definition = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(&file)
            }
            .map_err(|e| {
                admin::AdminError::Input(format!("cannot read {}: {e}", file.display()))
            })?;
            let t = admin::set_template(db, &code, &definition)?;
            print(json, &t, || {
                format!("reseller {code}: template {} set", t.name)
            });
        }
        ResellerCommand::Template(TemplateCommand::List { code }) => {
            let list = admin::list_templates(db, &code)?;
            print(json, &serde_json::json!({ "data": list }), || {
                list.iter()
                    .map(|t| format!("{}\t{}", t.name, t.description))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ResellerCommand::Template(TemplateCommand::Remove { code, name }) => {
            admin::remove_template(db, &code, &name)?;
            print(json, &serde_json::json!({ "removed": name }), || {
                format!("reseller {code}: template {name} removed")
            });
        }
        ResellerCommand::Key(KeyCommand::Revoke { reseller, id }) => {
            admin::revoke_key(db, &reseller, id)?;
            print(json, &serde_json::json!({ "revoked": id }), || {
                format!("revoked key {id}")
            });
        }
    }
    Ok(())
}

fn serve(db: Database, args: ServeArgs) -> Result<(), String> {
    let db = match &args.read_database_url {
        Some(url) => {
            let db = db
                .with_replica(url)
                .map_err(|e| format!("--read-database-url: {e}"))?;
            log::info!("the Tenant API's list and sync reads go to the replica {url}");
            db
        }
        None => db,
    };
    if !args.no_bootstrap {
        if let Some(first) =
            bootstrap::run(&db, &args.credentials_file).map_err(|e| e.to_string())?
        {
            log::info!(
                "empty database: created sandbox reseller `{}` with user `{}` and an API key; credentials in {}",
                first.reseller,
                first.login,
                args.credentials_file.display()
            );
        }
    }
    if args.login_url_ttl <= 0 {
        return Err("--login-url-ttl must be a positive number of seconds".into());
    }
    if args.link_ttl_minutes <= 0 {
        return Err("--link-ttl-minutes must be a positive number of minutes".into());
    }
    if args.session_idle_minutes <= 0 || args.session_lifetime_hours <= 0 {
        return Err("--session-idle-minutes and --session-lifetime-hours must be positive".into());
    }
    if args.webhook_lease <= args.webhook_timeout as i64 {
        return Err("--webhook-lease must be longer than --webhook-timeout".into());
    }
    if args.event_retention_days < 1 {
        return Err("--event-retention-days must be at least 1".into());
    }
    let limit_store = args
        .rate_limit_store
        .as_deref()
        .map(|url| {
            tenantry_http::limit_store::RedisStore::open(url)
                .map_err(|e| format!("--rate-limit-store: {e}"))
        })
        .transpose()?;
    if let Some(url) = &args.rate_limit_store {
        log::info!("rate limits are kept in {url}, shared by every process using it");
    }
    let webhook_policy = tenantry_domain::webhook::UrlPolicy {
        allow_private: args.webhook_allow_private,
    };
    let workers = args.surface.runs_workers().then(|| {
        tenantry_worker::Workers::start(
            &db,
            tenantry_worker::Settings {
                webhooks: tenantry_webhook::Settings {
                    policy: webhook_policy,
                    timeout: std::time::Duration::from_secs(args.webhook_timeout),
                    lease: chrono::Duration::seconds(args.webhook_lease),
                    ..Default::default()
                },
                webhook_threads: args.webhook_workers,
                event_retention: chrono::Duration::days(args.event_retention_days),
            },
        )
    });
    let state = web::Data::new(AppState {
        audit: AuditLog::new(db.clone()),
        usage: UsageMeter::new(db.clone(), !args.no_usage_metering),
        db,
        auth: Authenticator::default(),
        config: ServiceConfig {
            public_url: args.public_url,
            login_url_ttl: chrono::Duration::seconds(args.login_url_ttl),
            webhook_policy,
            sessions: tenantry_domain::login_url::SessionPolicy {
                idle: chrono::Duration::minutes(args.session_idle_minutes),
                lifetime: chrono::Duration::hours(args.session_lifetime_hours),
            },
            link_ttl: chrono::Duration::minutes(args.link_ttl_minutes),
        },
        limits: RateLimits::with_store(!args.no_rate_limit, limit_store.clone()),
        throttle: tenantry_http::AuthThrottle::with_store(true, args.trusted_proxies, limit_store),
        metrics: Metrics::new(!args.no_metrics),
    });
    let listener = TcpListener::bind(&args.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let after_shutdown = state.clone();
    actix_web::rt::System::new().block_on(async move {
        let (server, addr) = tenantry_http::app::server(
            state,
            listener,
            args.surface.mounts(),
            tenantry_http::app::Threads {
                workers: args.workers,
                blocking_per_worker: args.blocking_threads,
            },
        )
        .map_err(|e| e.to_string())?;
        log::info!("serving {:?} surface(s) on http://{addr}", args.surface);
        let served = server.await.map_err(|e| e.to_string());
        // In-flight requests have finished: write the audit events they queued.
        if let Err(e) = after_shutdown.audit.flush() {
            log::error!("could not write the last audit events: {e}");
        }
        if let Err(e) = after_shutdown.usage.flush() {
            log::error!("could not write the last usage counts: {e}");
        }
        // Each worker finishes what it has in hand; what is left waits in the database.
        if let Some(workers) = workers {
            workers.stop();
        }
        tenantry_http::app::release(after_shutdown);
        served
    })
}
