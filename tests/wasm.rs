//! Tests of the code that only runs as WebAssembly, in headless Chromium
//! (wasm-bindgen-test): the runtime clock, WebCrypto randomness, PBKDF2 and
//! token signing as the Worker performs them. Built without the `worker-entry`
//! feature, because an exported `fetch` breaks the browser test runner.
#![cfg(target_arch = "wasm32")]

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
