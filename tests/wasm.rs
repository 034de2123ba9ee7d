//! Tests of the code that only runs as WebAssembly, in headless Chromium
//! (wasm-bindgen-test): the runtime clock, WebCrypto randomness, PBKDF2,
//! token signing and request-URL reading as the Worker performs them. Built
//! without the `worker-entry` feature, because an exported `fetch` breaks the
//! browser test runner.
#![cfg(target_arch = "wasm32")]
// A test crate: clippy does not see wasm_bindgen_test functions as tests.
#![allow(clippy::unwrap_used)]

use edge_chat::platform::crypto;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn clock_reads_the_current_time_in_milliseconds() {
    let now = crypto::now_ms();
    // After 2024-01-01 and before 2100: a real epoch-milliseconds clock.
    assert!(now > 1_704_067_200_000, "{now}");
    assert!(now < 4_102_444_800_000, "{now}");
}

#[wasm_bindgen_test]
fn random_bytes_come_from_webcrypto_and_differ() {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    crypto::random_bytes(&mut a).unwrap();
    crypto::random_bytes(&mut b).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, [0u8; 32]);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[wasm_bindgen_test]
async fn pbkdf2_matches_the_published_sha256_vectors() {
    // PBKDF2-HMAC-SHA256 test vectors (password "password", salt "salt").
    let one = crypto::pbkdf2_sha256(b"password", b"salt", 1)
        .await
        .unwrap();
    assert_eq!(
        hex(&one),
        "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
    );
    let two = crypto::pbkdf2_sha256(b"password", b"salt", 2)
        .await
        .unwrap();
    assert_eq!(
        hex(&two),
        "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"
    );
}

#[wasm_bindgen_test]
async fn a_stored_password_hash_verifies_the_right_password_only() {
    use edge_chat::core::auth::{PasswordHash, HASH_LEN, PBKDF2_ITERATIONS, SALT_LEN};
    let mut salt = [0u8; SALT_LEN];
    crypto::random_bytes(&mut salt).unwrap();
    let hash = crypto::pbkdf2_sha256(b"correct horse", &salt, PBKDF2_ITERATIONS)
        .await
        .unwrap();
    assert_eq!(hash.len(), HASH_LEN);
    let stored = PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: salt.to_vec(),
        hash,
    }
    .format();
    let parsed = PasswordHash::parse(&stored).unwrap();
    let again = crypto::pbkdf2_sha256(b"correct horse", &parsed.salt, parsed.iterations)
        .await
        .unwrap();
    assert!(parsed.matches(&again));
    let wrong = crypto::pbkdf2_sha256(b"wrong horse", &parsed.salt, parsed.iterations)
        .await
        .unwrap();
    assert!(!parsed.matches(&wrong));
}

#[wasm_bindgen_test]
fn a_token_signed_with_the_clock_verifies_and_expires() {
    use edge_chat::core::auth::{issue_token, verify_token, TOKEN_TTL_SECS};
    let secret = [7u8; 32];
    let now = crypto::now_ms() / 1000;
    let (token, claims) = issue_token(&secret, "alice", "sid1", now).unwrap();
    assert_eq!(verify_token(&secret, &token, now).unwrap(), claims);
    assert!(verify_token(&secret, &token, now + TOKEN_TTL_SECS + 1).is_err());
    assert!(verify_token(&[8u8; 32], &token, now).is_err());
}

#[wasm_bindgen_test]
#[allow(clippy::disallowed_methods)] // the url crate is the reference here
fn request_urls_read_by_hand_agree_with_the_url_crate() {
    use edge_chat::platform::http::{is_https_url, query_value, url_origin};
    use worker::Url;
    let urls = [
        "https://chat.example.com/api/rooms/directory?q=caf%C3%A9+bar&q=second",
        "http://127.0.0.1:8787/api/rooms/general/socket?since=12&batch=1",
        "http://localhost:8787/api/rooms/x/messages?before=&limit=50#f?q=no",
        "http://localhost:8787/api/rooms/x#f?q=no",
        "HTTPS://Chat.Example.COM:443/a?%71=encoded+key",
        "http://user:pw@host:8080/p?q=a%20b&x",
        "https://internal/list?q=",
        "https://internal/session?sid=a-b_c.d~e%2F",
        "http://[0:0::1]:8787/api?q=1",
        "https://caf\u{e9}.example/?q=1",
        "http://127.1:8787/?q=1",
        "https://h/a?q=%ZZ&q2=%E2%82",
        "https://h?=v&q",
        "http://h:80/",
    ];
    for u in urls {
        let parsed = Url::parse(u).unwrap();
        for name in [
            "q", "q2", "since", "batch", "before", "limit", "sid", "x", "",
        ] {
            let expected = parsed
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned());
            assert_eq!(query_value(u, name), expected, "{u} {name}");
        }
        assert_eq!(is_https_url(u), parsed.scheme() == "https", "{u}");
        let origin = parsed.origin().ascii_serialization();
        assert_eq!(url_origin(u), Some(origin), "{u}");
    }
    assert_eq!(url_origin("not a url"), None);
}

