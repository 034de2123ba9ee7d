//! Web Push (contract section 10): `GET /api/push/key`, the caller's
//! subscriptions (`/api/me/push-subscriptions`), and sending the pushes a
//! room's message asks for.
//!
//! Sending runs in the room's follow-up, after the message is stored and
//! its `ack` delivered, so a slow or failing push service delays nobody's
//! messages; each push service gets [`PUSH_TIMEOUT_MS`] before it is given
//! up on. A 404 or 410 ends that subscription.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use worker::{AbortSignal, Env, Fetch, Headers, Method, Request, Response};

use super::auth::authenticate;
use super::http::{self, Ctx};
use super::join_all::join_all;
use super::push_webcrypto::{self, P256Key};
use super::router::not_found;
use super::{config, crypto, internal};
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::push::{allowed_origins, PushPayload, Subscription, SubscriptionBody, PUSH_TTL_S};
use crate::core::push_crypto::{vapid_authorization, vapid_signing_input};
use crate::core::validate::BODY_MAX_BYTES;
use crate::core::wire::AccountCall;

/// How long one push service may take to answer.
const PUSH_TIMEOUT_MS: u32 = 10_000;

fn not_configured() -> ApiError {
    ApiError::not_found("Push notifications are not configured on this server.")
}

/// `GET /api/push/key` (no authentication).
pub async fn key(env: &Env) -> Result<Response, ApiError> {
    let (_, public) = config::vapid_keys(env).ok_or_else(not_configured)?;
    let body = serde_json::json!({ "public_key": URL_SAFE_NO_PAD.encode(public) });
    http::json(200, &body).ctx("a response")
}

/// `POST /api/me/push-subscriptions` and `DELETE .../{id}`.
pub async fn subscriptions(
    mut req: Request,
    env: &Env,
    method: Method,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    match (method, id) {
        (Method::Post, None) => {
            let caller = authenticate(&req, env).await?;
            config::vapid_keys(env).ok_or_else(not_configured)?;
            let bytes = http::read_json_body(&mut req, BODY_MAX_BYTES).await?;
            let body: SubscriptionBody = parse_json(&bytes)?;
            let allowed = allowed_origins(config::var(env, "PUSH_ORIGINS").as_deref());
            let (endpoint, p256dh, auth) = body.validate(&allowed)?;
            let call = AccountCall::AddPush {
                sid: caller.sid,
                endpoint,
                p256dh,
                auth,
            };
            let added: serde_json::Value = internal::account(env, &caller.username, &call).await?;
            http::json(201, &added).ctx("a response")
        }
        (Method::Delete, Some(id)) => {
            let caller = authenticate(&req, env).await?;
            let call = AccountCall::RemovePush { id: id.to_string() };
            internal::account::<()>(env, &caller.username, &call).await?;
            http::no_content().ctx("a response")
        }
        _ => Err(not_found()),
    }
}

/// Sends each recipient's payload to each of their subscriptions.
pub async fn send_pushes(env: &Env, pushes: Vec<(String, PushPayload)>) {
    let Some((d, public)) = config::vapid_keys(env) else {
        return;
    };
    let subject = config::vapid_subject(env);
    let key = P256Key {
        d: &d,
        public: &public,
    };
    let key = &key;
    let subject = subject.as_str();
    let sends = pushes
        .iter()
        .map(|(user, payload)| async move {
            let targets: Vec<Subscription> =
                match internal::account(env, user, &AccountCall::PushTargets).await {
                    Ok(t) => t,
                    Err(e) => {
                        worker::console_error!("push to {user}: {}", e.message);
                        return;
                    }
                };
            for sub in targets {
                if let Err(e) = send_one(env, user, &sub, payload, key, subject).await {
                    worker::console_error!("push to {user}: {}", e.message);
                }
            }
        })
        .collect();
    join_all(sends).await;
}

async fn send_one(
    env: &Env,
    user: &str,
    sub: &Subscription,
    payload: &PushPayload,
    key: &P256Key<'_>,
    subject: &str,
) -> Result<(), ApiError> {
    let (p256dh, auth) = sub.keys().ctx("a stored subscription's keys")?;
    let audience = sub.audience().ctx("a stored subscription's endpoint")?;
    let plaintext = serde_json::to_vec(payload).ctx("a push payload")?;
    let body = push_webcrypto::encrypt(&plaintext, &p256dh, &auth, None)
        .await
        .ctx("encrypting a push")?;
    let input = vapid_signing_input(&audience, crypto::now_ms() / 1000, subject);
    let signature = push_webcrypto::es256_sign(key, input.as_bytes())
        .await
        .ctx("signing a VAPID token")?;
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).ctx("push headers");
    set(
        "Authorization",
        &vapid_authorization(&input, &signature, key.public),
    )?;
    set("Content-Encoding", "aes128gcm")?;
    set("Content-Type", "application/octet-stream")?;
    set("TTL", &PUSH_TTL_S.to_string())?;
    set("Urgency", if payload.mention { "high" } else { "normal" })?;
    let request = internal::new_request_bytes(
        "a push request",
        &sub.endpoint,
        Method::Post,
        &headers,
        &body,
    )?;
    let resp = match timeout_signal(PUSH_TIMEOUT_MS) {
        Some(signal) => Fetch::Request(request).send_with_signal(&signal).await,
        None => Fetch::Request(request).send().await,
    }
    .ctx("sending a push")?;
    match resp.status_code() {
        200..=299 => Ok(()),
        404 | 410 => {
            // The browser unsubscribed: forget it.
            let call = AccountCall::RemovePush { id: sub.id.clone() };
            internal::account::<()>(env, user, &call).await
        }
        status => Err(http::internal(
            "a push service's answer",
            format!("status {status}"),
        )),
    }
}

/// `AbortSignal.timeout(ms)` of the runtime.
fn timeout_signal(ms: u32) -> Option<AbortSignal> {
    use worker::js_sys::{Function, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let class = Reflect::get(&worker::js_sys::global(), &"AbortSignal".into()).ok()?;
    let timeout: Function = Reflect::get(&class, &"timeout".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let signal = timeout.call1(&class, &JsValue::from(ms)).ok()?;
    Some(AbortSignal::from(
        signal.unchecked_into::<worker::web_sys::AbortSignal>(),
    ))
}
