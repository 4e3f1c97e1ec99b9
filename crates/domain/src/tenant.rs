//! Tenants: a reseller's customers, each with a stable, unique `codeName`.

use crate::{
    error::{into_result, rule_errors},
    DomainError, Environment, FieldError,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The longest slug a codeName carries, so codeNames stay short enough to type in a header.
pub const MAX_SLUG_LEN: usize = 40;

/// A tenant as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub code_name: String,
    pub customer_reference: String,
    pub environment: Environment,
    pub status: TenantStatus,
    pub full_name: String,
    pub email: String,
    pub default_language: String,
    pub languages: Vec<String>,
    pub options: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The partner's subscription (XAPP); every field optional.
    pub subscription: Subscription,
    /// When a scheduled cancellation takes effect.
    pub cancellation_effective_at: Option<DateTime<Utc>>,
}

/// A tenant's subscription as the partner program (XAPP) describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[validate(length(min = 1, max = 50, message = "must be 1 to 50 characters"))]
    pub tier: Option<String>,
    /// Months.
    #[validate(range(min = 1, max = 120, message = "must be 1 to 120 months"))]
    pub contract_length: Option<i64>,
    #[validate(url(message = "must be a URL"), length(max = 2000))]
    pub website: Option<String>,
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub template: Option<String>,
    /// The partner's own id for the customer.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub external_id: Option<String>,
}

impl Subscription {
    /// Checks the subscription's fields.
    pub fn check(self) -> Result<Self, DomainError> {
        into_result(rule_errors(&self))?;
        Ok(self)
    }
}

impl Tenant {
    /// `active` as Sharespine shows it: true while the tenant is usable (also while it is being
    /// provisioned, and until a scheduled cancellation takes effect).
    pub fn active(&self) -> bool {
        self.status.is_usable()
    }

    /// Schedules the tenant's cancellation at `effective`; a date not after `now` cancels it at
    /// once. Returns the status reached.
    pub fn cancel(
        &mut self,
        effective: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<TenantStatus, LifecycleError> {
        if self.status == TenantStatus::Cancelled {
            return Err(LifecycleError::Cancelled);
        }
        if effective <= now {
            self.status = TenantStatus::Cancelled;
            self.cancellation_effective_at = Some(now);
        } else {
            self.status = TenantStatus::CancellationScheduled;
            self.cancellation_effective_at = Some(effective);
        }
        self.updated_at = now;
        Ok(self.status)
    }

    /// Withdraws a scheduled cancellation: the tenant is active again.
    pub fn withdraw_cancellation(&mut self, now: DateTime<Utc>) -> Result<(), LifecycleError> {
        if self.status != TenantStatus::CancellationScheduled {
            return Err(LifecycleError::NotScheduled);
        }
        self.status = TenantStatus::Active;
        self.cancellation_effective_at = None;
        self.updated_at = now;
        Ok(())
    }

    /// Ends provisioning: a tenant created active becomes active (one created deactivated
    /// stays so). False when it was not provisioning.
    pub fn finish_provisioning(&mut self, now: DateTime<Utc>) -> bool {
        if self.status != TenantStatus::Provisioning {
            return false;
        }
        self.status = TenantStatus::Active;
        self.updated_at = now;
        true
    }
}

/// A lifecycle step the tenant's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("the tenant is cancelled")]
    Cancelled,
    #[error("the tenant has no scheduled cancellation")]
    NotScheduled,
}

/// Where a tenant is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Created; the work that follows creation (default connection, sandbox data) runs after
    /// the request returned. Usable meanwhile.
    Provisioning,
    Active,
    /// Temporarily stopped by the reseller; all data kept, `active: true` brings it back.
    Deactivated,
    /// Usable until its `cancellationEffectiveAt`.
    CancellationScheduled,
    /// Stopped for good: no Tenant API access, its connections deactivated; data kept until
    /// the tenant is deleted.
    Cancelled,
}