// ---- Web Push on WebCrypto, against RFC 8291 Appendix A ----

mod push {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use edge_chat::core::push_crypto::{padded, vapid_signing_input};
    use edge_chat::platform::push_webcrypto::{
        aes128gcm, ecdh_secret, encrypt, es256_sign, P256Key,
    };
    use wasm_bindgen_test::*;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AS_PUBLIC: &str =
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const PLAINTEXT: &[u8] = b"When I grow up, I want to be a watermelon";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[wasm_bindgen_test]
    async fn ecdh_gives_the_same_secret_from_both_sides() {
        let (asd, asp, uad, uap) = (
            b64(AS_PRIVATE),
            b64(AS_PUBLIC),
            b64(UA_PRIVATE),
            b64(UA_PUBLIC),
        );
        let sender = ecdh_secret(
            &P256Key {
                d: &asd,
                public: &asp,
            },
            &uap,
        )
        .await
        .unwrap();
        let receiver = ecdh_secret(
            &P256Key {
                d: &uad,
                public: &uap,
            },
            &asp,
        )
        .await
        .unwrap();
        assert_eq!(sender, receiver);
        assert_eq!(sender, b64("kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"));
    }

    #[wasm_bindgen_test]
    async fn aes_gcm_gives_rfc_8291s_ciphertext() {
        let mut cek = [0u8; 16];
        cek.copy_from_slice(&b64("oIhVW04MRdy2XN9CiKLxTg"));
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&b64("4h_95klXJ5E_qnoN"));
        let out = aes128gcm(&cek, &nonce, &padded(PLAINTEXT)).await.unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(out),
            "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ"
        );
    }

    #[wasm_bindgen_test]
    async fn the_whole_encryption_is_rfc_8291s_body_and_fresh_keys_differ() {
        let (asd, asp) = (b64(AS_PRIVATE), b64(AS_PUBLIC));
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&b64(SALT));
        let key = P256Key {
            d: &asd,
            public: &asp,
        };
        let body = encrypt(PLAINTEXT, &b64(UA_PUBLIC), &b64(AUTH), Some((&key, salt)))
            .await
            .unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(body), BODY);
        let a = encrypt(PLAINTEXT, &b64(UA_PUBLIC), &b64(AUTH), None)
            .await
            .unwrap();
        let b = encrypt(PLAINTEXT, &b64(UA_PUBLIC), &b64(AUTH), None)
            .await
            .unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), BODY.len() * 3 / 4);
    }

    /// WebCrypto's own ES256 verification with the public point.
    async fn verifies(public: &[u8], sig: &[u8], data: &[u8]) -> bool {
        use worker::js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
        use worker::wasm_bindgen::{JsCast, JsValue};
        use worker::wasm_bindgen_futures::JsFuture;
        let subtle = Reflect::get(
            &Reflect::get(&worker::js_sys::global(), &"crypto".into()).unwrap(),
            &"subtle".into(),
        )
        .unwrap();
        let call = |m: &str, args: Array| -> Promise {
            let f: Function = Reflect::get(&subtle, &m.into())
                .unwrap()
                .dyn_into()
                .unwrap();
            f.apply(&subtle, &args).unwrap().dyn_into().unwrap()
        };
        let alg = Object::new();
        Reflect::set(&alg, &"name".into(), &"ECDSA".into()).unwrap();
        Reflect::set(&alg, &"namedCurve".into(), &"P-256".into()).unwrap();
        Reflect::set(&alg, &"hash".into(), &"SHA-256".into()).unwrap();
        let uses: Array = [JsValue::from_str("verify")].into_iter().collect();
        let args: Array = [
            JsValue::from_str("raw"),
            Uint8Array::from(public).into(),
            alg.clone().into(),
            false.into(),
            uses.into(),
        ]
        .into_iter()
        .collect();
        let key = JsFuture::from(call("importKey", args)).await.unwrap();
        let args: Array = [
            alg.into(),
            key,
            Uint8Array::from(sig).into(),
            Uint8Array::from(data).into(),
        ]
        .into_iter()
        .collect();
        JsFuture::from(call("verify", args))
            .await
            .unwrap()
            .as_bool()
            .unwrap()
    }

    #[wasm_bindgen_test]
    async fn a_vapid_signature_verifies_with_the_public_key_only_for_its_token() {
        let (asd, asp) = (b64(AS_PRIVATE), b64(AS_PUBLIC));
        let key = P256Key {
            d: &asd,
            public: &asp,
        };
        let input = vapid_signing_input("https://push.example.net", 1, "mailto:a@b.c");
        let sig = es256_sign(&key, input.as_bytes()).await.unwrap();
        assert_eq!(sig.len(), 64);
        assert!(verifies(&asp, &sig, input.as_bytes()).await);
        assert!(!verifies(&asp, &sig, b"another token").await);
        assert!(!verifies(&b64(UA_PUBLIC), &sig, input.as_bytes()).await);
        assert!(es256_sign(
            &P256Key {
                d: &[1; 5],
                public: &asp
            },
            b"x"
        )
        .await
        .is_err());
    }
}
