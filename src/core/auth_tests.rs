//! Unit tests of `auth`.

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
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256");
    let body: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
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
    let no_sid =
        r#"{"iss":"edge-chat","aud":"edge-chat","sub":"alice","iat":1700000000,"exp":1700003600}"#;
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