impl TenantStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Provisioning => "provisioning",
            TenantStatus::Active => "active",
            TenantStatus::Deactivated => "deactivated",
            TenantStatus::CancellationScheduled => "cancellation_scheduled",
            TenantStatus::Cancelled => "cancelled",
        }
    }

    /// The statuses in which the tenant's users and integrations may use it (a fixed-size
    /// array: storage writes it into a cached statement as that many comparisons).
    pub const USABLE: [TenantStatus; 3] = [
        TenantStatus::Provisioning,
        TenantStatus::Active,
        TenantStatus::CancellationScheduled,
    ];

    /// Whether the tenant's users and integrations may use it.
    pub fn is_usable(self) -> bool {
        TenantStatus::USABLE.contains(&self)
    }

    /// The statuses an `active` filter (true: usable) selects.
    pub fn matching_active(active: bool) -> Vec<TenantStatus> {
        [
            TenantStatus::Provisioning,
            TenantStatus::Active,
            TenantStatus::Deactivated,
            TenantStatus::CancellationScheduled,
            TenantStatus::Cancelled,
        ]
        .into_iter()
        .filter(|s| s.is_usable() == active)
        .collect()
    }

    /// The status a new tenant starts in, given the `active` flag of its create request.
    pub fn initial(active: bool) -> Self {
        if active {
            TenantStatus::Provisioning
        } else {
            TenantStatus::Deactivated
        }
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TenantStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "provisioning" => Ok(TenantStatus::Provisioning),
            "active" => Ok(TenantStatus::Active),
            "deactivated" => Ok(TenantStatus::Deactivated),
            "cancellation_scheduled" => Ok(TenantStatus::CancellationScheduled),
            "cancelled" => Ok(TenantStatus::Cancelled),
            other => Err(format!("unknown tenant status `{other}`")),
        }
    }
}

/// What a reseller sends to create a tenant (Sharespine's `POST /reseller/tenant` body).
#[derive(Debug, Clone, PartialEq, Eq, Validate)]
pub struct TenantDraft {
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub customer_reference: String,
    pub active: bool,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub full_name: String,
    #[validate(email(message = "must be an email address"), length(max = 254))]
    pub email: String,
    #[validate(custom(function = "language_code"))]
    pub default_language: String,
    #[validate(custom(function = "language_codes"))]
    pub languages: Vec<String>,
    pub options: Vec<String>,
}

impl TenantDraft {
    /// Validates the draft against the rules and against the capabilities the reseller may
    /// grant; fills `languages` with the default language when it is missing from it.
    pub fn check(mut self, capabilities: &[String]) -> Result<Self, DomainError> {
        let mut errors = rule_errors(&self);
        errors.extend(check_options(&self.options, capabilities));
        into_result(errors)?;
        normalize_languages(&self.default_language, &mut self.languages);
        dedup(&mut self.options);
        Ok(self)
    }
}

/// A partial update of a tenant (`PATCH /reseller/tenant/{codeName}`); absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Validate)]
pub struct TenantPatch {
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    pub customer_reference: Option<String>,
    pub active: Option<bool>,
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub full_name: Option<String>,
    #[validate(email(message = "must be an email address"), length(max = 254))]
    pub email: Option<String>,
    #[validate(custom(function = "language_code"))]
    pub default_language: Option<String>,
    #[validate(custom(function = "language_codes"))]
    pub languages: Option<Vec<String>>,
    pub options: Option<Vec<String>>,
}

impl TenantPatch {
    /// Applies the patch to `tenant` after checking it; `now` becomes `updatedAt`.
    pub fn apply(
        self,
        tenant: &mut Tenant,
        capabilities: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let mut errors = rule_errors(&self);
        if let Some(options) = &self.options {
            errors.extend(check_options(options, capabilities));
        }
        into_result(errors)?;
        if let Some(v) = self.customer_reference {
            tenant.customer_reference = v;
        }
        if let Some(active) = self.active {
            // A cancelled tenant stays cancelled (the API refuses the patch before this).
            tenant.status = match (active, tenant.status) {
                (true, TenantStatus::Deactivated) => TenantStatus::Active,
                (false, s) if s.is_usable() => TenantStatus::Deactivated,
                (_, s) => s,
            };
        }
        if let Some(v) = self.full_name {
            tenant.full_name = v;
        }
        if let Some(v) = self.email {
            tenant.email = v;
        }
        if let Some(v) = self.default_language {
            tenant.default_language = v;
        }
        if let Some(v) = self.languages {
            tenant.languages = v;
        }
        if let Some(mut v) = self.options {
            dedup(&mut v);
            tenant.options = v;
        }
        normalize_languages(&tenant.default_language, &mut tenant.languages);
        tenant.updated_at = now;
        Ok(())
    }
}

