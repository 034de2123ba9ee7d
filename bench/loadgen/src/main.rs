//! Load generator for the edge-chat benchmark (driven by bench/run.mjs; usable alone).
//!
//! One run against one server:
//! 1. setup: for the product, registers users over HTTP, creates the rooms and joins
//!    them (Bearer tokens); the baselines only need names;
//! 2. idle: opens `--idle-sockets` sockets in `--idle-rooms` rooms, measures the
//!    connection setup rate and the server's RSS per connection (sum over the server's
//!    process tree, from /proc), then closes them;
//! 3. load: opens `--sockets` sockets in `--rooms` rooms; for each fixed rate (total
//!    broadcasts/s, spread evenly over rooms and round-robin over each room's
//!    sockets) sends for a warm-up and a measured window, and times every delivery
//!    of every measured message at every socket of its room (the sender included);
//! 4. search: the highest rate whose p99 < `--p99-ms` (step up x2, then bisect),
//!    within `--search-secs`.
//!
//! Latency p99 counts a delivery that never arrived as infinitely late, so a
//! server that drops messages cannot pass. The report (JSON on stdout) also has
//! the server's CPU time per delivery, the generator's own CPU share and the
//! machine's busy share. Progress goes to stderr.
//!
//! Usage: chat-loadgen --kind product|socketio|plain --url http://127.0.0.1:PORT
//!        --pid SERVER_ROOT_PID [options; see `Cfg::from_args`]

mod conn;
mod hist;
mod http;
mod procfs;

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use conn::{Conn, Kind, Stats, Target};

struct Cfg {
    kind: Kind,
    addr: String,
    pid: u32,
    sockets: usize,
    rooms: usize,
    rates: Vec<f64>,
    warm_secs: f64,
    measure_secs: f64,
    drain_secs: f64,
    search_secs: f64,
    search_warm_secs: f64,
    search_measure_secs: f64,
    search_max: f64,
    p99_ms: f64,
    idle_sockets: usize,
    idle_rooms: usize,
    idle_concurrency: usize,
    text_len: usize,
    batch: bool,
    threads: usize,
    run_id: String,
    quiet_cores: f64,
    quiet_wait_secs: f64,
}

impl Cfg {
    fn from_args() -> Result<Cfg, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut m: HashMap<String, String> = HashMap::new();
        let mut i = 0;
        while i < args.len() {
            let k = args[i]
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {}", args[i]))?;
            let v = args
                .get(i + 1)
                .ok_or_else(|| format!("--{k} needs a value"))?;
            m.insert(k.to_string(), v.clone());
            i += 2;
        }
        let get = |k: &str, d: &str| m.get(k).cloned().unwrap_or_else(|| d.to_string());
        let num = |k: &str, d: &str| -> Result<f64, String> {
            get(k, d)
                .parse::<f64>()
                .map_err(|_| format!("--{k} must be a number"))
        };
        let kind = Kind::parse(&get("kind", "")).ok_or("--kind product|socketio|plain")?;
        let url = get("url", "");
        let addr = url
            .strip_prefix("http://")
            .ok_or("--url http://host:port")?
            .trim_end_matches('/')
            .to_string();
        let default_run = format!("{:x}", std::process::id() % 0xfffff);
        Ok(Cfg {
            kind,
            addr,
            pid: get("pid", "0").parse().map_err(|_| "--pid")?,
            sockets: num("sockets", "200")? as usize,
            rooms: num("rooms", "4")? as usize,
            rates: get("rates", "50,100,200,400")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.trim()
                        .parse::<f64>()
                        .map_err(|_| "--rates a,b,c".to_string())
                })
                .collect::<Result<_, _>>()?,
            warm_secs: num("warm-secs", "2")?,
            measure_secs: num("measure-secs", "8")?,
            drain_secs: num("drain-secs", "3")?,
            search_secs: num("search-secs", "120")?,
            search_warm_secs: num("search-warm-secs", "1")?,
            search_measure_secs: num("search-measure-secs", "4")?,
            search_max: num("search-max", "20000")?,
            p99_ms: num("p99-ms", "100")?,
            idle_sockets: num("idle-sockets", "2000")? as usize,
            idle_rooms: num("idle-rooms", "20")? as usize,
            idle_concurrency: num("idle-concurrency", "32")? as usize,
            text_len: num("text-len", "80")? as usize,
            batch: get("batch", "0") == "1",
            threads: num("threads", "2")? as usize,
            run_id: get("run-id", &default_run),
            quiet_cores: num("quiet-cores", "0.3")?,
            quiet_wait_secs: num("quiet-wait-secs", "10")?,
        })
    }
}

