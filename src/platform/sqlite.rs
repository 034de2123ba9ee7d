//! A small, failure-safe door to a Durable Object's SQLite storage, shared by
//! the room and the directory objects.
//!
//! Why not `worker::SqlStorage` directly: its cursor methods (`toArray`, `one`,
//! `next`) are bound without `catch`, so a JavaScript exception thrown by the
//! runtime would unwind straight through our wasm frames, skip every Rust
//! destructor and leave a `RefCell` borrowed for ever (the next event would then
//! panic and drop every socket of the room). Here every call into the runtime is
//! bound with `catch` and comes back as an [`ApiError`] (logged, `internal`).
//!
//! Platform surprises worth knowing:
//! - `BEGIN`/`COMMIT`/`SAVEPOINT` are refused by `sql.exec` in a Durable Object;
//!   the only rollback-capable transaction is `storage.transactionSync(fn)`,
//!   which workers-rs 0.8.7 does not bind, so [`transaction`] binds it here. The
//!   callback runs synchronously; throwing from it rolls every write back.
//! - Bindings reach SQLite as JavaScript numbers (doubles) or strings: there is
//!   no 64-bit integer and no boolean binding. Every integer we store (seqs,
//!   milliseconds, counts) stays far below 2^53.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::js_sys::{self, Array, Reflect};
use worker::worker_sys::SqlStorage;

use super::http;
use crate::core::error::{ApiError, ApiResult};

// Local views of the runtime's objects, so that the methods we need can be
// bound with `catch` (a foreign type cannot get new methods).
#[wasm_bindgen]
extern "C" {
    /// `ctx.storage.sql`.
    type SqlApi;
    /// A cursor returned by `exec`.
    type CursorApi;
    /// `ctx.storage`.
    type StorageApi;

    /// `sql.exec(query, ...bindings)`.
    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec(this: &SqlApi, query: &str, bindings: Array) -> Result<CursorApi, JsValue>;

    /// `cursor.toArray()`.
    #[wasm_bindgen(method, catch, js_name = toArray)]
    fn to_array(this: &CursorApi) -> Result<Array, JsValue>;

    /// `storage.transactionSync(callback)`: commits when the callback returns,
    /// rolls back when it throws.
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(this: &StorageApi, callback: &js_sys::Function)
        -> Result<JsValue, JsValue>;
}

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub const MAX_SAFE_INT: u64 = 9_007_199_254_740_991;

/// One value bound to a `?` placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(u64),
    Text(String),
    /// A string already in JavaScript (an event frame that is also broadcast).
    Js(JsValue),
    Null,
}

impl From<u64> for Arg {
    fn from(v: u64) -> Arg {
        Arg::Int(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}

impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Arg {
        v.map_or(Arg::Null, Into::into)
    }
}

impl Arg {
    fn to_js(&self) -> JsValue {
        match self {
            // Clamped so that a huge client-supplied number compares as "very
            // large" instead of losing precision in the double.
            Arg::Int(n) => JsValue::from_f64((*n).min(MAX_SAFE_INT) as f64),
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Js(v) => v.clone(),
            Arg::Null => JsValue::NULL,
        }
    }
}

/// One result row (a JavaScript object keyed by column name).
pub struct Row(JsValue);

impl Row {
    fn get(&self, col: &str) -> ApiResult<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(col))
            .map_err(|e| http::internal("reading a SQL row", format!("{col}: {e:?}")))
    }

    /// A non-negative integer column.
    pub fn int(&self, col: &str) -> ApiResult<u64> {
        let v = self.get(col)?;
        match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(n as u64),
            _ => Err(http::internal(
                "reading a SQL row",
                format!("{col} is not an integer"),
            )),
        }
    }

    /// A non-negative integer column that may be NULL.
    pub fn opt_int(&self, col: &str) -> ApiResult<Option<u64>> {
        if self.get(col)?.is_null() {
            return Ok(None);
        }
        self.int(col).map(Some)
    }

    /// A text column.
    pub fn text(&self, col: &str) -> ApiResult<String> {
        self.get(col)?
            .as_string()
            .ok_or_else(|| http::internal("reading a SQL row", format!("{col} is not text")))
    }
}

/// The SQLite database of one Durable Object.
#[derive(Clone)]
pub struct Sql {
    inner: SqlStorage,
}

impl Sql {
    pub fn new(state: &worker::State) -> Sql {
        Sql {
            inner: state.storage().as_raw().sql(),
        }
    }

