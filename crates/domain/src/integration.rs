//! Partner integrations and the links that attach them to tenants (Cloud 66's user integration
//! handshake). A partner (a reseller) offers an integration; a tenant's admin connects it in the
//! portal, which makes a [`Link`] and sends the browser to the partner with the link's `uid`;
//! the partner posts the `uid` back with its payload, and the tenant gets a connection of the
//! integration's type while the partner gets a token limited to the consented permissions.

use crate::error::into_result;
use crate::permission::Permission;
use crate::{DomainError, Environment, FieldError};
use chrono::{DateTime, Duration, Utc};
use std::{fmt, str::FromStr};
use uuid::Uuid;
use validator::ValidateEmail;

/// How long a link's `uid` may be posted back by default: 30 minutes.
pub const DEFAULT_LINK_TTL_MINUTES: i64 = 30;

/// The portal page a partner sends the user back to (the seed's `callback`).
pub const CALLBACK_PATH: &str = "/portal/integrations/callback";

/// Which tenants may connect an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// The tenants of the partner itself.
    #[default]
    Own,
    /// Every tenant on the server of the same environment; the operator allows it per partner
    /// (`tenantry reseller update --public-integrations`).
    All,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Own => "own",
            Visibility::All => "all",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "own" => Ok(Visibility::Own),
            "all" => Ok(Visibility::All),
            other => Err(format!("unknown visibility `{other}`: use `own` or `all`")),
        }
    }
}

/// An integration a partner offers, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: Uuid,
    /// The partner offering it.
    pub reseller_id: Uuid,
    pub environment: Environment,
    pub name: String,
    pub description: String,
    /// The partner's page the user is sent to with `uid`, `email` and `callback`.
    pub redirect_url: String,
    /// The type of the connection a link adds to the tenant.
    pub connection_type: String,
    /// The Tenant API permissions the partner asks for, and its token is limited to.
    pub permissions: Vec<Permission>,
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Integration {
    /// The origin the user is sent to (`https://partner.example`), for the consent page's
    /// `form-action`.
    pub fn partner_origin(&self) -> String {
        url::Url::parse(&self.redirect_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// The host the user is sent to, for the consent page to name.
    pub fn partner_host(&self) -> String {
        url::Url::parse(&self.redirect_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// What a partner sends to offer an integration. `permissions` and `visibility` arrive as
/// their names, checked by [`IntegrationDraft::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrationDraft {
    pub name: String,
    pub description: String,
    pub redirect_url: String,
    pub connection_type: String,
    pub permissions: Vec<String>,
    pub visibility: String,
}

/// What a checked draft or patch comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIntegration {
    pub name: String,
    pub description: String,
    pub redirect_url: String,
    pub connection_type: String,
    pub permissions: Vec<Permission>,
    pub visibility: Visibility,
}

impl IntegrationDraft {
    /// Checks every field for an integration of `environment`. `may_publish`: whether the
    /// operator lets this partner offer integrations to every tenant (`visibility: "all"`).
    pub fn check(
        self,
        environment: Environment,
        may_publish: bool,
    ) -> Result<CheckedIntegration, DomainError> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if !(1..=100).contains(&name.chars().count()) {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 100 characters",
            ));
        }
        if self.description.chars().count() > 1000 {
            errors.push(FieldError::new(
                "description",
                "length",
                "must be at most 1000 characters",
            ));
        }
        errors.extend(redirect_url_rule(&self.redirect_url, environment));
        if let Err(DomainError::Invalid(e)) = crate::connection::check_type(&self.connection_type) {
            errors.extend(e.into_iter().map(|e| FieldError {
                field: "connectionType".into(),
                ..e
            }));
        } else if self.connection_type == crate::connection::API_TYPE {
            // `api` connections are the tenant's own: their tokens may be issued and rotated by
            // the tenant and its reseller with every permission, which a partner's must not.
            errors.push(FieldError::new(
                "connectionType",
                "reserved",
                "`api` is the type of the tenant's own connections: name your service's type",
            ));
        }
        let permissions = permissions_rule(&self.permissions, &mut errors);
        let visibility = match self.visibility.parse::<Visibility>() {
            Ok(Visibility::All) if !may_publish => {
                errors.push(FieldError::new(
                    "visibility",
                    "not_allowed",
                    "offering an integration to every tenant (`all`) needs the operator's \
                     permission: ask them to run `tenantry reseller update --public-integrations`",
                ));
                Visibility::Own
            }
            Ok(v) => v,
            Err(message) => {
                errors.push(FieldError::new("visibility", "invalid", message));
                Visibility::Own
            }
        };
        into_result(errors)?;
        Ok(CheckedIntegration {
            name,
            description: self.description,
            redirect_url: self.redirect_url,
            connection_type: self.connection_type,
            permissions,
            visibility,
        })
    }
}

