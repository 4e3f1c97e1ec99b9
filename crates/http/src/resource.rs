//! Resources whose unsupported methods answer 405 problem+json with an `Allow` header that
//! lists exactly the methods the resource was given (RFC 9110 §15.5.6), and [`operations!`],
//! which declares an API surface's operations once.

use crate::ApiError;
use actix_web::dev::{AppService, HttpServiceFactory};
pub use actix_web::http::Method;
use actix_web::http::{header, StatusCode};
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

/// Resources gathered operation by operation: an operation on a route already added joins that
/// route's resource. They keep the order their routes first appear in, the order actix tries
/// them (`/key/scope` before `/key/{id}`).
#[derive(Default)]
pub struct Resources(Vec<(&'static str, Resource)>);

impl Resources {
    /// Answers `method` on `route` with `handler`.
    pub fn add<F, Args>(&mut self, method: Method, route: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let at = match self.0.iter().position(|(r, _)| *r == route) {
            Some(at) => at,
            None => {
                self.0.push((route, resource(route)));
                self.0.len() - 1
            }
        };
        let (route, found) = self.0.remove(at);
        self.0.insert(at, (route, found.method(method, handler)));
    }

    /// The resources, to mount with `.service(…)`.
    pub fn into_vec(self) -> Vec<Resource> {
        self.0.into_iter().map(|(_, r)| r).collect()
    }
}

/// Declares an API surface's operations once, a row each: method, route (below `prefix`),
/// handler and what a caller needs (a scope, a permission). It defines, in the calling module:
///
/// - `OPERATIONS: &[(&str, &str, Need)]`: (method, route as mounted, need), which the
///   authentication extractor enforces and the OpenAPI document states;
/// - `resources()`: the actix resources serving them;
/// - `Paths`: an OpenAPI document of the handlers' `#[utoipa::path]`s (and the schemas they
///   name), which the surface's full document merges.
#[macro_export]
macro_rules! operations {
    (prefix $prefix:literal, needs $need:ty;
     $($method:ident $route:literal => $($handler:ident)::+, $requirement:expr;)*) => {
        /// (method, route as mounted, what the caller needs), in the table's order.
        pub const OPERATIONS: &[(&str, &str, $need)] = &[
            $((stringify!($method), concat!($prefix, $route), $requirement),)*
        ];

        /// The table's resources, in the order their routes first appear.
        pub(crate) fn resources() -> Vec<$crate::Resource> {
            let mut resources = $crate::resource::Resources::default();
            $(resources.add($crate::resource::Method::$method, $route, $($handler)::+);)*
            resources.into_vec()
        }

        /// The table's operations as an OpenAPI document of paths only.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($handler)::+),*))]
        pub(crate) struct Paths;
    };
}
