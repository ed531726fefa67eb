//! The HTML pages.

use crate::i18n::{Lang, Tr};
use crate::{AppState, Ctx, LANG_COOKIE, SESSION_COOKIE, redirect, session_cookie};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use registry::{HouseholdQuery, RegistryError};
use serde::Deserialize;

/// The signed-in user as the header shows them.
pub struct UserView {
    pub name: String,
    pub role: String,
    pub sees_names: bool,
    pub admin: bool,
}

pub(crate) fn user_view(ctx: &Ctx) -> Option<UserView> {
    ctx.actor.as_ref().map(|a| UserView {
        name: a.name.clone(),
        role: ctx.tr().role(a.role).to_string(),
        sees_names: a.role.sees_names(),
        admin: a.role == registry::Role::Admin,
    })
}

fn render(page: impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    tr: Tr,
    user: Option<UserView>,
    title: String,
    message: String,
}

/// A page that only says something (errors, confirmations).
pub(crate) fn message(tr: Tr, status: StatusCode, key: &str) -> Response {
    let page = MessagePage {
        tr,
        user: None,
        title: status.canonical_reason().unwrap_or("").to_string(),
        message: tr.t(key).to_string(),
    };
    (status, render(page)).into_response()
}

fn message_for(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let tr = ctx.tr();
    let page = MessagePage {
        tr,
        user: user_view(ctx),
        title: tr.t(key).to_string(),
        message: tr.t(key).to_string(),
    };
    (status, render(page)).into_response()
}

fn registry_error(ctx: &Ctx, e: RegistryError) -> Response {
    match e {
        RegistryError::Forbidden(_) => message_for(ctx, StatusCode::FORBIDDEN, "error_forbidden"),
        RegistryError::NotFound(_) => message_for(ctx, StatusCode::NOT_FOUND, "error_not_found"),
        RegistryError::Invalid(problems) => {
            let tr = ctx.tr();
            let page = MessagePage {
                tr,
                user: user_view(ctx),
                title: tr.t("error_invalid").to_string(),
                message: problems.join("; "),
            };
            (StatusCode::BAD_REQUEST, render(page)).into_response()
        }
        _ => message_for(ctx, StatusCode::INTERNAL_SERVER_ERROR, "error_server"),
    }
}

pub(crate) fn forbidden(ctx: &Ctx) -> Response {
    message_for(ctx, StatusCode::FORBIDDEN, "error_forbidden")
}

pub async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found")
}

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
        Err(e) => registry_error(&ctx, e),
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

/// "4,03 %" in Vietnamese, "4.03%" in English.
fn percent(tr: Tr, part: i64, whole: i64) -> String {
    if whole == 0 {
        return "–".into();
    }
    let value = format!("{:.2}", 100.0 * part as f64 / whole as f64);
    match tr.lang {
        Lang::Vi => format!("{} %", value.replace('.', ",")),
        Lang::En => format!("{value}%"),
    }
}

pub struct YearRow {
    pub year: i64,
    pub assessed: String,
    pub poor: String,
    pub poor_rate: String,
    pub near_poor: String,
    pub near_poor_rate: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    tr: Tr,
    user: Option<UserView>,
    scope_name: String,
    years: Vec<YearRow>,
    change: Option<String>,
    /// Review rounds and their step: (id, commune, year, step).
    rounds: Vec<(i64, String, i64, String)>,
}

fn number(tr: Tr, n: i64) -> String {
    match tr.lang {
        Lang::Vi => vntext::format_vnd(n),
        Lang::En => {
            let dotted = vntext::format_vnd(n);
            dotted.replace('.', ",")
        }
    }
}