/// A change to an integration; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub redirect_url: Option<String>,
    pub connection_type: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub visibility: Option<String>,
}

impl IntegrationPatch {
    /// Applies the patch after checking the result as a whole, as a draft is checked. A
    /// change of permissions applies to links made from now on: consent given stays as given.
    pub fn apply(
        self,
        integration: &mut Integration,
        may_publish: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let draft = IntegrationDraft {
            name: self.name.unwrap_or_else(|| integration.name.clone()),
            description: self
                .description
                .unwrap_or_else(|| integration.description.clone()),
            redirect_url: self
                .redirect_url
                .unwrap_or_else(|| integration.redirect_url.clone()),
            connection_type: self
                .connection_type
                .unwrap_or_else(|| integration.connection_type.clone()),
            permissions: self.permissions.unwrap_or_else(|| {
                integration
                    .permissions
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect()
            }),
            visibility: self
                .visibility
                .unwrap_or_else(|| integration.visibility.as_str().to_owned()),
        };
        // An integration already public stays editable when the operator withdraws the
        // permission; only making one public needs it.
        let may_publish = may_publish || integration.visibility == Visibility::All;
        let checked = draft.check(integration.environment, may_publish)?;
        integration.name = checked.name;
        integration.description = checked.description;
        integration.redirect_url = checked.redirect_url;
        integration.connection_type = checked.connection_type;
        integration.permissions = checked.permissions;
        integration.visibility = checked.visibility;
        integration.updated_at = now;
        Ok(())
    }
}

fn redirect_url_rule(url: &str, environment: Environment) -> Option<FieldError> {
    let invalid = |code: &str, message: String| Some(FieldError::new("redirectUrl", code, message));
    if url.chars().count() > 2000 {
        return invalid("invalid_url", "must be at most 2000 characters".into());
    }
    let parsed = match url::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return invalid("invalid_url", format!("must be an absolute URL ({e})")),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if environment == Environment::Sandbox => {}
        "http" => {
            return invalid(
                "https_required",
                "a production integration must redirect to https".into(),
            )
        }
        _ => return invalid("invalid_url", "must be an http or https URL".into()),
    }
    if parsed.host().is_none() || !parsed.username().is_empty() || parsed.password().is_some() {
        return invalid(
            "invalid_url",
            "must name a host and carry no credentials".into(),
        );
    }
    if parsed.fragment().is_some() {
        return invalid("invalid_url", "must not have a #fragment".into());
    }
    let reserved = ["uid", "email", "callback"];
    if parsed.query_pairs().any(|(k, _)| reserved.contains(&&*k)) {
        return invalid(
            "reserved_parameter",
            "must not carry the uid, email or callback parameters: Tenantry adds them".into(),
        );
    }
    None
}

fn permissions_rule(names: &[String], errors: &mut Vec<FieldError>) -> Vec<Permission> {
    let mut permissions = Vec::new();
    if names.is_empty() {
        errors.push(FieldError::new(
            "permissions",
            "required",
            "name at least one Tenant API permission, such as `order:read`",
        ));
    }
    for (i, name) in names.iter().enumerate() {
        match Permission::parse(name) {
            Some(p) if !permissions.contains(&p) => permissions.push(p),
            Some(_) => {}
            None => errors.push(FieldError::new(
                format!("permissions[{i}]"),
                "unknown_permission",
                format!("`{name}` is not a permission: see GET /reseller/permission"),
            )),
        }
    }
    permissions
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Waiting for the partner to post its `uid` back.
    Pending,
    /// The partner's `uid` came back in time: the tenant has the partner's connection.
    Linked,
    /// The tenant disconnected it (or the connection was deleted): the partner's token is
    /// revoked.
    Unlinked,
    /// Not posted back in time.
    Expired,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Pending => "pending",
            LinkState::Linked => "linked",
            LinkState::Unlinked => "unlinked",
            LinkState::Expired => "expired",
        }
    }
}

