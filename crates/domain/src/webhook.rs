//! Webhook endpoints and the rules of delivering to them: which URLs are allowed (no
//! server-side request forgery), and when a failed delivery is tried again.

use crate::event::{parse_types, EventType};
use crate::{DomainError, Environment, FieldError};
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;
use uuid::Uuid;

/// A reseller's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub reseller_id: Uuid,
    pub environment: Environment,
    pub url: String,
    pub description: String,
    /// The types delivered; empty: every type.
    pub event_types: Vec<EventType>,
    pub active: bool,
    /// The signing secret (`whsec_…`).
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Since when every attempt has failed; cleared by a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the server disabled it, when it did.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    /// Whether events of `kind` go to this endpoint.
    pub fn wants(&self, kind: EventType) -> bool {
        self.active && (self.event_types.is_empty() || self.event_types.contains(&kind))
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one
    /// during its overlap, so a receiver may switch at any moment of the overlap.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) =
            (&self.previous_secret, self.previous_secret_expires_at)
        {
            if now < until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

/// What an operator allows webhook URLs to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    /// Allow `http://` and loopback, private and link-local addresses (development, tests).
    pub allow_private: bool,
}

impl UrlPolicy {
    /// Checks the form of a webhook URL: absolute http(s), no credentials, at most 2000
    /// characters, https in production, and no address the policy forbids. The host is read
    /// as an HTTP client reads it (the WHATWG URL rules): `0x7f.0.0.1`, `2130706433`, `127.1`,
    /// `0177.0.0.1`, `127.0.0.1.` and `①②⑦.0.0.1` are all 127.0.0.1, and `localhost.` is
    /// localhost. Host names are resolved and checked again at each delivery
    /// ([`UrlPolicy::allows_address`]).
    pub fn check_url(&self, url: &str, environment: Environment) -> Result<(), DomainError> {
        let invalid = |message: &str| DomainError::invalid("url", "invalid_url", message);
        if url.chars().count() > 2000 {
            return Err(invalid("must be at most 2000 characters"));
        }
        let parsed = url::Url::parse(url)
            .map_err(|e| invalid(&format!("must be an absolute http or https URL ({e})")))?;
        let scheme = parsed.scheme();
        if scheme != "https" && scheme != "http" {
            return Err(invalid("must be an http or https URL"));
        }
        if scheme == "http" && environment == Environment::Production && !self.allow_private {
            return Err(DomainError::invalid(
                "url",
                "https_required",
                "a production webhook endpoint must use https",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("must not carry credentials"));
        }
        let host = parsed.host().ok_or_else(|| invalid("must name a host"))?;
        if self.allow_private {
            return Ok(());
        }
        let allowed = match host {
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.');
                !(name.is_empty() || name == "localhost" || name.ends_with(".localhost"))
            }
            url::Host::Ipv4(ip) => self.allows_address(ip.into()),
            url::Host::Ipv6(ip) => self.allows_address(ip.into()),
        };
        if allowed {
            Ok(())
        } else {
            Err(forbidden_address())
        }
    }

    /// Whether a delivery may connect to `ip`: a public unicast address, unless the policy
    /// allows private ones.
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }
}

fn forbidden_address() -> DomainError {
    DomainError::invalid(
        "url",
        "forbidden_address",
        "must not point at a loopback, private or link-local address",
    )
}

/// A public unicast address: not loopback, private, link-local, shared (CGNAT), unspecified,
/// multicast, documentation or benchmarking space, nor an IPv6 mapping of one.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

/// What a reseller sends to create or change an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointDraft {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub active: bool,
}

impl EndpointDraft {
    /// Checks the URL against `policy` and the event types against the known ones.
    pub fn check(
        &self,
        policy: &UrlPolicy,
        environment: Environment,
    ) -> Result<Vec<EventType>, DomainError> {
        let mut errors: Vec<FieldError> = Vec::new();
        if let Err(DomainError::Invalid(e)) = policy.check_url(&self.url, environment) {
            errors.extend(e);
        }
        if self.description.chars().count() > 500 {
            errors.push(FieldError::new(
                "description",
                "length",
                "must be at most 500 characters",
            ));
        }
        let types = match parse_types(&self.event_types) {
            Ok(types) => types,
            Err(DomainError::Invalid(e)) => {
                errors.extend(e);
                Vec::new()
            }
        };
        crate::error::into_result(errors)?;
        Ok(types)
    }
}

/// A change to an endpoint; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

impl EndpointPatch {
    /// Applies the patch to `endpoint` after checking the result as a whole against `policy`;
    /// `now` becomes `updatedAt`. Enabled again by its owner, an endpoint's failures start
    /// counting afresh.
    pub fn apply(
        self,
        endpoint: &mut Endpoint,
        policy: &UrlPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let draft = EndpointDraft {
            url: self.url.unwrap_or_else(|| endpoint.url.clone()),
            description: self
                .description
                .unwrap_or_else(|| endpoint.description.clone()),
            event_types: self.event_types.unwrap_or_else(|| {
                endpoint
                    .event_types
                    .iter()
                    .map(|t| t.as_str().to_owned())
                    .collect()
            }),
            active: self.active.unwrap_or(endpoint.active),
        };
        endpoint.event_types = draft.check(policy, endpoint.environment)?;
        if draft.active && !endpoint.active {
            endpoint.disabled_reason = None;
            endpoint.failing_since = None;
        }
        endpoint.url = draft.url;
        endpoint.description = draft.description;
        endpoint.active = draft.active;
        endpoint.updated_at = now;
        Ok(())
    }
}

