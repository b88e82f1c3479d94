//! Runtime cost of the generated client and of the facade (auth and retry
//! hooks) against a raw `reqwest` call, on the same wire.
//!
//! What it measures: create-invitation calls (`POST
//! /v1/public/accounts/{uuid}/auth/invitations`, body
//! `{"email":"ada@example.com"}`) against a minimal HTTP/1.1 keep-alive
//! server this program starts on `127.0.0.1` (its own thread and current-thread
//! tokio runtime; constant memory; every request gets `201 Created` and the
//! same small JSON invitation), sent four ways:
//!
//! - `raw reqwest`: a plain `reqwest::Client`, a hand-written URL and JSON
//!   body, the status checked and the body parsed into a hand-written struct;
//! - `generated`: `hybridbox::Client` with `Auth::none()` and
//!   `RetryPolicy::none()` (the generated code and the hooks, doing nothing);
//! - `facade`: `hybridbox::Client` with `Auth::bearer(..)` and
//!   `RetryPolicy::default()` (no retry happens: every answer is a 201);
//!   each call opens its `call` span, disabled: this program installs no
//!   `tracing` subscriber, as an application that does not listen;
//! - `raw + timeouts`: raw reqwest configured as the facade's builder
//!   configures it (30 s timeout, 10 s connect timeout, `User-Agent`), the
//!   fair baseline for the facade: a per-request timer costs reqwest a few
//!   percent.
//!
//! Each measurement is `--calls` calls (default 100,000) split over
//! `--concurrency` tasks (default 16, each making its share one call after
//! the other) on a multi-thread tokio runtime with one worker per CPU, after
//! `--warmup` calls (default 1,000) per client. The ways run
//! interleaved for `--rounds` rounds (default 3), the order rotated each
//! round, so that noise on a shared machine hits them alike.
//!
//! Before that, a fresh facade client makes `--calls` calls and the process's
//! resident memory (`VmRSS` in `/proc/self/status`) is read after 10%, 50% and
//! 100% of them (10k, 50k and 100k by default).
//!
//! Run: `cargo bench --bench runtime`; options go after `--`:
//! - `--calls N` (100000), `--concurrency N` (16), `--rounds N` (3),
//!   `--warmup N` (1000);
//! - `--split`: three more ways that take the facade's cost apart: `gen, no
//!   timeouts` (generated, with
//!   `.timeout(None).connect_timeout(None)`), `bearer only` (`Auth::bearer`,
//!   `RetryPolicy::none`) and `retry only` (`Auth::none`,
//!   `RetryPolicy::default`);
//! - `--only KEY` (`raw`, `generated`, `facade`, `raw-timeouts`,
//!   `gen-no-timeouts`, `bearer-only`, `retry-only`): that way alone, without
//!   the memory phase, to profile it, e.g. `perf record -g
//!   target/release/deps/runtime-<hash> --only generated`.
//!
//! Reading the output:
//! - throughput: requests/second of each round, the best and the median
//!   (wall clock); `best/raw` and `median/raw` divide a way's best (median)
//!   by raw reqwest's. The target, facade >= 0.95 x raw reqwest with the same
//!   timeouts on the best figures (issue 12), is printed, not asserted: benchmarks report figures, they do not fail on
//!   speed. Client and server share the CPUs, so the server's (equal) cost is
//!   in every figure and the ratios understate the differences between
//!   clients a little. The line `other processes meanwhile ...` says how busy
//!   the rest of the machine was (from `/proc/stat`): far above 0, the
//!   figures are noisy; rerun, or trust the best column.
//! - CPU time per call: user and system time of the whole process (clients
//!   and server, from `/proc/self/stat`, 10 ms ticks) divided by the calls,
//!   median of the rounds; `raw/way` below 1 means that way costs more CPU
//!   than raw reqwest. It rises too when the machine is busy (more context
//!   switches, fewer requests per read), but less than wall time does.
//! - memory: VmRSS before the first call and at each checkpoint; `growth` is
//!   the change from the first checkpoint to the last, in KiB and as a ratio
//!   (about 1.00 means flat: nothing accumulates per call). The server's
//!   memory is constant (a fixed buffer per connection, at most one
//!   connection per calling task per client), so growth is the client's. The
//!   last lines give VmRSS and the peak (VmHWM) at the end of the whole run.
//! - The program exits 1 with a message if any call fails (a transport
//!   error, a status other than 201, a body that does not parse) or if the
//!   server answered a different number of requests than calls were made.