/// Options a tenant may have are those its reseller was granted (Calipsa's capabilities);
/// each other one is named in its own error.
pub(crate) fn check_options(options: &[String], capabilities: &[String]) -> Vec<FieldError> {
    options
        .iter()
        .enumerate()
        .filter(|(_, o)| !capabilities.contains(o))
        .map(|(i, o)| {
            FieldError::new(
                format!("options[{i}]"),
                "capability_not_granted",
                format!("`{o}` is not a capability granted to this reseller"),
            )
        })
        .collect()
}

fn normalize_languages(default_language: &str, languages: &mut Vec<String>) {
    dedup(languages);
    if !languages.iter().any(|l| l == default_language) {
        languages.insert(0, default_language.to_owned());
    }
}

fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|x| seen.insert(x.clone()));
}

/// A language code: ISO 639-1 or 639-2/3, lowercase (`sv`, `swe`, `eng`).
pub fn is_language_code(code: &str) -> bool {
    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase())
}

fn language_code(code: &str) -> Result<(), ValidationError> {
    if is_language_code(code) {
        Ok(())
    } else {
        Err(ValidationError::new("language_code")
            .with_message("must be a lowercase ISO 639 language code such as `swe` or `en`".into()))
    }
}

fn language_codes(codes: &[String]) -> Result<(), ValidationError> {
    if codes.len() > 50 {
        return Err(ValidationError::new("too_many").with_message("at most 50 languages".into()));
    }
    codes.iter().try_for_each(|c| language_code(c))
}

