//! A built dashboard folder over HTTP on localhost.
//!
//! It serves a dashboard and nothing else: the folder must be one that
//! `dashboard build` wrote (its page, data manifest and viewer), and only
//! the kinds of file a build writes are served. Pointed at a project
//! folder it served the pseudonymisation key and the store to anyone who
//! could reach the port (an attacker's finding). Each connection has its
//! own thread and a read timeout, at most [`CONNECTIONS`] at once, and a
//! request line of at most [`REQUEST_LINE`] bytes: one idle connection
//! held the single-threaded server for good, and a request line without
//! an end grew its memory without limit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Why the dashboard is not served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The folder is not a dashboard `dashboard build` wrote.
    #[error("{} is not a built dashboard (index.html, data/manifest.json and viewer/)", .0.display())]
    NotADashboard(PathBuf),
    /// The port could not be bound, or the folder read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Connections served at once; more are turned away.
pub const CONNECTIONS: usize = 32;

/// The longest request line read.
pub const REQUEST_LINE: u64 = 8 * 1024;

/// How long a connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The file kinds a dashboard build writes, with their content types.
const KINDS: [(&str, &str); 8] = [
    ("html", "text/html; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("json", "application/json"),
    ("wasm", "application/wasm"),
    ("arrow", "application/vnd.apache.arrow.file"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
];

/// Whether `dir` is a dashboard `dashboard build` wrote.
pub(super) fn is_dashboard(dir: &Path) -> bool {
    dir.join("index.html").is_file()
        && dir.join("data").join("manifest.json").is_file()
        && dir.join("viewer").is_dir()
        // A dashboard is written into a folder of its own, never a
        // project's: the key or the store beside it is refused.
        && !dir.join("peitto.toml").exists()
        && !dir.join("key").exists()
        && !dir.join("store").exists()
}

/// Serves the folder `dir` over HTTP on localhost (`port` 0: any free
/// one), calling `ready` with its address once it listens.
///
/// # Errors
/// If `dir` is not a built dashboard, or the port cannot be bound.
pub fn serve(dir: &Path, port: u16, ready: impl FnOnce(&str)) -> Result<(), ServeError> {
    let root = dir.canonicalize()?;
    if !is_dashboard(&root) {
        return Err(ServeError::NotADashboard(dir.to_owned()));
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    ready(&format!(
        "http://127.0.0.1:{}/",
        listener.local_addr()?.port()
    ));
    let root = Arc::new(root);
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if open.fetch_add(1, Ordering::SeqCst) >= CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            continue;
        }
        let (here, done) = (Arc::clone(&root), Arc::clone(&open));
        let spawned = std::thread::Builder::new()
            .name("peitto-serve".into())
            .spawn(move || {
                answer(&here, stream);
                done.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            open.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

/// Reads one request from `stream` and answers it.
fn answer(root: &Path, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let mut line = Vec::new();
    let read = BufReader::new((&stream).take(REQUEST_LINE)).read_until(b'\n', &mut line);
    if read.is_err() || !line.ends_with(b"\n") {
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let line = String::from_utf8_lossy(&line);
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default();
    if method != "GET" && method != "HEAD" {
        let _ = stream.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let path = words.next().unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let rel = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_owned()
    };
    let (body, kind) = file(root, rel.trim_start_matches('/')).unzip();
    let _ = match body {
        Some(b) => stream
            .write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                    kind.unwrap_or_default(),
                    b.len()
                )
                .as_bytes(),
            )
            .and_then(|()| {
                if method == "HEAD" {
                    Ok(())
                } else {
                    stream.write_all(&b)
                }
            }),
        None => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    };
}

/// The bytes and content type of `rel` under `root`: a file of a kind a
/// build writes, inside the folder (no link out of it), not hidden.
fn file(root: &Path, rel: &str) -> Option<(Vec<u8>, &'static str)> {
    let path = Path::new(rel);
    let kind = KINDS
        .iter()
        .find(|(ext, _)| path.extension().and_then(|e| e.to_str()) == Some(*ext))?
        .1;
    if path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return None;
    }
    let file = root.join(path).canonicalize().ok()?;
    if !file.starts_with(root) || !file.is_file() {
        return None;
    }
    Some((std::fs::read(file).ok()?, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A built dashboard's files in a temporary folder, with a project's
    /// key and an extra file beside them.
    fn site() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("data")).unwrap();
        std::fs::create_dir_all(d.join("viewer")).unwrap();
        std::fs::write(d.join("index.html"), "<html>").unwrap();
        std::fs::write(d.join("data/manifest.json"), "{}").unwrap();
        std::fs::write(d.join("viewer/peitto_viewer_bg.wasm"), b"\0asm").unwrap();
        std::fs::write(d.join("notes.txt"), "secret").unwrap();
        std::fs::write(d.join(".env"), "secret").unwrap();
        tmp
    }

    fn start(dir: &Path) -> String {
        let (tx, rx) = std::sync::mpsc::channel();
        let dir = dir.to_owned();
        std::thread::spawn(move || {
            let _ = serve(&dir, 0, |url| tx.send(url.to_owned()).unwrap());
        });
        rx.recv().unwrap()
    }

    fn request(url: &str, raw: &[u8]) -> String {
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(address).unwrap();
        s.write_all(raw).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn only_a_built_dashboard_is_served() {
        // The project folder (its key, store and settings) or /etc were
        // served whole.
        let project = tempfile::tempdir().unwrap();
        std::fs::write(project.path().join("peitto.toml"), "").unwrap();
        for dir in [project.path(), Path::new("/etc")] {
            assert!(matches!(
                serve(dir, 0, |_| panic!("served {}", dir.display())),
                Err(ServeError::NotADashboard(_))
            ));
        }
        // A dashboard with a project inside it is no dashboard either.
        let tmp = site();
        std::fs::create_dir(tmp.path().join("key")).unwrap();
        assert!(matches!(
            serve(tmp.path(), 0, |_| panic!("served")),
            Err(ServeError::NotADashboard(_))
        ));
    }

    #[test]
    fn a_dashboard_serves_its_own_kinds_of_file_only() {
        let tmp = site();
        let url = start(tmp.path());
        let get = |path: &str| request(&url, format!("GET {path} HTTP/1.1\r\n\r\n").as_bytes());
        assert!(get("/").starts_with("HTTP/1.1 200"));
        assert!(get("/data/manifest.json").contains("application/json"));
        for path in [
            "/notes.txt",
            "/.env",
            "/../etc/passwd",
            "/data/../../x.html",
        ] {
            assert!(get(path).starts_with("HTTP/1.1 404"), "{path}");
        }
        let head = request(&url, b"HEAD /index.html HTTP/1.1\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200") && !head.contains("<html>"));
        assert!(request(&url, b"POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
    }

    #[test]
    fn an_idle_or_endless_request_does_not_hold_the_server() {
        let tmp = site();
        let url = start(tmp.path());
        let address = url.trim_start_matches("http://").trim_end_matches('/');
        // A connection that sends one byte and waits.
        let mut idle = TcpStream::connect(address).unwrap();
        idle.write_all(b"G").unwrap();
        let started = std::time::Instant::now();
        assert!(request(&url, b"GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"));
        assert!(started.elapsed() < Duration::from_secs(5));
        // A request line without an end is cut off, not read on: the
        // connection is closed (answered 400, or reset with the rest unread).
        let mut endless = TcpStream::connect(address).unwrap();
        endless
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = endless.write_all(&vec![b'a'; 64 * 1024]);
        let mut answer = Vec::new();
        if let Err(e) = endless.read_to_end(&mut answer) {
            assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "still reading: {e}"
            );
        }
        assert!(request(&url, b"GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200"));
        drop(idle);
    }
}
