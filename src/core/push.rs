//! Web Push (contract section 10): which subscriptions are accepted, who a
//! message notifies, and what a push says. The cryptography is in
//! [`super::push_crypto`].
//!
//! Decisions where the contract is silent:
//! - A subscription is a browser's `PushSubscription.toJSON()`, so its
//!   `expirationTime` (null or a number) is accepted and ignored.
//! - An endpoint is an `https` URL on an allowed origin; an origin in
//!   `PUSH_ORIGINS` may be `http` only on a loopback host (a local push
//!   service in tests), and `https://*.host` allows that host's subdomains.
//! - An account keeps at most [`SUBSCRIPTIONS_MAX`] subscriptions; a new one
//!   past that replaces the oldest. The same endpoint again replaces its
//!   entry (a browser re-subscribing) and keeps its id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::protocol::{Message, NotifyLevel};
use super::push_crypto::{is_p256_point, AUTH_SECRET_BYTES};

/// Subscriptions one account keeps.
pub const SUBSCRIPTIONS_MAX: usize = 20;
/// The longest endpoint URL accepted.
pub const ENDPOINT_MAX: usize = 2048;
/// A push's text: the message's first 200 characters.
pub const PUSH_TEXT_MAX: usize = 200;
/// How long a push service keeps an undelivered push (seconds).
pub const PUSH_TTL_S: u64 = 24 * 60 * 60;

/// The browsers' push services, when `PUSH_ORIGINS` is not set.
pub const DEFAULT_PUSH_ORIGINS: [&str; 4] = [
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
];

/// `PushSubscription.toJSON()` as a browser sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// A stored subscription (the keys kept as the browser sent them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    /// The session that subscribed: its logout ends the subscription.
    pub sid: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: u64,
}

impl Subscription {
    /// The decoded keys: the 65-byte point and the 16-byte secret.
    pub fn keys(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let p = URL_SAFE_NO_PAD.decode(&self.p256dh).ok()?;
        let a = URL_SAFE_NO_PAD.decode(&self.auth).ok()?;
        (is_p256_point(&p) && a.len() == AUTH_SECRET_BYTES).then_some((p, a))
    }

    /// The push service's origin, the VAPID token's audience.
    pub fn audience(&self) -> Option<String> {
        origin_of(&self.endpoint).map(|(scheme, host)| format!("{scheme}://{host}"))
    }
}

/// `(scheme, host[:port])` of an absolute http(s) URL.
fn origin_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some((scheme, host))
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

/// The allowed origins from `PUSH_ORIGINS` (comma-separated), or the default.
pub fn allowed_origins(setting: Option<&str>) -> Vec<String> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        Some(list) => list
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect(),
        None => DEFAULT_PUSH_ORIGINS.iter().map(|o| o.to_string()).collect(),
    }
}

fn origin_allowed(scheme: &str, host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    allowed.iter().any(|a| {
        let Some((a_scheme, a_host)) = a.split_once("://") else {
            return false;
        };
        if a_scheme != scheme || (scheme == "http" && !is_loopback(a_host)) {
            return false;
        }
        match a_host.strip_prefix("*.") {
            Some(base) => host.ends_with(&format!(".{base}")),
            None => host == a_host,
        }
    })
}

fn bad(what: &str) -> ApiError {
    ApiError::bad_request(format!("This is not a usable push subscription: {what}."))
}

impl SubscriptionBody {
    /// Checks the subscription; `Ok` with what to store but the id, session
    /// and time.
    pub fn validate(&self, allowed: &[String]) -> ApiResult<(String, String, String)> {
        if self.endpoint.len() > ENDPOINT_MAX {
            return Err(bad("the endpoint is too long"));
        }
        let (scheme, host) =
            origin_of(&self.endpoint).ok_or_else(|| bad("the endpoint is not an https URL"))?;
        if !origin_allowed(scheme, host, allowed) {
            return Err(bad("the endpoint is not an allowed push service"));
        }
        let p = URL_SAFE_NO_PAD.decode(self.keys.p256dh.trim_end_matches('='));
        if !p.is_ok_and(|p| is_p256_point(&p)) {
            return Err(bad("keys.p256dh is not a P-256 public key"));
        }
        let a = URL_SAFE_NO_PAD.decode(self.keys.auth.trim_end_matches('='));
        if !a.is_ok_and(|a| a.len() == AUTH_SECRET_BYTES) {
            return Err(bad("keys.auth is not a 16-byte secret"));
        }
        Ok((
            self.endpoint.clone(),
            self.keys.p256dh.trim_end_matches('=').to_string(),
            self.keys.auth.trim_end_matches('=').to_string(),
        ))
    }
}

