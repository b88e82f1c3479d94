//! `invitations invite` at scale: rows per second against a server that
//! enforces a fixed rate limit, and the memory of a 100,000-row run.
//!
//! The server is an Automox create endpoint and a Hybridbox list and create
//! endpoint this program starts on 127.0.0.1 (its own thread and
//! current-thread tokio runtime, keep-alive HTTP/1.1, constant memory: it
//! keeps no invitations). It answers an Automox create `201` with a
//! one-element invitation array, a Hybridbox list `200` with no invitation
//! and a Hybridbox create `201` with the invitation; or, to any request that
//! would be more than `--limit` in the last second (a sliding window of
//! arrival times), `429` with `Retry-After: 1`.
//!
//! The runs go through `invitations_cli::bulk::invite`, exactly what the
//! command runs (CSV read and validated, journal with a synced line before
//! and after each row, the shared rate-limited client), with the progress
//! display off:
//!
//! 1. **rate**: for each limit of `--limits` (default `10,50,250` requests
//!    per second; Automox's reported 2,500 per 5 minutes is 8.3/s), a server
//!    that allows that many per second, `--seconds` (5) seconds' worth of
//!    rows, `--rate LIMIT/1s` and `--concurrency` (4, the command's
//!    default). Printed: rows/s, the ratio to the limit (target >= 0.9; the
//!    client spaces requests 2% wider than the limit, so 0.98 is the most to
//!    expect), and the 429s the server sent (0 expected). Then the same for
//!    Hybridbox, twice at each limit and in the same run: each row through
//!    the library's `invite` (a list and a create per row: how the command
//!    sent Hybridbox rows before it listed once), and through the command
//!    (one list for the run, then a create per row).
//! 2. **memory**: `--memory-rows` rows (default 100,000) with no rate limit
//!    and concurrency 16 against the same server with no limit. The
//!    process's resident memory (`VmRSS`, `/proc/self/status`) is read when
//!    the server has answered 10%, 50% and 100% of the rows; `growth` is the
//!    change from 10% to 100% (flat: about 1.00). All rows are read and
//!    validated before the first is sent, so the memory of the rows themselves
//!    is in every checkpoint; what must not grow is the per-row state of the
//!    run (journal, summary, tasks).
//!
//! Figures are printed, never asserted. Run: `cargo bench --bench bulk`
//! (options after `--`). The program exits 1 if a row does not end invited.

use std::collections::VecDeque;
use std::future::pending;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use invitations_cli::bulk::{self, Vendor, progress::Display};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCOUNT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// The server's counters.
#[derive(Default)]
struct Counters {
    created: AtomicU64,
    throttled: AtomicU64,
}

/// Starts the server allowing `limit` requests per second (`None`: no
/// limit); returns its URL and counters.
fn start_server(limit: Option<usize>) -> (String, Arc<Counters>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    listener.set_nonblocking(true).expect("nonblocking");
    let counters = Arc::new(Counters::default());
    let shared = counters.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let window = Arc::new(std::sync::Mutex::new(VecDeque::<Instant>::new()));
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, limit, window.clone(), shared.clone()));
            }
        });
    });
    (url, counters)
}

