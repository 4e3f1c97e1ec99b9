//! Orders: a tenant's sales, with a status state machine and totals computed exactly.

use crate::money::{self, Currency};
use crate::{DomainError, FieldError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;

/// Where an order is. The allowed moves are [`OrderStatus::next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    New,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::New,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses an order may move to from this one: new → processing → shipped →
    /// delivered, and new or processing → cancelled. Delivered and cancelled are final.
    pub fn next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::New => &[OrderStatus::Processing, OrderStatus::Cancelled],
            OrderStatus::Processing => &[OrderStatus::Shipped, OrderStatus::Cancelled],
            OrderStatus::Shipped => &[OrderStatus::Delivered],
            OrderStatus::Delivered | OrderStatus::Cancelled => &[],
        }
    }

    /// Checks a move; staying in the same status is no move and always allowed.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if to == self || self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

/// A status change the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl IllegalTransition {
    /// The statuses that would have been allowed.
    pub fn allowed(&self) -> Vec<&'static str> {
        self.from.next().iter().map(|s| s.as_str()).collect()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown order status `{s}` (expected new, processing, shipped, delivered or cancelled)"))
    }
}

/// The buyer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    /// ISO 3166-1 alpha-2, such as `SE`.
    #[serde(default)]
    pub country: String,
}

/// One order row, amounts in minor units of the order's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    /// Price of one unit, excluding VAT, in minor units.
    pub unit_price: i64,
    /// Hundredths of a percent (2500 = 25 %).
    pub vat_rate: i64,
    /// `quantity × unit_price`.
    pub net: i64,
    /// VAT on `net`, rounded per row.
    pub vat: i64,
}

/// An order's totals, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub number: String,
    pub status: OrderStatus,
    pub currency: Currency,
    pub customer: Customer,
    pub billing_address: Address,
    pub shipping_address: Address,
    pub rows: Vec<OrderRow>,
    pub totals: Totals,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The tenant's change sequence at this order's last write: what incremental sync pages by.
    pub sequence: i64,
}

/// A change to an order; absent fields stay. Rows and amounts never change after placing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderPatch {
    pub status: Option<OrderStatus>,
    pub customer: Option<Customer>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl OrderPatch {
    /// Applies the patch to `order`; `now` becomes `updatedAt`. A status the order cannot
    /// move to changes nothing.
    pub fn apply(self, order: &mut Order, now: DateTime<Utc>) -> Result<(), IllegalTransition> {
        if let Some(to) = self.status {
            order.status = order.status.transition(to)?;
        }
        if let Some(v) = self.customer {
            order.customer = v;
        }
        if let Some(v) = self.billing_address {
            order.billing_address = v;
        }
        if let Some(v) = self.shipping_address {
            order.shipping_address = v;
        }
        if let Some(v) = self.metadata {
            order.metadata = v;
        }
        order.updated_at = now;
        Ok(())
    }
}

/// A row as a client sends it, amounts as decimal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDraft {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub vat_rate: String,
}

/// Rows are at most this many per order.
pub const MAX_ROWS: usize = 500;

/// Checks an order number: 1 to 64 characters of letters, digits and `- _ . /`.
pub fn check_number(number: &str) -> Result<(), FieldError> {
    if (1..=64).contains(&number.len())
        && number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            "number",
            "order_number",
            "must be 1 to 64 letters, digits or - _ . /",
        ))
    }
}

/// Parses the currency code of an order or product.
pub fn currency(code: &str) -> Result<Currency, FieldError> {
    Currency::from_code(code)
        .ok_or_else(|| FieldError::new("currency", "currency", format!("`{code}` is not an ISO 4217 currency code this server knows (such as SEK, EUR, USD)")))
}

