//! edge-chat: a real-time chat service that runs as a Cloudflare Worker.
//!
//! The crate has two layers, visible in the folders:
//!
//! - [`core`] (`src/core/`) holds every product decision in plain Rust: the
//!   protocol types, field validation, tokens and password-hash format, rate
//!   limits, avatars and the room state machine. It imports nothing from the
//!   Workers runtime and takes time and randomness as arguments, so it compiles
//!   and is tested natively with `cargo test`.
//! - `platform` (`src/platform/`, compiled only for `wasm32`) is the thin
//!   Cloudflare shell: the Worker's router, the Durable Objects (one per room, one
//!   per account, one directory), the KV and R2 adapters and WebCrypto. It parses
//!   outside input into core types, asks the core what to do, and carries it out.
//!
//! The Worker entry point and the Durable Object classes are exported only with
//! the `worker-entry` feature (on by default): wasm-bindgen-test builds for the
//! browser turn it off, since an exported `fetch` breaks the browser test runner.

pub mod core;

// The core's unit tests also run compiled to wasm32, in headless Chromium
// (`make wasm-test`): the code that ships is the code that is tested.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_arch = "wasm32")]
pub mod platform;
