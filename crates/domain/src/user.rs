//! Tenant users: the people and API users that act inside one tenant.

use crate::{
    error::{into_result, rule_errors},
    permission::{self, Role},
    tenant::is_language_code,
    DomainError, FieldError,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// A tenant user as stored. The password hash never leaves the storage and auth crates'
/// hands: `has_password` is what the API shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUser {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub login: String,
    pub full_name: String,
    pub email: String,
    pub role: Role,
    pub permissions: Vec<String>,
    pub default_language: String,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TenantUser {
    /// The role's permissions plus the ones granted to this user.
    pub fn effective_permissions(&self) -> Vec<permission::Permission> {
        permission::effective(self.role, &self.permissions)
    }
}

/// What a reseller sends to create a tenant user (Sharespine's `POST …/user` body).
#[derive(Debug, Clone, PartialEq, Eq, Validate)]
pub struct UserDraft {
    #[validate(custom(function = "login_rule"))]
    pub login: String,
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub full_name: String,
    #[validate(email(message = "must be an email address"), length(max = 254))]
    pub email: String,
    pub permissions: Vec<String>,
    pub role: Role,
    #[validate(custom(function = "language_rule"))]
    pub default_language: String,
    #[validate(custom(function = "password_rule"))]
    pub password: Option<String>,
}

impl UserDraft {
    pub fn check(mut self) -> Result<Self, DomainError> {
        let mut errors = rule_errors(&self);
        errors.extend(check_permissions(&self.permissions));
        into_result(errors)?;
        self.permissions.sort();
        self.permissions.dedup();
        Ok(self)
    }
}

/// A partial update of a tenant user; the login never changes (it names the user in paths).
#[derive(Debug, Clone, Default, PartialEq, Eq, Validate)]
pub struct UserPatch {
    #[validate(length(max = 200, message = "must be at most 200 characters"))]
    pub full_name: Option<String>,
    #[validate(email(message = "must be an email address"), length(max = 254))]
    pub email: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub role: Option<Role>,
    #[validate(custom(function = "language_rule"))]
    pub default_language: Option<String>,
    /// `Some(None)` removes the password (the user can no longer use the Tenant API).
    pub password: Option<Option<String>>,
}

impl UserPatch {
    /// Checks the patch. The new password, if any, is hashed by the caller (auth crate) and
    /// handed to [`UserPatch::apply`] as `password_hash`.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut errors = rule_errors(self);
        if let Some(p) = &self.permissions {
            errors.extend(check_permissions(p));
        }
        if let Some(Some(p)) = &self.password {
            if let Err(e) = password_rule(p) {
                errors.push(FieldError::new(
                    "password",
                    e.code.to_string(),
                    e.message.unwrap_or_default().to_string(),
                ));
            }
        }
        into_result(errors)
    }

    /// Applies a checked patch.
    pub fn apply(
        self,
        user: &mut TenantUser,
        password_hash: Option<Option<String>>,
        now: DateTime<Utc>,
    ) {
        if let Some(v) = self.full_name {
            user.full_name = v;
        }
        if let Some(v) = self.email {
            user.email = v;
        }
        if let Some(mut v) = self.permissions {
            v.sort();
            v.dedup();
            user.permissions = v;
        }
        if let Some(v) = self.role {
            user.role = v;
        }
        if let Some(v) = self.default_language {
            user.default_language = v;
        }
        if let Some(v) = password_hash {
            user.password_hash = v;
        }
        user.updated_at = now;
    }
}

fn check_permissions(permissions: &[String]) -> Vec<FieldError> {
    permissions
        .iter()
        .enumerate()
        .filter(|(_, p)| !permission::is_known(p))
        .map(|(i, p)| {
            FieldError::new(
                format!("permissions[{i}]"),
                "unknown_permission",
                format!("`{p}` is not a permission (GET /reseller/permission lists them)"),
            )
        })
        .collect()
}

/// A login: 1 to 100 characters of letters, digits and `. _ @ + -`, so it fits in a URL path.
pub fn is_login(login: &str) -> bool {
    (1..=100).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@+-".contains(&b))
}

/// Checks a login on its own (one named where no user is created yet), as field `login`.
pub fn check_login(login: &str) -> Result<(), DomainError> {
    login_rule(login).map_err(|e| {
        DomainError::invalid("login", &e.code, e.message.unwrap_or_default().into_owned())
    })
}

/// Checks a password on its own (a reseller user's, set by the operator), as field `password`.
pub fn check_password(password: &str) -> Result<(), DomainError> {
    password_rule(password).map_err(|e| {
        DomainError::invalid(
            "password",
            &e.code,
            e.message.unwrap_or_default().into_owned(),
        )
    })
}

fn login_rule(login: &str) -> Result<(), ValidationError> {
    if is_login(login) {
        Ok(())
    } else {
        Err(ValidationError::new("login")
            .with_message("must be 1 to 100 characters of letters, digits and . _ @ + -".into()))
    }
}

fn language_rule(code: &str) -> Result<(), ValidationError> {
    if is_language_code(code) {
        Ok(())
    } else {
        Err(ValidationError::new("language_code")
            .with_message("must be a lowercase ISO 639 language code such as `swe` or `en`".into()))
    }
}

/// Passwords of API users: 12 to 256 characters. Long enough to resist guessing; the upper
/// bound keeps argon2 work bounded.
fn password_rule(password: &str) -> Result<(), ValidationError> {
    if (12..=256).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(ValidationError::new("password_length")
            .with_message("must be 12 to 256 characters".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> UserDraft {
        UserDraft {
            login: "api@acme".into(),
            full_name: "API user".into(),
            email: "api@acme.example".into(),
            permissions: vec!["order:read".into()],
            role: Role::Viewer,
            default_language: "swe".into(),
            password: Some("correct horse battery".into()),
        }
    }

    #[test]
    fn logins_are_url_safe() {
        assert!(is_login("anna.svensson@acme"));
        assert!(!is_login(""));
        assert!(!is_login("a/b"));
        assert!(!is_login("a b"));
        assert!(!is_login(&"a".repeat(101)));
    }

    #[test]
    fn a_valid_draft_passes_and_a_bad_one_names_its_fields() {
        assert!(draft().check().is_ok());
        let mut d = draft();
        d.permissions = vec!["order:read".into(), "fly".into()];
        d.password = Some("short".into());
        let DomainError::Invalid(errors) = d.check().unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["password", "permissions[1]"]);
    }

    #[test]
    fn a_patch_checks_a_new_password() {
        let p = UserPatch {
            password: Some(Some("short".into())),
            ..Default::default()
        };
        assert!(p.check().is_err());
        let p = UserPatch {
            password: Some(None),
            ..Default::default()
        };
        assert!(p.check().is_ok());
    }
}
