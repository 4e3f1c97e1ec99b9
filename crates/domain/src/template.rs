//! Tenant templates (XAPP's "custom templates"): what provisioning sets up for a new tenant of
//! a tier — options, API connections, sandbox data. The operator (the vendor) defines them
//! per reseller; a reseller names one in a new tenant's `template`, or gets the one named
//! after the tenant's `tier`.

use crate::connection::ConnectionDraft;
use crate::error::{into_result, rule_errors};
use crate::tenant::check_options;
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

/// A template as the operator writes it (JSON) and the Reseller API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantTemplate {
    /// What a tenant's `template` (or `tier`) names it by.
    #[validate(custom(function = "name_rule"))]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    pub description: String,
    /// Options every tenant made from it gets, besides the ones asked for; each must be a
    /// capability of the reseller.
    #[serde(default)]
    pub options: Vec<String>,
    /// Connections provisioning creates.
    #[serde(default)]
    #[validate(length(max = 10, message = "at most 10 connections"))]
    pub connections: Vec<TemplateConnection>,
    /// Generated orders a sandbox tenant is filled with (production tenants get none).
    #[serde(default)]
    #[validate(range(min = 0, max = 1000, message = "must be 0 to 1000"))]
    pub sandbox_orders: i64,
}

/// A connection a template creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateConnection {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub configuration: serde_json::Map<String, serde_json::Value>,
}

impl TemplateConnection {
    /// The connection as provisioning creates it: active.
    pub fn draft(&self) -> ConnectionDraft {
        ConnectionDraft {
            name: self.name.clone(),
            kind: self.kind.clone(),
            active: true,
            configuration: self.configuration.clone(),
        }
    }
}

impl TenantTemplate {
    /// Checks the template's rules and that every option is one of `capabilities`.
    pub fn check(mut self, capabilities: &[String]) -> Result<Self, DomainError> {
        let mut errors = rule_errors(&self);
        errors.extend(self.options_outside(capabilities));
        for (i, connection) in self.connections.iter().enumerate() {
            if let Err(DomainError::Invalid(list)) = connection.draft().check() {
                errors.extend(list.into_iter().map(|e| FieldError {
                    field: format!("connections[{i}].{}", e.field),
                    ..e
                }));
            }
        }
        into_result(errors)?;
        self.options.sort();
        self.options.dedup();
        Ok(self)
    }

    /// A field error for each option the reseller may not grant (any more).
    pub fn options_outside(&self, capabilities: &[String]) -> Vec<FieldError> {
        check_options(&self.options, capabilities)
            .into_iter()
            .map(|e| FieldError {
                message: format!("template `{}`: {}", self.name, e.message),
                ..e
            })
            .collect()
    }
}

/// Which template a new tenant gets: the one its `template` names (which must exist), else the
/// one named after its `tier`, if any.
pub fn choose<'a>(
    templates: &'a [TenantTemplate],
    template: Option<&str>,
    tier: Option<&str>,
) -> Result<Option<&'a TenantTemplate>, DomainError> {
    let find = |name: &str| templates.iter().find(|t| t.name == name);
    match template {
        Some(name) => find(name).map(Some).ok_or_else(|| {
            let known: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
            DomainError::invalid(
                "template",
                "unknown_template",
                if known.is_empty() {
                    format!("no template `{name}`: none is defined for you")
                } else {
                    format!("no template `{name}`; there are: {}", known.join(", "))
                },
            )
        }),
        None => Ok(tier.and_then(find)),
    }
}

fn name_rule(name: &str) -> Result<(), ValidationError> {
    if (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(())
    } else {
        Err(ValidationError::new("template_name")
            .with_message("must be 1 to 100 letters, digits, `-`, `_` or `.`".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str) -> TenantTemplate {
        serde_json::from_value(serde_json::json!({
            "name": name, "options": ["orders", "orders"],
            "connections": [{"name": "Webshop", "type": "api"}], "sandboxOrders": 5
        }))
        .unwrap()
    }

    #[test]
    fn a_template_is_checked_against_the_rules_and_the_capabilities() {
        let caps = vec!["orders".to_owned()];
        let ok = template("retail").check(&caps).unwrap();
        assert_eq!(ok.options, ["orders"]);
        let mut bad = template("no spaces");
        bad.options.push("video".into());
        bad.sandbox_orders = 1001;
        bad.connections.push(TemplateConnection {
            name: String::new(),
            kind: "API!".into(),
            configuration: Default::default(),
        });
        let DomainError::Invalid(errors) = bad.check(&caps).unwrap_err();
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("name", "template_name"),
                ("sandboxOrders", "range"),
                ("options[2]", "capability_not_granted"),
                ("connections[1].type", "connection_type"),
                ("connections[1].name", "length"),
            ]
        );
    }

    #[test]
    fn the_named_template_wins_then_the_tier_s_and_an_unknown_name_is_refused() {
        let all = vec![template("gold"), template("retail")];
        let name = |t: Option<&TenantTemplate>| t.map(|t| t.name.clone());
        assert_eq!(
            name(choose(&all, Some("retail"), Some("gold")).unwrap()),
            Some("retail".into())
        );
        assert_eq!(
            name(choose(&all, None, Some("gold")).unwrap()),
            Some("gold".into())
        );
        assert_eq!(name(choose(&all, None, Some("silver")).unwrap()), None);
        assert_eq!(name(choose(&all, None, None).unwrap()), None);
        let DomainError::Invalid(e) = choose(&all, Some("retial"), None).unwrap_err();
        assert_eq!(e[0].code, "unknown_template");
        assert!(e[0].message.contains("gold, retail"), "{}", e[0].message);
    }
}
