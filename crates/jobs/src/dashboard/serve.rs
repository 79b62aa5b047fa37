//! A built dashboard folder over HTTP on localhost.

use std::path::Path;

/// Serves the folder `dir` over HTTP on localhost (`port` 0: any free
/// one), calling `ready` with its address once it listens. Only files
/// inside the folder are served.
///
/// # Errors
/// If the port cannot be bound or the folder does not exist.
pub fn serve(dir: &Path, port: u16, ready: impl FnOnce(&str)) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    ready(&format!(
        "http://127.0.0.1:{}/",
        listener.local_addr()?.port()
    ));
    let root = dir.canonicalize()?;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut line = String::new();
        if BufReader::new(&stream).read_line(&mut line).is_err() {
            continue;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/");
        let path = path.split(['?', '#']).next().unwrap_or("/");
        let rel = if path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        let file = root.join(rel.trim_start_matches('/'));
        // Only files inside the folder.
        let body = file
            .canonicalize()
            .ok()
            .filter(|f| f.starts_with(&root))
            .and_then(|f| std::fs::read(f).ok());
        let kind = match file.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            Some("wasm") => "application/wasm",
            _ => "application/octet-stream",
        };
        let _ = match body {
            Some(b) => stream
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", b.len()).as_bytes())
                .and_then(|()| stream.write_all(&b)),
            None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        };
    }
    Ok(())
}
