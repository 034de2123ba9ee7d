//! The /api/ routes of contract sections 2 and 3: register, login, logout,
//! the caller's profile and avatar, and other users' profiles and avatars.
//! Bodies are parsed and validated here with the core's rules; the account
//! object decides everything that needs the stored account.

use super::http::Ctx;
use super::router::not_found;
use super::{auth, avatars, http, internal, profiles, routes_dms, routes_push};
use crate::core::account::{LoginRequest, RegisterRequest};
use crate::core::avatar::check_upload;
use crate::core::error::ApiError;
use crate::core::json::parse_json;
use crate::core::profile::{AvatarRef, Profile, ProfilePatch};
use crate::core::validate::{self, AVATAR_MAX_BYTES, BODY_MAX_BYTES};
use crate::core::wire::{AccountCall, SessionGrant};
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
        (method, ["me", "blocks"]) => routes_dms::blocks(req, env, method, None).await,
        (method, ["me", "push-subscriptions"]) => {
            routes_push::subscriptions(req, env, method, None).await
        }
        (method, ["me", "push-subscriptions", id]) => {
            routes_push::subscriptions(req, env, method, Some(id)).await
        }
        (method, ["me", "blocks", user]) => routes_dms::blocks(req, env, method, Some(user)).await,
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
    let call = AccountCall::Register {
        username: account.username.clone(),
        password: body.password,
        display_name: account.display_name,
    };
    let grant: SessionGrant = internal::account(env, &account.username, &call).await?;
    granted(&req, 201, &grant)
}

async fn login(mut req: Request, env: &Env) -> Answer {
    auth::secret(env)?;
    auth::check_sign_in_site(&req, env)?;
    let body: LoginRequest = parse_json(&http::read_json_body(&mut req, BODY_MAX_BYTES).await?)?;
    let username = body.account_name()?;
    let call = AccountCall::Login {
        username: username.clone(),
        password: body.password,
    };
    let grant: SessionGrant = internal::account(env, &username, &call).await?;
    granted(&req, 200, &grant)
}

/// The register/login answer with the session cookie.
fn granted(req: &Request, status: u16, grant: &SessionGrant) -> Answer {
    let mut resp = http::json(status, grant).ctx("grant")?;
    let max_age = (grant.expires_at / 1000).saturating_sub(super::crypto::now_ms() / 1000);
    let cookie = auth::session_cookie(&grant.token, max_age, http::is_https(req));
    resp.headers_mut()
        .set("Set-Cookie", &cookie)
        .ctx("cookie")?;
    Ok(resp)
}

async fn logout(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let call = AccountCall::Logout {
        sid: caller.sid.clone(),
    };
    internal::account::<()>(env, &caller.username, &call).await?;
    let mut resp = http::no_content().ctx("logout")?;
    resp.headers_mut()
        .set("Set-Cookie", &auth::clear_cookie(http::is_https(&req)))
        .ctx("cookie")?;
    Ok(resp)
}

/// An account call that answers the caller's profile.
async fn account_call(env: &Env, username: &str, call: AccountCall) -> Answer {
    let profile: Profile = internal::account(env, username, &call).await?;
    profile_response(&profile)
}

fn profile_response(profile: &Profile) -> Answer {
    http::json(200, profile).ctx("profile")
}

async fn me(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    account_call(env, &caller.username, AccountCall::Profile).await
}

async fn patch_me(mut req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let bytes = http::read_json_body(&mut req, BODY_MAX_BYTES).await?;
    // Parsed here (unknown fields and nulls refused); the account object
    // validates every field before changing anything.
    let patch: ProfilePatch = parse_json(&bytes)?;
    account_call(env, &caller.username, AccountCall::EditProfile { patch }).await
}

async fn put_avatar(mut req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = http::read_body(&mut req, AVATAR_MAX_BYTES).await?;
    let kind = check_upload(content_type.as_deref(), &bytes)?;
    let avatar = AvatarRef::for_upload(kind, &bytes);
    avatars::store(env, &avatar, bytes).await?;
    account_call(env, &caller.username, AccountCall::SetAvatar { avatar }).await
}

async fn delete_avatar(req: Request, env: &Env) -> Answer {
    let caller = auth::authenticate(&req, env).await?;
    account_call(env, &caller.username, AccountCall::ClearAvatar).await
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