fn log(msg: impl AsRef<str>) {
    eprintln!(
        "[loadgen {:>7.1}s] {}",
        conn::now_us() as f64 / 1e6,
        msg.as_ref()
    );
}

fn main() {
    conn::now_us(); // start the clock
    let cfg = match Cfg::from_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chat-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.threads.max(1))
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("chat-loadgen: runtime: {e}");
            std::process::exit(2);
        });
    match rt.block_on(run(&cfg)) {
        Ok(report) => println!("{report}"),
        Err(e) => {
            eprintln!("chat-loadgen: {e}");
            println!("{}", json!({ "error": e }));
            std::process::exit(1);
        }
    }
    // Dropping the runtime would wait for socket tasks; exit instead.
    std::process::exit(0);
}

/// Users with tokens (product) or just names (baselines).
struct Users {
    names: Vec<String>,
    tokens: Vec<Option<String>>,
}

async fn run(cfg: &Cfg) -> Result<Value, String> {
    let ticks = procfs::clock_ticks();
    let stats = Arc::new(Stats::new());
    let load_rooms: Vec<String> = (0..cfg.rooms)
        .map(|r| format!("b{}-{r}", cfg.run_id))
        .collect();
    let idle_rooms: Vec<String> = (0..cfg.idle_rooms)
        .map(|r| format!("i{}-{r}", cfg.run_id))
        .collect();
    let per_idle_room = cfg.idle_sockets.div_ceil(cfg.idle_rooms.max(1));
    let n_users = cfg.sockets.max(per_idle_room);

    // ----- setup -----------------------------------------------------------
    let t_setup = Instant::now();
    let users = setup_users(cfg, n_users).await?;
    let per_room = cfg.sockets.div_ceil(cfg.rooms.max(1));
    // Load room r holds users r*per_room ..; idle room r holds users 0..per_idle_room.
    let load_members: Vec<Vec<usize>> = (0..cfg.rooms)
        .map(|r| (r * per_room..((r + 1) * per_room).min(cfg.sockets)).collect())
        .collect();
    let idle_members: Vec<Vec<usize>> = (0..cfg.idle_rooms)
        .map(|_| (0..per_idle_room).collect())
        .collect();
    if cfg.kind == Kind::Product {
        let mut all: Vec<(String, Vec<usize>)> = Vec::new();
        for (r, m) in load_rooms.iter().zip(&load_members) {
            all.push((r.clone(), m.clone()));
        }
        if cfg.idle_sockets > 0 {
            for (r, m) in idle_rooms.iter().zip(&idle_members) {
                all.push((r.clone(), m.clone()));
            }
        }
        setup_rooms(cfg, &users, &all).await?;
    }
    let setup_secs = t_setup.elapsed().as_secs_f64();
    log(format!(
        "setup done in {setup_secs:.1}s ({} users)",
        users.names.len()
    ));

    // ----- idle ------------------------------------------------------------
    let idle = if cfg.idle_sockets > 0 {
        Some(idle_phase(cfg, &users, &idle_rooms, &idle_members, &stats).await?)
    } else {
        None
    };

    // ----- load ------------------------------------------------------------
    let mut rooms: Vec<Vec<Conn>> = Vec::new();
    let t_conn = Instant::now();
    for (r, members) in load_members.iter().enumerate() {
        let mut conns = Vec::new();
        for &u in members {
            let t = Target {
                kind: cfg.kind,
                addr: &cfg.addr,
                room: &load_rooms[r],
                user: &users.names[u],
                token: users.tokens[u].as_deref(),
                batch: cfg.batch,
            };
            conns.push(conn::open(&t, Arc::clone(&stats)).await?);
        }
        rooms.push(conns);
    }
    log(format!(
        "{} load sockets open in {:.1}s",
        cfg.sockets,
        t_conn.elapsed().as_secs_f64()
    ));
    settle(&stats, 1.0, 10.0).await;

    let mut phase: u32 = 1;
    let mut fixed = Vec::new();
    for &rate in &cfg.rates {
        let r = trial(
            cfg,
            &rooms,
            &stats,
            rate,
            cfg.warm_secs,
            cfg.measure_secs,
            &mut phase,
            ticks,
        )
        .await;
        log(summary(&r));
        let failed_hard = r["delivered"].as_u64().unwrap_or(0) == 0;
        fixed.push(r);
        settle(&stats, 0.5, 15.0).await;
        if failed_hard {
            break;
        }
    }

    // ----- search ----------------------------------------------------------
    let search = search(cfg, &rooms, &stats, &fixed, &mut phase, ticks).await;

    let closed = stats.closed.load(Relaxed);
    let close_sample = stats.close_sample.lock().ok().and_then(|s| s.clone());
    Ok(json!({
        "kind": format!("{:?}", cfg.kind),
        "url": format!("http://{}", cfg.addr),
        "server_pid": cfg.pid,
        "config": {
            "sockets": cfg.sockets, "rooms": cfg.rooms, "rates": cfg.rates,
            "warm_secs": cfg.warm_secs, "measure_secs": cfg.measure_secs,
            "search_secs": cfg.search_secs, "p99_limit_ms": cfg.p99_ms,
            "idle_sockets": cfg.idle_sockets, "idle_rooms": cfg.idle_rooms,
            "text_len": cfg.text_len, "batch": cfg.batch, "generator_threads": cfg.threads,
            "cpus": procfs::cpu_count(),
        },
        "setup_secs": setup_secs,
        "idle": idle,
        "fixed": fixed,
        "search": search,
        "sockets_closed_by_server": closed,
        "close_sample": close_sample,
    }))
}

