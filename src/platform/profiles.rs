//! The KV adapter for public profiles. The account object is the source of
//! truth and writes each change through here; profile reads at the edge come
//! from KV and fall back to the account object when KV has not caught up yet
//! (KV is eventually consistent, so a brand-new account may be missing briefly).

use super::internal;
use crate::core::error::ApiError;
use crate::core::profile::ProfileRecord;
use crate::core::wire::AccountCall;
use worker::Env;

const BINDING: &str = "PROFILES";

fn key(username: &str) -> String {
    format!("profile:{username}")
}

/// Writes a profile through to KV. A failure is logged, not fatal: the account
/// object still answers reads that KV cannot.
pub async fn publish(env: &Env, profile: &ProfileRecord) {
    let result = async {
        let json = serde_json::to_string(profile).map_err(|e| e.to_string())?;
        env.kv(BINDING)
            .map_err(|e| e.to_string())?
            .put(&key(&profile.username), json)
            .map_err(|e| e.to_string())?
            .execute()
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    if let Err(e) = result {
        worker::console_error!("publishing the profile of {}: {e}", profile.username);
    }
}

/// The stored profile of `username` (already validated), or `None` for no such user.
pub async fn lookup(env: &Env, username: &str) -> Result<Option<ProfileRecord>, ApiError> {
    let from_kv = match env.kv(BINDING) {
        Ok(kv) => kv
            .get(&key(username))
            .json::<ProfileRecord>()
            .await
            .ok()
            .flatten(),
        Err(e) => {
            worker::console_error!("PROFILES binding: {e}");
            None
        }
    };
    if from_kv.is_some() {
        return Ok(from_kv);
    }
    match internal::account::<ProfileRecord>(env, username, &AccountCall::ProfileRecord).await {
        Ok(record) => Ok(Some(record)),
        Err(e) if e.code == crate::core::error::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
