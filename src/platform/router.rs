//! Routes each request to its handler and turns every outcome into a response
//! with the security headers. API errors become the contract's JSON error body;
//! anything that is not `/api/` is a static asset (with the single-page-app
//! fallback configured in wrangler.toml).

use super::http::{self, Ctx};
use super::{routes_accounts, routes_dms, routes_push, routes_rooms, routes_search};
use crate::core::error::ApiError;
use crate::core::http_rules::{api_segments, strict_transport_security};
use worker::{Env, Method, Request, Response};

/// Handles one request. Never fails: a broken runtime still yields a plain 500.
pub async fn handle(req: Request, env: Env) -> Response {
    let hsts = strict_transport_security(&req.inner().url());
    let resp = match dispatch(req, env).await {
        Ok(resp) => http::secure(resp, hsts),
        Err(err) => http::error(&err).and_then(|r| http::secure(r, hsts)),
    };
    resp.unwrap_or_else(|e| {
        worker::console_error!("could not build a response: {e}");
        Response::error("internal error", 500).unwrap_or_else(|_| empty())
    })
}

fn empty() -> Response {
    Response::builder().with_status(500).empty()
}

async fn dispatch(req: Request, env: Env) -> Result<Response, ApiError> {
    let path = req.path();
    if !path.starts_with("/api/") && path != "/api" {
        return assets(req, &env).await;
    }
    let method = req.method();
    // `/api/` comes off exactly once: `/api/api/me` and `/api/apime` are not `/api/me`.
    let segments: Vec<String> = api_segments(&path)
        .ok_or_else(not_found)?
        .into_iter()
        .map(str::to_string)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.first().copied() {
        Some("health") if segs.len() == 1 && matches!(method, Method::Get | Method::Head) => {
            http::json(200, &serde_json::json!({"status": "ok"})).ctx("building a response")
        }
        Some("auth" | "me" | "users") => routes_accounts::route(req, &env, method, &segs).await,
        Some("rooms") => routes_rooms::route(req, &env, method, &segs).await,
        Some("dms") if segs.len() == 1 => routes_dms::open(req, &env, method).await,
        Some("search") if segs.len() == 1 && method == Method::Get => {
            routes_search::global(req, &env).await
        }
        Some("push") if segs == ["push", "key"] && method == Method::Get => {
            routes_push::key(&env).await
        }
        _ => Err(not_found()),
    }
}

/// The answer for any path or method the API does not have.
pub fn not_found() -> ApiError {
    ApiError::not_found("There is no such API endpoint.")
}

async fn assets(req: Request, env: &Env) -> Result<Response, ApiError> {
    let fetcher = env.assets("ASSETS").ctx("the ASSETS binding")?;
    fetcher
        .fetch_request(req)
        .await
        .ctx("serving a static asset")
}
