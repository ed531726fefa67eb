//! Signing in and out, the language, the password.

use crate::failure::Failure;
use crate::i18n::{Lang, Tr};
use crate::pages::{MessagePage, UserView, render, user_view};
use crate::{AppState, Ctx, LANG_COOKIE, SESSION_COOKIE, redirect, session_cookie};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use registry::RegistryError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    user: Option<UserView>,
    error: Option<String>,
    username: String,
}

pub async fn login_form(Extension(ctx): Extension<Ctx>) -> Response {
    if ctx.actor.is_some() {
        return redirect("/");
    }
    render(LoginPage {
        tr: ctx.tr(),
        user: None,
        error: None,
        username: String::new(),
    })
}

#[derive(Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<Credentials>,
) -> Response {
    let tr = ctx.tr();
    let page = |status: StatusCode, key: &str| {
        let page = LoginPage {
            tr,
            user: None,
            error: Some(tr.t(key).to_string()),
            username: form.username.clone(),
        };
        (status, render(page)).into_response()
    };
    match crate::auth::sign_in(&state, &ctx.client, &form.username, &form.password).await {
        Ok(crate::auth::SignIn::Signed { token, .. }) => {
            let mut response = redirect("/");
            if let Ok(v) = session_cookie(&token, state.secure).parse() {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Ok(crate::auth::SignIn::Wrong) => page(StatusCode::UNAUTHORIZED, "login_wrong"),
        Ok(crate::auth::SignIn::Limited) => page(StatusCode::TOO_MANY_REQUESTS, "login_limited"),
        Err(e) => Failure::from(e).page(&ctx),
    }
}

pub async fn logout(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    if let Some(token) = &ctx.token {
        let _ = state.registry.sign_out(token).await;
    }
    let mut response = redirect("/login");
    if let Ok(v) = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0").parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

pub async fn switch_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::parse(&code);
    // Back to the page the user was on, if it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    let mut response = redirect(&back);
    if let Ok(v) = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )
    .parse()
    {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    tr: Tr,
    user: Option<UserView>,
    error: Option<String>,
}

pub async fn password_form(Extension(ctx): Extension<Ctx>) -> Response {
    if ctx.actor.is_none() {
        return redirect("/login");
    }
    render(PasswordPage {
        tr: ctx.tr(),
        user: user_view(&ctx),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PasswordChange {
    pub old: String,
    pub new: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(form): Form<PasswordChange>,
) -> Response {
    let tr = ctx.tr();
    match state
        .registry
        .change_password(actor, &form.old, &form.new)
        .await
    {
        Ok(true) => {
            let page = MessagePage {
                tr,
                user: None,
                title: tr.t("password_title").into(),
                message: tr.t("password_done").into(),
            };
            let mut response = render(page);
            if let Ok(v) =
                format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0").parse()
            {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Ok(false) => {
            let page = PasswordPage {
                tr,
                user: user_view(&ctx),
                error: Some(tr.t("password_wrong").into()),
            };
            (StatusCode::BAD_REQUEST, render(page)).into_response()
        }
        Err(RegistryError::Invalid(problems)) => {
            let page = PasswordPage {
                tr,
                user: user_view(&ctx),
                error: Some(problems.join("; ")),
            };
            (StatusCode::BAD_REQUEST, render(page)).into_response()
        }
        Err(e) => Failure::from(e).page(&ctx),
    }
}
