//! Signing in with a login URL, the session it starts, and signing out.
//!
//! A login URL works once and only until it expires; using it starts a session (its cookie
//! `HttpOnly; SameSite=Lax; Path=/`, and over TLS `Secure` with the `__Host-` prefix) and
//! redirects to the path the reseller chose. Every portal request resolves the cookie to a
//! [`Visitor`]: a live session (idle and absolute timeouts, `SessionPolicy`) of a usable
//! tenant, with the CSRF token its forms carry.

use crate::error::PortalError;
use crate::i18n::{Lang, Texts};
use crate::{blocking, form::PortalForm};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use std::future::Future;
use std::pin::Pin;
use tenantry_auth::session::{self as sessions, Resumed};
use tenantry_auth::token;
use tenantry_domain::time;
use tenantry_domain::usage::{Metric, Tally};
use tenantry_domain::{tenant::Tenant, user::TenantUser};
use tenantry_http::{AppState, Path};
use tenantry_service::login::{self, SignIn};
use tenantry_service::Actor;
use tenantry_storage::login::{touch_session, Session};

/// The session cookie's name over plain HTTP.
pub const SESSION_COOKIE: &str = "tenantry_session";
/// Its name over TLS: the `__Host-` prefix makes the browser refuse it unless it is `Secure`,
/// has `Path=/` and no `Domain`, so no other host can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-tenantry_session";

fn is_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie_name(req: &HttpRequest) -> &'static str {
    if is_tls(req) {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session cookie `req` carries, if any.
fn session_secret(req: &HttpRequest) -> Option<String> {
    req.cookie(cookie_name(req)).map(|c| c.value().to_owned())
}

/// A signed-in tenant user, resolved from the session cookie.
pub struct Visitor {
    pub tenant: Tenant,
    pub user: TenantUser,
    pub session: Session,
    pub reseller_name: String,
    /// What the reseller set for the portal: the "Back to" link, who may frame it.
    pub portal: tenantry_domain::reseller::PortalSettings,
    /// The CSRF token of this session, which every form carries.
    pub csrf: String,
    /// The cookie's value, which the form extractor checks the token against.
    pub(crate) secret: String,
}

impl Visitor {
    pub fn lang(&self) -> Lang {
        Lang::for_user(&self.user.default_language)
    }

    pub fn texts(&self) -> Texts {
        self.lang().texts()
    }

    /// Refuses (403) what the visitor's role may not do (`may` is the role's rule): the page
    /// offers no such form, so this one was made by hand.
    pub fn require(&self, may: bool, what: &str) -> Result<(), PortalError> {
        if may {
            Ok(())
        } else {
            Err(PortalError::Forbidden(format!(
                "a {} may not {what}",
                self.user.role
            )))
        }
    }

    /// The reseller and environment the tenant belongs to, as the storage lookups take them.
    pub fn owner(&self) -> tenantry_storage::Owner {
        tenantry_storage::Owner {
            reseller_id: self.tenant.reseller_id,
            environment: self.tenant.environment,
        }
    }

    /// Who acts, as the use cases and the audit log name them.
    pub fn actor(&self) -> Actor {
        Actor::TenantUser(self.user.id)
    }
}

impl FromRequest for Visitor {
    type Error = PortalError;
    type Future = Pin<Box<dyn Future<Output = Result<Visitor, PortalError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let secret = session_secret(&req).ok_or(PortalError::NotSignedIn)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| PortalError::Internal("no application state".into()))?;
            let (visitor, allowance) = resume(state, secret).await?;
            // From here on the user is known: what is refused is still audited.
            tenantry_http::audit_as_portal_user(&req, &visitor.tenant, visitor.user.id);
            req.extensions_mut().insert(visitor.lang());
            if let Some(seconds) = tenantry_http::note_allowance(&req, allowance) {
                return Err(PortalError::TooManyRequests(seconds));
            }
            req.extensions_mut().insert(crate::page::FrameAncestors(
                visitor.portal.frame_ancestors.clone(),
            ));
            Ok(visitor)
        })
    }
}

