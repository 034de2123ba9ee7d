//! The /api/ routes for rooms (filled in by the rooms work).

use super::router::not_found;
use crate::core::error::ApiError;
use worker::{Env, Method, Request, Response};

/// Handles `/api/<segments>` for rooms.
pub async fn route(
    _req: Request,
    _env: &Env,
    _method: Method,
    _segs: &[&str],
) -> Result<Response, ApiError> {
    Err(not_found())
}