/// A tenant admin's consent to an integration, and what came of it. Only the hash of its
/// `uid` is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub integration_id: Uuid,
    /// The admin who consented.
    pub user_id: Uuid,
    /// Their email when they did: the partner must post it back.
    pub email: String,
    /// The permissions consented to (the integration's at that moment).
    pub permissions: Vec<Permission>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub linked_at: Option<DateTime<Utc>>,
    pub unlinked_at: Option<DateTime<Utc>>,
    /// The connection the link added, once linked.
    pub connection_id: Option<String>,
}

impl Link {
    /// A fresh link of `user` (email `email`) of `tenant_id` to `integration`, valid `ttl`.
    pub fn new(
        tenant_id: Uuid,
        integration: &Integration,
        user_id: Uuid,
        email: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Link {
        Link {
            tenant_id,
            id: Uuid::new_v4(),
            integration_id: integration.id,
            user_id,
            email: email.to_owned(),
            permissions: integration.permissions.clone(),
            created_at: now,
            expires_at: now + ttl,
            linked_at: None,
            unlinked_at: None,
            connection_id: None,
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        match (self.linked_at, self.unlinked_at) {
            (_, Some(_)) => LinkState::Unlinked,
            (Some(_), None) => LinkState::Linked,
            (None, None) if now < self.expires_at => LinkState::Pending,
            (None, None) => LinkState::Expired,
        }
    }
}

/// What a partner's POST to `/reseller/integration/{id}/link` is refused with: the seed's
/// table, each a 403 with the seed's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("link_uid is missing")]
    UidMissing,
    #[error("user_email is missing")]
    EmailMissing,
    /// Not an email, not the linked user's, or that user may no longer accept integrations.
    #[error("invalid user_email")]
    InvalidEmail,
    /// Unknown, expired, used, or another integration's.
    #[error("invalid link_uid")]
    InvalidUid,
    #[error("{0} is already linked to this account")]
    AlreadyLinked(String),
}

impl LinkRefusal {
    /// The stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            LinkRefusal::UidMissing => "link_uid_missing",
            LinkRefusal::EmailMissing => "user_email_missing",
            LinkRefusal::InvalidEmail => "invalid_user_email",
            LinkRefusal::InvalidUid => "invalid_link_uid",
            LinkRefusal::AlreadyLinked(_) => "already_linked",
        }
    }
}

/// A partner's post-back, split as the seed says: the two fields it names and every other
/// field, which becomes the new connection's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPost {
    pub uid: String,
    pub email: String,
    pub payload: serde_json::Map<String, serde_json::Value>,
}

impl LinkPost {
    /// Reads the body's `link_uid` and `user_email` in the seed's order of refusals: a missing
    /// (absent, empty or non-string) uid first, then a missing email, then an email that is
    /// not one.
    pub fn parse(
        mut body: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, LinkRefusal> {
        let mut take = |field: &str| match body.remove(field) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        };
        let uid = take("link_uid").ok_or(LinkRefusal::UidMissing)?;
        let email = take("user_email").ok_or(LinkRefusal::EmailMissing)?;
        if email.len() > 254 || !email.validate_email() {
            return Err(LinkRefusal::InvalidEmail);
        }
        Ok(LinkPost {
            uid,
            email,
            payload: body,
        })
    }
}

/// The partner's page for this link: `redirect_url` with the seed's `uid`, `email` and
/// `callback` added to its query.
pub fn partner_url(redirect_url: &str, uid: &str, email: &str, callback: &str) -> String {
    let mut url = url::Url::parse(redirect_url).expect("a checked redirect URL parses");
    url.query_pairs_mut()
        .append_pair("uid", uid)
        .append_pair("email", email)
        .append_pair("callback", callback);
    url.into()
}

