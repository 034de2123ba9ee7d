//! Native micro-benchmark of the token work every authenticated request does:
//! `cargo bench --bench tokens`. Prints medians of many batches, so a noisy
//! shared machine moves the figure less than a single timing would.

use edge_chat::core::auth::{issue_token, verify_token};
use std::hint::black_box;
use std::time::Instant;

fn median_ns(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

fn bench(name: &str, per_batch: u32, mut f: impl FnMut()) {
    let mut samples = Vec::new();
    for _ in 0..51 {
        let start = Instant::now();
        for _ in 0..per_batch {
            f();
        }
        samples.push(start.elapsed().as_nanos() as f64 / f64::from(per_batch));
    }
    println!("{name:<28} median {:>8.2} us", median_ns(samples) / 1000.0);
}

fn main() {
    let secret = [42u8; 48];
    let now = 1_800_000_000;
    let token = match issue_token(&secret, "alice", "sid-123", now) {
        Ok((t, _)) => t,
        Err(e) => {
            eprintln!("cannot issue a token: {e}");
            return;
        }
    };
    bench("issue_token", 2000, || {
        let _ = black_box(issue_token(&secret, "alice", "sid-123", black_box(now)));
    });
    bench("verify_token (valid)", 2000, || {
        let _ = black_box(verify_token(&secret, black_box(&token), now));
    });
    let tampered = format!("{token}x");
    bench("verify_token (tampered)", 2000, || {
        let _ = black_box(verify_token(&secret, black_box(&tampered), now));
    });
}
