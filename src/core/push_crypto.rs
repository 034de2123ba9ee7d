//! The pure parts of Web Push's cryptography (contract section 10): the
//! `aes128gcm` key schedule of RFC 8291 over HKDF-SHA256, the RFC 8188
//! record it travels in, and the VAPID JWT and header of RFC 8292.
//!
//! The elliptic-curve steps (the ephemeral ECDH, the ES256 signature) and
//! AES-128-GCM itself are the runtime's WebCrypto, called by the platform
//! between these steps:
//! 1. ECDH of a fresh P-256 key with the subscription's `p256dh`: the shared
//!    secret; then [`key_schedule`] gives the content key and nonce;
//! 2. AES-128-GCM of [`padded`] plaintext with them: the ciphertext; then
//!    [`record`] frames it with the salt and the ephemeral public key;
//! 3. ES256 over [`vapid_signing_input`]; then [`vapid_authorization`].
//!
//! Everything here is checked against RFC 8291 Appendix A; the WebCrypto
//! steps against the same vector in Chromium (wasm-bindgen-test).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The record size announced in the header: one record holds any payload
/// we send (our payloads are a few hundred bytes).
pub const RECORD_SIZE: u32 = 4096;
/// An uncompressed P-256 point: 0x04, x, y.
pub const P256_POINT_BYTES: usize = 65;
/// The subscription's authentication secret.
pub const AUTH_SECRET_BYTES: usize = 16;
/// VAPID tokens live at most a day (RFC 8292); ours 12 hours.
pub const VAPID_TTL_S: u64 = 12 * 60 * 60;

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], data: &[&[u8]]) -> [u8; 32] {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for d in data {
        inner.update(d);
    }
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// HKDF-SHA256 (RFC 5869) for one output block (at most 32 bytes, all
/// Web Push needs): extract with `salt`, expand with `info`.
fn hkdf32(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> [u8; 32] {
    let prk = hmac_sha256(salt, &[ikm]);
    let mut parts: Vec<&[u8]> = info.to_vec();
    parts.push(&[1]);
    hmac_sha256(&prk, &parts)
}

/// The content-encryption key and nonce of one push (RFC 8291 section 3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentKeys {
    pub cek: [u8; 16],
    pub nonce: [u8; 12],
}

/// RFC 8291's key schedule: from the ECDH secret, the subscription's auth
/// secret and both public keys, the input keying material; from it and the
/// record's salt, the key and nonce (RFC 8188 section 2.2).
pub fn key_schedule(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> ContentKeys {
    let ikm = hkdf32(
        auth_secret,
        ecdh_secret,
        &[b"WebPush: info\0", ua_public, as_public],
    );
    let cek = hkdf32(salt, &ikm, &[b"Content-Encoding: aes128gcm\0"]);
    let nonce = hkdf32(salt, &ikm, &[b"Content-Encoding: nonce\0"]);
    let mut keys = ContentKeys {
        cek: [0; 16],
        nonce: [0; 12],
    };
    keys.cek.copy_from_slice(&cek[..16]);
    keys.nonce.copy_from_slice(&nonce[..12]);
    keys
}

/// The plaintext of the only (so the last) record: the delimiter 0x02 and
/// no padding.
pub fn padded(plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + 1);
    out.extend_from_slice(plaintext);
    out.push(2);
    out
}

/// The `aes128gcm` body: salt, record size, the sender's public key as the
/// key id, then the ciphertext (RFC 8188 section 2.1).
pub fn record(salt: &[u8; 16], as_public: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(21 + as_public.len() + ciphertext.len());
    out.extend_from_slice(salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(u8::try_from(as_public.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(as_public);
    out.extend_from_slice(ciphertext);
    out
}

/// The part of a VAPID token the key signs: ES256 header and claims
/// (`aud` the push service's origin, `exp`, `sub` a contact).
pub fn vapid_signing_input(audience: &str, now_s: u64, subject: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = serde_json::json!({
        "aud": audience,
        "exp": now_s.saturating_add(VAPID_TTL_S),
        "sub": subject,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    format!("{header}.{claims}")
}

/// `Authorization: vapid t=<token>, k=<public key>` from the signing input
/// and its raw 64-byte (r, s) ES256 signature.
pub fn vapid_authorization(signing_input: &str, signature: &[u8], public_key: &[u8]) -> String {
    format!(
        "vapid t={signing_input}.{}, k={}",
        URL_SAFE_NO_PAD.encode(signature),
        URL_SAFE_NO_PAD.encode(public_key)
    )
}

/// Whether `bytes` look like an uncompressed P-256 point (the curve check
/// itself is WebCrypto's, when the key is imported).
pub fn is_p256_point(bytes: &[u8]) -> bool {
    bytes.len() == P256_POINT_BYTES && bytes.first() == Some(&4)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    // RFC 8291, Appendix A.
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const ECDH_SECRET: &str = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
    const CEK: &str = "oIhVW04MRdy2XN9CiKLxTg";
    const NONCE: &str = "4h_95klXJ5E_qnoN";
    const CIPHERTEXT: &str =
        "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // A key longer than a block is hashed first (test case 6).
        let mac = hmac_sha256(
            &[0xaa; 131],
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn the_key_schedule_gives_rfc_8291s_key_and_nonce() {
        let keys = key_schedule(
            &b64(ECDH_SECRET),
            &b64(AUTH),
            &b64(UA_PUBLIC),
            &b64(AS_PUBLIC),
            &b64(SALT),
        );
        assert_eq!(keys.cek.to_vec(), b64(CEK));
        assert_eq!(keys.nonce.to_vec(), b64(NONCE));
    }

    #[test]
    fn the_record_is_rfc_8291s_body() {
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&b64(SALT));
        let body = record(&salt, &b64(AS_PUBLIC), &b64(CIPHERTEXT));
        assert_eq!(URL_SAFE_NO_PAD.encode(body), BODY);
        assert_eq!(padded(b"hi"), b"hi\x02");
    }

    #[test]
    fn a_vapid_token_names_the_push_service_and_expires_within_a_day() {
        let input =
            vapid_signing_input("https://push.example.net", 1_000, "mailto:ops@example.com");
        let (header, claims) = input.split_once('.').unwrap();
        assert_eq!(b64(header), br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims: serde_json::Value = serde_json::from_slice(&b64(claims)).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
        assert_eq!(claims["exp"], 1_000 + VAPID_TTL_S);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        let auth = vapid_authorization(&input, &[7; 64], &b64(AS_PUBLIC));
        assert!(auth.starts_with(&format!("vapid t={input}.")));
        assert!(auth.ends_with(&format!(", k={AS_PUBLIC}")));
        assert!(is_p256_point(&b64(AS_PUBLIC)));
        assert!(!is_p256_point(&b64(AUTH)));
    }
}
