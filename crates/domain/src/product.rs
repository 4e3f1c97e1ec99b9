//! Products: a tenant's catalogue, with stock that orders draw down.

use crate::money::Currency;
use crate::order::currency;
use crate::{DomainError, FieldError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A product as stored. `sku` is unique within the tenant and names it in paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub tenant_id: Uuid,
    pub sku: String,
    pub name: String,
    /// Minor units of `currency`, excluding VAT.
    pub price: i64,
    pub currency: Currency,
    /// Units on hand; `None` when stock is not tracked.
    pub stock: Option<i64>,
    /// Whether an order may drive tracked stock below zero.
    pub allow_backorder: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sequence: i64,
}

/// What a client sends to create a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub sku: String,
    pub name: String,
    pub price: String,
    pub currency: String,
    pub stock: Option<i64>,
    pub allow_backorder: bool,
    pub active: bool,
}

/// Checks a SKU: 1 to 64 characters of letters, digits and `- _ .`, so it fits in a path.
pub fn is_sku(sku: &str) -> bool {
    (1..=64).contains(&sku.len())
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn sku_error(field: &str) -> FieldError {
    FieldError::new(field, "sku", "must be 1 to 64 letters, digits or - _ .")
}

fn stock_error() -> FieldError {
    FieldError::new(
        "stock",
        "range",
        "must be 0 to 1000000000, or null for untracked stock",
    )
}

impl ProductDraft {
    /// Validates the draft into a product (its times and sequence set by the caller).
    pub fn check(self, tenant_id: Uuid, now: DateTime<Utc>) -> Result<Product, DomainError> {
        let mut errors = Vec::new();
        if !is_sku(&self.sku) {
            errors.push(sku_error("sku"));
        }
        if !(1..=200).contains(&self.name.chars().count()) {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 200 characters",
            ));
        }
        if self
            .stock
            .is_some_and(|s| !(0..=1_000_000_000).contains(&s))
        {
            errors.push(stock_error());
        }
        let currency = currency(&self.currency).map_err(|e| errors.push(e)).ok();
        let price = currency.and_then(|c| {
            c.parse_amount(&self.price, "price")
                .map_err(|DomainError::Invalid(l)| errors.extend(l))
                .ok()
        });
        crate::error::into_result(errors)?;
        Ok(Product {
            tenant_id,
            sku: self.sku,
            name: self.name,
            price: price.expect("checked"),
            currency: currency.expect("checked"),
            stock: self.stock,
            allow_backorder: self.allow_backorder,
            active: self.active,
            created_at: now,
            updated_at: now,
            sequence: 0,
        })
    }
}

/// A partial update of a product; the SKU and currency are fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub price: Option<String>,
    /// `Some(None)` stops tracking stock.
    pub stock: Option<Option<i64>>,
    pub allow_backorder: Option<bool>,
    pub active: Option<bool>,
}

impl ProductPatch {
    pub fn apply(self, product: &mut Product, now: DateTime<Utc>) -> Result<(), DomainError> {
        let mut errors = Vec::new();
        if self
            .name
            .as_ref()
            .is_some_and(|n| n.is_empty() || n.len() > 200)
        {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 200 characters",
            ));
        }
        if let Some(Some(s)) = self.stock {
            if !(0..=1_000_000_000).contains(&s) {
                errors.push(stock_error());
            }
        }
        let price = match &self.price {
            Some(p) => product
                .currency
                .parse_amount(p, "price")
                .map_err(|DomainError::Invalid(l)| errors.extend(l))
                .ok(),
            None => None,
        };
        crate::error::into_result(errors)?;
        if let Some(v) = self.name {
            product.name = v;
        }
        if let Some(v) = price {
            product.price = v;
        }
        if let Some(v) = self.stock {
            product.stock = v;
        }
        if let Some(v) = self.allow_backorder {
            product.allow_backorder = v;
        }
        if let Some(v) = self.active {
            product.active = v;
        }
        product.updated_at = now;
        Ok(())
    }
}

impl Product {
    /// Draws `quantity` units for an order. Untracked stock never runs out; tracked stock may
    /// go below zero only when backorders are allowed.
    pub fn draw(&mut self, quantity: i64) -> Result<(), InsufficientStock> {
        let Some(stock) = self.stock else {
            return Ok(());
        };
        let left = stock - quantity;
        if left < 0 && !self.allow_backorder {
            return Err(InsufficientStock {
                sku: self.sku.clone(),
                available: stock,
                requested: quantity,
            });
        }
        self.stock = Some(left);
        Ok(())
    }
}

/// An order asks for more units than a product without backorders has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("product {sku} has {available} in stock, the order asks for {requested}")]
pub struct InsufficientStock {
    pub sku: String,
    pub available: i64,
    pub requested: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProductDraft {
        ProductDraft {
            sku: "MUG-1".into(),
            name: "Mug".into(),
            price: "99.00".into(),
            currency: "SEK".into(),
            stock: Some(3),
            allow_backorder: false,
            active: true,
        }
    }

    #[test]
    fn drafts_check_every_field() {
        let p = draft().check(Uuid::nil(), Utc::now()).unwrap();
        assert_eq!((p.price, p.currency.code), (9900, "SEK"));
        let bad = ProductDraft {
            sku: "a b".into(),
            name: "".into(),
            price: "1.001".into(),
            stock: Some(-1),
            ..draft()
        };
        let DomainError::Invalid(errors) = bad.check(Uuid::nil(), Utc::now()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sku", "name", "stock", "price"]);
        let bad = ProductDraft {
            currency: "XYZ".into(),
            ..draft()
        };
        assert!(bad.check(Uuid::nil(), Utc::now()).is_err());
    }

    #[test]
    fn stock_is_drawn_and_protected() {
        let mut p = draft().check(Uuid::nil(), Utc::now()).unwrap();
        p.draw(2).unwrap();
        assert_eq!(p.stock, Some(1));
        assert_eq!(p.draw(2).unwrap_err().available, 1);
        assert_eq!(p.stock, Some(1), "a refused draw changes nothing");
        p.allow_backorder = true;
        p.draw(2).unwrap();
        assert_eq!(p.stock, Some(-1));
        p.stock = None;
        p.draw(1_000).unwrap();
        assert_eq!(p.stock, None);
    }
}
