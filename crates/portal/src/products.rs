//! `/portal/products`: the tenant's products. Admins and managers add one and change a
//! product's price, stock and whether it is active, through the same use cases as the Tenant
//! API's product writes (`product.*` events follow); viewers read.

use crate::error::PortalError;
use crate::form::PortalForm;
use crate::page::{render, render_status, see_other, Chrome, Section};
use crate::session::Visitor;
use crate::{blocking, field_errors};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;
use tenantry_domain::product::{is_sku, ProductDraft, ProductPatch};
use tenantry_domain::{time, DomainError};
use tenantry_http::AppState;
use tenantry_service::{product as service, ServiceError};
use tenantry_storage::product as products;

/// A product as the page lists it.
pub struct Line {
    pub sku: String,
    pub name: String,
    pub price: String,
    /// The price as its form edits it (`19.99`).
    pub price_input: String,
    pub currency: &'static str,
    /// Empty when stock is not tracked.
    pub stock: String,
    pub active: bool,
}

/// What the add form sent.
#[derive(Deserialize)]
pub struct NewProduct {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub stock: String,
    #[serde(default)]
    pub active: Option<String>,
}

impl Default for NewProduct {
    fn default() -> Self {
        NewProduct {
            sku: String::new(),
            name: String::new(),
            price: String::new(),
            currency: "SEK".into(),
            stock: String::new(),
            active: Some("on".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    chrome: Chrome,
    products: Vec<Line>,
    may_manage: bool,
    notice: Option<&'static str>,
    form: NewProduct,
    errors: HashMap<String, String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
}

async fn page(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    notice: Option<&'static str>,
    form: NewProduct,
    errors: HashMap<String, String>,
) -> Result<ProductsPage, PortalError> {
    let (db, tenant_id, t) = (state.clone(), visitor.tenant.id, visitor.texts());
    let list = blocking(move || {
        Ok(db
            .db
            .read(|conn| products::list(conn, tenant_id, None, 500))?
            .rows)
    })
    .await?;
    Ok(ProductsPage {
        chrome: Chrome::new(
            visitor,
            Section::Products,
            t.get("products.title").to_owned(),
        ),
        products: list
            .into_iter()
            .map(|p| Line {
                price: t.money(p.currency, p.price),
                price_input: p.currency.format(p.price),
                currency: p.currency.code,
                stock: p.stock.map(|s| s.to_string()).unwrap_or_default(),
                active: p.active,
                sku: p.sku,
                name: p.name,
            })
            .collect(),
        may_manage: visitor.user.role.manages_commerce(),
        notice,
        form,
        errors,
    })
}

/// `GET /portal/products`.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PortalError> {
    let t = visitor.texts();
    let notice = match query.notice.as_deref() {
        Some("created") => Some(t.get("products.created_notice")),
        Some("updated") => Some(t.get("products.updated_notice")),
        _ => None,
    };
    render(
        &page(
            &state,
            &visitor,
            notice,
            NewProduct::default(),
            HashMap::new(),
        )
        .await?,
    )
}

/// An optional whole number a form sent (`""` is none), or the field's error.
fn stock_of(text: &str) -> Result<Option<i64>, DomainError> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            DomainError::invalid("stock", "integer", "must be a whole number, or empty")
        }),
    }
}

fn require_commerce(visitor: &Visitor) -> Result<(), PortalError> {
    visitor.require(visitor.user.role.manages_commerce(), "change products")
}

/// `POST /portal/products`: adds a product, or shows the form again with its errors.
pub async fn create(
    state: web::Data<AppState>,
    PortalForm {
        visitor, fields, ..
    }: PortalForm<NewProduct>,
) -> Result<HttpResponse, PortalError> {
    require_commerce(&visitor)?;
    let stock = match stock_of(&fields.stock) {
        Ok(s) => s,
        Err(e) => return refused(&state, &visitor, fields, field_errors(e)).await,
    };
    let draft = ProductDraft {
        sku: fields.sku.trim().to_owned(),
        name: fields.name.trim().to_owned(),
        price: fields.price.trim().to_owned(),
        currency: fields.currency.trim().to_uppercase(),
        stock,
        allow_backorder: false,
        active: fields.active.is_some(),
    };
    let (db, actor, tenant) = (state.clone(), visitor.actor(), visitor.tenant.clone());
    let created = blocking(move || {
        Ok(db
            .db
            .write(|conn| service::create(conn, &actor, &tenant, draft, time::now())))
    })
    .await?;
    match created {
        Ok(_) => Ok(see_other("/portal/products?notice=created")),
        Err(ServiceError::Invalid(e)) => refused(&state, &visitor, fields, field_errors(e)).await,
        Err(ServiceError::ProductExists { sku }) => {
            let message = visitor.texts().fill("products.sku_taken", &[("sku", &sku)]);
            refused(
                &state,
                &visitor,
                fields,
                HashMap::from([("sku".to_owned(), message)]),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(
    state: &web::Data<AppState>,
    visitor: &Visitor,
    form: NewProduct,
    errors: HashMap<String, String>,
) -> Result<HttpResponse, PortalError> {
    render_status(
        &page(state, visitor, None, form, errors).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// What a product's edit form sends.
#[derive(Deserialize)]
pub struct Edit {
    price: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    active: Option<String>,
}

/// `POST /portal/products/{sku}`: changes the price, stock and whether it is active. A bad
/// value is refused (422 page naming it) and changes nothing.
pub async fn update(
    state: web::Data<AppState>,
    sku: web::Path<String>,
    PortalForm {
        visitor, fields, ..
    }: PortalForm<Edit>,
) -> Result<HttpResponse, PortalError> {
    require_commerce(&visitor)?;
    let sku = sku.into_inner();
    if !is_sku(&sku) {
        return Err(PortalError::NotFound(format!("product {sku}")));
    }
    let stock = stock_of(&fields.stock).map_err(|e| PortalError::Invalid(e.to_string()))?;
    let patch = ProductPatch {
        price: Some(fields.price.trim().to_owned()),
        stock: Some(stock),
        active: Some(fields.active.is_some()),
        ..Default::default()
    };
    let (actor, tenant) = (visitor.actor(), visitor.tenant.clone());
    let changed = blocking(move || {
        Ok(state
            .db
            .write(|conn| service::update(conn, &actor, &tenant, &sku, patch, time::now())))
    })
    .await?;
    match changed {
        Ok(_) => Ok(see_other("/portal/products?notice=updated")),
        Err(ServiceError::Invalid(e)) => Err(PortalError::Invalid(e.to_string())),
        Err(e) => Err(e.into()),
    }
}