/// Prices the rows in `currency` and computes exact totals; every bad field is reported.
pub fn price_rows(
    currency: Currency,
    drafts: &[RowDraft],
) -> Result<(Vec<OrderRow>, Totals), DomainError> {
    let mut errors = Vec::new();
    if drafts.is_empty() {
        errors.push(FieldError::new(
            "rows",
            "required",
            "an order has at least one row",
        ));
    }
    if drafts.len() > MAX_ROWS {
        errors.push(FieldError::new(
            "rows",
            "too_many",
            format!("at most {MAX_ROWS} rows"),
        ));
    }
    let mut rows = Vec::with_capacity(drafts.len());
    let mut totals = Totals::default();
    for (i, d) in drafts.iter().enumerate() {
        let field = |name: &str| format!("rows[{i}].{name}");
        if !(1..=64).contains(&d.sku.chars().count()) {
            errors.push(FieldError::new(
                field("sku"),
                "length",
                "must be 1 to 64 characters",
            ));
        }
        if d.name.chars().count() > 200 {
            errors.push(FieldError::new(
                field("name"),
                "length",
                "must be at most 200 characters",
            ));
        }
        if !(1..=1_000_000).contains(&d.quantity) {
            errors.push(FieldError::new(
                field("quantity"),
                "range",
                "must be 1 to 1000000",
            ));
        }
        let unit_price = currency.parse_amount(&d.unit_price, &field("unitPrice"));
        let vat_rate = money::parse_vat_rate(&d.vat_rate, &field("vatRate"));
        match (unit_price, vat_rate) {
            (Ok(unit_price), Ok(vat_rate)) => {
                let priced = d
                    .quantity
                    .checked_mul(unit_price)
                    .and_then(|net| Some((net, money::vat_of(net, vat_rate)?)))
                    .and_then(|(net, vat)| {
                        let t = Totals {
                            net: totals.net.checked_add(net)?,
                            vat: totals.vat.checked_add(vat)?,
                            gross: 0,
                        };
                        Some((net, vat, t))
                    });
                match priced {
                    Some((net, vat, t)) => {
                        totals = t;
                        rows.push(OrderRow {
                            sku: d.sku.clone(),
                            name: d.name.clone(),
                            quantity: d.quantity,
                            unit_price,
                            vat_rate,
                            net,
                            vat,
                        });
                    }
                    None => errors.push(FieldError::new(
                        field("quantity"),
                        "too_large",
                        "the row's amount is too large",
                    )),
                }
            }
            (a, b) => {
                for e in [a.err(), b.err()].into_iter().flatten() {
                    let DomainError::Invalid(list) = e;
                    errors.extend(list);
                }
            }
        }
    }
    totals.gross = match totals.net.checked_add(totals.vat) {
        Some(g) => g,
        None => {
            errors.push(FieldError::new(
                "rows",
                "too_large",
                "the order's total is too large",
            ));
            0
        }
    };
    crate::error::into_result(errors)?;
    Ok((rows, totals))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(qty: i64, price: &str, vat: &str) -> RowDraft {
        RowDraft {
            sku: "SKU-1".into(),
            name: "Thing".into(),
            quantity: qty,
            unit_price: price.into(),
            vat_rate: vat.into(),
        }
    }

    #[test]
    fn the_state_machine_allows_the_documented_moves_only() {
        use OrderStatus::*;
        assert_eq!(New.transition(Processing), Ok(Processing));
        assert_eq!(Processing.transition(Shipped), Ok(Shipped));
        assert_eq!(Shipped.transition(Delivered), Ok(Delivered));
        assert_eq!(New.transition(Cancelled), Ok(Cancelled));
        assert_eq!(Processing.transition(Cancelled), Ok(Cancelled));
        assert_eq!(Shipped.transition(Shipped), Ok(Shipped));
        let e = Shipped.transition(Cancelled).unwrap_err();
        assert_eq!(e.allowed(), ["delivered"]);
        assert!(Delivered.transition(New).is_err());
        assert!(Cancelled
            .transition(Processing)
            .unwrap_err()
            .allowed()
            .is_empty());
        assert!(New.transition(Delivered).is_err());
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        }
    }

    #[test]
    fn totals_are_exact() {
        let sek = Currency::from_code("SEK").unwrap();
        let (rows, totals) = price_rows(
            sek,
            &[
                row(3, "19.99", "25"),
                row(1, "0.10", "12"),
                row(2, "0.20", "6"),
            ],
        )
        .unwrap();
        assert_eq!(rows[0].net, 5997);
        assert_eq!(rows[0].vat, 1499, "1499.25 rounds to 1499");
        assert_eq!(rows[1].vat, 1, "1.2 rounds to 1");
        assert_eq!(rows[2].vat, 2, "2.4 rounds to 2");
        assert_eq!(
            totals,
            Totals {
                net: 5997 + 10 + 40,
                vat: 1499 + 1 + 2,
                gross: 6047 + 1502
            }
        );
    }

    #[test]
    fn bad_rows_are_named() {
        let sek = Currency::from_code("SEK").unwrap();
        let DomainError::Invalid(errors) =
            price_rows(sek, &[row(0, "1.001", "125"), row(1, "1", "25")]).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rows[0].quantity", "rows[0].unitPrice", "rows[0].vatRate"]
        );
        assert!(price_rows(sek, &[]).is_err());
        assert!(
            price_rows(sek, &[row(1_000_000, "999999999999999", "0")]).is_err(),
            "overflow is refused, not wrapped"
        );
        assert!(check_number("WEB-1001/A").is_ok());
        assert!(check_number("").is_err() && check_number("a b").is_err());
        assert!(currency("SEK").is_ok() && currency("ABC").is_err());
    }
}