pub async fn dashboard(State(state): State<AppState>, Extension(ctx): Extension<Ctx>) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    let tr = ctx.tr();
    let counts = match state.registry.year_counts(actor, None).await {
        Ok(c) => c,
        Err(e) => return registry_error(&ctx, e),
    };
    let scope_name = match actor.unit_id {
        None => match tr.lang {
            Lang::Vi => "toàn bộ dữ liệu".to_string(),
            Lang::En => "all data".to_string(),
        },
        Some(id) => state
            .registry
            .units()
            .await
            .ok()
            .and_then(|units| units.into_iter().find(|u| u.id == id))
            .map_or_else(String::new, |u| u.name),
    };
    let change = match counts.as_slice() {
        [.., a, b] if a.assessed > 0 && b.assessed > 0 => {
            let delta =
                100.0 * (b.poor as f64 / b.assessed as f64 - a.poor as f64 / a.assessed as f64);
            let text = format!("{delta:+.2}");
            Some(match tr.lang {
                Lang::Vi => format!(
                    "tỷ lệ hộ nghèo {} điểm phần trăm ({} so với {})",
                    text.replace('.', ","),
                    b.year,
                    a.year
                ),
                Lang::En => format!(
                    "poor-household rate {text} percentage points ({} vs {})",
                    b.year, a.year
                ),
            })
        }
        _ => None,
    };
    let years = counts
        .iter()
        .rev()
        .map(|c| YearRow {
            year: c.year,
            assessed: number(tr, c.assessed),
            poor: number(tr, c.poor),
            poor_rate: percent(tr, c.poor, c.assessed),
            near_poor: number(tr, c.near_poor),
            near_poor_rate: percent(tr, c.near_poor, c.assessed),
        })
        .collect();
    let rounds = state
        .registry
        .rounds(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .take(20)
        .map(|(r, commune)| {
            (
                r.id,
                commune,
                r.year,
                tr.t(&format!("step_{}", r.step)).to_string(),
            )
        })
        .collect();
    render(DashboardPage {
        tr,
        user: user_view(&ctx),
        scope_name,
        years,
        change,
        rounds,
    })
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub deprived: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub movement: String,
    pub year: Option<i64>,
    pub page: Option<i64>,
}

pub struct ListRow {
    pub id: i64,
    pub code: String,
    pub head_name: String,
    pub village: String,
    pub commune: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    tr: Tr,
    user: Option<UserView>,
    can_write: bool,
    unit: String,
    q: String,
    units: Vec<(String, String, bool)>,
    statuses: Vec<(String, String, bool)>,
    indicators: Vec<(String, String, bool)>,
    groups: Vec<(String, String, bool)>,
    movements: Vec<(String, String, bool)>,
    year: i64,
    total: i64,
    rows: Vec<ListRow>,
    previous: Option<String>,
    next: Option<String>,
}

const PER_PAGE: i64 = 50;

