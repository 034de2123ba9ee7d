//! The Cloudflare shell around the core (wasm32 only).
//!
//! Each file carries out one kind of platform work; none of them decides
//! product rules, which live in [`crate::core`].

pub mod auth;
pub mod avatars;
pub mod config;
pub mod crypto;
pub mod http;
pub mod internal;
pub mod profiles;
pub mod push_webcrypto;
#[cfg(feature = "worker-entry")]
pub mod router;
#[cfg(feature = "worker-entry")]
pub mod routes_accounts;
#[cfg(feature = "worker-entry")]
pub mod routes_attachments;
#[cfg(feature = "worker-entry")]
pub mod routes_dms;
#[cfg(feature = "worker-entry")]
pub mod routes_push;
#[cfg(feature = "worker-entry")]
pub mod routes_rooms;
#[cfg(feature = "worker-entry")]
pub mod routes_search;

#[cfg(feature = "worker-entry")]
pub mod account_object;
#[cfg(feature = "worker-entry")]
pub mod directory_object;
#[cfg(feature = "worker-entry")]
pub mod room_object;

// The rooms work: the room object's parts, the wire between the Worker and
// the room/directory objects, and SQLite access.
#[cfg(feature = "worker-entry")]
pub mod join_all;
#[cfg(feature = "worker-entry")]
pub mod js_text;
#[cfg(feature = "worker-entry")]
pub mod room_alarm;
#[cfg(feature = "worker-entry")]
pub mod room_follow_up;
#[cfg(feature = "worker-entry")]
pub mod room_sockets;
#[cfg(feature = "worker-entry")]
pub mod sql_store;
#[cfg(feature = "worker-entry")]
pub mod sqlite;

#[cfg(feature = "worker-entry")]
mod entry {
    use worker::{event, Context, Env, Request, Response, Result};

    /// The Worker's fetch handler: every request, API or static asset, comes here
    /// first so that one place sets the security headers and the error shape.
    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        console_error_panic_hook::set_once();
        Ok(super::router::handle(req, env).await)
    }
}
