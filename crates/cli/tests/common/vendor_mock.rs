//! A stateful mock of both vendors on 127.0.0.1 for `tests/bulk_invite.rs`:
//! it keeps the invitations per email (and lists Hybridbox's pending ones,
//! for an email or all of them),
//! counts every request (token endpoint included), answers bursts of 429
//! with `Retry-After: 1`, and on the first create of some emails resets the
//! connection after carrying it out, answers 500 after carrying it out, or
//! answers 500 without.
//!
//! Include with `#[path = "common/vendor_mock.rs"] mod vendor_mock;`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The account every test invites into.
pub const ACCOUNT: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// What the mock does wrong.
#[derive(Clone, Default)]
pub struct Faults {
    /// Request numbers (1-based, token requests not counted) that start a
    /// burst of `burst_len` answers 429 with `Retry-After: 1`.
    pub bursts: Vec<usize>,
    pub burst_len: usize,
    /// Whether the first create of some emails fails (see [`Fault`]).
    pub creates: bool,
    /// How long each create takes.
    pub create_delay: Duration,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Fault {
    /// Carried out, then the connection reset.
    Reset,
    /// Carried out, then 500.
    ServerErrorDone,
    /// 500, not carried out.
    ServerErrorUndone,
}

/// The mock's state, for the test's assertions.
#[derive(Default)]
pub struct State {
    /// Every request, token requests included.
    pub requests: usize,
    pub tokens: usize,
    pub creates_seen: usize,
    /// Invitations per email (lower case).
    pub created: HashMap<String, usize>,
    /// Create requests per email.
    pub attempts: HashMap<String, usize>,
    /// Emails whose create got a fault.
    pub faulted: HashMap<String, Fault>,
    /// Creates answered 201.
    pub answered: usize,
    /// Requests answered 429.
    pub throttled: usize,
    /// Hybridbox lists answered.
    pub lists: usize,
}

pub struct Mock {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl Mock {
    pub async fn start(faults: Faults, seeded: &[String]) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        for email in seeded {
            state.lock().unwrap().created.insert(email.clone(), 1);
        }
        let shared = (state.clone(), Arc::new(faults));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (state, faults) = (shared.0.clone(), shared.1.clone());
                tokio::spawn(serve(socket, state, faults));
            }
        });
        Mock { url, state }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

/// One keep-alive connection: reads requests, answers each.
pub async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>, faults: Arc<Faults>) {
    let mut buffer = Vec::new();
    loop {
        let Some((head, body)) = read_request(&mut socket, &mut buffer).await else {
            return;
        };
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split(' ');
        let (verb, target) = (
            first.next().unwrap_or_default(),
            first.next().unwrap_or_default(),
        );
        let url = url::Url::parse(&format!("http://mock{target}")).unwrap();
        let (status, extra, answer, reset) = answer(verb, &url, &body, &state, &faults).await;
        if reset {
            socket.set_zero_linger().unwrap();
            return;
        }
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{answer}",
            answer.len()
        );
        if socket.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The next request's head (lower case) and body.
pub async fn read_request(
    socket: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buffer.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
                buffer.extend_from_slice(&chunk[..n]);
            }
            let body = buffer[end + 4..end + 4 + length].to_vec();
            buffer.drain(..end + 4 + length);
            return Some((head, body));
        }
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// Status, extra header lines, body, and whether to reset instead.
pub async fn answer(
    verb: &str,
    url: &url::Url,
    body: &[u8],
    state: &Mutex<State>,
    faults: &Faults,
) -> (u16, String, String, bool) {
    let path = url.path();
    let number = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        if path == "/token" {
            s.tokens += 1;
            let token = json!({"access_token": "tok-from-endpoint", "expires_in": 300});
            return (200, String::new(), token.to_string(), false);
        }
        s.requests - s.tokens
    };
    if faults
        .bursts
        .iter()
        .any(|start| (*start..start + faults.burst_len).contains(&number))
    {
        state.lock().unwrap().throttled += 1;
        let body = json!({"errors": ["rate limit"]}).to_string();
        return (429, "retry-after: 1\r\n".to_owned(), body, false);
    }
    let hybridbox = format!("/v1/public/accounts/{ACCOUNT}/auth/invitations");
    let automox = format!("/accounts/{ACCOUNT}/invitations");
    let id = || uuid::Uuid::from_u128(number as u128 + 1).to_string();
    if verb == "get" && path == hybridbox {
        // For one email, or (no `email`) every pending invitation.
        let email = url
            .query_pairs()
            .find(|(k, _)| k == "email")
            .map(|(_, v)| v.to_lowercase());
        let mut s = state.lock().unwrap();
        s.lists += 1;
        let listed: Vec<Value> = s
            .created
            .keys()
            .filter(|e| email.as_ref().is_none_or(|wanted| wanted == *e))
            .enumerate()
            .map(|(i, e)| {
                let id = uuid::Uuid::from_u128(((number as u128) << 32) + i as u128 + 1);
                json!({"id": id.to_string(), "email": e, "status": "pending"})
            })
            .collect();
        return (200, String::new(), Value::from(listed).to_string(), false);
    }
    if verb != "post" || (path != hybridbox && path != automox) {
        return (404, String::new(), "{}".to_owned(), false);
    }
    tokio::time::sleep(faults.create_delay).await;
    let request: Value = serde_json::from_slice(body).unwrap();
    let email = request["email"].as_str().unwrap().to_lowercase();
    let fault = {
        let mut s = state.lock().unwrap();
        s.creates_seen += 1;
        let attempts = s.attempts.entry(email.clone()).or_default();
        *attempts += 1;
        let fault = match (faults.creates && *attempts == 1, s.creates_seen % 50) {
            (true, 7) => Some(Fault::Reset),
            (true, 19) => Some(Fault::ServerErrorDone),
            (true, 33) => Some(Fault::ServerErrorUndone),
            _ => None,
        };
        if let Some(fault) = fault {
            s.faulted.insert(email.clone(), fault);
        }
        if fault != Some(Fault::ServerErrorUndone) {
            *s.created.entry(email.clone()).or_default() += 1;
        }
        if fault.is_none() {
            s.answered += 1;
        }
        fault
    };
    let invitation = json!({"id": id(), "email": email, "status": "pending"});
    match fault {
        Some(Fault::Reset) => (0, String::new(), String::new(), true),
        Some(_) => (500, String::new(), "{}".to_owned(), false),
        None if path == automox => (201, String::new(), json!([invitation]).to_string(), false),
        None => (201, String::new(), invitation.to_string(), false),
    }
}