use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use invitations::{Auth, RetryPolicy, hybridbox};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The account the invitations are created in.
const ACCOUNT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// The invited address, sent and checked in every answer.
const EMAIL: &str = "ada@example.com";

/// The body of every answer: a valid Hybridbox invitation.
const INVITATION: &str =
    r#"{"id":"a75c3a2f-9c02-0479-8472-a17a25228fc5","email":"ada@example.com","status":"pending"}"#;

/// The whole answer to every request.
static RESPONSE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    format!(
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{INVITATION}",
        INVITATION.len()
    )
    .into_bytes()
});

/// The answer to a request the server does not expect (another path, a
/// chunked body, a malformed head); the connection is closed after it.
const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// Largest request (head and body) the server accepts: bounds its memory.
const MAX_REQUEST: usize = 64 * 1024;

/// Requests the server has answered with a 201, to check that every call
/// made exactly one request (no retries, nothing lost).
static SERVED: AtomicU64 = AtomicU64::new(0);

// ---------------------------------------------------------------------------
// The server

/// Starts the server on 127.0.0.1 on its own thread; returns its address.
fn start_server() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let addr = listener.local_addr().expect("listener address");
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            tokio::spawn(serve(stream));
                        }
                        Err(e) => {
                            // Out of file descriptors and the like: wait a bit.
                            eprintln!("bench server: accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            });
        })
        .expect("server thread");
    addr
}

/// What the start of a buffer holds.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// A whole request of this many bytes (head and body).
    Complete(usize),
    /// The start of a request: read more.
    Partial,
    /// Something this server does not handle.
    Invalid,
}

/// Finds the first request in `buf`: the head up to `\r\n\r\n`, then
/// `Content-Length` bytes of body.
fn parse_request(buf: &[u8]) -> Parsed {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_REQUEST {
            Parsed::Invalid
        } else {
            Parsed::Partial
        };
    };
    let head = &buf[..head_end];
    if !head.starts_with(b"POST /v1/public/accounts/") {
        return Parsed::Invalid;
    }
    let mut content_length = 0usize;
    for line in head.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Parsed::Invalid;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            match std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                Some(n) if n <= MAX_REQUEST => content_length = n,
                _ => return Parsed::Invalid,
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Parsed::Invalid;
        }
    }
    let total = head_end + 4 + content_length;
    if buf.len() >= total {
        Parsed::Complete(total)
    } else {
        Parsed::Partial
    }
}

/// Answers the requests on one keep-alive connection until the client
/// closes it. A request may come in several reads and one read may hold
/// several requests; the answers to one read go out in one write.
async fn serve(mut stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        let mut invalid = false;
        loop {
            match parse_request(&buf[start..]) {
                Parsed::Complete(len) => {
                    start += len;
                    out.extend_from_slice(&RESPONSE);
                    SERVED.fetch_add(1, Ordering::Relaxed);
                }
                Parsed::Partial => break,
                Parsed::Invalid => {
                    out.extend_from_slice(BAD_REQUEST);
                    invalid = true;
                    break;
                }
            }
        }
        buf.drain(..start);
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
        if invalid {
            return;
        }
        // Keep the buffers' memory constant whatever a client sends.
        if buf.capacity() > 2 * MAX_REQUEST {
            buf.shrink_to(4096);
        }
        if out.capacity() > 64 * 1024 {
            out.shrink_to(1024);
        }
    }
}

// ---------------------------------------------------------------------------
// The clients

/// The request body of a raw call, written by hand.
#[derive(serde::Serialize)]
struct NewInvitation<'a> {
    email: &'a str,
}

