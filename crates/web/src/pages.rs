//! The HTML pages.

use crate::failure::Failure;
use crate::i18n::{Lang, Tr};
use crate::{AppState, Ctx, LANG_COOKIE, SESSION_COOKIE, redirect, session_cookie};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use registry::{Capability, HouseholdQuery, RegistryError};
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
        sees_names: a.may(Capability::SeeNames),
        admin: a.may(Capability::Administer),
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

/// A year of the dashboard: final (with rates) or in progress (its own
/// counts only).
pub struct YearRow {
    pub year: i64,
    pub closed: bool,
    pub households: String,
    pub assessed: String,
    pub poor: String,
    pub poor_rate: String,
    pub near_poor: String,
    pub near_poor_rate: String,
    /// "12/19": communes that closed their review, of those with households.
    pub communes: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    tr: Tr,
    user: Option<UserView>,
    scope_name: String,
    /// The communes merged into the actor's unit, with their last day.
    predecessors: String,
    /// The units file's note on the unit (e.g. an illustrative grouping).
    unit_note: String,
    years: Vec<YearRow>,
    change: Option<String>,
    /// Review rounds and their step: (id, commune, year, step).
    rounds: Vec<(i64, String, i64, String)>,
    /// The rounds link to their pages (roles that see names).
    round_links: bool,
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

/// The change in the poor rate between two final years, in percentage
/// points, or None unless both are final and consecutive.
fn change_between(tr: Tr, a: &registry::YearCounts, b: &registry::YearCounts) -> Option<String> {
    if !(a.closed() && b.closed() && b.year == a.year + 1 && a.households > 0 && b.households > 0) {
        return None;
    }
    let delta = 100.0 * (b.poor as f64 / b.households as f64 - a.poor as f64 / a.households as f64);
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

pub async fn dashboard(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
) -> Response {
    let tr = ctx.tr();
    let counts = match state.registry.year_counts(actor, None).await {
        Ok(c) => c,
        Err(e) => return Failure::from(e).page(&ctx),
    };
    let unit = match actor.unit_id {
        None => None,
        Some(id) => state
            .registry
            .units()
            .await
            .ok()
            .and_then(|units| units.into_iter().find(|u| u.id == id)),
    };
    let scope_name = unit.as_ref().map_or_else(
        || tr.t("dashboard_all_data").to_string(),
        |u| u.name.clone(),
    );
    // A merged commune's years include those of the communes it absorbed:
    // say which, and until when each existed.
    let predecessors = match &unit {
        Some(u) => state
            .registry
            .predecessors(u.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(
                |p| match p.valid_to.as_deref().and_then(vntext::parse_date) {
                    Some(d) => format!(
                        "{} ({} {})",
                        p.name,
                        tr.t("dashboard_until"),
                        vntext::format_date(d)
                    ),
                    None => p.name,
                },
            )
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    };
    let unit_note = unit.and_then(|u| u.note).unwrap_or_default();
    let finals: Vec<&registry::YearCounts> = counts.iter().filter(|c| c.closed()).collect();
    let change = match finals.as_slice() {
        [.., a, b] => change_between(tr, a, b),
        _ => None,
    };
    let years = counts
        .iter()
        .rev()
        .map(|c| YearRow {
            year: c.year,
            closed: c.closed(),
            households: number(tr, c.households),
            assessed: number(tr, c.assessed),
            poor: number(tr, c.poor),
            poor_rate: percent(tr, c.poor, c.households),
            near_poor: number(tr, c.near_poor),
            near_poor_rate: percent(tr, c.near_poor, c.households),
            communes: format!("{}/{}", c.communes_closed, c.communes),
        })
        .collect();
    let round_links = actor.may(Capability::SeeNames);
    let rounds = if round_links {
        state
            .registry
            .rounds(actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|(r, _)| r.step != registry::Step::Closed)
            .take(20)
            .map(|(r, commune)| {
                (
                    r.id,
                    commune,
                    r.year,
                    tr.t(&format!("step_{}", r.step.code())).to_string(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    render(DashboardPage {
        tr,
        user: user_view(&ctx),
        scope_name,
        predecessors,
        unit_note,
        years,
        change,
        rounds,
        round_links,
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
    pub year: Option<String>,
    pub page: Option<String>,
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
    years: Vec<(i64, String, bool)>,
    units: Vec<(String, String, bool)>,
    statuses: Vec<(String, String, bool)>,
    indicators: Vec<(String, String, bool)>,
    groups: Vec<(String, String, bool)>,
    movements: Vec<(String, String, bool)>,
    year: i64,
    sees_ids: bool,
    total_text: String,
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
        ("group", &p.group),
        ("movement", &p.movement),
    ] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    if let Some(y) = p.year.as_deref().filter(|y| !y.is_empty()) {
        parts.push(format!("year={}", encode(y)));
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
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Query(p): Query<ListParams>,
) -> Response {
    if !actor.may(Capability::SeeNames) {
        return message_for(&ctx, StatusCode::FORBIDDEN, "error_forbidden");
    }
    let tr = ctx.tr();
    let r = &state.registry;
    let parsed = (
        crate::input::query(tr, &p.q),
        crate::input::page(tr, p.page.as_deref()),
        match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
            None => Ok(None),
            Some(y) => crate::input::whole(tr, tr.t("household_year"), y, 1990..=2100).map(Some),
        },
    );
    let (q, page, year) = match parsed {
        (Ok(q), Ok(page), Ok(year)) => (q, page, year),
        (q, page, year) => {
            let problems: Vec<String> = [q.err(), page.err(), year.err()]
                .into_iter()
                .flatten()
                .collect();
            return invalid_page(&ctx, problems);
        }
    };
    let known = r.year_counts(actor, None).await.unwrap_or_default();
    let year = match year {
        Some(y) => y,
        None => known
            .iter()
            .rev()
            .find(|y| y.closed())
            .or(known.last())
            .map_or(state.current_year(), |y| y.year),
    };
    let mut years: Vec<(i64, String, bool)> = known
        .iter()
        .rev()
        .map(|y| {
            let label = if y.closed() {
                y.year.to_string()
            } else {
                format!(
                    "{} ({})",
                    y.year,
                    tr.t("dashboard_in_progress").to_lowercase()
                )
            };
            (y.year, label, y.year == year)
        })
        .collect();
    if !years.iter().any(|y| y.2) {
        years.insert(0, (year, year.to_string(), true));
    }
    let query = HouseholdQuery {
        q,
        unit: Some(p.unit.clone()).filter(|u| !u.is_empty()),
        status: Some(p.status.clone()).filter(|s| !s.is_empty()),
        deprived: Some(p.deprived.clone()).filter(|s| !s.is_empty()),
        group: Some(p.group.clone()).filter(|s| !s.is_empty()),
        movement: Some(p.movement.clone()).filter(|s| !s.is_empty()),
        year: Some(year),
        page,
        per_page: PER_PAGE,
    };
    let (rows, total) = match r.list_households(actor, &query).await {
        Ok(x) => x,
        Err(e) => return Failure::from(e).page(&ctx),
    };
    let units = r
        .units_in_scope(actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.level != registry::Level::Province)
        .map(|u| {
            let selected = u.code == p.unit;
            // Villages indented under their commune (no-break spaces, which
            // an <option> keeps).
            let name = match u.level {
                registry::Level::Village => format!("\u{a0}\u{a0}\u{a0}\u{a0}{}", u.name),
                registry::Level::Commune => format!("\u{a0}\u{a0}{}", u.name),
                _ => u.name,
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
        can_write: actor.may(Capability::Write),
        unit: p.unit.clone(),
        q: p.q.clone(),
        years,
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
        total_text: if !p.q.trim().is_empty() && total >= registry::SEARCH_COUNT_CAP {
            format!("{} {}", tr.t("households_more_than"), number(tr, total))
        } else {
            number(tr, total)
        },
        sees_ids: actor.may(Capability::SeeIdNumbers),
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
    /// (year, status, deprivations, standard, survey link year when the
    /// official survey of that year can be edited).
    pub assessments: Vec<(i64, String, String, String, Option<i64>)>,
    pub audit: Vec<crate::history::Line>,
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    tr: Tr,
    user: Option<UserView>,
    id: i64,
    year: i64,
    can_write: bool,
    /// Identity numbers are shown in full on this page.
    full_ids: bool,
    /// The actor's work needs identity numbers: the page offers them.
    may_see_ids: bool,
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

#[derive(Deserialize, Default)]
pub struct HouseholdParams {
    /// "full": identity numbers in full (audited).
    id_numbers: Option<String>,
}

pub async fn household(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<String>,
    Query(p): Query<HouseholdParams>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    };
    let tr = ctx.tr();
    let full_ids = p.id_numbers.as_deref() == Some("full");
    let detail = match state
        .registry
        .household_detail_showing(actor, id, full_ids)
        .await
    {
        Ok(Some(d)) => d,
        Ok(None) => return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found"),
        Err(e) => return Failure::from(e).page(&ctx),
    };
    let sex = |s: &Option<String>| match s.as_deref() {
        Some("male") => tr.t("sex_male").to_string(),
        Some("female") => tr.t("sex_female").to_string(),
        _ => String::new(),
    };
    let can_write = actor.may(Capability::Write);
    let mut editable = std::collections::HashSet::new();
    if can_write {
        let commune = state
            .registry
            .unit_by_code(&detail.commune_code)
            .await
            .ok()
            .flatten();
        for a in detail.assessments.iter().filter(|a| a.official == 1) {
            let locked = match &commune {
                Some(c) => state.registry.locked(c.id, a.year).await.unwrap_or(true),
                None => true,
            };
            if !locked {
                editable.insert(a.year);
            }
        }
    }
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
                let edit = (a.official == 1 && editable.contains(&a.year)).then_some(a.year);
                (a.year, status, names, a.standard_id.clone(), edit)
            })
            .collect(),
        audit: detail
            .audit
            .iter()
            .rev()
            .map(|e| crate::history::line(tr, &state.catalogue, e))
            .collect(),
    };
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
                ("refused", Some(reason)) => format!("{} — {reason}", tr.t("requests_refused")),
                ("refused", None) => tr.t("requests_refused").to_string(),
                ("accepted", _) => tr.t("requests_accepted").to_string(),
                _ => tr.t("requests_pending").to_string(),
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
        year: state.current_year(),
        can_write,
        full_ids,
        may_see_ids: actor.may(Capability::SeeIdNumbers),
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

#[derive(Deserialize)]
pub struct RequestForm {
    form: String,
    submitted_on: String,
}

pub async fn submit_request(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<RequestForm>,
) -> Response {
    if !matches!(state.registry.household_visible(actor, id).await, Ok(true)) {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    }
    match state
        .registry
        .submit_request(actor, id, &f.form, &f.submitted_on)
        .await
    {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(e) => Failure::from(e).page(&ctx),
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
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path((id, request)): Path<(i64, i64)>,
    Form(d): Form<Decision>,
) -> Response {
    if !matches!(state.registry.household_visible(actor, id).await, Ok(true)) {
        return message_for(&ctx, StatusCode::NOT_FOUND, "error_not_found");
    }
    match state
        .registry
        .decide_request(actor, request, d.accept.is_some(), &d.reason)
        .await
    {
        Ok(()) => redirect(&format!("/households/{id}")),
        Err(e) => Failure::from(e).page(&ctx),
    }
}

#[derive(Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    unit: String,
    year: Option<String>,
    /// "full" for identity numbers in full (roles whose work needs them).
    id_numbers: Option<String>,
}

/// The household list of a unit and year as xlsx (scope-checked and
/// audited by the registry; a unit outside the scope is not found).
pub async fn export(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Query(p): Query<ExportParams>,
) -> Response {
    let tr = ctx.tr();
    let year = match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => match crate::input::whole(tr, tr.t("household_year"), y, 1990..=2100) {
            Ok(y) => y,
            Err(problem) => return invalid_page(&ctx, vec![problem]),
        },
        None => state
            .registry
            .default_list_year(actor)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| state.current_year()),
    };
    let full = p.id_numbers.as_deref() == Some("full");
    match state.registry.export_list(actor, &p.unit, year, full).await {
        Ok((bytes, _)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    crate::reviews::attachment(&format!("danh-sach-{}-{year}.xlsx", p.unit)),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => Failure::from(e).page(&ctx),
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
