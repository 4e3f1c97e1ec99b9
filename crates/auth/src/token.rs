//! The secret token format: `tnr_live_<30 base62 random><6 base62 CRC32>`.
//!
//! A readable prefix says what a token is (`tnr` reseller key, `tnt` tenant token) and which
//! environment it belongs to (`test` sandbox, `live` production), so secret scanners spot
//! leaks and people spot mix-ups. 30 base62 characters carry 178 random bits from the OS
//! CSPRNG; the CRC32 lets a typo be refused before any database lookup. Only the SHA-256 of a
//! token is stored: at this entropy a slow hash adds nothing.

use crate::AuthError;
use rand::{rngs::OsRng, TryRngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tenantry_domain::Environment;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;

/// What a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A reseller API key (partner-scoped).
    ResellerKey,
    /// A tenant token (company-scoped).
    TenantToken,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::ResellerKey => "tnr",
            TokenKind::TenantToken => "tnt",
        }
    }
}

pub use tenantry_domain::secret::{NewSecret, StoredSecret};

/// How many base62 characters a one-time secret (a login URL's, a session's) has: 256 bits.
const ONE_TIME_LEN: usize = 43;

/// `len` random base62 characters from the OS CSPRNG (rejection sampling keeps them uniform).
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        OsRng
            .try_fill_bytes(&mut buf)
            .expect("the operating system's random source works");
        for b in buf {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < len {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

/// A one-time secret (a login URL's, a browser session's): random base62, stored as its hash,
/// with no hint.
pub fn one_time() -> NewSecret {
    let secret = random_base62(ONE_TIME_LEN);
    NewSecret {
        stored: StoredSecret {
            hash: hash(&secret),
            hint: String::new(),
        },
        secret,
    }
}

/// Generates a token of `kind` for `environment`; its hint is its last four characters.
pub fn generate(kind: TokenKind, environment: Environment) -> NewSecret {
    let body = format!(
        "{}_{}_{}",
        kind.prefix(),
        environment.token_word(),
        random_base62(RANDOM_LEN)
    );
    let secret = format!("{body}{}", checksum(&body));
    NewSecret {
        stored: StoredSecret {
            hash: hash(&secret),
            hint: secret[secret.len() - 4..].to_owned(),
        },
        secret,
    }
}

/// Checks a presented token's shape and checksum; returns its kind and environment.
pub fn parse(token: &str) -> Result<(TokenKind, Environment), AuthError> {
    let malformed = Err(AuthError::Malformed(
        "the token is malformed: check that it was copied whole",
    ));
    let mut parts = token.splitn(3, '_');
    let (Some(prefix), Some(word), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return malformed;
    };
    let kind = match prefix {
        "tnr" => TokenKind::ResellerKey,
        "tnt" => TokenKind::TenantToken,
        _ => return malformed,
    };
    let environment = match word {
        "test" => Environment::Sandbox,
        "live" => Environment::Production,
        _ => return malformed,
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return malformed;
    }
    let (body, sum) = token.split_at(token.len() - CHECKSUM_LEN);
    if !bool::from(checksum(body).as_bytes().ct_eq(sum.as_bytes())) {
        return malformed;
    }
    Ok((kind, environment))
}

/// The hex SHA-256 of a secret: the lookup key of tokens, login URLs and sessions.
pub fn hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

/// The hex SHA-256 of some bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Compares two hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back() {
        let t = generate(TokenKind::ResellerKey, Environment::Production);
        assert!(t.secret.starts_with("tnr_live_"), "{}", t.secret);
        assert_eq!(t.secret.len(), "tnr_live_".len() + 36);
        assert_eq!(
            parse(&t.secret).unwrap(),
            (TokenKind::ResellerKey, Environment::Production)
        );
        let t = generate(TokenKind::TenantToken, Environment::Sandbox);
        assert!(t.secret.starts_with("tnt_test_"));
        assert_eq!(
            parse(&t.secret).unwrap(),
            (TokenKind::TenantToken, Environment::Sandbox)
        );
        assert_eq!(t.stored.hash, hash(&t.secret));
        assert_eq!(t.stored.hint, &t.secret[t.secret.len() - 4..]);
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let t = generate(TokenKind::ResellerKey, Environment::Sandbox).secret;
        let mut chars: Vec<char> = t.chars().collect();
        let i = 12;
        chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(parse(&typo).is_err());
        assert!(parse(&t[..t.len() - 1]).is_err());
        assert!(parse("tnr_prod_xxx").is_err());
        assert!(parse("").is_err());
        assert!(parse("ghp_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_err());
    }

    #[test]
    fn random_parts_differ_and_use_the_alphabet() {
        let a = random_base62(43);
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, random_base62(43));
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hashes_equal(&hash("x"), &hash("x")));
        assert!(!hashes_equal(&hash("x"), &hash("y")));
    }
}
