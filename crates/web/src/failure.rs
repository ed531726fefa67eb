//! One error type for pages and the API: what went wrong — a registry
//! error, or a request's own problem — with its status, told as a
//! Vietnamese page or as JSON `{"error": "…"}`.

use crate::Ctx;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use registry::RegistryError;

#[derive(Debug)]
pub(crate) enum Failure {
    /// No session (pages) or no valid token (API).
    Unauthorized,
    /// A sign-in with a wrong name or password.
    WrongCredentials,
    /// Absent, or outside the actor's scope (the same answer): what was
    /// looked for.
    NotFound(String),
    /// The role lacks the capability, or the unit is not the actor's.
    Forbidden(String),
    /// What was typed or sent breaks a rule: every problem, each naming
    /// its field.
    Invalid(Vec<String>),
    /// The request itself is malformed (a query parameter, a body).
    BadRequest(String),
    Conflict(String),
    TooManyRequests(String),
    /// The database is busy; try again.
    Busy,
    /// Anything else: logged, never shown.
    Server,
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Failure {
        match e {
            RegistryError::Forbidden(m) => Failure::Forbidden(m),
            RegistryError::NotFound(m) => Failure::NotFound(m),
            RegistryError::Invalid(p) => Failure::Invalid(p),
            RegistryError::Conflict(m) => Failure::Conflict(m),
            RegistryError::Busy => {
                tracing::warn!("database busy");
                Failure::Busy
            }
            e => {
                tracing::error!(error = %e, "registry error");
                Failure::Server
            }
        }
    }
}

impl Failure {
    /// The status of the answer. A form's problems are a 400 page (the
    /// form again); the API says 422 for a body it understood but refuses.
    fn status(&self, api: bool) -> StatusCode {
        match self {
            Failure::Unauthorized | Failure::WrongCredentials => StatusCode::UNAUTHORIZED,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Forbidden(_) => StatusCode::FORBIDDEN,
            Failure::Invalid(_) if api => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::Invalid(_) | Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Failure::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Failure::Server => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The answer as a page in the user's language. Forbidden and not
    /// found say only that (the registry's detail may name what the actor
    /// should not learn of).
    pub(crate) fn page(self, ctx: &Ctx) -> Response {
        let status = self.status(false);
        let title = |key| crate::pages::message_for(ctx, status, key);
        match self {
            Failure::Unauthorized => Redirect::to("/login").into_response(),
            Failure::WrongCredentials => title("login_wrong"),
            Failure::NotFound(_) => title("error_not_found"),
            Failure::Forbidden(_) => title("error_forbidden"),
            Failure::Busy => title("error_busy"),
            Failure::Server => title("error_server"),
            Failure::Invalid(problems) => {
                crate::pages::problem_page(ctx, status, &problems.join("; "))
            }
            Failure::BadRequest(m) | Failure::Conflict(m) | Failure::TooManyRequests(m) => {
                crate::pages::problem_page(ctx, status, &m)
            }
        }
    }

    /// The answer as the API's JSON.
    pub(crate) fn json(self) -> Response {
        let status = self.status(true);
        let message = match self {
            Failure::Unauthorized => {
                "cần đăng nhập: gửi Authorization: Bearer TOKEN (POST /api/v1/auth/token)".into()
            }
            Failure::WrongCredentials => "tên đăng nhập hoặc mật khẩu không đúng".into(),
            Failure::NotFound(m) => format!("không tìm thấy {m}"),
            Failure::Invalid(p) => p.join("; "),
            Failure::Forbidden(m)
            | Failure::BadRequest(m)
            | Failure::Conflict(m)
            | Failure::TooManyRequests(m) => m,
            Failure::Busy => RegistryError::Busy.to_string(),
            Failure::Server => "lỗi máy chủ; đã ghi lại để quản trị viên kiểm tra".into(),
        };
        (status, Json(crate::dto::ErrorBody { error: message })).into_response()
    }
}

/// A failure an API handler returns with `?`: answered in JSON.
#[derive(Debug)]
pub(crate) struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_registry_error_has_its_status_in_pages_and_the_api() {
        let cases = [
            (RegistryError::Forbidden("x".into()), 403, 403),
            (RegistryError::NotFound("hộ".into()), 404, 404),
            (RegistryError::Invalid(vec!["a".into()]), 400, 422),
            (RegistryError::Conflict("c".into()), 409, 409),
            (RegistryError::Busy, 503, 503),
        ];
        for (e, page, api) in cases {
            let f = Failure::from(e);
            assert_eq!(f.status(false).as_u16(), page, "{f:?}");
            assert_eq!(f.status(true).as_u16(), api, "{f:?}");
        }
    }
}
