//! The runtime's clock, randomness and WebCrypto: the inputs the core takes
//! as arguments, and PBKDF2 at native speed (`crypto.subtle`), which a pure-Rust
//! PBKDF2 compiled to wasm could not match for 100,000 iterations.

use worker::js_sys::{self, Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// Milliseconds since the Unix epoch, from the runtime clock.
pub fn now_ms() -> u64 {
    let ms = js_sys::Date::now();
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

/// Fills `buf` with cryptographically secure random bytes (WebCrypto via getrandom).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(buf)
}

/// PBKDF2-HMAC-SHA256 of `password` with `salt`, 32 bytes out, via `crypto.subtle`.
pub async fn pbkdf2_sha256(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Result<Vec<u8>, String> {
    derive(password, salt, iterations).await.map_err(|e| {
        e.as_string()
            .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
            .unwrap_or_else(|| "WebCrypto PBKDF2 failed".to_string())
    })
}

async fn derive(password: &[u8], salt: &[u8], iterations: u32) -> Result<Vec<u8>, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;

    let import_key: Function = Reflect::get(&subtle, &"importKey".into())?.dyn_into()?;
    let import_args = Array::new();
    import_args.push(&"raw".into());
    import_args.push(&Uint8Array::from(password));
    import_args.push(&"PBKDF2".into());
    import_args.push(&false.into());
    import_args.push(&Array::of1(&"deriveBits".into()));
    let key = await_promise(import_key.apply(&subtle, &import_args)?).await?;

    let params = Object::new();
    Reflect::set(&params, &"name".into(), &"PBKDF2".into())?;
    Reflect::set(&params, &"hash".into(), &"SHA-256".into())?;
    Reflect::set(&params, &"salt".into(), &Uint8Array::from(salt))?;
    Reflect::set(&params, &"iterations".into(), &JsValue::from(iterations))?;
    let derive_bits: Function = Reflect::get(&subtle, &"deriveBits".into())?.dyn_into()?;
    let bits = derive_bits.call3(&subtle, &params, &key, &JsValue::from(256u32))?;
    let buffer = await_promise(bits).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

async fn await_promise(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(value.dyn_into::<Promise>()?).await
}
