//! One-time login URLs (`/_tokenlogin/{login}/{token}`) and the browser session they start.
//!
//! A URL works once and only until it expires; using it sets an HttpOnly, SameSite=Lax
//! session cookie (Secure over TLS) and redirects to the path the reseller chose. Until the
//! tenant UI exists, any page the session opens shows which tenant and user are signed in.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use tenantry_auth::token;
use tenantry_domain::login_url::{LoginTokenStatus, SESSION_TTL};
use tenantry_domain::tenant::Tenant;
use tenantry_domain::time;
use tenantry_domain::usage::{Metric, Tally};
use tenantry_http::{blocking, ApiError, AppState, Path};
use tenantry_storage::login::{self, Session};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tenantry_session";

enum Outcome {
    SignedIn {
        secret: String,
        path: String,
        tenant: Box<Tenant>,
    },
    Refused(StatusCode, &'static str, &'static str),
}

/// `GET /_tokenlogin/{login}/{token}`: uses a login URL.
pub async fn token_login(
    state: web::Data<AppState>,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (user_login, secret) = path.into_inner();
    let hash = token::hash(&secret);
    let meter = state.clone();
    let outcome = blocking(move || {
        state.db.write(|conn| {
            let Some((login_token, tenant)) = login::find_token(conn, &hash, &user_login)? else {
                return Ok(Outcome::Refused(
                    StatusCode::NOT_FOUND,
                    "Unknown login link",
                    "This login link is not valid. Ask for a new one.",
                ));
            };
            if !tenant.status.is_usable() {
                return Ok(Outcome::Refused(
                    StatusCode::FORBIDDEN,
                    "Account deactivated",
                    "This account is deactivated, so its login links do not work.",
                ));
            }
            let now = time::now();
            let used = Outcome::Refused(
                StatusCode::GONE,
                "Login link already used",
                "Each login link works once. Ask for a new one.",
            );
            match login_token.status(now) {
                LoginTokenStatus::Consumed => Ok(used),
                LoginTokenStatus::Expired => Ok(Outcome::Refused(
                    StatusCode::GONE,
                    "Login link expired",
                    "This login link has expired. Ask for a new one.",
                )),
                LoginTokenStatus::Valid => {
                    // The conditional update decides a race between two uses of one link.
                    if !login::consume_token(conn, &login_token, now)? {
                        return Ok(used);
                    }
                    let secret = token::random_base62(43);
                    let session = Session {
                        tenant_id: login_token.tenant_id,
                        user_id: login_token.user_id,
                        expires_at: now + SESSION_TTL,
                    };
                    login::insert_session(conn, &session, &token::hash(&secret), now)?;
                    Ok(Outcome::SignedIn {
                        secret,
                        path: login_token.path,
                        tenant: Box::new(tenant),
                    })
                }
            }
        })
    })
    .await?;
    Ok(match outcome {
        Outcome::SignedIn {
            secret,
            path,
            tenant,
        } => {
            meter
                .usage
                .count(&tenant, Metric::LoginUrlsUsed, "", Tally::one(0));
            let cookie = Cookie::build(SESSION_COOKIE, secret)
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(req.connection_info().scheme() == "https")
                .max_age(CookieDuration::seconds(SESSION_TTL.num_seconds()))
                .finish();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, path))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::REFERRER_POLICY, "no-referrer"))
                .cookie(cookie)
                .finish()
        }
        Outcome::Refused(status, title, message) => {
            page(status, title, &format!("<p>{message}</p>"))
        }
    })
}

/// Any other GET on the tenant surface: with a session, a page naming the tenant and user
/// (the tenant UI's stand-in); without one, a 404 problem.
pub async fn signed_in_page(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let not_found =
        || ApiError::not_found(&format!("no route for {} {}", req.method(), req.path()));
    let Some(cookie) = req
        .cookie(SESSION_COOKIE)
        .filter(|_| req.method() == actix_web::http::Method::GET)
    else {
        return Err(not_found());
    };
    let hash = token::hash(cookie.value());
    let owner = blocking(move || {
        state
            .db
            .read(|conn| Ok(login::find_session_owner(conn, &hash, time::now())?))
    })
    .await?;
    let Some(owner) = owner else {
        return Err(not_found());
    };
    let body = format!(
        "<p>Signed in to <strong>{}</strong> (<code>{}</code>) as <strong>{}</strong> (<code>{}</code>).</p><p>You are at <code>{}</code>.</p>",
        escape(&owner.tenant_name),
        escape(&owner.code_name),
        escape(if owner.user_name.is_empty() { &owner.login } else { &owner.user_name }),
        escape(&owner.login),
        escape(req.path()),
    );
    Ok(page(StatusCode::OK, "Tenantry", &body))
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>"
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_is_escaped() {
        assert_eq!(
            super::escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
