//! Calls from the Worker to its Durable Objects (and between objects).
//!
//! Internal requests are plain HTTP to the stub with a JSON body. A refusal comes
//! back in the contract's error shape and is turned back into the same
//! [`ApiError`], so an object's decision reaches the client unchanged.

use super::http::{self, Ctx};
use crate::core::error::{ApiError, ErrorCode};
use crate::core::wire::{AccountCall, DirectoryCall, RoomCall};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::wasm_bindgen::JsValue;
use worker::{web_sys, Env, Headers, Method, Request, Response, Stub};

/// The stub of the object named `name` in the namespace bound as `binding`.
pub fn stub(env: &Env, binding: &str, name: &str) -> Result<Stub, ApiError> {
    env.durable_object(binding)
        .and_then(|ns| ns.id_from_name(name).and_then(|id| id.get_stub()))
        .ctx("resolving a Durable Object stub")
}

/// Builds an internal request (`https://internal<path>`) with an optional JSON body.
pub fn request<B: Serialize>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<Request, ApiError> {
    let url = format!("https://internal{path}");
    let Some(body) = body else {
        return new_request("building a call", &url, method, None, None);
    };
    let text = serde_json::to_string(body).ctx("encoding a call")?;
    let headers = Headers::new();
    headers
        .set("Content-Type", "application/json")
        .ctx("building a call")?;
    new_request("building a call", &url, method, Some(&headers), Some(&text))
}

/// [`new_request`] with a binary body (a push's encrypted record).
pub fn new_request_bytes(
    context: &str,
    url: &str,
    method: Method,
    headers: &Headers,
    body: &[u8],
) -> Result<Request, ApiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(headers.as_ref());
    init.set_body(&worker::js_sys::Uint8Array::from(body).into());
    web_sys::Request::new_with_str_and_init(url, &init)
        .map(Request::from)
        .map_err(|e| {
            http::internal(
                context,
                e.as_string().as_deref().unwrap_or("invalid request"),
            )
        })
}

/// `new Request(url, {method, headers, body})`; a failure is logged under
/// `context`. Built with web_sys, not `Request::new_with_init`: converting a
/// `worker::RequestInit` links the serializer of every `cf` option (~11 KB),
/// which internal calls never set.
pub fn new_request(
    context: &str,
    url: &str,
    method: Method,
    headers: Option<&Headers>,
    body: Option<&str>,
) -> Result<Request, ApiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    if let Some(headers) = headers {
        init.set_headers(headers.as_ref());
    }
    init.set_redirect(web_sys::RequestRedirect::Follow);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    web_sys::Request::new_with_str_and_init(url, &init)
        .map(Request::from)
        .map_err(|e| {
            let detail = e.as_string();
            http::internal(
                context,
                detail
                    .as_deref()
                    .unwrap_or("invalid URL or options for Request"),
            )
        })
}

/// Sends `req` to `stub` and returns its raw response.
pub async fn send(stub: &Stub, req: Request) -> Result<Response, ApiError> {
    stub.fetch_with_request(req)
        .await
        .ctx("calling a Durable Object")
}

/// Sends one wire call (`POST /`, see `core::wire`) and returns the raw
/// response, for an answer passed on as it is (a room command's).
pub async fn send_call<C: Serialize>(stub: &Stub, call: &C) -> Result<Response, ApiError> {
    send(stub, request(Method::Post, "/", Some(call))?).await
}

/// Sends one wire call and decodes the answer (`()` for 204); an error
/// answer becomes the same `ApiError`.
pub async fn call<C: Serialize, T: DeserializeOwned>(stub: &Stub, call: &C) -> Result<T, ApiError> {
    let mut resp = send_call(stub, call).await?;
    let status = resp.status_code();
    let text = resp.text().await.ctx("reading an object's answer")?;
    if status >= 400 {
        return Err(decode_error(status, &text));
    }
    let text = if text.is_empty() { "null" } else { &text };
    serde_json::from_str(text).ctx("decoding an object's answer")
}

/// [`call`] to the account object of `username`.
pub async fn account<T: DeserializeOwned>(
    env: &Env,
    username: &str,
    c: &AccountCall,
) -> Result<T, ApiError> {
    call(&stub(env, "ACCOUNTS", username)?, c).await
}

/// [`call`] to the room object `name`.
pub async fn room<T: DeserializeOwned>(env: &Env, name: &str, c: &RoomCall) -> Result<T, ApiError> {
    call(&stub(env, "ROOMS", name)?, c).await
}

/// [`call`] to the directory object.
pub async fn directory<T: DeserializeOwned>(env: &Env, c: &DirectoryCall) -> Result<T, ApiError> {
    call(&stub(env, "DIRECTORY", DIRECTORY_OBJECT)?, c).await
}

/// The one directory object's name.
pub const DIRECTORY_OBJECT: &str = "directory";

/// Reads the wire call an object was sent. It comes from our own code, so
/// one that does not decode is our bug: logged, and `internal` to the caller.
pub async fn read_call<C: DeserializeOwned>(req: &mut Request) -> Result<C, ApiError> {
    let text = req.text().await.ctx("reading an internal request")?;
    serde_json::from_str(&text).ctx("decoding an internal request")
}

/// Turns an error response body back into the `ApiError` it was made from.
pub fn decode_error(status: u16, body: &str) -> ApiError {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let err = parsed.as_ref().and_then(|v| v.get("error"));
    let code = err
        .and_then(|e| e.get("code"))
        .and_then(|c| c.as_str())
        .and_then(ErrorCode::parse);
    let message = err
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_string);
    match (code, message) {
        (Some(code), Some(message)) => {
            let mut e = ApiError::new(code, message);
            e.retry_after_ms = err
                .and_then(|e| e.get("retry_after_ms"))
                .and_then(|v| v.as_u64());
            e
        }
        _ => http::internal("an object's error answer", format!("{status}: {body}")),
    }
}

/// An object's error answer: the contract body plus `retry_after_ms` so that
/// [`decode_error`] can rebuild `Retry-After` on the way out.
pub fn error_response(err: &ApiError) -> worker::Result<Response> {
    let mut body = err.to_body();
    if let (Some(ms), Some(obj)) = (err.retry_after_ms, body.get_mut("error")) {
        obj["retry_after_ms"] = serde_json::json!(ms);
    }
    http::json(err.status(), &body)
}
