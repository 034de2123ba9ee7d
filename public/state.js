// The app's shared state: who is signed in, which room is open, and one event
// bus that modules use to tell each other what changed (no framework needed).

export const bus = new EventTarget();

/** Fires `type` on the bus with `detail`. */
export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

/** Subscribes to `type`; returns an unsubscribe function. */
export function on(type, fn) {
  const handler = (e) => fn(e.detail);
  bus.addEventListener(type, handler);
  return () => bus.removeEventListener(type, handler);
}

export const state = {
  /** The signed-in user's Profile, or null. */
  me: null,
  /** The name of the room on screen, or null. */
  current: null,
};
