//! Every Tenant API operation, declared once: method, route, handler and the permission the
//! caller must hold (`None`: any authenticated caller). From this one table come the actix
//! routes ([`crate::configure`]), the OpenAPI document's list of paths ([`Paths`], merged into
//! [`crate::openapi::TenantApiDoc`]) and the permission the authentication extractor enforces
//! ([`required`]: an operation missing here is refused). Adding an operation is one line here;
//! a test holds each handler's `#[utoipa::path]` method and path to its row.

use crate::{me, order, product};
use tenantry_domain::permission::Permission::{self, *};

tenantry_http::operations! {
    prefix "/tenant", needs Option<Permission>;
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
