//! Settings read from the Worker's environment (vars and secrets).

use worker::Env;

/// The JWT signing secret, or why it cannot be used. Authenticated routes are
/// refused while this is an error: there is never a default secret.
pub fn jwt_secret(env: &Env) -> Result<Vec<u8>, &'static str> {
    let secret = env.secret("JWT_SECRET").ok().map(|s| s.to_string());
    match secret {
        None => Err("JWT_SECRET is not set; refusing to serve authenticated routes"),
        Some(s) if s.len() < 32 => {
            Err("JWT_SECRET is shorter than 32 bytes; refusing to serve authenticated routes")
        }
        Some(s) => Ok(s.into_bytes()),
    }
}

/// A plain string var, if set and not empty.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty())
}

/// The VAPID key pair (`VAPID_PRIVATE_KEY`: the P-256 scalar, and
/// `VAPID_PUBLIC_KEY`: the uncompressed point, both unpadded base64url), or
/// `None` when push is not configured (or the values are not such keys).
pub fn vapid_keys(env: &Env) -> Option<(Vec<u8>, Vec<u8>)> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let read = |name: &str| {
        let value = env
            .secret(name)
            .ok()
            .map(|s| s.to_string())
            .or_else(|| var(env, name))?;
        URL_SAFE_NO_PAD
            .decode(value.trim().trim_end_matches('='))
            .ok()
    };
    let (d, public) = (read("VAPID_PRIVATE_KEY")?, read("VAPID_PUBLIC_KEY")?);
    (d.len() == 32 && crate::core::push_crypto::is_p256_point(&public)).then_some((d, public))
}

/// The contact push services see in VAPID tokens (`VAPID_SUBJECT`).
pub fn vapid_subject(env: &Env) -> String {
    var(env, "VAPID_SUBJECT").unwrap_or_else(|| "mailto:push@edge-chat.invalid".to_string())
}
