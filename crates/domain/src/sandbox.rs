//! Realistic fake data for sandbox tenants (Partoo: "the account starts empty, but can be
//! filled by fake data"). Deterministic for a seed, so tests can rely on it.

use crate::order::{Address, Customer, RowDraft};

/// One generated order, ready for [`crate::order::price_rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOrder {
    pub number: String,
    pub customer: Customer,
    pub address: Address,
    pub rows: Vec<RowDraft>,
}

/// The products generated orders draw from: (sku, name, unit price in SEK, VAT rate).
pub const PRODUCTS: &[(&str, &str, &str, &str)] = &[
    ("MUG-BLUE", "Blue coffee mug", "89.00", "25"),
    ("TEE-M", "T-shirt, medium", "199.00", "25"),
    ("BOOK-RUST", "Programming book", "449.00", "6"),
    ("COFFEE-500", "Coffee beans 500 g", "119.50", "12"),
    ("SOCKS-3", "Socks, 3-pack", "149.00", "25"),
    ("LAMP-DESK", "Desk lamp", "599.00", "25"),
];

const FIRST: &[&str] = &[
    "Anna", "Erik", "Maja", "Lars", "Sara", "Johan", "Elin", "Oskar",
];
const LAST: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
];
const CITIES: &[(&str, &str)] = &[
    ("Stockholm", "111 22"),
    ("Göteborg", "411 05"),
    ("Malmö", "211 20"),
    ("Uppsala", "753 10"),
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[(self.next() % list.len() as u64) as usize]
    }
}

/// `count` orders numbered `SBX-{first}` onwards, from `seed`.
pub fn orders(seed: u64, first: u64, count: u64) -> Vec<SandboxOrder> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
            let (city, postal_code) = *rng.pick(CITIES);
            let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
            let address = Address {
                name: name.clone(),
                street: format!("Storgatan {}", 1 + rng.next() % 90),
                postal_code: postal_code.to_owned(),
                city: city.to_owned(),
                country: "SE".to_owned(),
            };
            let lines = 1 + rng.next() % 3;
            let rows = (0..lines)
                .map(|_| {
                    let (sku, product, price, vat) = *rng.pick(PRODUCTS);
                    RowDraft {
                        sku: sku.to_owned(),
                        name: product.to_owned(),
                        quantity: 1 + (rng.next() % 3) as i64,
                        unit_price: price.to_owned(),
                        vat_rate: vat.to_owned(),
                    }
                })
                .collect();
            SandboxOrder {
                number: format!("SBX-{}", first + i),
                customer: Customer {
                    name,
                    email,
                    phone: format!(
                        "+46 70 {:03} {:02} {:02}",
                        rng.next() % 1000,
                        rng.next() % 100,
                        rng.next() % 100
                    ),
                },
                address,
                rows,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn generated_orders_are_valid_and_deterministic() {
        let a = orders(7, 1, 20);
        assert_eq!(a, orders(7, 1, 20));
        assert_ne!(a, orders(8, 1, 20));
        assert_eq!(a[0].number, "SBX-1");
        let sek = Currency::from_code("SEK").unwrap();
        for o in &a {
            crate::order::price_rows(sek, &o.rows).unwrap();
            assert!(o.customer.email.ends_with("@example.com"));
        }
    }
}