/// The answer of a raw call, parsed by hand.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Parsed to do the work a client does; only email is checked.
struct RawInvitation {
    id: uuid::Uuid,
    email: String,
    status: Option<String>,
}

/// How a way sends its calls.
enum Sender {
    Raw(reqwest::Client),
    Generated(hybridbox::Client),
}

/// One way of making the call, as a row of the table.
struct Way {
    /// For `--only`.
    key: &'static str,
    name: &'static str,
    sender: Sender,
}

/// Everything the calling tasks share.
struct Bench {
    base_url: String,
    account: uuid::Uuid,
    ways: Vec<Way>,
}

impl Bench {
    /// One create-invitation call the way `way` makes it.
    async fn call(&self, way: usize) -> Result<(), String> {
        let email = match &self.ways[way].sender {
            Sender::Raw(http) => {
                let url = format!(
                    "{}/v1/public/accounts/{}/auth/invitations",
                    self.base_url, self.account
                );
                let response = http
                    .post(url)
                    .json(&NewInvitation { email: EMAIL })
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                if response.status() != reqwest::StatusCode::CREATED {
                    return Err(format!("status {}", response.status()));
                }
                let invitation: RawInvitation =
                    response.json().await.map_err(|e| format!("{e:?}"))?;
                invitation.email
            }
            Sender::Generated(client) => {
                client
                    .create_invitation()
                    .account_id(self.account)
                    .body(hybridbox::types::CreateInvitationRequest::builder().email(EMAIL))
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?
                    .into_inner()
                    .email
            }
        };
        if email != EMAIL {
            return Err(format!("answer for {email:?}, not {EMAIL:?}"));
        }
        Ok(())
    }
}

/// What one measurement took.
struct Measured {
    wall: Duration,
    /// CPU time of the whole process (clients and server), if known.
    cpu: Option<Duration>,
    /// CPU time of every other process on the machine meanwhile, if known.
    others: Option<Duration>,
}

/// Makes `calls` calls the way `way` does, from `concurrency` tasks each
/// making its share one after the other. Exits the process if any call
/// fails.
async fn run(bench: &Arc<Bench>, way: usize, calls: u64, concurrency: u64) -> Measured {
    let served_before = SERVED.load(Ordering::Relaxed);
    let cpu_before = cpu_time();
    let busy_before = machine_busy_time();
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let share = calls / concurrency + u64::from(task < calls % concurrency);
            let bench = bench.clone();
            tokio::spawn(async move {
                let mut errors = 0u64;
                let mut first = None;
                for _ in 0..share {
                    if let Err(e) = bench.call(way).await {
                        errors += 1;
                        first.get_or_insert(e);
                    }
                }
                (errors, first)
            })
        })
        .collect();
    let mut errors = 0;
    let mut first = None;
    for task in tasks {
        match task.await {
            Ok((n, e)) => {
                errors += n;
                if first.is_none() {
                    first = e;
                }
            }
            Err(e) => {
                errors += 1;
                first.get_or_insert(format!("task failed: {e}"));
            }
        }
    }
    let wall = start.elapsed();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let others = machine_busy_time()
        .zip(busy_before)
        .zip(cpu)
        .map(|((after, before), ours)| after.saturating_sub(before).saturating_sub(ours));
    let name = bench.ways[way].name;
    if errors > 0 {
        fail(&format!(
            "{errors} of {calls} {name} calls failed; first error: {}",
            first.unwrap_or_default()
        ));
    }
    let served = SERVED.load(Ordering::Relaxed) - served_before;
    if served != calls {
        fail(&format!(
            "{name}: the server answered {served} requests for {calls} calls"
        ));
    }
    Measured { wall, cpu, others }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}

// ---------------------------------------------------------------------------
// Memory