/// Resolves the cookie: one read for a live session; a write only to record the last request
/// (at most once a minute) or to delete a session found ended. The request counts against
/// the user's portal allowance, at the reseller's rate (as a Tenant API credential's does).
async fn resume(
    state: web::Data<AppState>,
    secret: String,
) -> Result<(Visitor, Option<tenantry_http::Allowance>), PortalError> {
    blocking(move || {
        let now = time::now();
        let policy = state.config.sessions;
        let (resumed, rate) = state.db.read(|conn| {
            let resumed = sessions::resume(conn, &secret, &policy, now)?;
            let rate = match &resumed {
                Resumed::Live { signed_in, .. } => {
                    let reseller = signed_in.tenant.reseller_id;
                    Some(state.limits.reseller_rate(reseller, || {
                        tenantry_storage::reseller::rate_limit(conn, reseller)
                    })?)
                }
                _ => None,
            };
            Ok::<_, PortalError>((resumed, rate))
        })?;
        match resumed {
            Resumed::Live { signed_in, touch } => {
                if touch {
                    state
                        .db
                        .write(|conn| touch_session(conn, &signed_in.session, now))?;
                }
                let signed_in = *signed_in;
                let allowance = rate.and_then(|rate| {
                    state
                        .limits
                        .check(&format!("portal:{}", signed_in.user.id), rate)
                });
                Ok((
                    Visitor {
                        csrf: sessions::csrf_token(&secret),
                        secret,
                        tenant: signed_in.tenant,
                        user: signed_in.user,
                        session: signed_in.session,
                        reseller_name: signed_in.reseller_name,
                        portal: signed_in.portal,
                    },
                    allowance,
                ))
            }
            Resumed::Ended(signed_in, end) => {
                log::debug!("session {} ended: {end:?}", signed_in.session.id);
                state.db.write(|conn| {
                    tenantry_service::session::end(conn, &Actor::System, &signed_in.session)
                })?;
                Err(PortalError::NotSignedIn)
            }
            Resumed::TenantNotUsable(_) => Err(PortalError::TenantNotUsable),
            Resumed::Unknown => Err(PortalError::NotSignedIn),
        }
    })
    .await
}

/// `GET /_tokenlogin/{login}/{token}`: uses a login URL.
pub async fn token_login(
    state: web::Data<AppState>,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, PortalError> {
    let (user_login, secret) = path.into_inner();
    let hash = token::hash(&secret);
    let session = token::one_time();
    let cookie_value = session.secret.clone();
    let meter = state.clone();
    let lifetime = state.config.sessions.lifetime;
    let outcome = blocking(move || {
        let policy = state.config.sessions;
        Ok(state.db.write(|conn| {
            login::sign_in(conn, &hash, &user_login, session, &policy, time::now())
        })?)
    })
    .await?;
    let (status, title, body) = match outcome {
        SignIn::SignedIn { path, tenant } => {
            meter
                .usage
                .count(&tenant, Metric::LoginUrlsUsed, "", Tally::one(0));
            let cookie = Cookie::build(cookie_name(&req), cookie_value)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(is_tls(&req))
                .max_age(CookieDuration::seconds(lifetime.num_seconds()))
                .finish();
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, path))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::REFERRER_POLICY, "no-referrer"))
                .cookie(cookie)
                .finish());
        }
        SignIn::Unknown => (404, "login.unknown.title", "login.unknown.body"),
        SignIn::TenantNotUsable => (403, "login.deactivated.title", "login.deactivated.body"),
        SignIn::Used => (410, "login.used.title", "login.used.body"),
        SignIn::Expired => (410, "login.expired.title", "login.expired.body"),
    };
    let t = Lang::En.texts();
    let page = Message {
        t,
        css: crate::assets::css(),
        title: t.get(title),
        body: t.get(body),
    };
    Ok(
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"))
            .content_type("text/html; charset=utf-8")
            .body(page.render()?),
    )
}

#[derive(Template)]
#[template(path = "error.html")]
struct Message {
    t: Texts,
    css: String,
    title: &'static str,
    body: &'static str,
}

/// `GET /` (and any other unknown route of the tenant surface): a signed-in browser goes to
/// the portal; anything else is the usual 404 problem.
pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, tenantry_http::ApiError> {
    let not_found = || {
        tenantry_http::ApiError::not_found(&format!("no route for {} {}", req.method(), req.path()))
    };
    if req.method() != actix_web::http::Method::GET || req.path() != "/" {
        return Err(not_found());
    }
    let Some(secret) = session_secret(&req) else {
        return Err(not_found());
    };
    match resume(state, secret).await {
        Ok(_) => Ok(crate::page::see_other("/portal")),
        Err(_) => Err(not_found()),
    }
}

/// The sign-out form: nothing but the CSRF token.
#[derive(serde::Deserialize)]
pub struct SignOut {}

/// `POST /portal/signout`: deletes the session row, so the cookie stops working on every
/// process at once, and clears the cookie.
pub async fn sign_out(
    state: web::Data<AppState>,
    form: PortalForm<SignOut>,
    req: HttpRequest,
) -> Result<HttpResponse, PortalError> {
    let visitor = form.visitor;
    let actor = visitor.actor();
    let session = visitor.session.clone();
    blocking(move || {
        Ok(state
            .db
            .write(|conn| tenantry_service::session::end(conn, &actor, &session))?)
    })
    .await?;
    let mut gone = Cookie::build(cookie_name(&req), "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_tls(&req))
        .finish();
    gone.make_removal();
    let t = visitor.texts();
    let page = Message {
        t,
        css: crate::assets::css(),
        title: t.get("signedout.title"),
        body: t.get("signedout.body"),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .cookie(gone)
        .body(page.render()?))
}
