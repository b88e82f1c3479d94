//! A tiny HTTP server on 127.0.0.1 whose answers each test scripts
//! (status, headers, body, holding an answer until the test releases it or
//! forever, an endless chunked body), counting what it saw. It runs on the
//! test's own runtime, so tests can pause tokio's clock around it.
//!
//! Include with `#[path = "common/server.rs"] mod server;`.

#![allow(dead_code)] // Each test file uses a different part.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// How long a held answer waits for its gate at most: only reached when the
/// code under test is broken, so that the test fails instead of hanging.
pub const HANG_GUARD: Duration = Duration::from_secs(30);

/// What the server does with one request.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    /// Headers besides `content-type`, the framing and `connection: close`.
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub hold: Hold,
}

#[derive(Clone)]
pub enum Body {
    Text(String),
    /// This many bytes, chunked, until the client hangs up.
    Endless(u64),
}

#[derive(Clone)]
pub enum Hold {
    No,
    /// Until the gate opens.
    Until(watch::Receiver<bool>),
    /// Never answers.
    Forever,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Text(body.to_string()),
            hold: Hold::No,
        }
    }

    pub fn token(token: &str, expires_in: u64) -> Reply {
        Reply::json(
            200,
            serde_json::json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}),
        )
    }

    pub fn status(status: u16) -> Reply {
        Reply::json(status, serde_json::json!({}))
    }

    /// The same reply with the header `name: value`.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn held(mut self, gate: &watch::Sender<bool>) -> Reply {
        self.hold = Hold::Until(gate.subscribe());
        self
    }
}

/// A gate for held answers; `send_replace(true)` opens it.
pub fn gate() -> watch::Sender<bool> {
    watch::channel(false).0
}

/// What the server saw and did.
#[derive(Default)]
pub struct Stats {
    /// Requests received.
    pub arrived: AtomicUsize,
    /// Requests answered (the whole answer written).
    pub answered: AtomicUsize,
    /// Body bytes written by endless answers.
    pub written: AtomicU64,
    /// Endless answers that stopped (the client hung up, or all was sent).
    pub streams_ended: AtomicUsize,
    /// The `Authorization` header of each request.
    pub authorization: Mutex<Vec<Option<String>>>,
}

/// A server on 127.0.0.1 answering with `script` in order (the last
/// repeating), over https when given a TLS acceptor.
pub struct Server {
    pub url: String,
    pub stats: Arc<Stats>,
}

impl Server {
    pub async fn start(script: Vec<Reply>) -> Server {
        Server::start_with(script, None).await
    }

    pub async fn start_with(script: Vec<Reply>, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let stats = Arc::new(Stats::default());
        let script = Arc::new(script);
        let counters = stats.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (stats, script) = (counters.clone(), script.clone());
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(tcp).await {
                                serve(stream, &stats, &script).await;
                            }
                        }
                        None => serve(tcp, &stats, &script).await,
                    }
                });
            }
        });
        Server { url, stats }
    }

    pub fn arrived(&self) -> usize {
        self.stats.arrived.load(Ordering::SeqCst)
    }

    pub fn answered(&self) -> usize {
        self.stats.answered.load(Ordering::SeqCst)
    }

    pub fn authorization(&self) -> Vec<Option<String>> {
        self.stats.authorization.lock().unwrap().clone()
    }
}

/// Answers one request on `stream`.
async fn serve(mut stream: impl AsyncRead + AsyncWrite + Unpin, stats: &Stats, script: &[Reply]) {
    let Some(authorization) = read_request(&mut stream).await else {
        return;
    };
    let index = {
        let mut seen = stats.authorization.lock().unwrap();
        seen.push(authorization);
        stats.arrived.fetch_add(1, Ordering::SeqCst);
        seen.len() - 1
    };
    let reply = script[index.min(script.len() - 1)].clone();
    match reply.hold {
        Hold::No => {}
        Hold::Until(mut gate) => {
            let _ = tokio::time::timeout(HANG_GUARD, gate.wait_for(|open| *open)).await;
        }
        Hold::Forever => std::future::pending().await,
    }
    let headers: String = reply
        .headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = |framing: &str| {
        format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\n{headers}{framing}\r\nconnection: close\r\n\r\n",
            reply.status
        )
    };
    match reply.body {
        Body::Text(body) => {
            let response = head(&format!("content-length: {}", body.len())) + &body;
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Body::Endless(total) => {
            let chunk = vec![b'a'; 64 * 1024];
            let mut ok = stream
                .write_all(head("transfer-encoding: chunked").as_bytes())
                .await
                .is_ok();
            while ok && stats.written.load(Ordering::SeqCst) < total {
                let framed =
                    [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                ok = stream.write_all(&framed).await.is_ok();
                if ok {
                    stats
                        .written
                        .fetch_add(chunk.len() as u64, Ordering::SeqCst);
                }
            }
            stats.streams_ended.fetch_add(1, Ordering::SeqCst);
        }
    }
    stats.answered.fetch_add(1, Ordering::SeqCst);
}

/// Reads one request (head, then `content-length` bytes of body) and
/// returns its `Authorization` header; `None` if the client went away.
async fn read_request(stream: &mut (impl AsyncRead + Unpin)) -> Option<Option<String>> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&chunk[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        let header = |name: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
        };
        let length: usize = header("content-length").map_or(0, |v| v.parse().unwrap_or(0));
        if data.len() >= end + 4 + length {
            return Some(header("authorization"));
        }
    }
}
