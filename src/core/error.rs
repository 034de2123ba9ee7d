//! The one error type every layer returns.
//!
//! Each [`ErrorCode`] fixes its HTTP status and its wire code in one place
//! (contract section 1), so the router, the room socket and the tests can never
//! disagree about them. The human `message` is safe to show; anything internal
//! (storage failures, parse details of our own state) goes to the log through
//! [`ApiError::internal`] and the client sees only a generic sentence.

use std::fmt;

/// Every error code a client can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    BadOrigin,
    Banned,
    Blocked,
    NotFound,
    Conflict,
    UsernameTaken,
    RoomExists,
    OwnerCannotLeave,
    TooLarge,
    TooLong,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    Unavailable,
}

impl ErrorCode {
    /// The snake_case code sent in `{"error": {"code": ...}}` and socket `error` frames.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::BadOrigin => "bad_origin",
            ErrorCode::Banned => "banned",
            ErrorCode::Blocked => "blocked",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::RoomExists => "room_exists",
            ErrorCode::OwnerCannotLeave => "owner_cannot_leave",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::TooLong => "too_long",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::TooLong => 400,
            ErrorCode::Unauthorized | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden
            | ErrorCode::BadOrigin
            | ErrorCode::Banned
            | ErrorCode::Blocked => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict
            | ErrorCode::UsernameTaken
            | ErrorCode::RoomExists
            | ErrorCode::OwnerCannotLeave => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// Parses a wire code back (used when one Durable Object relays another's error).
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ALL_CODES.iter().copied().find(|c| c.as_str() == code)
    }
}

const ALL_CODES: [ErrorCode; 18] = [
    ErrorCode::BadRequest,
    ErrorCode::Unauthorized,
    ErrorCode::InvalidCredentials,
    ErrorCode::Forbidden,
    ErrorCode::BadOrigin,
    ErrorCode::Banned,
    ErrorCode::Blocked,
    ErrorCode::NotFound,
    ErrorCode::Conflict,
    ErrorCode::UsernameTaken,
    ErrorCode::RoomExists,
    ErrorCode::OwnerCannotLeave,
    ErrorCode::TooLarge,
    ErrorCode::TooLong,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::RateLimited,
    ErrorCode::Internal,
    ErrorCode::Unavailable,
];

/// An error on its way to a client: a code, a public sentence, and for
/// `rate_limited` how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "You need to sign in again: your session is missing, invalid or expired.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn rate_limited(retry_after_ms: u64, message: impl Into<String>) -> Self {
        ApiError {
            code: ErrorCode::RateLimited,
            message: message.into(),
            retry_after_ms: Some(retry_after_ms),
        }
    }

    /// An internal failure. The detail is for the log only; callers log it with
    /// [`ApiError::internal_detail`] semantics and the client gets a generic sentence.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on our side. Please try again.",
        )
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// `Retry-After` in whole seconds, rounded up (HTTP wants seconds).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_ms.map(|ms| ms.div_ceil(1000).max(1))
    }

    /// The JSON body `{"error": {"code", "message"}}` of contract section 1.
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::json!({
            "error": { "code": self.code.as_str(), "message": self.message }
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_code_round_trips_and_has_a_client_error_or_server_status() {
        for code in ALL_CODES {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!((400..=503).contains(&code.status()));
        }
    }

    #[test]
    fn contract_statuses() {
        assert_eq!(ErrorCode::UsernameTaken.status(), 409);
        assert_eq!(ErrorCode::InvalidCredentials.status(), 401);
        assert_eq!(ErrorCode::Banned.status(), 403);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
    }

    #[test]
    fn body_has_the_contract_shape() {
        let body = ApiError::not_found("No such room.").to_body();
        assert_eq!(body["error"]["code"], "not_found");
        assert_eq!(body["error"]["message"], "No such room.");
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(ApiError::rate_limited(1, "x").retry_after_secs(), Some(1));
        assert_eq!(
            ApiError::rate_limited(1500, "x").retry_after_secs(),
            Some(2)
        );
        assert_eq!(
            ApiError::rate_limited(60_000, "x").retry_after_secs(),
            Some(60)
        );
    }
}