    /// Runs one statement (or several, without bindings) and returns every row.
    pub fn query(&self, query: &str, args: &[Arg]) -> ApiResult<Vec<Row>> {
        let bindings: Array = args.iter().map(Arg::to_js).collect();
        let api: &SqlApi = self.inner.unchecked_ref();
        let cursor = api
            .exec(query, bindings)
            .map_err(|e| sql_error(query, &e))?;
        let rows = cursor.to_array().map_err(|e| sql_error(query, &e))?;
        Ok(rows.iter().map(Row).collect())
    }

    /// Runs a statement that returns no rows (`INSERT`, `UPDATE`, `DELETE`,
    /// DDL), for its effect. `exec` steps a statement to its first row before
    /// it returns, so a statement without rows has completed (or thrown)
    /// here; reading the empty cursor would only cost another call.
    pub fn run(&self, query: &str, args: &[Arg]) -> ApiResult<()> {
        let bindings: Array = args.iter().map(Arg::to_js).collect();
        let api: &SqlApi = self.inner.unchecked_ref();
        api.exec(query, bindings)
            .map(|_| ())
            .map_err(|e| sql_error(query, &e))
    }

    /// The single row of a query that always yields one (`COUNT`, `MAX`, ...).
    pub fn one(&self, query: &str, args: &[Arg]) -> ApiResult<Row> {
        self.query(query, args)?
            .into_iter()
            .next()
            .ok_or_else(|| http::internal("a SQL query", format!("no row from {query}")))
    }
}

fn sql_error(query: &str, err: &JsValue) -> ApiError {
    let detail = err
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{err:?}"));
    let head: String = query.chars().take(80).collect();
    http::internal("SQLite", format!("{detail} (in: {head})"))
}

/// Why a [`transaction`] did not commit.
#[derive(Debug)]
pub enum TxError<E> {
    /// `f` returned `Err(e)`: every write it made was rolled back.
    RolledBack(E),
    /// The runtime refused to run or commit the transaction (logged). Any
    /// memory `f` changed is now ahead of storage and must be reloaded.
    Failed(ApiError),
}

thread_local! {
    /// The work the next `transactionSync` callback runs (set just before the call).
    static JOB: RefCell<Option<Box<dyn FnOnce() -> bool>>> = RefCell::new(None);
    /// One JavaScript callback for every transaction: a closure per call
    /// would cost a new JS function, a finalizer registration and a table
    /// slot on every message.
    static CALLBACK: Closure<dyn FnMut() -> Result<JsValue, JsValue>> = Closure::new(|| {
        let committed = JOB.with(|j| j.borrow_mut().take()).is_some_and(|job| job());
        if committed {
            Ok(JsValue::UNDEFINED)
        } else {
            // Throwing is how transactionSync learns to roll back.
            Err(JsValue::from_str("rolled back"))
        }
    });
}

/// Runs `f` inside one SQLite transaction: every write it makes is committed
/// together when it returns `Ok`, and rolled back when it returns `Err`.
///
/// `f` must be `'static` because it crosses into JavaScript as a callback; pass
/// it `Rc` clones of what it needs. Transactions do not nest.
pub fn transaction<T: 'static, E: 'static>(
    state: &worker::State,
    f: impl FnOnce() -> Result<T, E> + 'static,
) -> Result<T, TxError<E>> {
    let slot: Rc<RefCell<Option<Result<T, E>>>> = Rc::new(RefCell::new(None));
    let out = Rc::clone(&slot);
    let job: Box<dyn FnOnce() -> bool> = Box::new(move || {
        let result = f();
        let ok = result.is_ok();
        *out.borrow_mut() = Some(result);
        ok
    });
    if JOB.with(|j| j.borrow().is_some()) {
        return Err(TxError::Failed(http::internal(
            "a transaction",
            "started inside another one",
        )));
    }
    JOB.with(|j| *j.borrow_mut() = Some(job));
    let storage = state.storage();
    let api: &StorageApi = storage.as_raw().unchecked_ref();
    let committed = CALLBACK.with(|cb| api.transaction_sync(cb.as_ref().unchecked_ref()));
    // A callback the runtime never ran must not run in the next transaction.
    JOB.with(|j| j.borrow_mut().take());
    let result = slot.borrow_mut().take();
    match (result, committed) {
        (Some(Err(e)), _) => Err(TxError::RolledBack(e)),
        (Some(Ok(v)), Ok(_)) => Ok(v),
        (Some(Ok(_)), Err(js)) => Err(TxError::Failed(http::internal(
            "committing a transaction",
            format!("{js:?}"),
        ))),
        (None, Err(js)) => Err(TxError::Failed(http::internal(
            "starting a transaction",
            format!("{js:?}"),
        ))),
        (None, Ok(_)) => Err(TxError::Failed(http::internal(
            "a transaction",
            "the callback never ran",
        ))),
    }
}