/// The part of a codeName before `-number`: the reseller's prefix followed by the lowercased,
/// slugged customer reference (`"My Customer"` → `"my-customer"`), as Sharespine describes it.
pub fn code_name_base(prefix: &str, customer_reference: &str) -> String {
    let mut slug = String::new();
    for c in customer_reference.chars().flat_map(char::to_lowercase) {
        let c = fold_letter(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(MAX_SLUG_LEN);
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "tenant" } else { slug };
    format!("{prefix}{slug}")
}

/// Nordic and common Latin letters become their ASCII base so `Åre Skog` slugs to `are-skog`.
fn fold_letter(c: char) -> char {
    match c {
        'å' | 'ä' | 'á' | 'à' | 'â' | 'ã' => 'a',
        'ö' | 'ø' | 'ó' | 'ò' | 'ô' | 'õ' => 'o',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'ü' | 'ú' | 'ù' | 'û' => 'u',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ç' => 'c',
        'ñ' => 'n',
        'æ' => 'a',
        other => other,
    }
}

/// A full codeName: `base-number`. The number makes it unique; storage hands out each number
/// once per base, so a codeName is never reused, not even after its tenant is deleted.
pub fn code_name(base: &str, number: i64) -> String {
    format!("{base}-{number}")
}

/// A codeName prefix a reseller may be configured with: short, lowercase letters and digits.
pub fn is_code_name_prefix(prefix: &str) -> bool {
    prefix.len() <= 16
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> TenantDraft {
        TenantDraft {
            customer_reference: "acme".into(),
            active: true,
            full_name: "Acme AB".into(),
            email: "ops@acme.example".into(),
            default_language: "swe".into(),
            languages: vec![],
            options: vec![],
        }
    }

    #[test]
    fn code_name_base_slugs_the_reference() {
        assert_eq!(code_name_base("", "mycustomer"), "mycustomer");
        assert_eq!(code_name_base("sp", "My Customer"), "spmy-customer");
        assert_eq!(code_name_base("", "  Åre -- Skog!! "), "are-skog");
        assert_eq!(code_name_base("x", "!!!"), "xtenant");
        assert_eq!(code_name("x", 3), "x-3");
        let long = "a".repeat(100);
        assert_eq!(code_name_base("", &long).len(), MAX_SLUG_LEN);
        assert_eq!(
            code_name_base("", &format!("{}-b", "a".repeat(39))),
            "a".repeat(39)
        );
    }

    #[test]
    fn prefixes_are_short_lowercase_alphanumerics() {
        assert!(is_code_name_prefix(""));
        assert!(is_code_name_prefix("sp1"));
        assert!(!is_code_name_prefix("SP"));
        assert!(!is_code_name_prefix("a-b"));
    }

    #[test]
    fn a_valid_draft_gets_its_default_language_listed() {
        let d = draft().check(&[]).unwrap();
        assert_eq!(d.languages, vec!["swe".to_string()]);
    }

    #[test]
    fn invalid_fields_are_named_in_camel_case() {
        let mut d = draft();
        d.email = "not-an-email".into();
        d.default_language = "Swedish".into();
        d.customer_reference = String::new();
        let DomainError::Invalid(errors) = d.check(&[]).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["customerReference", "defaultLanguage", "email"]);
    }

    #[test]
    fn options_must_be_granted_capabilities() {
        let mut d = draft();
        d.options = vec!["orders".into(), "teleport".into()];
        let DomainError::Invalid(errors) = d.clone().check(&["orders".into()]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "options[1]");
        assert_eq!(errors[0].code, "capability_not_granted");
        assert!(d.check(&["orders".into(), "teleport".into()]).is_ok());
    }

    #[test]
    fn a_cancellation_is_scheduled_withdrawn_or_immediate_and_final() {
        let now = chrono::Utc::now();
        let mut t = sample(now);
        let later = now + chrono::Duration::days(30);
        assert_eq!(
            t.cancel(later, now),
            Ok(TenantStatus::CancellationScheduled)
        );
        assert!(t.active(), "usable until the date");
        assert_eq!(t.cancellation_effective_at, Some(later));
        t.withdraw_cancellation(now).unwrap();
        assert_eq!(
            (t.status, t.cancellation_effective_at),
            (TenantStatus::Active, None)
        );
        assert_eq!(
            t.withdraw_cancellation(now),
            Err(LifecycleError::NotScheduled)
        );
        assert_eq!(t.cancel(now, now), Ok(TenantStatus::Cancelled));
        assert!(!t.active());
        assert_eq!(t.cancel(later, now), Err(LifecycleError::Cancelled));
        assert!(!t.finish_provisioning(now));
    }

    fn sample(now: DateTime<Utc>) -> Tenant {
        Tenant {
            id: Uuid::new_v4(),
            reseller_id: Uuid::new_v4(),
            code_name: "acme-1".into(),
            customer_reference: "acme".into(),
            environment: Environment::Sandbox,
            status: TenantStatus::Active,
            full_name: "Acme".into(),
            email: "a@acme.example".into(),
            default_language: "swe".into(),
            languages: vec!["swe".into()],
            options: vec![],
            created_at: now,
            updated_at: now,
            subscription: Default::default(),
            cancellation_effective_at: None,
        }
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let now = chrono::Utc::now();
        let mut t = sample(now);
        let patch = TenantPatch {
            active: Some(false),
            default_language: Some("eng".into()),
            ..Default::default()
        };
        patch.apply(&mut t, &[], now).unwrap();
        assert_eq!(t.status, TenantStatus::Deactivated);
        assert!(!t.active());
        assert_eq!(t.languages, vec!["eng".to_string(), "swe".to_string()]);
        assert_eq!(t.code_name, "acme-1", "a codeName never changes");
        let bad = TenantPatch {
            email: Some("nope".into()),
            ..Default::default()
        };
        assert!(bad.apply(&mut t, &[], now).is_err());
    }
}