// ----- product setup -------------------------------------------------------

async fn setup_users(cfg: &Cfg, n: usize) -> Result<Users, String> {
    let names: Vec<String> = (0..n).map(|i| format!("b{}u{i}", cfg.run_id)).collect();
    if cfg.kind != Kind::Product {
        return Ok(Users {
            tokens: vec![None; n],
            names,
        });
    }
    let addr = cfg.addr.as_str();
    let tokens: Vec<Result<String, String>> = stream::iter(names.iter().cloned())
        .map(|name| async move {
            let body = json!({ "username": name, "password": "benchmark password" }).to_string();
            let r = http::request(addr, "POST", "/api/auth/register", None, Some(&body)).await?;
            if r.status != 201 {
                return Err(format!("register {name}: {} {}", r.status, r.body));
            }
            let v: Value = serde_json::from_str(&r.body).map_err(|e| e.to_string())?;
            v["token"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| "register: no token".to_string())
        })
        .buffered(8)
        .collect()
        .await;
    let tokens = tokens
        .into_iter()
        .map(|t| t.map(Some))
        .collect::<Result<Vec<_>, _>>()?;
    log(format!("registered {n} users"));
    Ok(Users { names, tokens })
}

async fn setup_rooms(
    cfg: &Cfg,
    users: &Users,
    rooms: &[(String, Vec<usize>)],
) -> Result<(), String> {
    let addr = cfg.addr.as_str();
    // Create each room as its first member (the owner).
    for (name, members) in rooms {
        let owner = members[0];
        let body = json!({ "name": name }).to_string();
        let r = http::request(
            addr,
            "POST",
            "/api/rooms",
            users.tokens[owner].as_deref(),
            Some(&body),
        )
        .await?;
        if r.status != 201 {
            return Err(format!("create room {name}: {} {}", r.status, r.body));
        }
    }
    let joins: Vec<(String, usize)> = rooms
        .iter()
        .flat_map(|(name, members)| members.iter().skip(1).map(move |&u| (name.clone(), u)))
        .collect();
    let n = joins.len();
    let results: Vec<Result<(), String>> = stream::iter(joins)
        .map(|(name, u)| async move {
            let path = format!("/api/rooms/{name}/join");
            let r = http::request(addr, "POST", &path, users.tokens[u].as_deref(), None).await?;
            if r.status != 200 {
                return Err(format!("join {name}: {} {}", r.status, r.body));
            }
            Ok(())
        })
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    log(format!("created {} rooms, {n} joins", rooms.len()));
    Ok(())
}

// ----- idle phase ----------------------------------------------------------