/// Whether two emails name the same mailbox as far as a link goes: equal ignoring ASCII case
/// (the domain is case-insensitive, and no mail system in use distinguishes the local part).
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft() -> IntegrationDraft {
        IntegrationDraft {
            name: "Acme Cloud".into(),
            description: "Backups".into(),
            redirect_url: "https://partner.example/connect".into(),
            connection_type: "acme_cloud".into(),
            permissions: vec!["order:read".into()],
            visibility: "own".into(),
        }
    }

    fn fields(e: DomainError) -> Vec<String> {
        let DomainError::Invalid(errors) = e;
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn drafts_check_every_field() {
        let ok = draft().check(Environment::Production, false).unwrap();
        assert_eq!(ok.permissions, [Permission::OrderRead]);
        let bad = IntegrationDraft {
            name: " ".into(),
            redirect_url: "http://partner.example/connect".into(),
            connection_type: "Acme Cloud".into(),
            permissions: vec!["order:eat".into()],
            visibility: "all".into(),
            ..draft()
        };
        assert_eq!(
            fields(bad.check(Environment::Production, false).unwrap_err()),
            [
                "name",
                "redirectUrl",
                "connectionType",
                "permissions[0]",
                "visibility"
            ]
        );
        let sandbox_http = IntegrationDraft {
            redirect_url: "http://127.0.0.1:9/connect".into(),
            ..draft()
        };
        assert!(sandbox_http.check(Environment::Sandbox, false).is_ok());
        let public = IntegrationDraft {
            visibility: "all".into(),
            ..draft()
        };
        assert_eq!(
            public.check(Environment::Sandbox, true).unwrap().visibility,
            Visibility::All
        );
        let reserved = IntegrationDraft {
            redirect_url: "https://partner.example/connect?uid=1".into(),
            ..draft()
        };
        assert_eq!(
            fields(reserved.check(Environment::Sandbox, false).unwrap_err()),
            ["redirectUrl"]
        );
        let api = IntegrationDraft {
            connection_type: "api".into(),
            ..draft()
        };
        assert_eq!(
            fields(api.check(Environment::Sandbox, false).unwrap_err()),
            ["connectionType"]
        );
        let none = IntegrationDraft {
            permissions: vec![],
            ..draft()
        };
        assert_eq!(
            fields(none.check(Environment::Sandbox, false).unwrap_err()),
            ["permissions"]
        );
    }

    #[test]
    fn a_post_back_is_refused_in_the_seeds_order() {
        let parse = |v: serde_json::Value| LinkPost::parse(v.as_object().unwrap().clone());
        assert_eq!(parse(json!({})), Err(LinkRefusal::UidMissing));
        assert_eq!(
            parse(json!({"user_email": "a@b.example"})),
            Err(LinkRefusal::UidMissing)
        );
        assert_eq!(parse(json!({"link_uid": 7})), Err(LinkRefusal::UidMissing));
        assert_eq!(
            parse(json!({"link_uid": "x"})),
            Err(LinkRefusal::EmailMissing)
        );
        assert_eq!(
            parse(json!({"link_uid": "x", "user_email": "nope"})),
            Err(LinkRefusal::InvalidEmail)
        );
        let ok =
            parse(json!({"link_uid": "x", "user_email": "a@b.example", "apiKey": "k"})).unwrap();
        assert_eq!(ok.payload, *json!({"apiKey": "k"}).as_object().unwrap());
        assert_eq!(
            LinkRefusal::AlreadyLinked("Acme Cloud".into()).to_string(),
            "Acme Cloud is already linked to this account"
        );
    }

    #[test]
    fn the_partner_url_carries_the_three_parameters_encoded() {
        let url = partner_url(
            "https://partner.example/connect?plan=free",
            "abc",
            "jon+1@smith.example",
            "https://t.example/portal/integrations/callback?link=1",
        );
        assert_eq!(
            url,
            "https://partner.example/connect?plan=free&uid=abc&email=jon%2B1%40smith.example\
             &callback=https%3A%2F%2Ft.example%2Fportal%2Fintegrations%2Fcallback%3Flink%3D1"
        );
    }

    #[test]
    fn a_link_moves_from_pending_to_linked_or_expired() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let integration = Integration {
            id: Uuid::new_v4(),
            reseller_id: Uuid::new_v4(),
            environment: Environment::Sandbox,
            name: "n".into(),
            description: String::new(),
            redirect_url: "https://p.example".into(),
            connection_type: "p".into(),
            permissions: vec![Permission::OrderRead],
            visibility: Visibility::Own,
            created_at: now,
            updated_at: now,
        };
        let mut link = Link::new(
            Uuid::new_v4(),
            &integration,
            Uuid::new_v4(),
            "a@b.example",
            Duration::minutes(30),
            now,
        );
        assert_eq!(link.state(now), LinkState::Pending);
        assert_eq!(link.state(now + Duration::minutes(30)), LinkState::Expired);
        link.linked_at = Some(now);
        assert_eq!(link.state(now + Duration::days(1)), LinkState::Linked);
        link.unlinked_at = Some(now);
        assert_eq!(link.state(now), LinkState::Unlinked);
        assert!(same_email("Jon@Smith.example", "jon@smith.EXAMPLE"));
    }
}
