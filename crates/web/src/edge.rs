//! What every response passes through on its way out: the request log (with
//! a request id, the actor and the unit, never a query string, an identity
//! number or a password), Vietnamese answers in place of the framework's
//! English rejections, and a Vietnamese page when a handler panics.

use crate::i18n::{Lang, Tr};
use crate::{LANG_COOKIE, cookie};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tracing::Instrument;

/// A request id: a per-process random prefix and a counter.
fn request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32))
    });
    format!("{prefix:08x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Logs each request once it is answered: id, method, path, status,
/// milliseconds, and the actor and unit (recorded by the session
/// middleware into this span). Server errors are logged as errors.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let id = request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %method,
        path = %path,
        actor = tracing::field::Empty,
        unit = tracing::field::Empty,
    );
    let start = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, ms, "answered");
        } else if status == 429 || status == 403 {
            tracing::warn!(status, ms, "answered");
        } else {
            tracing::info!(status, ms, "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Whether a response is one of the framework's own (plain text or empty),
/// not a page or JSON of ours.
fn from_framework(response: &Response) -> bool {
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|t| t.starts_with("text/plain")),
    }
}

/// The message of a framework rejection, by status.
fn rejection_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "error_not_found",
        405 => "error_method",
        408 => "error_timeout",
        413 => "error_too_large",
        415 => "error_content_type",
        400 | 422 => "error_bad_request",
        s if s >= 500 => "error_server",
        _ => "error_bad_request",
    }
}

/// Replaces the framework's English plain-text rejections (a query string
/// that does not parse, a JSON body of the wrong shape, a method not
/// allowed, a body too large) by a Vietnamese page, or by JSON under
/// `/api`. Malformed input answers 400.
pub async fn vietnamese_errors(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let lang = cookie(request.headers(), LANG_COOKIE)
        .map(Lang::parse)
        .unwrap_or_default();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || !from_framework(&response) {
        return response;
    }
    let status = match status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            StatusCode::BAD_REQUEST
        }
        s => s,
    };
    answer(Tr { lang }, api, status, rejection_key(status))
}

/// A Vietnamese answer of `status`: JSON for the API, a page otherwise.
fn answer(tr: Tr, api: bool, status: StatusCode, key: &str) -> Response {
    if api {
        return (
            status,
            axum::Json(serde_json::json!({ "error": tr.t(key) })),
        )
            .into_response();
    }
    crate::pages::message(tr, status, key)
}

/// The page for a handler that panicked (a bug): logged, and a Vietnamese
/// 500 for the user.
pub fn panicked(detail: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let text = detail
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| detail.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    tracing::error!(panic = %text, "handler panicked");
    let tr = Tr { lang: Lang::Vi };
    let page = crate::pages::message(tr, StatusCode::INTERNAL_SERVER_ERROR, "error_server");
    let (parts, body) = page.into_parts();
    Response::from_parts(parts, body)
}