/// Whether a member at `level` is notified of a message (not theirs):
/// `all` always, `mentions` when it mentions them or it is a DM.
pub fn notifies(level: NotifyLevel, mentioned: bool, dm: bool) -> bool {
    match level {
        NotifyLevel::All => true,
        NotifyLevel::Mentions => mentioned || dm,
        NotifyLevel::None => false,
    }
}

/// The decrypted payload of one push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPayload {
    #[serde(rename = "type")]
    pub kind: String,
    pub room: String,
    pub seq: u64,
    pub author: String,
    pub text: String,
    pub mention: bool,
}

impl PushPayload {
    /// What `message` in `room` tells one recipient.
    pub fn of(room: &str, message: &Message, mention: bool) -> PushPayload {
        PushPayload {
            kind: "message".into(),
            room: room.to_string(),
            seq: message.seq,
            author: message.author.clone(),
            text: message.text.chars().take(PUSH_TEXT_MAX).collect(),
            mention,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const P256DH: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    fn body(endpoint: &str, p256dh: &str, auth: &str) -> SubscriptionBody {
        serde_json::from_value(serde_json::json!({
            "endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": p256dh, "auth": auth}
        }))
        .unwrap()
    }

    fn check(endpoint: &str, setting: Option<&str>) -> ApiResult<(String, String, String)> {
        body(endpoint, P256DH, AUTH).validate(&allowed_origins(setting))
    }

    #[test]
    fn browser_push_services_are_allowed_by_default() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
            "https://web.push.apple.com/QGuQyavXut",
            "https://wns2-par02p.notify.windows.com/w/?token=x",
        ] {
            assert!(check(ok, None).is_ok(), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evil.example/fcm.googleapis.com",
            "https://fcm.googleapis.com.evil.example/x",
            "https://user@fcm.googleapis.com/x",
            "https://notify.windows.com.evil/x",
            "ftp://fcm.googleapis.com/x",
            "fcm.googleapis.com/x",
        ] {
            let e = check(bad, None).unwrap_err();
            assert_eq!(e.code, ErrorCode::BadRequest, "{bad}");
        }
    }

    #[test]
    fn push_origins_replace_the_default_and_allow_http_only_on_loopback() {
        let setting = Some("http://127.0.0.1:9999, https://push.example.net/");
        assert!(check("http://127.0.0.1:9999/sub/1", setting).is_ok());
        assert!(check("https://push.example.net/x", setting).is_ok());
        assert!(check("https://fcm.googleapis.com/fcm/send/a", setting).is_err());
        assert!(check("http://127.0.0.1:9998/sub/1", setting).is_err());
        assert!(check("http://push.example.net/x", Some("http://push.example.net")).is_err());
    }

    #[test]
    fn keys_must_be_a_p256_point_and_a_16_byte_secret() {
        let ep = "https://fcm.googleapis.com/fcm/send/a";
        let allowed = allowed_origins(None);
        assert!(body(ep, AUTH, AUTH).validate(&allowed).is_err());
        assert!(body(ep, P256DH, P256DH).validate(&allowed).is_err());
        assert!(body(ep, "not base64!", AUTH).validate(&allowed).is_err());
        // Padded base64url is what some browsers send: stored unpadded.
        let (_, p, a) = body(ep, &format!("{P256DH}="), &format!("{AUTH}=="))
            .validate(&allowed)
            .unwrap();
        assert_eq!((p.as_str(), a.as_str()), (P256DH, AUTH));
        let unknown: Result<SubscriptionBody, _> = serde_json::from_value(
            serde_json::json!({"endpoint": ep, "keys": {"p256dh": P256DH, "auth": AUTH}, "x": 1}),
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn levels_decide_who_is_notified() {
        use NotifyLevel::*;
        assert!(notifies(All, false, false));
        assert!(!notifies(Mentions, false, false));
        assert!(notifies(Mentions, true, false));
        assert!(notifies(Mentions, false, true));
        assert!(!notifies(None, true, true));
    }

    #[test]
    fn a_push_carries_the_first_200_characters() {
        let m = Message::sample(7, "bob", &"é".repeat(300), 1);
        let p = PushPayload::of("general", &m, true);
        assert_eq!(p.text.chars().count(), 200);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "message");
        assert_eq!(
            (
                v["room"].as_str(),
                v["seq"].as_u64(),
                v["mention"].as_bool()
            ),
            (Some("general"), Some(7), Some(true))
        );
        let sub = Subscription {
            id: "i".into(),
            sid: "s".into(),
            endpoint: "https://fcm.googleapis.com/fcm/send/a".into(),
            p256dh: P256DH.into(),
            auth: AUTH.into(),
            created_at: 0,
        };
        assert_eq!(
            sub.audience().as_deref(),
            Some("https://fcm.googleapis.com")
        );
        assert!(sub.keys().is_some());
    }
}