/// The waits between attempts: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h — the
/// last attempt comes about three days (75 h) after the first.
pub const RETRY_SCHEDULE_SECONDS: [i64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// When to try again after `attempts` failed attempts, or `None` when they are used up.
/// `jitter` in [0, 1) spreads retries over ±20 % so that endpoints coming back after an
/// outage are not hit by every retry at the same moment.
pub fn next_attempt(attempts: u32, failed_at: DateTime<Utc>, jitter: f64) -> Option<DateTime<Utc>> {
    let base = *RETRY_SCHEDULE_SECONDS.get(attempts.checked_sub(1)? as usize)?;
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let millis = (base as f64 * 1000.0 * factor) as i64;
    Some(failed_at + Duration::milliseconds(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> UrlPolicy {
        UrlPolicy::default()
    }

    #[test]
    fn production_endpoints_need_https_and_a_public_host() {
        let prod = Environment::Production;
        assert!(strict()
            .check_url("https://hooks.example.com/in", prod)
            .is_ok());
        for (url, code) in [
            ("http://hooks.example.com/in", "https_required"),
            ("https://127.0.0.1/in", "forbidden_address"),
            ("https://10.1.2.3:8443/in", "forbidden_address"),
            ("https://169.254.169.254/latest", "forbidden_address"),
            ("https://[::1]/in", "forbidden_address"),
            ("https://[::ffff:192.168.0.1]/in", "forbidden_address"),
            ("https://localhost/in", "forbidden_address"),
            ("https://user:pw@hooks.example.com/", "invalid_url"),
            ("ftp://hooks.example.com/", "invalid_url"),
            ("hooks.example.com", "invalid_url"),
        ] {
            let DomainError::Invalid(errors) = strict().check_url(url, prod).unwrap_err();
            assert_eq!(errors[0].code, code, "{url}");
        }
        let open = UrlPolicy {
            allow_private: true,
        };
        assert!(open.check_url("http://127.0.0.1:9000/in", prod).is_ok());
        assert!(strict()
            .check_url("http://hooks.example.com/in", Environment::Sandbox)
            .is_ok());
    }

    #[test]
    fn every_spelling_of_a_private_host_is_refused() {
        let sandbox = Environment::Sandbox;
        for host in [
            "2130706433",       // 127.0.0.1 as one decimal number
            "0x7f000001",       // … as one hex number
            "0x7f.0.0.1",       // hex first part
            "0x7F.0x0.0x0.0x1", // hex parts, upper case
            "127.1",            // short form: 127.0.0.1
            "127.0.1",          // short form: 127.0.0.1
            "017700000001",     // one octal number
            "0177.0.0.1",       // octal first part
            "0",                // 0.0.0.0
            "0.0.0.0",
            "127.000.000.001", // zero-padded parts
            "127.0.0.1.",      // trailing dot
            "localhost.",      // trailing dot
            "LOCALHOST",
            "api.localhost",
            "①②⑦.0.0.1",       // Unicode digits, mapped by IDNA
            "１２７.０.０.１", // full-width digits
            "127。0。0。1",    // ideographic full stops
            "0xa9fea9fe",      // 169.254.169.254, the cloud metadata address
            "169.254.43518",   // … in a three-part form
            "10.1",            // 10.0.0.1
            "0300.0250.0.1",   // 192.168.0.1 in octal
            "[::1]",
            "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[fe80::1]",
        ] {
            for url in [
                format!("http://{host}/in"),
                format!("http://{host}:8080/in"),
            ] {
                let refused = strict().check_url(&url, sandbox);
                let Err(DomainError::Invalid(errors)) = refused else {
                    panic!("{url} was accepted");
                };
                assert_eq!(errors[0].code, "forbidden_address", "{url}");
            }
        }
        for public in ["8.8.8.8", "0x08080808", "134744072", "hooks.example.com."] {
            let url = format!("http://{public}/in");
            assert!(strict().check_url(&url, sandbox).is_ok(), "{url}");
        }
    }

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for ip in ["8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn retries_span_about_three_days_then_stop() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(next_attempt(1, t0, 0.5), Some(t0 + Duration::seconds(5)));
        let total: i64 = RETRY_SCHEDULE_SECONDS.iter().sum();
        assert!((72 * 3600..=80 * 3600).contains(&total), "{total}");
        assert_eq!(next_attempt(10, t0, 0.5), None);
        assert_eq!(next_attempt(0, t0, 0.5), None);
        let early = next_attempt(2, t0, 0.0).unwrap();
        let late = next_attempt(2, t0, 0.999).unwrap();
        assert_eq!(early, t0 + Duration::seconds(240));
        assert!(late > t0 + Duration::seconds(359) && late < t0 + Duration::seconds(360));
    }
}
