//! The product's decisions in plain Rust: no `worker` import, no clock, no
//! randomness, no IO. Time and random bytes come in as arguments, so every rule
//! here is tested natively and deterministically with `cargo test`.

pub mod account;
pub mod account_machine;
pub mod attachment;
pub mod auth;
pub mod avatar;
pub mod close_reason;
pub mod directory;
pub mod dm;
pub mod error;
pub mod flush_policy;
#[cfg(test)]
mod fuzz_tests;
pub mod http_rules;
pub mod idempotency;
pub mod image_size;
pub mod invisible;
pub mod json;
pub mod mentions;
pub mod permissions;
pub mod profile;
pub mod protocol;
pub mod push;
pub mod push_crypto;
pub mod rate_limit;
pub mod room;
pub mod room_api;
mod room_attachments;
pub mod room_changes;
pub mod room_commands;
mod room_dm;
mod room_listing;
mod room_moderation;
pub mod room_sessions;
pub mod room_socket;
pub mod room_state;
#[cfg(test)]
mod room_tests;
pub mod search;
pub mod store;
pub mod store_schema;
pub mod validate;
pub mod wire;
