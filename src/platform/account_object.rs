//! The account Durable Object (placeholder until the accounts work lands).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct AccountObject {
    _state: State,
    _env: Env,
}

impl DurableObject for AccountObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            _state: state,
            _env: env,
        }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::error("not implemented", 501)
    }
}
