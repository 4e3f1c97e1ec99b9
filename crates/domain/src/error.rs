//! The domain's one error type: input that breaks a rule, reported per field.

use serde::Serialize;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// One broken rule on one input field. `field` is the field's name as clients send it
/// (camelCase, with `[i]` for list items), so an integrator can point at the offending input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// What the domain refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input breaks one or more validation rules.
    #[error("the request is invalid: {}", summary(.0))]
    Invalid(Vec<FieldError>),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl DomainError {
    /// A single-field validation failure.
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, code, message)])
    }

    /// The same errors about fields nested under `prefix` (`path` → `install.loginUrl.path`).
    pub fn nested(self, prefix: &str) -> Self {
        let DomainError::Invalid(errors) = self;
        DomainError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: format!("{prefix}.{}", e.field),
                    ..e
                })
                .collect(),
        )
    }
}

impl From<ValidationErrors> for DomainError {
    fn from(errors: ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten(&errors, "", &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        DomainError::Invalid(out)
    }
}

/// The field errors of `value`'s validation rules, empty when it passes; callers add errors
/// of rules that need context (the reseller's capabilities, say) before deciding.
pub fn rule_errors(value: &impl Validate) -> Vec<FieldError> {
    match value.validate() {
        Ok(()) => Vec::new(),
        Err(e) => match DomainError::from(e) {
            DomainError::Invalid(list) => list,
        },
    }
}

/// Turns collected field errors into a result.
pub fn into_result(errors: Vec<FieldError>) -> Result<(), DomainError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let name = format!("{prefix}{}", camel_case(field));
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("fails the `{}` rule", e.code));
                    out.push(FieldError::new(name.clone(), e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &format!("{name}."), out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(inner, &format!("{name}[{i}]."), out)
                }
            }
        }
    }
}

/// `default_language` → `defaultLanguage`: validator reports Rust field names, clients send camelCase.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_converts_rust_names() {
        assert_eq!(camel_case("default_language"), "defaultLanguage");
        assert_eq!(camel_case("email"), "email");
        assert_eq!(camel_case("customer_reference"), "customerReference");
    }
}
