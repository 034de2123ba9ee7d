//! The /api/ routes of contract sections 2 and 3: register, login, logout,
//! the caller's profile and avatar, and other users' profiles and avatars.
//! Bodies are parsed and validated here with the core's rules; the account
//! object decides everything that needs the stored account.

use super::account_object::SessionGrant;
use super::router::not_found;
use super::{auth, avatars, http, internal, profiles};
use crate::core::account::{LoginRequest, RegisterRequest};
use crate::core::avatar::check_upload;
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::profile::{AvatarRef, Profile};
use crate::core::validate::{self, AVATAR_MAX_BYTES, BODY_MAX_BYTES};
use worker::{Env, Method, Request, Response};

type Answer = Result<Response, ApiError>;

/// Handles `/api/auth/*`, `/api/me*` and `/api/users/*`.
pub async fn route(req: Request, env: &Env, method: Method, segs: &[&str]) -> Answer {
    match (method, segs) {
        (Method::Post, ["auth", "register"]) => register(req, env).await,
        (Method::Post, ["auth", "login"]) => login(req, env).await,
        (Method::Post, ["auth", "logout"]) => logout(req, env).await,
        (Method::Get, ["me"]) => me(req, env).await,
        (Method::Patch, ["me"]) => patch_me(req, env).await,
        (Method::Put, ["me", "avatar"]) => put_avatar(req, env).await,
        (Method::Delete, ["me", "avatar"]) => delete_avatar(req, env).await,
        (Method::Get, ["users", name]) => user(req, env, name).await,
        (Method::Get | Method::Head, ["users", name, "avatar"]) => avatar(req, env, name).await,
        _ => Err(not_found()),
    }
}

async fn register(mut req: Request, env: &Env) -> Answer {
    auth::secret(env)?;
    auth::check_sign_in_site(&req, env)?;
    let body: RegisterRequest = parse_json(&http::read_json_body(&mut req, BODY_MAX_BYTES).await?)?;
    let account = body.validate()?;
    let call = serde_json::json!({
        "username": account.username,
        "password": body.password,
        "display_name": account.display_name,
    });
    let stub = internal::stub(env, "ACCOUNTS", &account.username)?;
    let grant: SessionGrant = internal::call(&stub, Method::Post, "/register", Some(&call)).await?;
    granted(&req, 201, &grant)
}

async fn login(mut req: Request, env: &Env) -> Answer {
    auth::secret(env)?;
    auth::check_sign_in_site(&req, env)?;
    let body: LoginRequest = parse_json(&http::read_json_body(&mut req, BODY_MAX_BYTES).await?)?;
    let username = body.account_name()?;
    let call = serde_json::json!({"username": username, "password": body.password});
    let stub = internal::stub(env, "ACCOUNTS", &username)?;
    let grant: SessionGrant = internal::call(&stub, Method::Post, "/login", Some(&call)).await?;
    granted(&req, 200, &grant)
}

/// The register/login answer with the session cookie.
fn granted(req: &Request, status: u16, grant: &SessionGrant) -> Answer {
    let value = serde_json::to_value(grant).map_err(|e| http::internal("grant", e))?;
    let mut resp = http::json(status, &value).map_err(|e| http::internal("grant", e))?;
    let max_age = (grant.expires_at / 1000).saturating_sub(super::crypto::now_ms() / 1000);
    let cookie = auth::session_cookie(&grant.token, max_age, http::is_https(req));
    resp.headers_mut()
        .set("Set-Cookie", &cookie)
        .map_err(|e| http::internal("cookie", e))?;
    Ok(resp)
}

async fn logout(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let stub = internal::stub(env, "ACCOUNTS", &caller.username)?;
    let call = serde_json::json!({"sid": caller.sid});
    let resp = internal::send(
        &stub,
        internal::request(Method::Post, "/logout", Some(&call))?,
    )
    .await?;
    if resp.status_code() >= 400 {
        return Err(http::internal("logout", resp.status_code()));
    }
    let mut resp = http::no_content().map_err(|e| http::internal("logout", e))?;
    resp.headers_mut()
        .set("Set-Cookie", &auth::clear_cookie(http::is_https(&req)))
        .map_err(|e| http::internal("cookie", e))?;
    Ok(resp)
}

async fn account_call<B: serde::Serialize>(
    env: &Env,
    username: &str,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Answer {
    let stub = internal::stub(env, "ACCOUNTS", username)?;
    let profile: Profile = internal::call(&stub, method, path, body).await?;
    profile_response(&profile)
}

fn profile_response(profile: &Profile) -> Answer {
    let value = serde_json::to_value(profile).map_err(|e| http::internal("profile", e))?;
    http::json(200, &value).map_err(|e| http::internal("profile", e))
}

async fn me(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    account_call::<()>(env, &caller.username, Method::Get, "/profile", None).await
}

async fn patch_me(mut req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let bytes = http::read_json_body(&mut req, BODY_MAX_BYTES).await?;
    // The account object parses it as a ProfilePatch and validates every field
    // before changing anything; its refusal comes back unchanged.
    let body: serde_json::Value = parse_json(&bytes)?;
    account_call(
        env,
        &caller.username,
        Method::Patch,
        "/profile",
        Some(&body),
    )
    .await
}

async fn put_avatar(mut req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = http::read_body(&mut req, AVATAR_MAX_BYTES).await?;
    let kind = check_upload(content_type.as_deref(), &bytes)?;
    let avatar = AvatarRef::for_upload(kind, &bytes);
    avatars::store(env, &avatar, bytes).await?;
    account_call(env, &caller.username, Method::Put, "/avatar", Some(&avatar)).await
}

async fn delete_avatar(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    account_call::<()>(env, &caller.username, Method::Delete, "/avatar", None).await
}

async fn user(req: Request, env: &Env, name: &str) -> Answer {
    auth::authenticate(&req, env).await?;
    let username = validate::username(name).map_err(|_| no_such_user())?;
    let record = profiles::lookup(env, &username)
        .await?
        .ok_or_else(no_such_user)?;
    profile_response(&record.to_profile())
}

/// Public: avatars load in `<img>` without credentials.
async fn avatar(req: Request, env: &Env, name: &str) -> Answer {
    let username = validate::username(name).map_err(|_| no_such_user())?;
    let record = profiles::lookup(env, &username)
        .await?
        .ok_or_else(no_such_user)?;
    avatars::serve(env, &req, &record).await
}

fn no_such_user() -> ApiError {
    ApiError::not_found("There is no such user.")
}
