//! The product's decisions in plain Rust: no `worker` import, no clock, no
//! randomness, no IO. Time and random bytes come in as arguments, so every rule
//! here is tested natively and deterministically with `cargo test`.

pub mod error;
