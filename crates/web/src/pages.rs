//! What every page shares: the header's user, message pages, the
//! Vietnamese forms of numbers and dates, static files.

use crate::Ctx;
use crate::failure::Failure;
use crate::i18n::{Lang, Tr};
use askama::Template;
use axum::Extension;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use registry::Capability;

/// The signed-in user as the header shows them.
pub struct UserView {
    pub name: String,
    pub role: String,
    pub sees_names: bool,
    pub sees_work_lists: bool,
    pub admin: bool,
}

pub(crate) fn user_view(ctx: &Ctx) -> Option<UserView> {
    ctx.actor.as_ref().map(|a| UserView {
        name: a.name.clone(),
        role: match &ctx.unit_name {
            Some(unit) => format!("{} · {unit}", ctx.tr().role(a.role)),
            None => ctx.tr().role(a.role).to_string(),
        },
        sees_names: a.may(Capability::SeeNames),
        sees_work_lists: a.may(Capability::SeeWorkLists),
        admin: a.may(Capability::Administer),
    })
}

/// Up to this many units above the villages, a unit picker lists them;
/// beyond (a province's communes), it is a box that searches as you type
/// (`static/search.js`, `/api/v1/units?q=`).
pub(crate) const UNITS_LISTED: usize = 60;

/// The code of the one unit of the actor's scope that `text` names: a
/// code, or a name (marks and case aside) that only one unit has or that
/// one unit has exactly — what a picker's box holds when its suggestions
/// were not used. `level` keeps to units of that level.
pub(crate) async fn unit_named(
    registry: &registry::Registry,
    actor: &registry::Actor,
    text: &str,
    level: Option<registry::Level>,
) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || registry.unit_by_code(text).await.ok().flatten().is_some() {
        return None;
    }
    let found: Vec<registry::Unit> = registry
        .find_units(actor, text, 20)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| level.is_none_or(|l| u.level == l))
        .collect();
    let exact: Vec<&registry::Unit> = found
        .iter()
        .filter(|u| vntext::search_key(&u.name) == vntext::search_key(text))
        .collect();
    match (found.as_slice(), exact.as_slice()) {
        ([one], _) => Some(one.code.clone()),
        (_, [one]) => Some(one.code.clone()),
        _ => None,
    }
}

pub(crate) fn render(page: impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub(crate) tr: Tr,
    pub(crate) user: Option<UserView>,
    pub(crate) title: String,
    pub(crate) message: String,
}

/// A page that only says something (errors, confirmations).
pub(crate) fn message(tr: Tr, status: StatusCode, key: &str) -> Response {
    let page = MessagePage {
        tr,
        user: None,
        title: tr.t("error_title").to_string(),
        message: tr.t(key).to_string(),
    };
    (status, render(page)).into_response()
}

pub(crate) fn message_for(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let tr = ctx.tr();
    let page = MessagePage {
        tr,
        user: user_view(ctx),
        title: tr.t(key).to_string(),
        message: tr.t(key).to_string(),
    };
    (status, render(page)).into_response()
}

/// A page that names what went wrong (the problems of a form, a conflict).
pub(crate) fn problem_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let tr = ctx.tr();
    let page = MessagePage {
        tr,
        user: user_view(ctx),
        title: tr.t("error_invalid").to_string(),
        message: message.to_string(),
    };
    (status, render(page)).into_response()
}

/// 400 with the problems of what was typed.
pub(crate) fn invalid_page(ctx: &Ctx, problems: Vec<String>) -> Response {
    Failure::Invalid(problems).page(ctx)
}

pub(crate) fn forbidden(ctx: &Ctx) -> Response {
    message_for(ctx, StatusCode::FORBIDDEN, "error_forbidden")
}

pub async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found")
}

