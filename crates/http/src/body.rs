//! Extractors that answer bad input with a clear problem: 415 for a body that is not JSON,
//! 400 for malformed JSON, 422 naming the field for JSON of the wrong shape, 413 when too large,
//! 400 for a query string and 404 for a path that do not parse.
//!
//! actix runs a handler's extractors concurrently and answers with the first error, so each of
//! these refuses only once the request's authentication (if any) has finished: bad credentials
//! then win over bad input whichever comes first, and a refusal is audited and metered as the
//! caller's.

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let parsed = read(json, body).await;
            if parsed.is_err() {
                crate::auth::authenticated(&req).await;
            }
            parsed
        })
    }
}

/// Declares an extractor wrapping actix's `$inner`, refused only after authentication.
macro_rules! after_authentication {
    ($name:ident, $inner:ty, $what:literal) => {
        #[doc = concat!("`", $what, "`, refused (by its configured error handler) only once the request's authentication has finished.")]
        #[derive(Debug)]
        pub struct $name<T>(pub T);

        impl<T> $name<T> {
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T: DeserializeOwned + 'static> FromRequest for $name<T> {
            type Error = actix_web::Error;
            type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let extracted = <$inner>::from_request(req, payload);
                let req = req.clone();
                Box::pin(async move {
                    match extracted.await {
                        Ok(inner) => Ok($name(inner.into_inner())),
                        Err(e) => {
                            crate::auth::authenticated(&req).await;
                            Err(e)
                        }
                    }
                })
            }
        }
    };
}

after_authentication!(Query, web::Query<T>, "web::Query");
after_authentication!(Path, web::Path<T>, "web::Path");

async fn read<T: DeserializeOwned>(
    json: bool,
    body: impl std::future::Future<Output = Result<web::Bytes, actix_web::Error>>,
) -> Result<Json<T>, ApiError> {
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the request body must be JSON: send the header `Content-Type: application/json`",
        ));
    }
    let bytes = body.await.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body must be at most {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(
                "unreadable_body",
                format!("the body could not be read: {e}"),
            )
        }
    })?;
    parse(&bytes).map(Json)
}

/// Parses a JSON body, telling syntax errors (400) from shape errors (422, with the field path).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "malformed_json",
            "the body is empty: send a JSON object",
        ));
    }
    // Syntax first, so broken JSON is a 400 wherever the break is; then the shape, as a 422.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = strip_position(&e.into_inner().to_string());
        // A root-level problem (unknown or missing field) names the field in its message.
        let field = if path == "." {
            unknown_or_missing(&message).unwrap_or_default()
        } else {
            path
        };
        ApiError::invalid_field(field, "invalid_body", message)
    })
}

/// serde's messages end with " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// `unknown field `foo`, expected …` / `missing field `login`` → the field's name.
fn unknown_or_missing(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_owned)
}

/// Query strings that do not parse answer 400 with the reason.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        ApiError::bad_request("invalid_query", format!("the query string is invalid: {e}")).into()
    })
}

/// `#[serde(default = "tenantry_http::default_true")]`: fields that are true unless sent false
/// (`active`, say).
pub fn default_true() -> bool {
    true
}

/// Path segments that do not decode (invalid percent-encoding, say) name nothing: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e, _| {
        ApiError::not_found(&format!("the path does not name a resource ({e})")).into()
    })
}

/// Answers a method a resource does not have with 405 problem+json and an `Allow`-style hint.
pub async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not supported on {}; see the API's OpenAPI document",
            req.method(),
            req.path()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        login: String,
        languages: Option<Vec<String>>,
    }

    fn problem(bytes: &str) -> crate::Problem {
        parse::<Body>(bytes.as_bytes()).unwrap_err().problem()
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422_with_the_field() {
        assert_eq!(problem("{").status, 400);
        assert_eq!(problem("").status, 400);
        assert_eq!(problem(r#"{"login":"a"} trailing"#).status, 400);
        let p = problem(r#"{"login":"a","languages":["swe",3]}"#);
        assert_eq!(
            (p.status, p.errors[0].field.as_str()),
            (422, "languages[1]")
        );
        let p = problem(r#"{"login":"a","tenantId":"x"}"#);
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "tenantId"));
        let p = problem(r#"{}"#);
        assert_eq!((p.status, p.errors[0].field.as_str()), (422, "login"));
        assert_eq!(problem("[]").status, 422);
        assert!(parse::<Body>(br#"{"login":"a"}"#).is_ok());
    }
}
