//! Prism (the npm tool pinned in `package-lock.json`) as a mock or a
//! validating proxy of an OpenAPI document on a free 127.0.0.1 port, for the
//! contract tests. `--errors`: a request that breaks the document gets a 4xx
//! and an `sl-violations` header (as a proxy, a response that breaks it a
//! 500).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running Prism, stopped on drop.
pub struct Prism {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Prism {
    /// Prism with `args` (such as `["mock", "-d", "doc.yaml"]`, paths
    /// relative to the crate's root), plus `--errors` and its loopback
    /// address.
    pub fn run(args: &[&str]) -> Prism {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let prism = root.join("node_modules/.bin/prism");
        assert!(
            prism.exists(),
            "{} is missing: run `npm ci` (scripts/test does)",
            prism.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(prism)
            .args(args)
            .args(["--errors", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prism starts");
        // Dropping `prism` stops the child, on every path out of here.
        let prism = Prism {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        // Readiness wait, not a timing assertion: give up after ~2 minutes
        // (a large document takes Prism seconds to load).
        for _ in 0..1200 {
            if TcpStream::connect(prism.addr).is_ok() {
                return prism;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("prism did not start listening on {}", prism.addr);
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