pub async fn static_file(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "style.css" => (
            include_str!("../static/style.css"),
            "text/css; charset=utf-8",
        ),
        "search.js" => (
            include_str!("../static/search.js"),
            "text/javascript; charset=utf-8",
        ),
        "survey.js" => (
            include_str!("../static/survey.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// A count in the page's language: 1.019 in Vietnamese, 1,019 in English.
pub(crate) fn number(tr: Tr, n: i64) -> String {
    match tr.lang {
        Lang::Vi => vntext::format_vnd(n),
        Lang::En => {
            let dotted = vntext::format_vnd(n);
            dotted.replace('.', ",")
        }
    }
}

/// An ISO date as pages show it (dd/mm/yyyy).
pub(crate) fn date(iso: &Option<String>) -> String {
    iso.as_deref()
        .and_then(vntext::parse_date)
        .map(vntext::format_date)
        .unwrap_or_default()
}

/// A page with a form's problems is a 400, else a 200.
pub(crate) fn render_answer<T: Template>(page: T, problems: bool) -> Response {
    let status = if problems {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, render(page)).into_response()
}

/// A unit code as an address carries it: letters and digits only.
pub(crate) fn unit_param(unit: &str) -> String {
    unit.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// A stored day (yyyy-mm-dd) as pages show it (dd/mm/yyyy); empty when
/// there is none.
pub(crate) fn shown_date(iso: &str) -> String {
    vntext::parse_date(iso)
        .map(vntext::format_date)
        .unwrap_or_default()
}

/// "4,03 %" in Vietnamese, "4.03%" in English; "–" of nothing.
pub(crate) fn percent(tr: Tr, part: i64, whole: i64) -> String {
    if whole == 0 {
        return "–".into();
    }
    let value = format!("{:.2}", 100.0 * part as f64 / whole as f64);
    match tr.lang {
        Lang::Vi => format!("{} %", value.replace('.', ",")),
        Lang::En => format!("{value}%"),
    }
}

/// A workbook to download, named `name`.
/// The workbook of `reports`, written on the blocking pool: a province's
/// report set takes tens of milliseconds, which would hold up the other
/// requests on the runtime's thread.
pub(crate) async fn workbook(
    reports: Vec<report::Report>,
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(tokio::task::spawn_blocking(move || report::xlsx(&reports)).await??)
}

pub(crate) fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::reviews::attachment(name),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The year a form asks for, else the latest with results in the actor's
/// scope, else this year (within range, so an error is only ever for a
/// typed year).
pub(crate) async fn year_or_default(
    state: &crate::AppState,
    tr: Tr,
    actor: &registry::Actor,
    text: Option<&str>,
) -> Result<registry::ReviewYear, String> {
    match text.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => crate::input::review_year(tr, y, state.current_year() + 1),
        None => registry::ReviewYear::new(
            state
                .registry
                .default_list_year(actor)
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| state.current_year()),
        ),
    }
}

/// The unit a page asks for, else the account's own unit (empty for an
/// administrator without one).
pub(crate) async fn unit_or_own(
    state: &crate::AppState,
    actor: &registry::Actor,
    asked: Option<String>,
) -> String {
    let asked = asked.unwrap_or_default().trim().to_string();
    if !asked.is_empty() {
        return asked;
    }
    match actor.unit_id {
        Some(id) => state
            .registry
            .unit(id)
            .await
            .ok()
            .flatten()
            .map(|u| u.code)
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// Whether the account writes in the unit `code` (false when there is no
/// such unit): what decides a page's forms; the registry decides again on
/// the write.
pub(crate) async fn may_write_unit(
    state: &crate::AppState,
    actor: &registry::Actor,
    code: &str,
) -> bool {
    match state.registry.unit_by_code(code).await {
        Ok(Some(u)) => state.registry.may_write(actor, u.id).await.unwrap_or(false),
        _ => false,
    }
}

/// A decimal the page's way, with `places` digits after the point.
pub(crate) fn decimal(tr: Tr, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    match tr.lang {
        Lang::Vi => text.replace('.', ","),
        Lang::En => text,
    }
}
