//! Sandbox and production: two worlds a credential lives in, never crossed.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The environment of a credential and of every tenant it creates. A credential of one
/// environment never sees a tenant of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    /// The word a secret's prefix carries, as Stripe's `sk_test_` / `sk_live_`.
    pub fn token_word(self) -> &'static str {
        match self {
            Environment::Sandbox => "test",
            Environment::Production => "live",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sandbox" => Ok(Environment::Sandbox),
            "production" => Ok(Environment::Production),
            other => Err(format!(
                "unknown environment `{other}` (expected sandbox or production)"
            )),
        }
    }
}