fn page_link(p: &ListParams, page: i64) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("q", &p.q),
        ("unit", &p.unit),
        ("status", &p.status),
        ("deprived", &p.deprived),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    if let Some(y) = p.year {
        parts.push(format!("year={y}"));
    }
    parts.push(format!("page={page}"));
    format!("/households?{}", parts.join("&"))
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn households(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<ListParams>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    if !actor.role.sees_names() {
        return message_for(&ctx, StatusCode::FORBIDDEN, "error_forbidden");
    }
    let tr = ctx.tr();
    let r = &state.registry;
    let year = match p.year {
        Some(y) => y,
        None => r.latest_year().await.ok().flatten().unwrap_or(0),
    };
    let query = HouseholdQuery {
        q: p.q.clone(),
        unit: Some(p.unit.clone()).filter(|u| !u.is_empty()),
        status: Some(p.status.clone()).filter(|s| !s.is_empty()),
        deprived: Some(p.deprived.clone()).filter(|s| !s.is_empty()),
        group: Some(p.group.clone()).filter(|s| !s.is_empty()),
        movement: Some(p.movement.clone()).filter(|s| !s.is_empty()),
        year: Some(year),
        page: p.page.unwrap_or(1),
        per_page: PER_PAGE,
    };
    let (rows, total) = match r.list_households(actor, &query).await {
        Ok(x) => x,
        Err(e) => return registry_error(&ctx, e),
    };
    let units = r
        .units_in_scope(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| matches!(u.level.as_str(), "commune" | "village" | "district"))
        .map(|u| {
            let selected = u.code == p.unit;
            let name = if u.level == "village" {
                format!("  {}", u.name)
            } else {
                u.name
            };
            (u.code, name, selected)
        })
        .collect();
    let statuses = standard::Status::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_string(),
                tr.status(s.code()).to_string(),
                s.code() == p.status,
            )
        })
        .collect();
    let standard = state
        .catalogue
        .for_review_year(u16::try_from(year).unwrap_or(0))
        .or_else(|| state.catalogue.get("vn-2022-2025"));
    let indicators = standard
        .map(|s| {
            s.indicators
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        tr.indicator(s, &i.code),
                        i.code == p.deprived,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let page = query.page.max(1);
    let rows = rows
        .into_iter()
        .map(|h| ListRow {
            id: h.id,
            code: h.code,
            head_name: h.head_name,
            village: h.village.unwrap_or_default(),
            commune: h.commune,
            status: tr.status(h.status.as_deref().unwrap_or("")).to_string(),
        })
        .collect();
    render(HouseholdsPage {
        tr,
        user: user_view(&ctx),
        can_write: actor.role.writes(),
        unit: p.unit.clone(),
        q: p.q.clone(),
        units,
        statuses,
        indicators,
        groups: [
            "merit",
            "social_protection",
            "ethnic_minority",
            "no_working_capacity",
        ]
        .iter()
        .map(|g| {
            (
                g.to_string(),
                tr.t(&format!("group_{g}")).to_string(),
                *g == p.group,
            )
        })
        .collect(),
        movements: ["escaped", "newly_poor", "re_poor"]
            .iter()
            .map(|m| {
                (
                    m.to_string(),
                    tr.t(&format!("movement_{m}")).to_string(),
                    *m == p.movement,
                )
            })
            .collect(),
        year,
        total,
        rows,
        previous: (page > 1).then(|| page_link(&p, page - 1)),
        next: (page * PER_PAGE < total).then(|| page_link(&p, page + 1)),
    })
}

pub struct HouseholdView {
    pub head_name: String,
    pub code: String,
    pub commune: String,
    pub village_text: String,
    pub address: String,
    pub phone: String,
    pub removed_on: Option<String>,
    pub members: Vec<(String, String, String, String, String, String)>,
    pub assessments: Vec<(i64, String, String, String)>,
    pub audit: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    tr: Tr,
    user: Option<UserView>,
    id: i64,
    year: i64,
    can_write: bool,
    h: HouseholdView,
    /// (id, form, submitted, deadline, status, pending).
    requests: Vec<(i64, String, String, String, String, bool)>,
}

fn date(iso: &Option<String>) -> String {
    iso.as_deref()
        .and_then(vntext::parse_date)
        .map(vntext::format_date)
        .unwrap_or_default()
}

pub async fn household(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    let Ok(id) = id.parse::<i64>() else {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    };
    let tr = ctx.tr();
    let detail = match state.registry.household_detail(actor, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found"),
        Err(e) => return registry_error(&ctx, e),
    };
    let sex = |s: &Option<String>| match s.as_deref() {
        Some("male") => tr.t("sex_male").to_string(),
        Some("female") => tr.t("sex_female").to_string(),
        _ => String::new(),
    };
    let h = HouseholdView {
        head_name: detail.head_name,
        code: detail.code,
        commune: detail.commune,
        village_text: detail.village.unwrap_or_default(),
        address: detail.address,
        phone: detail.phone,
        removed_on: detail.removed_on.as_ref().map(|_| date(&detail.removed_on)),
        members: detail
            .members
            .iter()
            .map(|m| {
                (
                    m.full_name.clone(),
                    sex(&m.sex),
                    date(&m.birth_date),
                    m.id_number.clone().unwrap_or_default(),
                    m.relation.clone(),
                    m.ethnicity.clone(),
                )
            })
            .collect(),
        assessments: detail
            .assessments
            .iter()
            .map(|a| {
                let status = tr.status(&a.status).to_string();
                let status = if a.official == 1 {
                    status
                } else {
                    format!("{status} ({})", tr.t("household_what_if"))
                };
                let names = match state.catalogue.get(&a.standard_id) {
                    Some(s) => a
                        .deprived
                        .split(';')
                        .filter(|c| !c.is_empty())
                        .map(|c| tr.indicator(s, c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    None => a.deprived.replace(';', ", "),
                };
                (a.year, status, names, a.standard_id.clone())
            })
            .collect(),
        audit: detail
            .audit
            .iter()
            .rev()
            .map(|e| {
                let when =
                    e.at.get(..10)
                        .map(|d| date(&Some(d.to_string())))
                        .unwrap_or_default();
                let time = e.at.get(11..16).unwrap_or("");
                (
                    format!("{when} {time}"),
                    e.actor.clone(),
                    e.action.clone(),
                    e.changes.clone(),
                )
            })
            .collect(),
    };
    // The survey to enter next: the year after the latest review.
    let year = state
        .registry
        .latest_year()
        .await
        .ok()
        .flatten()
        .map_or(2024, |y| y + 1)
        .min(2026);
    let requests = state
        .registry
        .requests(actor, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let form = tr
                .t(if r.form == "01" {
                    "requests_form_01"
                } else {
                    "requests_form_04"
                })
                .to_string();
            let status = match (r.status.as_str(), &r.refusal_reason) {
                ("refused", Some(reason)) => format!("{} — {reason}", tr.t("requests_refuse")),
                ("accepted", _) => tr.t("requests_accept").to_string(),
                (s, _) => s.to_string(),
            };
            (
                r.id,
                form,
                date(&Some(r.submitted_on)),
                date(&Some(r.deadline)),
                status,
                r.status == "pending",
            )
        })
        .collect();
    render(HouseholdPage {
        tr,
        user: user_view(&ctx),
        id,
        year,
        can_write: actor.role.writes(),
        h,
        requests,
    })
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
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<PasswordChange>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
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
        Err(e) => registry_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct RequestForm {
    form: String,
    submitted_on: String,
}

pub async fn submit_request(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    if !matches!(
        state.registry.household_detail(actor, id).await,
        Ok(Some(_))
    ) {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    }
    match state
        .registry
        .submit_request(actor, id, &f.form, &f.submitted_on)
        .await
    {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(e) => registry_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct Decision {
    accept: Option<String>,
    #[serde(default)]
    reason: String,
}

pub async fn decide_request(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, request)): Path<(i64, i64)>,
    Form(d): Form<Decision>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    if !matches!(
        state.registry.household_detail(actor, id).await,
        Ok(Some(_))
    ) {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    }
    match state
        .registry
        .decide_request(actor, request, d.accept.is_some(), &d.reason)
        .await
    {
        Ok(()) => redirect(&format!("/households/{id}")),
        Err(e) => registry_error(&ctx, e),
    }
}

#[derive(Deserialize)]
pub struct ExportParams {
    unit: String,
    year: Option<i64>,
}

/// The household list of a unit and year as xlsx (scope-checked and
/// audited by the registry; a unit outside the scope is not found).
pub async fn export(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(p): Query<ExportParams>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    let year = match p.year {
        Some(y) => y,
        None => state
            .registry
            .latest_year()
            .await
            .ok()
            .flatten()
            .unwrap_or(0),
    };
    let Ok(dir) = tempfile::tempdir() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let path = dir.path().join("danh-sach.xlsx");
    match state
        .registry
        .export_list(actor, &p.unit, year, &path)
        .await
    {
        Ok(_) => match std::fs::read(&path) {
            Ok(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"danh-sach-{}-{year}.xlsx\"",
                            p.unit.replace(['"', '/', '\\'], "")
                        ),
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Err(e) => registry_error(&ctx, e),
    }
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
