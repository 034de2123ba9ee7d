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
mod tests {
    use super::*;
    use jwt_compact::{Algorithm, AlgorithmSignature};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const NOW: u64 = 1_700_000_000;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Builds `header.payload.signature` by hand, signing with HS256 under `key`.
    fn craft(header: &str, payload: &str, key: &[u8]) -> String {
        let signed = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
        let sig = Hs256.sign(&Hs256Key::new(key), signed.as_bytes());
        format!("{signed}.{}", b64(&sig.as_bytes()))
    }

    fn payload(iss: &str, aud: &str, sub: &str, sid: &str, iat: u64, exp: u64) -> String {
        serde_json::json!({"iss": iss, "aud": aud, "sub": sub, "sid": sid, "iat": iat, "exp": exp})
            .to_string()
    }

    fn good_payload() -> String {
        payload(TOKEN_ISSUER, TOKEN_AUDIENCE, "alice", "s1", NOW, NOW + 3600)
    }

    const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn rejected(token: &str) -> bool {
        matches!(verify_token(SECRET, token, NOW), Err(e) if e == ApiError::unauthorized())
    }

    #[test]
    fn issued_token_verifies_and_lasts_seven_days() {
        let (token, claims) = issue_token(SECRET, "alice", "sid1", NOW).unwrap();
        assert_eq!(claims.exp - claims.iat, TOKEN_TTL_SECS);
        assert_eq!(claims.expires_at_ms(), (NOW + TOKEN_TTL_SECS) * 1000);
        let back = verify_token(SECRET, &token, NOW + 10).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.sub, "alice");
        assert_eq!(back.sid, "sid1");
        // Still fine one second before expiry, dead at expiry.
        assert!(verify_token(SECRET, &token, claims.exp - 1).is_ok());
        assert!(verify_token(SECRET, &token, claims.exp).is_err());
    }

    #[test]
    fn issued_token_payload_is_exactly_the_contract_claims() {
        let (token, _) = issue_token(SECRET, "alice", "sid1", NOW).unwrap();
        let mut parts = token.split('.');
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap())
                .unwrap();
        assert_eq!(header["alg"], "HS256");
        let body: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap())
                .unwrap();
        let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["aud", "exp", "iat", "iss", "sid", "sub"]);
    }

    #[test]
    fn hand_built_good_token_is_accepted() {
        assert!(verify_token(SECRET, &craft(HS256, &good_payload(), SECRET), NOW).is_ok());
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for t in [
            "",
            "abc",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "....",
            "not a token at all",
        ] {
            assert!(rejected(t), "{t:?}");
        }
        // Valid signature over a payload that is not JSON.
        assert!(rejected(&craft(HS256, "hello", SECRET)));
        // Payload missing a claim.
        let no_sid = r#"{"iss":"edge-chat","aud":"edge-chat","sub":"alice","iat":1700000000,"exp":1700003600}"#;
        assert!(rejected(&craft(HS256, no_sid, SECRET)));
        // Times of the wrong type.
        let str_exp = r#"{"iss":"edge-chat","aud":"edge-chat","sub":"alice","sid":"s","iat":1700000000,"exp":"1700003600"}"#;
        assert!(rejected(&craft(HS256, str_exp, SECRET)));
    }

    #[test]
    fn alg_none_and_other_algorithms_are_rejected() {
        let unsigned = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(good_payload().as_bytes())
        );
        assert!(rejected(&unsigned));
        // `none` header even with an HS256 signature attached.
        assert!(rejected(&craft(
            r#"{"alg":"none"}"#,
            &good_payload(),
            SECRET
        )));
        for alg in ["HS384", "HS512", "RS256", "hs256", ""] {
            let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
            assert!(rejected(&craft(&header, &good_payload(), SECRET)), "{alg}");
        }
    }

    #[test]
    fn tampered_or_wrongly_signed_tokens_are_rejected() {
        assert!(rejected(&craft(
            HS256,
            &good_payload(),
            b"another-secret-another-secret-xx"
        )));
        // Payload swapped after signing (a user renaming themselves).
        let good = craft(HS256, &good_payload(), SECRET);
        let mut parts: Vec<&str> = good.split('.').collect();
        let evil = payload(TOKEN_ISSUER, TOKEN_AUDIENCE, "bob", "s1", NOW, NOW + 3600);
        let evil_b64 = b64(evil.as_bytes());
        parts[1] = &evil_b64;
        assert!(rejected(&parts.join(".")));
        // Signature removed or truncated.
        let (head, _) = good.rsplit_once('.').unwrap();
        assert!(rejected(&format!("{head}.")));
        assert!(rejected(&good[..good.len() - 3]));
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let p = payload(
            TOKEN_ISSUER,
            TOKEN_AUDIENCE,
            "alice",
            "s1",
            NOW - 7200,
            NOW - 1,
        );
        assert!(rejected(&craft(HS256, &p, SECRET)));
        let p = payload(TOKEN_ISSUER, TOKEN_AUDIENCE, "alice", "s1", NOW - 10, NOW);
        assert!(rejected(&craft(HS256, &p, SECRET)));
    }

    #[test]
    fn wrong_issuer_or_audience_is_rejected() {
        let p = payload("someone-else", TOKEN_AUDIENCE, "alice", "s1", NOW, NOW + 60);
        assert!(rejected(&craft(HS256, &p, SECRET)));
        let p = payload(TOKEN_ISSUER, "other-app", "alice", "s1", NOW, NOW + 60);
        assert!(rejected(&craft(HS256, &p, SECRET)));
    }

    #[test]
    fn future_iat_and_overlong_life_are_rejected() {
        // Up to a minute of clock skew is fine.
        let p = payload(
            TOKEN_ISSUER,
            TOKEN_AUDIENCE,
            "alice",
            "s1",
            NOW + 60,
            NOW + 3600,
        );
        assert!(!rejected(&craft(HS256, &p, SECRET)));
        let p = payload(
            TOKEN_ISSUER,
            TOKEN_AUDIENCE,
            "alice",
            "s1",
            NOW + 61,
            NOW + 3600,
        );
        assert!(rejected(&craft(HS256, &p, SECRET)));
        // Exactly seven days is the contract's maximum; one second more is not.
        let p = payload(
            TOKEN_ISSUER,
            TOKEN_AUDIENCE,
            "alice",
            "s1",
            NOW,
            NOW + TOKEN_TTL_SECS,
        );
        assert!(!rejected(&craft(HS256, &p, SECRET)));
        let p = payload(
            TOKEN_ISSUER,
            TOKEN_AUDIENCE,
            "alice",
            "s1",
            NOW,
            NOW + TOKEN_TTL_SECS + 1,
        );
        assert!(rejected(&craft(HS256, &p, SECRET)));
    }

    #[test]
    fn empty_or_invalid_subject_and_session_are_rejected() {
        for (sub, sid) in [("", "s1"), ("alice", ""), ("Alice", "s1"), ("a b", "s1")] {
            let p = payload(TOKEN_ISSUER, TOKEN_AUDIENCE, sub, sid, NOW, NOW + 60);
            assert!(rejected(&craft(HS256, &p, SECRET)), "{sub:?} {sid:?}");
        }
    }

    #[test]
    fn secret_must_be_set_and_long_enough() {
        assert!(check_secret(None).is_err());
        assert!(check_secret(Some("")).is_err());
        assert!(check_secret(Some(&" ".repeat(40))).is_err());
        assert!(check_secret(Some("short")).is_err());
        let ok = "x".repeat(SECRET_MIN_BYTES);
        assert_eq!(check_secret(Some(&ok)).unwrap(), ok.as_bytes());
    }

    #[test]
    fn password_hash_round_trips_through_its_stored_form() {
        let h = PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt: (0..16).collect(),
            hash: (100..132).collect(),
        };
        let s = h.format();
        assert!(s.starts_with("pbkdf2-sha256$100000$"));
        assert_eq!(PasswordHash::parse(&s).unwrap(), h);
        assert!(!h.needs_upgrade());
        assert!(h.matches(&(100..132).collect::<Vec<u8>>()));
        assert!(!h.matches(&[0; 32]));
    }

    #[test]
    fn foreign_or_damaged_hashes_do_not_parse() {
        let good = dummy_hash().format();
        assert!(PasswordHash::parse(&good).is_some());
        let bad = [
            String::new(),
            "plaintext-password".to_string(),
            good.replace("pbkdf2-sha256", "bcrypt"),
            good.replace("$100000$", "$0$"),
            good.replace("$100000$", "$abc$"),
            good.replace("$100000$", "$100001$"),
            format!("{good}$extra"),
            "pbkdf2-sha256$100000$$AAAA".to_string(),
            format!(
                "pbkdf2-sha256$100000${}$AAAA",
                STANDARD_NO_PAD.encode([1u8; 16])
            ),
        ];
        for s in bad {
            assert!(PasswordHash::parse(&s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn older_hashes_ask_for_an_upgrade() {
        let mut h = dummy_hash();
        h.iterations = 10_000;
        let back = PasswordHash::parse(&h.format()).unwrap();
        assert!(back.needs_upgrade());
    }

    #[test]
    fn constant_time_eq_is_plain_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn dummy_hash_is_fixed_and_full_strength() {
        assert_eq!(dummy_hash(), dummy_hash());
        assert_eq!(dummy_hash().iterations, PBKDF2_ITERATIONS);
        assert_eq!(dummy_hash().salt.len(), SALT_LEN);
        assert_eq!(dummy_hash().hash.len(), HASH_LEN);
    }

    #[test]
    fn session_ids_are_url_safe_and_distinct() {
        let a = session_id(&[0xff; 16]);
        let b = session_id(&[0x00; 16]);
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }
}
