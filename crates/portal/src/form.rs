//! Forms: every state-changing portal request is a form post that must come from this portal.
//! [`PortalForm`] refuses (403) a post whose `Sec-Fetch-Site` is not `same-origin` or whose
//! `Origin` is another site, and one without the session's CSRF token (compared in constant
//! time); a body that is not `application/x-www-form-urlencoded` is 415, and one that is not
//! the page's form is 400.

use crate::error::PortalError;
use crate::session::Visitor;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// The most a portal form may send; the largest is a connection's configuration.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// A form post of `T` by a signed-in [`Visitor`], checked to come from this portal's own page
/// for this session. It resolves the visitor itself: actix runs a handler's extractors
/// concurrently, so the CSRF check cannot wait on a separate `Visitor` parameter.
pub struct PortalForm<T> {
    pub visitor: Visitor,
    pub fields: T,
    /// Every field as sent but the token, for what `T` cannot hold (a checkbox group sends
    /// one pair per checked box).
    pub pairs: Vec<(String, String)>,
}

impl<T> PortalForm<T> {
    /// Every value sent under `name`.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PortalForm<T> {
    type Error = PortalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PortalError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let visitor = Visitor::from_request(&req, payload);
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let visitor = visitor.await?;
            same_origin(&req)?;
            let form_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| {
                    v.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
            if form_type != Some(true) {
                return Err(PortalError::UnsupportedMediaType);
            }
            let body = body
                .await
                .map_err(|e| PortalError::BadForm(e.to_string()))?;
            if body.len() > MAX_FORM_BYTES {
                return Err(PortalError::BadForm("the form is too large".into()));
            }
            let mut fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| PortalError::BadForm(e.to_string()))?;
            let sent = take(&mut fields, CSRF_FIELD).unwrap_or_default();
            if !tenantry_auth::session::csrf_matches(&visitor.secret, &sent) {
                return Err(PortalError::Forbidden(
                    "the form's CSRF token is missing or not this session's".into(),
                ));
            }
            let rest = serde_urlencoded::to_string(&fields)
                .map_err(|e| PortalError::BadForm(e.to_string()))?;
            let fields_sent = fields;
            let fields = serde_urlencoded::from_str(&rest)
                .map_err(|e| PortalError::BadForm(e.to_string()))?;
            Ok(PortalForm {
                visitor,
                fields,
                pairs: fields_sent,
            })
        })
    }
}

/// Removes and returns the first value of `name`; a forged form cannot hide a second token.
fn take(fields: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let values: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect();
    fields.retain(|(k, _)| k != name);
    match values.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Refuses a cross-site post. `Sec-Fetch-Site`, which a page cannot forge, decides when the
/// browser sends it: only `same-origin` passes. Otherwise `Origin` must be this server's; it
/// may be `null`, which is what a browser sends for its own pages' posts under
/// `Referrer-Policy: no-referrer`, so then the CSRF token alone decides.
fn same_origin(req: &HttpRequest) -> Result<(), PortalError> {
    if let Some(site) = req.headers().get("sec-fetch-site") {
        return if site.as_bytes() == b"same-origin" {
            Ok(())
        } else {
            Err(PortalError::Forbidden(format!(
                "a cross-site form post (Sec-Fetch-Site: {})",
                site.to_str().unwrap_or("?")
            )))
        };
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let info = req.connection_info();
        let ours = format!("{}://{}", info.scheme(), info.host());
        if origin.as_bytes() != b"null" && origin.as_bytes() != ours.as_bytes() {
            return Err(PortalError::Forbidden(format!(
                "a form post from another origin ({})",
                origin.to_str().unwrap_or("?")
            )));
        }
    }
    Ok(())
}
