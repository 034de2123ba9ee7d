//! The runtime's clock and randomness, the inputs the core takes as arguments.

/// Milliseconds since the Unix epoch, from the runtime clock.
pub fn now_ms() -> u64 {
    let ms = js_sys_now();
    if ms.is_finite() && ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

fn js_sys_now() -> f64 {
    worker::js_sys::Date::now()
}

/// Fills `buf` with cryptographically secure random bytes (WebCrypto via getrandom).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::fill(buf)
}
