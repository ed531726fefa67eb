//! What the bounded load and the bench share: a keep-alive HTTP/1.1
//! connection to a server on this machine, a server started for a run (and
//! stopped with it), the loopback check, sign-in and percentiles.

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::time::{Duration, Instant};

/// One keep-alive HTTP/1.1 connection to the server.
pub struct Connection {
    addr: String,
    sender: Option<http1::SendRequest<Full<Bytes>>>,
    /// Asks for gzip as a browser does (the bodies then come compressed).
    pub gzip: bool,
}

impl Connection {
    pub fn new(addr: &str) -> Connection {
        Connection {
            addr: addr.to_string(),
            sender: None,
            gzip: false,
        }
    }

    async fn sender(&mut self) -> Result<&mut http1::SendRequest<Full<Bytes>>> {
        let alive = self.sender.as_ref().is_some_and(|s| !s.is_closed());
        if !alive {
            let stream = tokio::net::TcpStream::connect(&self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().context("no connection")
    }

    /// Sends a request; (status, body).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Result<(u16, Bytes)> {
        let host = self.addr.clone();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, host);
        if let Some(t) = token {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if self.gzip {
            request = request.header(hyper::header::ACCEPT_ENCODING, "gzip, deflate, br");
        }
        let request = match body {
            Some((kind, text)) => request
                .header(hyper::header::CONTENT_TYPE, kind)
                .body(Full::new(Bytes::from(text)))?,
            None => request.body(Full::new(Bytes::new()))?,
        };
        let sender = self.sender().await?;
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// A server started for the run, stopped when the run ends.
pub struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Only this machine is ever loaded.
pub fn loopback(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("http://")
        .context("chỉ thử tải qua http:// trên máy này")?;
    let host_port = rest.split('/').next().unwrap_or("");
    let host = host_port
        .rsplit_once(':')
        .map_or(host_port, |(h, _)| h)
        .trim_matches(['[', ']']);
    if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
        bail!("chỉ thử tải trên máy này (127.0.0.1, localhost, ::1), không phải \"{host}\"");
    }
    Ok(host_port.replace("localhost", "127.0.0.1"))
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Connection {
    /// Signs `user` in through the API; the bearer token.
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Result<String> {
        let credentials = serde_json::json!({"username": user, "password": password}).to_string();
        let (status, body) = self
            .send(
                "POST",
                "/api/v1/auth/token",
                None,
                Some(("application/json", credentials)),
            )
            .await?;
        if status != 200 {
            bail!(
                "{user}: đăng nhập được trả lời {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(serde_json::from_slice::<serde_json::Value>(&body)?["token"]
            .as_str()
            .context("no token")?
            .to_string())
    }

    /// A GET answered 200, as JSON.
    pub async fn json(&mut self, path: &str, token: &str) -> Result<serde_json::Value> {
        let (status, body) = self.send("GET", path, Some(token), None).await?;
        if status != 200 {
            bail!(
                "{path}: được trả lời {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(serde_json::from_slice(&body)?)
    }
}

/// The server to measure: the one at `url` (loopback only), or one started
/// on `db` on a free loopback port, stopped when the returned value drops.
pub fn server(db: &str, url: Option<&str>) -> Result<(String, Option<Server>)> {
    if let Some(url) = url {
        return Ok((loopback(url)?, None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--db", db, "--addr", &addr])
        .env("GIAMNGHEO_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("không chạy được máy chủ")?;
    let server = Server(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        if start.elapsed() > Duration::from_secs(60) {
            bail!("máy chủ không mở cổng {addr} sau 60 giây");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok((addr, Some(server)))
}
