//! Resources whose unsupported methods answer 405 problem+json with an `Allow` header that
//! lists exactly the methods the resource was given (RFC 9110 §15.5.6).

use crate::ApiError;
use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};

/// A resource at one path: `resource("/tenant").get(list).post(create)`, mounted with
/// `.service(…)` like actix's own.
pub struct Resource {
    inner: actix_web::Resource,
    methods: Vec<Method>,
}

/// A resource at `path` (see [`Resource`]).
pub fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        methods: Vec::new(),
    }
}

macro_rules! method {
    ($name:ident, $method:ident) => {
        #[doc = concat!("Answers `", stringify!($method), "` with `handler`.")]
        pub fn $name<F, Args>(self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.method(Method::$method, handler)
        }
    };
}

impl Resource {
    /// Answers `method` with `handler`.
    pub fn method<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.inner = self.inner.route(web::method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }

    method!(get, GET);
    method!(post, POST);
    method!(put, PUT);
    method!(patch, PATCH);
    method!(delete, DELETE);
}

impl HttpServiceFactory for Resource {
    fn register(self, config: &mut AppService) {
        // In one order whatever order the routes were added in: GET, POST, PUT, PATCH, DELETE.
        const ORDER: [Method; 5] = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        let allow = ORDER
            .iter()
            .filter(|m| self.methods.contains(m))
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        self.inner
            .default_service(web::to(move |req: HttpRequest| {
                let allow = allow.clone();
                async move { method_not_allowed(&req, &allow) }
            }))
            .register(config)
    }
}

fn method_not_allowed(req: &HttpRequest, allow: &str) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(&ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not supported on {}: use {allow}",
            req.method(),
            req.path()
        ),
    ));
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
