//! Who is calling: the session token from `Authorization: Bearer` or the
//! `chat_session` cookie, checked for signature and claims (core) and for a
//! live session (the account object, so logout takes effect everywhere at once),
//! plus the Origin rule for cookie-authenticated changes and upgrades.

use super::{config, crypto, http, internal};
use crate::core::auth::{verify_token, Claims};
use crate::core::error::{ApiError, ErrorCode};
use crate::core::http_rules::{origin_allowed, sign_in_allowed};
use crate::core::wire::AccountCall;
use worker::{Env, Method, Request};

pub const COOKIE_NAME: &str = "chat_session";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: String,
    pub sid: String,
    /// Token expiry, seconds since the epoch (sockets close with 1008 after it).
    pub exp: u64,
}

/// The signing secret, or a refusal: authenticated routes are never served
/// without a proper secret (the reason is logged, not sent).
pub fn secret(env: &Env) -> Result<Vec<u8>, ApiError> {
    config::jwt_secret(env).map_err(|reason| {
        worker::console_error!("{reason}");
        ApiError::new(
            ErrorCode::Unavailable,
            "The server is not configured to accept sign-ins yet.",
        )
    })
}

/// Authenticates `req`: a valid token for a live session, and for a cookie,
/// an allowed Origin on anything that changes state or opens a socket.
pub async fn authenticate(req: &Request, env: &Env) -> Result<Caller, ApiError> {
    let secret = secret(env)?;
    let (token, via_cookie) = token_of(req).ok_or_else(ApiError::unauthorized)?;
    let claims = verify_token(&secret, &token, crypto::now_ms() / 1000)?;
    if via_cookie && needs_origin_check(req) {
        check_origin(req, env)?;
    }
    ensure_session_alive(env, &claims).await?;
    Ok(Caller {
        username: claims.sub,
        sid: claims.sid,
        exp: claims.exp,
    })
}

/// The token and whether it came from the cookie. Bearer wins when both are present.
pub fn token_of(req: &Request) -> Option<(String, bool)> {
    let headers = req.headers();
    if let Some(auth) = headers.get("Authorization").ok().flatten() {
        let auth = auth.trim();
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))?;
        return Some((token.trim().to_string(), false));
    }
    let cookies = headers.get("Cookie").ok().flatten()?;
    cookies.split(';').find_map(|part| {
        let (name, value) = part.trim().split_once('=')?;
        (name == COOKIE_NAME && !value.is_empty()).then(|| (value.to_string(), true))
    })
}

fn needs_origin_check(req: &Request) -> bool {
    let is_upgrade = req
        .headers()
        .get("Upgrade")
        .ok()
        .flatten()
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    is_upgrade || !matches!(req.method(), Method::Get | Method::Head)
}

/// The Origin must be the app's own (the request URL's origin) or listed in ALLOWED_ORIGINS.
pub fn check_origin(req: &Request, env: &Env) -> Result<(), ApiError> {
    let origin = req.headers().get("Origin").ok().flatten();
    let own = http::origin(req);
    let allowed = config::var(env, "ALLOWED_ORIGINS").unwrap_or_default();
    if origin
        .as_deref()
        .is_some_and(|o| origin_allowed(o, own.as_deref(), &allowed))
    {
        Ok(())
    } else {
        Err(bad_origin())
    }
}

/// Register and login: a browser request from another site is refused, so a
/// cross-site page cannot sign its visitor into the attacker's account (login
/// CSRF). Clients that send neither `Origin` nor `Sec-Fetch-Site` are not
/// browsers and pass (the rule is [`sign_in_allowed`]).
pub fn check_sign_in_site(req: &Request, env: &Env) -> Result<(), ApiError> {
    let headers = req.headers();
    let origin = headers.get("Origin").ok().flatten();
    let site = headers.get("Sec-Fetch-Site").ok().flatten();
    let own = http::origin(req);
    let allowed = config::var(env, "ALLOWED_ORIGINS").unwrap_or_default();
    if sign_in_allowed(origin.as_deref(), site.as_deref(), own.as_deref(), &allowed) {
        Ok(())
    } else {
        Err(bad_origin())
    }
}

fn bad_origin() -> ApiError {
    ApiError::new(
        ErrorCode::BadOrigin,
        "This request came from another site and was refused.",
    )
}

async fn ensure_session_alive(env: &Env, claims: &Claims) -> Result<(), ApiError> {
    let call = AccountCall::SessionAlive {
        sid: claims.sid.clone(),
    };
    if internal::account::<bool>(env, &claims.sub, &call).await? {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

/// The `Set-Cookie` value for a new session (Secure on https).
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    format!(
        "{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
