// A message to show once its room is open (a search result): the search
// dialog asks for it, the room view takes it when it is shown.

let wanted = null;
let open = { room: null, seek: null };

/** The open room view registers how to seek in it (null when it closes). */
export function setOpenSeek(room, seek) {
  if (seek) open = { room, seek };
  else if (open.room === room) open = { room: null, seek: null };
}

/** Scrolls the open view of `room` to `seq`; false when that room is not open. */
export function seekInOpen(room, seq) {
  if (open.room !== room || !open.seek) return false;
  open.seek(seq);
  return true;
}

/** Asks the next view of `room` to scroll to message `seq`. */
export function requestSeek(room, seq) { wanted = { room, seq }; }

/** The seq asked for `room`, once (null when none). */
export function takeSeek(room) {
  if (!wanted || wanted.room !== room) return null;
  const { seq } = wanted;
  wanted = null;
  return seq;
}
