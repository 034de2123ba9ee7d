//! Session tokens and the stored password-hash format (contract section 2).
//!
//! Tokens are HS256 JWTs signed with the `JWT_SECRET` setting. The clock is not
//! read here: callers pass the current time in seconds, so every expiry rule is
//! tested deterministically. Every way a token can be wrong (malformed, other
//! algorithm, `alg: none`, bad signature, expired, wrong issuer or audience,
//! issued in the future, too long-lived) ends in the same
//! [`ApiError::unauthorized`], so a client learns nothing about which check
//! failed.
//!
//! PBKDF2 itself runs in the platform layer through WebCrypto (fast, native);
//! this module owns what gets stored: `pbkdf2-sha256$<iterations>$<salt>$<hash>`
//! with standard base64 without padding, as in the PHC string format.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Empty, Header, UntrustedToken};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::validate;

pub const TOKEN_ISSUER: &str = "edge-chat";
pub const TOKEN_AUDIENCE: &str = "edge-chat";
/// Seven days: the longest life the contract allows a token.
pub const TOKEN_TTL_SECS: u64 = 7 * 24 * 3600;
/// How far a token's `iat` may lie in the future, to absorb clock skew between
/// the edge machines that issue and check tokens.
pub const CLOCK_SKEW_SECS: u64 = 60;

/// HMAC-SHA256 keys shorter than this are guessable offline from one token.
pub const SECRET_MIN_BYTES: usize = 32;

/// Cloudflare's WebCrypto refuses PBKDF2 above 100 000 iterations, so this is
/// both the target and the ceiling.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_LEN: usize = 16;
/// SHA-256 output length: the derived key is one block.
pub const HASH_LEN: usize = 32;
const HASH_SCHEME: &str = "pbkdf2-sha256";

/// The payload of a session token, field for field as it appears in the JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The (lowercase) username.
    pub sub: String,
    /// The session id; logout ends this session and every token naming it.
    pub sid: String,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

impl Claims {
    /// `expires_at` of the register/login response: the same instant in milliseconds.
    pub fn expires_at_ms(&self) -> u64 {
        self.exp.saturating_mul(1000)
    }
}

/// Signs a fresh token for `username`'s session `sid`, valid for [`TOKEN_TTL_SECS`].
pub fn issue_token(
    secret: &[u8],
    username: &str,
    sid: &str,
    now_secs: u64,
) -> ApiResult<(String, Claims)> {
    if username.is_empty() || sid.is_empty() {
        return Err(ApiError::internal());
    }
    let claims = Claims {
        iss: TOKEN_ISSUER.to_string(),
        aud: TOKEN_AUDIENCE.to_string(),
        sub: username.to_string(),
        sid: sid.to_string(),
        iat: now_secs,
        exp: now_secs.saturating_add(TOKEN_TTL_SECS),
    };
    // jwt-compact's own time claims stay unset: ours are plain integers in
    // `Claims`, so this crate needs no date library.
    let header = Header::empty().with_token_type("JWT");
    let token = Hs256
        .token(
            &header,
            &jwt_compact::Claims::new(&claims),
            &Hs256Key::new(secret),
        )
        .map_err(|_| ApiError::internal())?;
    Ok((token, claims))
}

/// Checks a token completely; any failure is `unauthorized`.
/// Whether the session is still open (not logged out) is the account's
/// business, checked by the caller with the returned `sid`.
pub fn verify_token(secret: &[u8], token: &str, now_secs: u64) -> ApiResult<Claims> {
    let untrusted = UntrustedToken::new(token).map_err(|_| ApiError::unauthorized())?;
    // The validator refuses any `alg` but HS256 (so `none` too) and checks the
    // signature in constant time before we trust a byte of the payload.
    Hs256
        .validator::<Empty>(&Hs256Key::new(secret))
        .validate(&untrusted)
        .map_err(|_| ApiError::unauthorized())?;
    let claims = decode_payload(token).ok_or_else(ApiError::unauthorized)?;
    if claims_are_acceptable(&claims, now_secs) {
        Ok(claims)
    } else {
        Err(ApiError::unauthorized())
    }
}

/// The payload segment as our `Claims`; `None` when it is not exactly that shape.
fn decode_payload(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn claims_are_acceptable(c: &Claims, now_secs: u64) -> bool {
    c.iss == TOKEN_ISSUER
        && c.aud == TOKEN_AUDIENCE
        && !c.sid.is_empty()
        // Only names that could have registered: the username is the account's key.
        && validate::username(&c.sub).is_ok_and(|name| name == c.sub)
        && now_secs < c.exp
        && c.iat <= now_secs.saturating_add(CLOCK_SKEW_SECS)
        && c.exp > c.iat
        && c.exp - c.iat <= TOKEN_TTL_SECS
}

/// Checks the configured signing secret once at start-up or per request.
/// The error is a reason for the log, never for a client.
pub fn check_secret(secret: Option<&str>) -> Result<&[u8], &'static str> {
    match secret {
        None => Err("JWT_SECRET is not set"),
        Some(s) if s.trim().is_empty() => Err("JWT_SECRET is empty"),
        Some(s) if s.len() < SECRET_MIN_BYTES => Err("JWT_SECRET is shorter than 32 bytes"),
        Some(s) => Ok(s.as_bytes()),
    }
}

/// A stored password hash. Parsing is strict: anything we did not write
/// ourselves is `None`, and the caller treats it as a failed login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    /// `pbkdf2-sha256$<iterations>$<b64 salt>$<b64 hash>`.
    pub fn format(&self) -> String {
        format!(
            "{HASH_SCHEME}${}${}${}",
            self.iterations,
            STANDARD_NO_PAD.encode(&self.salt),
            STANDARD_NO_PAD.encode(&self.hash)
        )
    }

    pub fn parse(stored: &str) -> Option<Self> {
        let mut parts = stored.split('$');
        if parts.next()? != HASH_SCHEME {
            return None;
        }
        let iterations: u32 = parts.next()?.parse().ok()?;
        let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
        if parts.next().is_some()
            || iterations == 0
            || iterations > PBKDF2_ITERATIONS
            || salt.is_empty()
            || hash.len() != HASH_LEN
        {
            return None;
        }
        Some(PasswordHash {
            iterations,
            salt,
            hash,
        })
    }

    /// True when the hash was made with fewer iterations than today's setting,
    /// so it should be recomputed at the next successful login.
    pub fn needs_upgrade(&self) -> bool {
        self.iterations < PBKDF2_ITERATIONS
    }

    /// Compares a freshly derived key with the stored one in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        constant_time_eq(&self.hash, derived)
    }
}

/// Equality whose running time does not depend on where the inputs differ
/// (only on their lengths, which are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// A well-formed hash that matches no password. Login derives a key against it
/// for unknown usernames, so "no such user" takes as long as "wrong password"
/// and the response time does not reveal which accounts exist.
pub fn dummy_hash() -> PasswordHash {
    PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: b"edge-chat-dummy!".to_vec(),
        hash: vec![0x5a; HASH_LEN],
    }
}

/// A session id from 16 random bytes (128 bits, unguessable), URL-safe base64.
pub fn session_id(random: &[u8; 16]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "auth_tests.rs"]
mod tests;
