//! Web Push's elliptic-curve and AES steps on the runtime's WebCrypto
//! (`crypto.subtle`): the ECDH of RFC 8291, AES-128-GCM, and the ES256
//! signature of a VAPID token. The key schedule, the record framing and the
//! token's text are the core's ([`crate::core::push_crypto`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use worker::js_sys::{self, Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

use crate::core::push_crypto::{self, is_p256_point};

/// An application server key: the private scalar and its public point.
pub struct P256Key<'a> {
    pub d: &'a [u8],
    pub public: &'a [u8],
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| "WebCrypto failed".to_string())
}

async fn subtle(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    let f: Function = Reflect::get(&subtle, &method.into())?.dyn_into()?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    let promise: Promise = f.apply(&subtle, &list)?.dyn_into()?;
    JsFuture::from(promise).await
}

fn obj(pairs: &[(&str, JsValue)]) -> Result<Object, JsValue> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v)?;
    }
    Ok(o)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from_str(u))
        .collect::<Array>()
        .into()
}

/// Imports a private P-256 key (JWK from d and the public point).
async fn import_private(key: &P256Key<'_>, alg: &str, uses: &[&str]) -> Result<JsValue, JsValue> {
    if !is_p256_point(key.public) || key.d.len() != 32 {
        return Err("not a P-256 key".into());
    }
    let b64 = |b: &[u8]| JsValue::from_str(&URL_SAFE_NO_PAD.encode(b));
    let jwk = obj(&[
        ("kty", "EC".into()),
        ("crv", "P-256".into()),
        ("x", b64(&key.public[1..33])),
        ("y", b64(&key.public[33..65])),
        ("d", b64(key.d)),
        ("ext", true.into()),
    ])?;
    let algorithm = obj(&[("name", alg.into()), ("namedCurve", "P-256".into())])?;
    subtle(
        "importKey",
        &[
            "jwk".into(),
            jwk.into(),
            algorithm.into(),
            false.into(),
            usages(uses),
        ],
    )
    .await
}

async fn import_public(raw: &[u8]) -> Result<JsValue, JsValue> {
    let algorithm = obj(&[("name", "ECDH".into()), ("namedCurve", "P-256".into())])?;
    subtle(
        "importKey",
        &[
            "raw".into(),
            Uint8Array::from(raw).into(),
            algorithm.into(),
            true.into(),
            usages(&[]),
        ],
    )
    .await
}

async fn derive(private: &JsValue, peer_public: &[u8]) -> Result<Vec<u8>, JsValue> {
    let public = import_public(peer_public).await?;
    let params = obj(&[("name", "ECDH".into()), ("public", public)])?;
    let bits = subtle(
        "deriveBits",
        &[params.into(), private.clone(), JsValue::from(256u32)],
    )
    .await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// The ECDH secret of `key` and a peer's public point.
pub async fn ecdh_secret(key: &P256Key<'_>, peer_public: &[u8]) -> Result<Vec<u8>, String> {
    let private = import_private(key, "ECDH", &["deriveBits"])
        .await
        .map_err(js_err)?;
    derive(&private, peer_public).await.map_err(js_err)
}

/// AES-128-GCM of `plaintext` (the 16-byte tag appended, as RFC 8188 wants).
pub async fn aes128gcm(
    cek: &[u8; 16],
    nonce: &[u8; 12],
    plaintext: &[u8],
) -> Result<Vec<u8>, String> {
    async fn run(cek: &[u8; 16], nonce: &[u8; 12], plaintext: &[u8]) -> Result<Vec<u8>, JsValue> {
        let key = subtle(
            "importKey",
            &[
                "raw".into(),
                Uint8Array::from(&cek[..]).into(),
                "AES-GCM".into(),
                false.into(),
                usages(&["encrypt"]),
            ],
        )
        .await?;
        let params = obj(&[
            ("name", "AES-GCM".into()),
            ("iv", Uint8Array::from(&nonce[..]).into()),
        ])?;
        let out = subtle(
            "encrypt",
            &[params.into(), key, Uint8Array::from(plaintext).into()],
        )
        .await?;
        Ok(Uint8Array::new(&out).to_vec())
    }
    run(cek, nonce, plaintext).await.map_err(js_err)
}

/// ES256 over `data`: the raw 64-byte (r, s) signature JWS uses.
pub async fn es256_sign(key: &P256Key<'_>, data: &[u8]) -> Result<Vec<u8>, String> {
    async fn run(key: &P256Key<'_>, data: &[u8]) -> Result<Vec<u8>, JsValue> {
        let private = import_private(key, "ECDSA", &["sign"]).await?;
        let params = obj(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?;
        let sig = subtle(
            "sign",
            &[params.into(), private, Uint8Array::from(data).into()],
        )
        .await?;
        Ok(Uint8Array::new(&sig).to_vec())
    }
    run(key, data).await.map_err(js_err)
}

/// A fresh ECDH key pair: the private key (kept in WebCrypto) and its public point.
async fn ephemeral() -> Result<(JsValue, Vec<u8>), JsValue> {
    let algorithm = obj(&[("name", "ECDH".into()), ("namedCurve", "P-256".into())])?;
    let pair = subtle(
        "generateKey",
        &[algorithm.into(), true.into(), usages(&["deriveBits"])],
    )
    .await?;
    let private = Reflect::get(&pair, &"privateKey".into())?;
    let public = Reflect::get(&pair, &"publicKey".into())?;
    let raw = subtle("exportKey", &["raw".into(), public]).await?;
    Ok((private, Uint8Array::new(&raw).to_vec()))
}

/// The `aes128gcm` body of one push to a subscription (`p256dh`, `auth`):
/// a fresh sender key and salt unless given (`fixed`, for the RFC vector).
pub async fn encrypt(
    plaintext: &[u8],
    p256dh: &[u8],
    auth: &[u8],
    fixed: Option<(&P256Key<'_>, [u8; 16])>,
) -> Result<Vec<u8>, String> {
    let (secret, sender_public, salt) = match fixed {
        Some((key, salt)) => (ecdh_secret(key, p256dh).await?, key.public.to_vec(), salt),
        None => {
            let (private, public) = ephemeral().await.map_err(js_err)?;
            let secret = derive(&private, p256dh).await.map_err(js_err)?;
            let mut salt = [0u8; 16];
            super::crypto::random_bytes(&mut salt).map_err(|e| e.to_string())?;
            (secret, public, salt)
        }
    };
    let keys = push_crypto::key_schedule(&secret, auth, p256dh, &sender_public, &salt);
    let ciphertext = aes128gcm(&keys.cek, &keys.nonce, &push_crypto::padded(plaintext)).await?;
    Ok(push_crypto::record(&salt, &sender_public, &ciphertext))
}
