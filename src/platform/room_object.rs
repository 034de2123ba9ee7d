//! The room Durable Object (placeholder until the messaging work lands).

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object]
pub struct RoomObject {
    _state: State,
    _env: Env,
}

impl DurableObject for RoomObject {
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