async fn idle_phase(
    cfg: &Cfg,
    users: &Users,
    rooms: &[String],
    members: &[Vec<usize>],
    stats: &Arc<Stats>,
) -> Result<Value, String> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_before, _) = procfs::tree_rss(cfg.pid);
    let mut targets: Vec<(usize, usize)> = Vec::new();
    'outer: for (r, m) in members.iter().enumerate() {
        for &u in m {
            if targets.len() == cfg.idle_sockets {
                break 'outer;
            }
            targets.push((r, u));
        }
    }
    // Two halves with a memory sample between: the second half's sockets reuse
    // users (and, for the product, their account objects) already woken by the
    // first, so (after - half) / second half is the marginal cost of a socket.
    let half = targets.len() / 2;
    let second: Vec<(usize, usize)> = targets.split_off(half);
    let mut connect_secs = 0.0;
    let mut conns = Vec::new();
    let mut failures = 0;
    let mut failure_sample = None;
    let mut rss_half = 0;
    let mut n_half = 0;
    for (i, batch) in [targets, second].into_iter().enumerate() {
        let t0 = Instant::now();
        let results: Vec<Result<Conn, String>> = stream::iter(batch)
            .map(|(r, u)| {
                let stats = Arc::clone(stats);
                async move {
                    let t = Target {
                        kind: cfg.kind,
                        addr: &cfg.addr,
                        room: &rooms[r],
                        user: &users.names[u],
                        token: users.tokens[u].as_deref(),
                        batch: cfg.batch,
                    };
                    conn::open(&t, stats).await
                }
            })
            .buffer_unordered(cfg.idle_concurrency.max(1))
            .collect()
            .await;
        connect_secs += t0.elapsed().as_secs_f64();
        for r in results {
            match r {
                Ok(c) => conns.push(c),
                Err(e) => {
                    failures += 1;
                    failure_sample.get_or_insert(e);
                }
            }
        }
        if i == 0 {
            settle(stats, 1.0, 20.0).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            rss_half = procfs::tree_rss(cfg.pid).0;
            n_half = conns.len();
        }
    }
    let ok = conns.len();
    log(format!(
        "idle: {ok} sockets open in {connect_secs:.1}s ({failures} failed), {:.0}/s",
        ok as f64 / connect_secs
    ));
    // Let presence fan-out and allocations settle, then sample a few times.
    settle(stats, 1.0, 20.0).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut samples = Vec::new();
    for _ in 0..3 {
        samples.push(procfs::tree_rss(cfg.pid));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (rss_after, parts) = samples.last().cloned().unwrap_or_default();
    let still_open = conns.iter().filter(|c| c.alive.load(Relaxed)).count();
    drop(conns); // writers close their sockets
    settle(stats, 1.0, 20.0).await;
    let per_conn_kib = if ok > 0 {
        (rss_after as f64 - rss_before as f64) / ok as f64
    } else {
        0.0
    };
    Ok(json!({
        "sockets": ok,
        "failed": failures,
        "failure_sample": failure_sample,
        "still_open_at_sample": still_open,
        "connect_secs": connect_secs,
        "connects_per_sec": ok as f64 / connect_secs,
        "rss_before_mib": rss_before as f64 / 1024.0,
        "rss_after_mib": rss_after as f64 / 1024.0,
        "rss_per_conn_kib": per_conn_kib,
        "rss_half_mib": rss_half as f64 / 1024.0,
        "rss_per_conn_marginal_kib": if ok > n_half { (rss_after as f64 - rss_half as f64) / (ok - n_half) as f64 } else { 0.0 },
        "processes": parts.iter().map(|(p, c, k)| json!({"pid": p, "comm": c, "rss_mib": *k as f64 / 1024.0})).collect::<Vec<_>>(),
    }))
}

// ----- load trials -----------------------------------------------------------

/// Busy cores of the whole machine over `secs`.
async fn machine_busy_cores(secs: f64) -> f64 {
    let (b0, t0) = procfs::machine_jiffies();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let (b1, t1) = procfs::machine_jiffies();
    if t1 > t0 {
        (b1 - b0) as f64 / (t1 - t0) as f64 * procfs::cpu_count() as f64
    } else {
        0.0
    }
}

/// Before a trial, waits (at most `--quiet-wait-secs`) until the machine is
/// nearly idle, so that other programs do not skew it; returns the busy cores
/// seen last.
async fn wait_quiet(cfg: &Cfg) -> f64 {
    let t0 = Instant::now();
    loop {
        let busy = machine_busy_cores(0.5).await;
        if busy <= cfg.quiet_cores || t0.elapsed().as_secs_f64() >= cfg.quiet_wait_secs {
            return busy;
        }
    }
}

