//! The use-case layer's one error type.

use tenantry_domain::DomainError;
use tenantry_storage::StorageError;

/// Why a use case did not change anything.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; each field says which.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// What the input names does not exist (or is not the actor's to see).
    #[error("{0}")]
    NotFound(String),
    /// Another tenant of the reseller has the customerReference asked for.
    #[error("a tenant with customerReference `{}` exists already: {}", .0.customer_reference, .0.code_name)]
    TenantExists(Box<tenantry_domain::tenant::Tenant>),
    /// The tenant has a user with this login already.
    #[error("tenant {code_name} has a user with login `{login}` already")]
    UserExists { code_name: String, login: String },
    /// Placing the order would drive a product's stock below zero.
    #[error(transparent)]
    InsufficientStock(#[from] tenantry_domain::product::InsufficientStock),
    /// The tenant has an order with this number already.
    #[error("an order numbered `{number}` exists already")]
    OrderExists { number: String },
    /// The tenant has a product with this SKU already.
    #[error("a product with SKU `{sku}` exists already")]
    ProductExists { sku: String },
    /// The order's status cannot move to the one asked for.
    #[error(transparent)]
    IllegalTransition(#[from] tenantry_domain::order::IllegalTransition),
    /// The actor may not make this change; `code` is stable and machine-readable.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The change conflicts with what exists; `code` is stable and machine-readable.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => ServiceError::NotFound(format!("{what} not found")),
            other => ServiceError::Storage(other),
        }
    }
}

impl From<tenantry_storage::order::PlaceError> for ServiceError {
    fn from(e: tenantry_storage::order::PlaceError) -> Self {
        match e {
            tenantry_storage::order::PlaceError::Stock(s) => ServiceError::InsufficientStock(s),
            tenantry_storage::order::PlaceError::Storage(s) => s.into(),
        }
    }
}

impl From<tenantry_domain::integration::LinkRefusal> for ServiceError {
    /// A partner's post-back refused: 403 with the seed's words.
    fn from(e: tenantry_domain::integration::LinkRefusal) -> Self {
        ServiceError::Forbidden {
            code: e.code(),
            message: e.to_string(),
        }
    }
}
