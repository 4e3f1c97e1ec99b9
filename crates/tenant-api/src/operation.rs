//! Every Tenant API operation, declared once: method, route, handler and the permission the
//! caller must hold (`None`: any authenticated caller). From this one table come the actix
//! routes ([`crate::configure`]), the OpenAPI document's list of paths ([`Paths`], merged into
//! [`crate::openapi::TenantApiDoc`]) and the permission the authentication extractor enforces
//! ([`required`]: an operation missing here is refused). Adding an operation is one line here;
//! a test holds each handler's `#[utoipa::path]` method and path to its row.

use crate::{me, order, product};
use actix_web::http::Method;
use tenantry_domain::permission::Permission::{self, *};
use tenantry_http::{resource, Resource};

macro_rules! operations {
    ($($method:ident $route:literal => $($handler:ident)::+, $permission:expr;)*) => {
        /// (method, route as mounted, permission needed), in the table's order.
        pub const OPERATIONS: &[(&str, &str, Option<Permission>)] = &[
            $((stringify!($method), concat!("/tenant", $route), $permission),)*
        ];

        /// The resources of the table, in the order their routes first appear.
        pub(crate) fn resources() -> Vec<Resource> {
            let mut resources: Vec<(&'static str, Resource)> = Vec::new();
            $(
                let at = match resources.iter().position(|(route, _)| *route == $route) {
                    Some(at) => at,
                    None => {
                        resources.push(($route, resource($route)));
                        resources.len() - 1
                    }
                };
                let (route, found) = resources.remove(at);
                resources.insert(at, (route, found.method(Method::$method, $($handler)::+)));
            )*
            resources.into_iter().map(|(_, r)| r).collect()
        }

        /// The table's operations as an OpenAPI document of paths only (and the schemas they
        /// name); the full document merges it.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($handler)::+),*))]
        pub(crate) struct Paths;
    };
}

operations! {
    GET "" => me::get, None;
    POST "/order" => order::create, Some(OrderWrite);
    GET "/order" => order::list, Some(OrderRead);
    GET "/order/{id}" => order::get, Some(OrderRead);
    PATCH "/order/{id}" => order::update, Some(OrderWrite);
    POST "/product" => product::create, Some(ProductWrite);
    GET "/product" => product::list, Some(ProductRead);
    GET "/product/{sku}" => product::get, Some(ProductRead);
    PATCH "/product/{sku}" => product::update, Some(ProductWrite);
    DELETE "/product/{sku}" => product::delete, Some(ProductWrite);
}

/// What `method` on the mounted route `pattern` needs: `Some(None)` no permission, `None` an
/// operation the table does not declare.
pub fn required(method: &str, pattern: &str) -> Option<Option<Permission>> {
    OPERATIONS
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, needed)| *needed)
}