/// Waits until no frame has arrived for `quiet` seconds (at most `max` seconds).
async fn settle(stats: &Stats, quiet: f64, max: f64) {
    let t0 = Instant::now();
    loop {
        let last = stats.last_frame_us.load(Relaxed);
        let since = conn::now_us().saturating_sub(last) as f64 / 1e6;
        if since >= quiet || t0.elapsed().as_secs_f64() >= max {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[allow(clippy::too_many_arguments)]
async fn trial(
    cfg: &Cfg,
    rooms: &[Vec<Conn>],
    stats: &Stats,
    rate: f64,
    warm: f64,
    measure: f64,
    phase: &mut u32,
    ticks: f64,
) -> Value {
    let background = wait_quiet(cfg).await;
    let warm_id = *phase;
    let meas_id = *phase + 1;
    *phase += 2;
    stats.reset(meas_id);
    let n_rooms = rooms.len();
    let alive: Vec<u64> = rooms
        .iter()
        .map(|r| r.iter().filter(|c| c.alive.load(Relaxed)).count() as u64)
        .collect();
    let mut sent_measured = vec![0u64; n_rooms];
    let mut next_in_room = vec![0usize; n_rooms];
    let mut max_lag_ms: f64 = 0.0;

    let t0 = Instant::now();
    let total = warm + measure;
    let mut k: u64 = 0;
    let mut m0 = None; // (time, server cpu, self cpu, machine jiffies) at measure start
    loop {
        let el = t0.elapsed().as_secs_f64();
        if m0.is_none() && el >= warm {
            m0 = Some((
                Instant::now(),
                procfs::tree_cpu_secs(cfg.pid, ticks),
                procfs::self_cpu_secs(ticks),
                procfs::machine_jiffies(),
            ));
        }
        if el >= total {
            break;
        }
        let due = ((el * rate).floor() as u64 + 1).min((total * rate).ceil() as u64);
        while k < due {
            let sched = k as f64 / rate;
            max_lag_ms = max_lag_ms.max((el - sched) * 1e3);
            let r = (k as usize) % n_rooms;
            let conns = &rooms[r];
            let c = &conns[next_in_room[r] % conns.len()];
            next_in_room[r] += 1;
            let (id, measured) = if sched < warm {
                (warm_id, false)
            } else {
                (meas_id, true)
            };
            let text = conn::message_text(id, conn::now_us(), cfg.text_len);
            let frame = cfg.kind.send_frame(&format!("c{id}x{k}"), &text);
            if c.tx.send(Message::text(frame)).is_ok() && measured {
                sent_measured[r] += 1;
            }
            k += 1;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let send_end = Instant::now();
    let expected: u64 = sent_measured.iter().zip(&alive).map(|(s, a)| s * a).sum();
    // Drain: wait for the stragglers (bounded).
    let drain_t0 = Instant::now();
    while stats.hist.count() < expected && drain_t0.elapsed().as_secs_f64() < cfg.drain_secs {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end = Instant::now();
    let (mt, mcpu, mself, mjif) = m0.unwrap_or((t0, 0.0, 0.0, (0, 0)));
    let server_cpu = procfs::tree_cpu_secs(cfg.pid, ticks) - mcpu;
    let self_cpu = procfs::self_cpu_secs(ticks) - mself;
    let (busy1, tot1) = procfs::machine_jiffies();
    let wall = end.duration_since(mt).as_secs_f64();
    let send_wall = send_end.duration_since(mt).as_secs_f64();
    let delivered = stats.hist.count();
    let sends: u64 = sent_measured.iter().sum();
    let q = |p: f64| stats.hist.quantile(p, expected).map(|us| us as f64 / 1e3);
    let p99 = q(0.99);
    let achieved = sends as f64 / send_wall.max(1e-9);
    let pass = p99.is_some_and(|p| p < cfg.p99_ms) && achieved >= 0.95 * rate && delivered > 0;
    let ncpu = procfs::cpu_count() as f64;
    let busy_share = if tot1 > mjif.1 {
        (busy1 - mjif.0) as f64 / (tot1 - mjif.1) as f64
    } else {
        0.0
    };
    json!({
        "rate": rate,
        "achieved_rate": achieved,
        "sends": sends,
        "expected": expected,
        "delivered": delivered,
        "delivered_ratio": if expected > 0 { delivered as f64 / expected as f64 } else { 0.0 },
        "p50_ms": q(0.50),
        "p90_ms": q(0.90),
        "p99_ms": p99,
        "max_ms": if delivered > 0 { Some(stats.hist.max() as f64 / 1e3) } else { None },
        "pass": pass,
        "acks": stats.acks.load(Relaxed),
        "errors": stats.errors.load(Relaxed),
        "error_sample": stats.error_sample.lock().ok().and_then(|s| s.clone()),
        "stale_deliveries": stats.other.load(Relaxed),
        "max_schedule_lag_ms": max_lag_ms,
        "window_secs": wall,
        "server_cpu_secs": server_cpu,
        "server_cpu_cores": server_cpu / wall,
        "server_cpu_us_per_delivery": if delivered > 0 { Some(server_cpu * 1e6 / delivered as f64) } else { None },
        "generator_cpu_cores": self_cpu / wall,
        "generator_cpu_share": self_cpu / wall / ncpu,
        "machine_busy_share": busy_share,
        // CPU used by neither the server nor the generator (other programs on the
        // machine): a noisy neighbour makes the figures unreliable.
        "other_cpu_cores": (busy_share * ncpu - server_cpu / wall - self_cpu / wall).max(0.0),
        "background_cores_before": background,
    })
}

fn summary(r: &Value) -> String {
    let f = |k: &str| {
        r[k].as_f64()
            .map(|v| format!("{v:.1}"))
            .unwrap_or_else(|| "inf".into())
    };
    format!(
        "rate {} /s: achieved {}, p50 {} ms, p99 {} ms, delivered {}/{}, server {} us/delivery, gen cpu {:.0}%, {}",
        f("rate"),
        f("achieved_rate"),
        f("p50_ms"),
        f("p99_ms"),
        r["delivered"],
        r["expected"],
        f("server_cpu_us_per_delivery"),
        r["generator_cpu_share"].as_f64().unwrap_or(0.0) * 100.0,
        if r["pass"].as_bool() == Some(true) { "pass" } else { "FAIL" }
    )
}

async fn search(
    cfg: &Cfg,
    rooms: &[Vec<Conn>],
    stats: &Stats,
    fixed: &[Value],
    phase: &mut u32,
    ticks: f64,
) -> Value {
    let t0 = Instant::now();
    let trial_cost = cfg.search_warm_secs + cfg.search_measure_secs + cfg.drain_secs + 1.5;
    let budget_left = |t0: &Instant| cfg.search_secs - t0.elapsed().as_secs_f64() >= trial_cost;
    let rate_of = |v: &Value| v["rate"].as_f64().unwrap_or(0.0);
    let passed = |v: &Value| v["pass"].as_bool() == Some(true);
    let mut lo = fixed
        .iter()
        .filter(|v| passed(v))
        .map(rate_of)
        .fold(0.0, f64::max);
    let mut hi: Option<f64> = fixed
        .iter()
        .filter(|v| !passed(v) && rate_of(v) > lo)
        .map(rate_of)
        .reduce(f64::min);
    let mut trials = Vec::new();
    let mut best: Option<Value> = fixed
        .iter()
        .rfind(|v| passed(v) && rate_of(v) == lo)
        .cloned();
    let mut stop = "search disabled";
    // Bounded: every pass runs a trial or stops, and the time budget ends it.
    for _ in 0..(cfg.search_secs > 0.0) as u32 * 1000 {
        // Next rate: double until a failure, halve until a pass, then bisect.
        let next = match (lo > 0.0, hi) {
            (true, None) => (lo * 2.0).min(cfg.search_max),
            (false, Some(h)) => (h / 2.0).floor(),
            (true, Some(h)) => {
                if h / lo <= 1.08 || h - lo <= 10.0 {
                    stop = "converged";
                    break;
                }
                ((lo + h) / 2.0 / 10.0).round() * 10.0
            }
            (false, None) => 100.0,
        };
        if next < 5.0 || (hi.is_none() && lo >= cfg.search_max) {
            stop = if next < 5.0 {
                "nothing passes"
            } else {
                "reached --search-max"
            };
            break;
        }
        if !budget_left(&t0) {
            stop = "time budget";
            break;
        }
        let r = trial(
            cfg,
            rooms,
            stats,
            next,
            cfg.search_warm_secs,
            cfg.search_measure_secs,
            phase,
            ticks,
        )
        .await;
        log(format!("search: {}", summary(&r)));
        if passed(&r) {
            lo = next;
            best = Some(r.clone());
        } else {
            hi = Some(next);
        }
        trials.push(r);
        settle(stats, 0.5, 15.0).await;
    }
    json!({
        "max_rate": lo,
        "first_failing_rate": hi,
        "stopped": stop,
        "secs": t0.elapsed().as_secs_f64(),
        "best": best,
        "trials": trials,
    })
}
