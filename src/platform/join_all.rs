//! Awaits several futures at once (the Worker asking each of a user's rooms
//! for its summary, or a bounded number of them at a time for a search). The
//! crate has no `futures` dependency and `worker` re-exports no join, so this
//! is the short version: poll the unfinished futures whenever any wakes the task.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

/// Runs every future concurrently; the outputs come back in input order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let n = futures.len();
    join_bounded(futures, n).await
}

/// Like [`join_all`], with at most `limit` futures in flight: only the first
/// `limit` unfinished ones are polled (a future does nothing until polled),
/// so the next starts as soon as an earlier one finishes.
pub async fn join_bounded<F: Future>(futures: Vec<F>, limit: usize) -> Vec<F::Output> {
    let limit = limit.max(1);
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut in_flight = 0;
        for (future, slot) in futures.iter_mut().zip(outputs.iter_mut()) {
            if in_flight == limit {
                break;
            }
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => in_flight += 1,
                }
            }
        }
        if outputs.iter().any(Option::is_none) {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