async fn serve(
    mut socket: tokio::net::TcpStream,
    limit: Option<usize>,
    window: Arc<std::sync::Mutex<VecDeque<Instant>>>,
    counters: Arc<Counters>,
) {
    let mut buffer = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let answer = |status: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let invitation = r#"{"id":"a75c3a2f-9c02-0479-8472-a17a25228fc5","email":"ada@example.com"}"#;
    let created = answer("201 Created", &format!("[{invitation}]"));
    let hybridbox_created = answer(
        "201 Created",
        r#"{"id":"a75c3a2f-9c02-0479-8472-a17a25228fc5","email":"ada@example.com","status":"pending","assignments":[],"permission_context":{"assigned_bundle_keys":[],"direct_capability_keys":[],"owner_assignments":[],"resolved_capability_keys":[],"status":"active","subject_id":"","subject_type":"unknown"}}"#,
    );
    let listed = answer("200 OK", "[]");
    let throttled = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{\"errors\":[]}";
    loop {
        // One request: the head, then content-length bytes of body.
        let end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            match socket.read(&mut chunk).await {
                Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let hybridbox = head.contains(" /v1/public/");
        let list = head.starts_with("get ");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < end + 4 + length {
            match socket.read(&mut chunk).await {
                Ok(n) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        }
        buffer.drain(..end + 4 + length);
        let allowed = limit.is_none_or(|limit| {
            let now = Instant::now();
            let mut window = window.lock().expect("window");
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                window.pop_front();
            }
            let allowed = window.len() < limit;
            if allowed {
                window.push_back(now);
            }
            allowed
        });
        let answer = if allowed && list {
            listed.as_str()
        } else if allowed {
            counters.created.fetch_add(1, Ordering::Relaxed);
            if hybridbox {
                hybridbox_created.as_str()
            } else {
                created.as_str()
            }
        } else {
            counters.throttled.fetch_add(1, Ordering::Relaxed);
            throttled
        };
        if socket.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A CSV file of `rows` rows of `vendor` in a fresh folder.
fn csv(name: &str, rows: usize, vendor: Vendor) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("invitations-bench-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    let path = dir.join(format!("{name}.csv"));
    let (header, extra) = match vendor {
        Vendor::Automox => ("email,account_rbac_role", ",non-global-admin"),
        Vendor::Hybridbox => ("email", ""),
    };
    let mut text = format!("{header}\n");
    for i in 0..rows {
        text.push_str(&format!("user{i}@example.com{extra}\n"));
    }
    std::fs::write(&path, text).expect("csv");
    let _ = std::fs::remove_file(bulk::default_journal(&path));
    path
}

fn options(
    vendor: Vendor,
    csv: &Path,
    url: &str,
    concurrency: usize,
    rate: Option<&str>,
) -> bulk::Options {
    bulk::Options {
        vendor,
        account: ACCOUNT.parse().expect("uuid"),
        csv: csv.to_owned(),
        journal: None,
        concurrency,
        // Without a rate, a limit far above what the machine can do (the
        // vendor's default would apply otherwise).
        rate: Some(bulk::parse_rate(rate.unwrap_or("10000000/1s")).expect("rate")),
        timeout: bulk::DEFAULT_TIMEOUT,
        dry_run: false,
        base_url: Some(url.to_owned()),
        progress: Display::Hidden,
        settle: Vec::new(),
    }
}

/// `rows` Hybridbox users invited one `invite` each (a list, then a
/// create), `concurrency` at a time, through one client limited to `rate`.
async fn invite_each(url: &str, rows: usize, concurrency: usize, rate: &str) {
    let client = invitations::hybridbox::Client::builder()
        .auth(invitations::Auth::bearer("bench-token"))
        .base_url(url)
        .rate_limit(bulk::parse_rate(rate).expect("rate"))
        .build()
        .expect("client");
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next) = (client.clone(), next.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= rows as u64 {
                    return;
                }
                let body = invitations::hybridbox::types::CreateInvitationRequest::builder()
                    .email(format!("user{i}@example.com"));
                client.invite(ACCOUNT, body).await.expect("invited");
            }
        });
    }
    while workers.join_next().await.is_some() {}
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn check(report: &bulk::Report, rows: usize) {
    if report.summary.invited != rows as u64 || report.error.is_some() {
        eprintln!("not every row was invited:\n{}", report.render(false));
        std::process::exit(1);
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let seconds = arg("--seconds", 5);
    let limits: Vec<usize> = std::env::args()
        .skip_while(|a| a != "--limits")
        .nth(1)
        .unwrap_or_else(|| "10,50,250".to_owned())
        .split(',')
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let memory_rows = arg("--memory-rows", 100_000);
    let concurrency = arg("--concurrency", 4);
    // SAFETY: no other thread exists yet (the runtimes start below).
    unsafe {
        std::env::set_var("AUTOMOX_API_KEY", "bench-key");
        std::env::set_var("HYBRIDBOX_TOKEN", "bench-token");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // 1. Rate, at each limit.
    for &limit in &limits {
        let (url, counters) = start_server(Some(limit));
        let rows = limit * seconds;
        let file = csv("rate", rows, Vendor::Automox);
        let rate = format!("{limit}/1s");
        let started = Instant::now();
        let report = runtime
            .block_on(bulk::invite(
                &options(Vendor::Automox, &file, &url, concurrency, Some(&rate)),
                pending(),
            ))
            .expect("run");
        let elapsed = started.elapsed();
        check(&report, rows);
        let per_second = rows as f64 / elapsed.as_secs_f64();
        println!(
            "rate: {rows} rows, server allows {limit}/s, --rate {rate}, concurrency {concurrency}: \
             {:.2} s, {per_second:.1} rows/s, ratio to the limit {:.3} (target >= 0.9), 429s {}",
            elapsed.as_secs_f64(),
            per_second / limit as f64,
            counters.throttled.load(Ordering::Relaxed)
        );
    }

    // Hybridbox: a list and a create per row (the library's `invite` per
    // row) against one list for the run (the command).
    for &limit in &limits {
        let rows = limit * seconds;
        let rate = format!("{limit}/1s");
        let (url, counters) = start_server(Some(limit));
        let started = Instant::now();
        runtime.block_on(invite_each(&url, rows, concurrency, &rate));
        let each = rows as f64 / started.elapsed().as_secs_f64();
        let (url, command_counters) = start_server(Some(limit));
        let file = csv("hybridbox-rate", rows, Vendor::Hybridbox);
        let started = Instant::now();
        let report = runtime
            .block_on(bulk::invite(
                &options(Vendor::Hybridbox, &file, &url, concurrency, Some(&rate)),
                pending(),
            ))
            .expect("run");
        let once = rows as f64 / started.elapsed().as_secs_f64();
        check(&report, rows);
        println!(
            "hybridbox rate: {rows} rows, server allows {limit} requests/s, --rate {rate}, \
             concurrency {concurrency}: a list and a create per row {each:.1} rows/s (ratio to the \
             limit {:.3}, 429s {}); one list, then a create per row {once:.1} rows/s (ratio {:.3}, \
             target >= 0.9; 429s {})",
            each / limit as f64,
            counters.throttled.load(Ordering::Relaxed),
            once / limit as f64,
            command_counters.throttled.load(Ordering::Relaxed)
        );
    }

    // 2. Memory.
    let (url, counters) = start_server(None);
    let file = csv("memory", memory_rows, Vendor::Automox);
    let before = vm_rss_kib();
    let started = Instant::now();
    let marks = [memory_rows / 10, memory_rows / 2];
    let readings = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (sampler_counters, sampler_readings) = (counters.clone(), readings.clone());
    let last_reading = readings.clone();
    let report = runtime.block_on(async move {
        let sampler = tokio::spawn(async move {
            for mark in marks {
                while sampler_counters.created.load(Ordering::Relaxed) < mark as u64 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                sampler_readings
                    .lock()
                    .expect("readings")
                    .push(vm_rss_kib());
            }
        });
        let report = bulk::invite(&options(Vendor::Automox, &file, &url, 16, None), pending())
            .await
            .expect("run");
        last_reading.lock().expect("readings").push(vm_rss_kib());
        sampler.abort();
        report
    });
    let elapsed = started.elapsed();
    check(&report, memory_rows);
    let readings = readings.lock().expect("readings").clone();
    println!("memory: {memory_rows} rows, no rate limit, concurrency 16");
    println!(
        "  {:.2} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        memory_rows as f64 / elapsed.as_secs_f64()
    );
    println!("  VmRSS before: {before} KiB");
    for (label, kib) in ["10%", "50%", "100%"].iter().zip(&readings) {
        println!("  VmRSS at {label}: {kib} KiB");
    }
    if let (Some(first), Some(last)) = (readings.first(), readings.last()) {
        println!(
            "  growth 10% -> 100%: {} KiB, ratio {:.2}",
            *last as i64 - *first as i64,
            *last as f64 / (*first).max(1) as f64
        );
    }
}
