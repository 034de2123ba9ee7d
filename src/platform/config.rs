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
