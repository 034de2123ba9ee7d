//! What the benchmark reads from /proc: the server's process tree (a root pid and
//! all its descendants), its CPU time and resident memory, this process's own CPU
//! time, and the whole machine's busy time.

use std::collections::HashMap;
use std::fs;

/// Clock ticks per second of the `stat` CPU fields (`getconf CLK_TCK`; 100 on Linux).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// The fields of /proc/<pid>/stat after the command name (field 3 is index 0).
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let close = text.rfind(')')?;
    Some(
        text[close + 1..]
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    )
}

/// utime + stime of one process, in clock ticks.
fn cpu_ticks_of(pid: &str) -> Option<u64> {
    let f = stat_fields(pid)?;
    // utime is field 14, stime 15 (1-based), i.e. indexes 11 and 12 here.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn rss_kib_of(pid: u32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn comm_of(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `root` and every descendant alive now.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(pid) = name.parse::<u32>() else {
                continue;
            };
            let Some(f) = stat_fields(name) else { continue };
            if let Some(ppid) = f.get(1).and_then(|p| p.parse::<u32>().ok()) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids);
        }
        i += 1;
    }
    out.retain(|p| fs::metadata(format!("/proc/{p}")).is_ok());
    out
}

/// CPU seconds used so far by the tree under `root`.
pub fn tree_cpu_secs(root: u32, ticks: f64) -> f64 {
    tree(root)
        .iter()
        .filter_map(|p| cpu_ticks_of(&p.to_string()))
        .sum::<u64>() as f64
        / ticks
}

/// Resident memory of the tree under `root` (KiB), with a per-process breakdown.
pub fn tree_rss(root: u32) -> (u64, Vec<(u32, String, u64)>) {
    let mut total = 0;
    let mut parts = Vec::new();
    for pid in tree(root) {
        if let Some(kib) = rss_kib_of(pid) {
            total += kib;
            parts.push((pid, comm_of(pid), kib));
        }
    }
    (total, parts)
}

/// CPU seconds used so far by this process (all its threads).
pub fn self_cpu_secs(ticks: f64) -> f64 {
    cpu_ticks_of("self").unwrap_or(0) as f64 / ticks
}

/// (busy, total) jiffies of the whole machine, from /proc/stat.
pub fn machine_jiffies() -> (u64, u64) {
    let text = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

pub fn cpu_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