/// `VmRSS` and `VmHWM` of this process in KiB (Linux only).
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            line.strip_prefix(name)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// User and system CPU time of this process, all threads (Linux only;
/// `/proc` counts it in clock ticks, 100 a second on Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces;
    // utime and stime are fields 14 and 15.
    let mut fields = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time all processes on the machine spent busy (not idle, not waiting
/// for I/O), from the first line of `/proc/stat` (Linux only; clock ticks).
fn machine_busy_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal (guest time is already
    // in user and nice).
    let busy: u64 = ticks.iter().take(8).sum::<u64>() - ticks.get(3)? - ticks.get(4)?;
    Some(Duration::from_millis(busy * 10))
}

fn rss() -> u64 {
    memory().map_or(0, |(rss, _)| rss)
}

// ---------------------------------------------------------------------------
// Options and report

struct Options {
    calls: u64,
    concurrency: u64,
    rounds: usize,
    warmup: u64,
    split: bool,
    only: Option<String>,
}

const USAGE: &str = "usage: cargo bench --bench runtime -- [--calls N] [--concurrency N] [--rounds N] [--warmup N] [--split] [--only raw|generated|facade|raw-timeouts|gen-no-timeouts|bearer-only|retry-only]";

fn options() -> Options {
    let mut options = Options {
        calls: 100_000,
        concurrency: 16,
        rounds: 3,
        warmup: 1_000,
        split: false,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .filter(|&n| n > 0 || name == "--warmup")
                .unwrap_or_else(|| fail(&format!("{name} needs a positive number\n{USAGE}")))
        };
        match arg.as_str() {
            "--calls" => options.calls = number("--calls"),
            "--concurrency" => options.concurrency = number("--concurrency"),
            "--rounds" => options.rounds = number("--rounds") as usize,
            "--warmup" => options.warmup = number("--warmup"),
            "--split" => options.split = true,
            "--only" => {
                options.only = Some(
                    args.next()
                        .unwrap_or_else(|| fail(&format!("--only needs a way\n{USAGE}"))),
                );
            }
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => fail(&format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    options
}

fn per_second(calls: u64, elapsed: Duration) -> f64 {
    calls as f64 / elapsed.as_secs_f64()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// A ratio to three decimals, or `-` when there is nothing to compare with.
fn ratio(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.3}")
    } else {
        "-".to_owned()
    }
}

fn best(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------

/// Checks the server's parser on a request whole, cut at every byte, and
/// twice in a row (a bench target has no test harness to do it).
fn check_parser() {
    let one =
        b"POST /v1/public/accounts/x/auth/invitations HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    assert_eq!(parse_request(one), Parsed::Complete(one.len()));
    for cut in 0..one.len() {
        assert_eq!(parse_request(&one[..cut]), Parsed::Partial, "cut at {cut}");
    }
    let two = [&one[..], &one[..]].concat();
    assert_eq!(parse_request(&two), Parsed::Complete(one.len()));
    assert_eq!(
        parse_request(&two[one.len()..]),
        Parsed::Complete(one.len())
    );
    assert_eq!(parse_request(b"GET / HTTP/1.1\r\n\r\n"), Parsed::Invalid);
}

fn main() {
    check_parser();
    let options = options();
    let cpu_count = std::thread::available_parallelism().map_or(1, |n| n.get());
    let addr = start_server();
    assert!(addr.ip().is_loopback());
    let base_url = format!("http://{addr}");

    // reqwest's `rustls-no-provider` (this crate's default `rustls` feature)
    // needs a process-wide crypto provider for `reqwest::Client::builder()`.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let generated = |auth: Auth, retry: RetryPolicy| {
        hybridbox::Client::builder()
            .base_url(&base_url)
            .auth(auth)
            .retry(retry)
            .build()
            .unwrap_or_else(|e| fail(&format!("building the client: {e:?}")))
    };
    let raw = |builder: reqwest::ClientBuilder| {
        builder
            .build()
            .unwrap_or_else(|e| fail(&format!("building reqwest: {e:?}")))
    };
    let mut ways = vec![
        Way {
            key: "raw",
            name: "raw reqwest",
            sender: Sender::Raw(raw(reqwest::Client::builder())),
        },
        Way {
            key: "generated",
            name: "generated",
            sender: Sender::Generated(generated(Auth::none(), RetryPolicy::none())),
        },
        Way {
            key: "facade",
            name: "facade",
            sender: Sender::Generated(generated(
                Auth::bearer("bench-token"),
                RetryPolicy::default(),
            )),
        },
        Way {
            key: "raw-timeouts",
            name: "raw + timeouts",
            sender: Sender::Raw(raw(reqwest::Client::builder()
                .timeout(invitations::DEFAULT_TIMEOUT)
                .connect_timeout(invitations::DEFAULT_CONNECT_TIMEOUT)
                .user_agent(invitations::DEFAULT_USER_AGENT))),
        },
    ];
    if options.split || options.only.is_some() {
        ways.extend([
            Way {
                key: "gen-no-timeouts",
                name: "gen, no timeouts",
                sender: Sender::Generated(
                    hybridbox::Client::builder()
                        .base_url(&base_url)
                        .auth(Auth::none())
                        .retry(RetryPolicy::none())
                        .timeout(None)
                        .connect_timeout(None)
                        .build()
                        .unwrap_or_else(|e| fail(&format!("building the client: {e:?}"))),
                ),
            },
            Way {
                key: "bearer-only",
                name: "bearer only",
                sender: Sender::Generated(generated(
                    Auth::bearer("bench-token"),
                    RetryPolicy::none(),
                )),
            },
            Way {
                key: "retry-only",
                name: "retry only",
                sender: Sender::Generated(generated(Auth::none(), RetryPolicy::default())),
            },
        ]);
    }
    let index = |key: &str| ways.iter().position(|w| w.key == key);
    let (raw_way, facade_way, raw_timeouts_way) =
        (index("raw"), index("facade"), index("raw-timeouts"));
    // The ways measured for throughput, in table order.
    let measured: Vec<usize> = match &options.only {
        None => (0..ways.len()).collect(),
        Some(key) => vec![index(key).unwrap_or_else(|| fail(&format!("no way {key:?}\n{USAGE}")))],
    };
    let memory_way = ways.len();
    ways.push(Way {
        key: "memory",
        name: "facade (memory)",
        sender: Sender::Generated(generated(
            Auth::bearer("bench-token"),
            RetryPolicy::default(),
        )),
    });
    let bench = Arc::new(Bench {
        base_url,
        account: ACCOUNT.parse().expect("a uuid"),
        ways,
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("client runtime: {e}")));
    let Options {
        calls,
        concurrency,
        rounds,
        warmup,
        split,
        only,
    } = options;

    println!("runtime benchmark: create-invitation calls, hybridbox client vs raw reqwest");
    println!(
        "machine: {cpu_count} CPUs (available_parallelism); clients: multi-thread tokio runtime, {cpu_count} workers; server: http://{addr}, 1 thread"
    );
    println!(
        "per measurement: {calls} calls from {concurrency} tasks; warm-up {warmup} calls per client; {rounds} rounds{}{}",
        if split { "; --split" } else { "" },
        only.as_ref().map_or(String::new(), |key| format!(
            "; --only {key} (no memory phase)"
        )),
    );
    println!();

    runtime.block_on(async {
        if only.is_none() {
        // Memory: a fresh facade client, checkpoints within one run of
        // `calls` calls.
        let checkpoints = [calls / 10, calls / 2, calls];
        println!("memory, facade client ({calls} calls, VmRSS of the whole process):");
        println!("  {:<24} {:>10} KiB", "before the first call", rss());
        let mut done = 0;
        let mut readings = Vec::new();
        for checkpoint in checkpoints {
            if checkpoint > done {
                run(&bench, memory_way, checkpoint - done, concurrency).await;
                done = checkpoint;
            }
            let kib = rss();
            readings.push(kib);
            println!("  {:<24} {kib:>10} KiB", format!("after {checkpoint} calls"));
        }
        let (first, last) = (readings[0], readings[readings.len() - 1]);
        println!(
            "  {:<24} {:>+10} KiB  (x{:.2}: rss after {} / rss after {}; ~1.00 is flat)",
            format!("growth {}..{}", checkpoints[0], calls),
            last as i64 - first as i64,
            last as f64 / first.max(1) as f64,
            calls,
            checkpoints[0],
        );
        println!();
        }

        // Throughput.
        for &way in &measured {
            run(&bench, way, warmup, concurrency).await;
        }
        let ways = bench.ways.len();
        let mut rates = vec![Vec::new(); ways];
        let mut cpu_per_call = vec![Vec::new(); ways];
        // CPUs other processes kept busy: (sum over measurements, wall, worst).
        let mut others = (Duration::ZERO, Duration::ZERO, 0.0f64);
        for round in 0..rounds {
            for i in 0..measured.len() {
                let way = measured[(i + round) % measured.len()];
                let m = run(&bench, way, calls, concurrency).await;
                rates[way].push(per_second(calls, m.wall));
                if let Some(cpu) = m.cpu {
                    cpu_per_call[way].push(cpu.as_secs_f64() * 1e6 / calls as f64);
                }
                if let Some(busy) = m.others {
                    others.0 += busy;
                    others.1 += m.wall;
                    others.2 = others.2.max(busy.as_secs_f64() / m.wall.as_secs_f64());
                }
            }
        }

        println!(
            "throughput, requests/second (wall clock; rounds interleaved, order rotated each round):"
        );
        let mut header = format!("  {:<16}", "way");
        for round in 1..=rounds {
            header.push_str(&format!(" {:>9}", format!("round {round}")));
        }
        header.push_str(&format!(
            " {:>9} {:>9} {:>9} {:>10}",
            "best", "median", "best/raw", "median/raw"
        ));
        println!("{header}");
        let raw = raw_way.filter(|&w| !rates[w].is_empty());
        let (raw_best, raw_median) = raw.map_or((f64::NAN, f64::NAN), |w| {
            (best(&rates[w]), median(&rates[w]))
        });
        for &way in &measured {
            let values = &rates[way];
            let mut line = format!("  {:<16}", bench.ways[way].name);
            for value in values {
                line.push_str(&format!(" {value:>9.0}"));
            }
            let (b, m) = (best(values), median(values));
            line.push_str(&format!(
                " {b:>9.0} {m:>9.0} {:>9} {:>10}",
                ratio(b / raw_best),
                ratio(m / raw_median)
            ));
            println!("{line}");
        }
        let raw_timeouts = raw_timeouts_way.filter(|&w| !rates[w].is_empty());
        if let (Some(facade), Some(baseline)) = (
            facade_way.filter(|&w| !rates[w].is_empty()),
            raw_timeouts,
        ) {
            let ratio = best(&rates[facade]) / best(&rates[baseline]);
            println!(
                "  target: facade >= 0.95 x raw reqwest with the same timeouts (best req/s): {ratio:.3} -> {}",
                if ratio >= 0.95 { "met" } else { "NOT met" }
            );
        }
        if others.1 > Duration::ZERO {
            println!(
                "  other processes meanwhile kept {:.2} of the {cpu_count} CPUs busy on average, {:.2} in the worst measurement (near 0: a quiet machine)",
                others.0.as_secs_f64() / others.1.as_secs_f64(),
                others.2
            );
        }

        if measured.iter().all(|&w| cpu_per_call[w].len() == rounds) {
            println!();
            println!(
                "CPU time per call (whole process, clients and server; median of the rounds; raw/way: below 1 costs more than raw):"
            );
            println!("  {:<16} {:>9} {:>9}", "way", "µs/call", "raw/way");
            let raw_cpu = raw.map_or(f64::NAN, |w| median(&cpu_per_call[w]));
            for &way in &measured {
                let m = median(&cpu_per_call[way]);
                println!(
                    "  {:<16} {m:>9.2} {:>9}",
                    bench.ways[way].name,
                    ratio(raw_cpu / m)
                );
            }
        }
    });

    println!();
    match memory() {
        Some((rss, hwm)) => println!("end: VmRSS {rss} KiB, peak VmHWM {hwm} KiB"),
        None => println!("end: memory figures not available (no /proc/self/status)"),
    }
    println!(
        "server answered {} requests, one per call, all 201",
        SERVED.load(Ordering::Relaxed)
    );
}
