//! One JavaScript string per event frame.
//!
//! An event's frame text goes to SQLite (the replay copy) and then to every
//! socket of the room. Handing the runtime a Rust `&str` each time makes the
//! glue decode the same UTF-8 out of wasm memory again for every receiver;
//! the room's hot path instead makes the JavaScript string once and passes
//! that same value to the statement and to every `send`.
//!
//! The core hands frames around as `Arc<str>`; the last one converted is
//! remembered by pointer, so the store and the broadcast of one event share
//! it without threading a JavaScript value through the pure core.

use std::cell::RefCell;
use std::sync::Arc;

use wasm_bindgen::JsValue;

thread_local! {
    static LAST: RefCell<Option<(Arc<str>, JsValue)>> = const { RefCell::new(None) };
}

/// The JavaScript string for `text`, made once per frame.
pub fn js_string(text: &Arc<str>) -> JsValue {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((kept, value)) = last.as_ref() {
            if Arc::ptr_eq(kept, text) {
                return value.clone();
            }
        }
        let value = JsValue::from_str(text);
        *last = Some((Arc::clone(text), value.clone()));
        value
    })
}
