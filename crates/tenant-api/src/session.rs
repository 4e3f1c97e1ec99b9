//! One-time login URLs (`/_tokenlogin/{login}/{token}`) and the browser session they start.
//!
//! A URL works once and only until it expires; using it sets an HttpOnly, SameSite=Lax
//! session cookie (Secure over TLS) and redirects to the path the reseller chose. Until the
//! tenant UI exists, any page the session opens shows which tenant and user are signed in.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use tenantry_auth::token;
use tenantry_domain::login_url::SESSION_TTL;
use tenantry_domain::time;
use tenantry_domain::usage::{Metric, Tally};
use tenantry_http::{blocking, ApiError, AppState, Path};
use tenantry_service::login::{self, SignIn};
use tenantry_storage::login as sessions;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tenantry_session";

/// `GET /_tokenlogin/{login}/{token}`: uses a login URL.
pub async fn token_login(
    state: web::Data<AppState>,
    path: Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (user_login, secret) = path.into_inner();
    let hash = token::hash(&secret);
    let session = token::one_time();
    let cookie_value = session.secret.clone();
    let meter = state.clone();
    let outcome = blocking(move || {
        state.db.write(|conn| {
            Ok::<_, ApiError>(login::sign_in(
                conn,
                &hash,
                &user_login,
                session,
                time::now(),
            )?)
        })
    })
    .await?;
    if let SignIn::SignedIn { path, tenant } = outcome {
        meter
            .usage
            .count(&tenant, Metric::LoginUrlsUsed, "", Tally::one(0));
        return Ok(signed_in(&req, cookie_value, path));
    }
    let (status, title, message) = refusal(&outcome);
    Ok(page(status, title, &format!("<p>{message}</p>")))
}

/// The page a login URL that does not sign in shows: status, title and why.
fn refusal(outcome: &SignIn) -> (StatusCode, &'static str, &'static str) {
    match outcome {
        SignIn::SignedIn { .. } | SignIn::Unknown => (
            StatusCode::NOT_FOUND,
            "Unknown login link",
            "This login link is not valid. Ask for a new one.",
        ),
        SignIn::TenantNotUsable => (
            StatusCode::FORBIDDEN,
            "Account deactivated",
            "This account is deactivated, so its login links do not work.",
        ),
        SignIn::Used => (
            StatusCode::GONE,
            "Login link already used",
            "Each login link works once. Ask for a new one.",
        ),
        SignIn::Expired => (
            StatusCode::GONE,
            "Login link expired",
            "This login link has expired. Ask for a new one.",
        ),
    }
}

/// The redirect that sets the session cookie.
fn signed_in(req: &HttpRequest, secret: String, path: String) -> HttpResponse {
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
            .read(|conn| Ok(sessions::find_session_owner(conn, &hash, time::now())?))
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
