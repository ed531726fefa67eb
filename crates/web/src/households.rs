//! The household list, search, a household's page, its requests and the list export.

use crate::failure::Failure;
use crate::i18n::Tr;
use crate::pages::{UserView, date, invalid_page, message_for, number, render, user_view};
use crate::{AppState, redirect};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use registry::HouseholdId;
use registry::{Capability, HouseholdQuery};
use serde::Deserialize;

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
    /// The household the page comes after (the next link's cursor).
    #[serde(default)]
    pub after: String,
    /// The household the page comes before (the previous link's cursor).
    #[serde(default)]
    pub before: String,
}

pub struct ListRow {
    pub id: HouseholdId,
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
    /// The unit is typed and searched, not picked from a list.
    unit_search: bool,
    /// The name of the unit listed (empty: the whole scope).
    unit_name: String,
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

/// A value for a query string, percent-encoded.
pub(crate) fn encode(v: &str) -> String {
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
        crate::input::year_filter(tr, p.year.as_deref(), state.current_year() + 1),
        crate::input::list_filters(tr, Some(&p.status), Some(&p.group), Some(&p.movement)),
    );
    let (q, page, year, filters) = match parsed {
        (Ok(q), Ok(page), Ok(year), Ok(filters)) => (q, page, year, filters),
        (q, page, year, filters) => {
            let mut problems: Vec<String> = [q.err(), page.err(), year.err()]
                .into_iter()
                .flatten()
                .collect();
            problems.extend(filters.err().unwrap_or_default());
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
    // A unit typed by name (the search box without its script, or a name
    // typed whole) is the one unit of the scope it names.
    let mut p = p;
    if let Some(code) = crate::pages::unit_named(r, actor, &p.unit, None).await {
        p.unit = code;
    }
    let query = HouseholdQuery {
        q,
        unit: Some(p.unit.clone()).filter(|u| !u.is_empty()),
        status: filters.status,
        deprived: Some(p.deprived.clone()).filter(|s| !s.is_empty()),
        group: filters.group,
        movement: filters.movement,
        year: Some(year),
        page,
        per_page: PER_PAGE,
        after: Some(p.after.clone()).filter(|s| !s.is_empty()),
        before: Some(p.before.clone()).filter(|s| !s.is_empty()),
    };
    let (rows, total) = match r.list_households(actor, &query).await {
        Ok(x) => x,
        Err(e) => return Failure::from(e).page(&ctx),
    };
    let choices = r
        .unit_choices(actor, Some(&p.unit))
        .await
        .unwrap_or_default();
    // Many units (a province's communes): a box that searches as you type,
    // offering at first the chosen unit and its commune's villages.
    let unit_search = choices
        .iter()
        .filter(|u| u.level != registry::Level::Village)
        .count()
        > crate::pages::UNITS_LISTED;
    let unit_name = choices
        .iter()
        .find(|u| u.code == p.unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let units = choices
        .into_iter()
        .filter(|u| u.level != registry::Level::Province)
        .filter(|u| !unit_search || u.level == registry::Level::Village || u.code == p.unit)
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
    // The links carry the page's first and last households, so a deep
    // page is read from its place (the page number is for display).
    let first_code = rows.first().map(|h| h.code.clone()).unwrap_or_default();
    let last_code = rows.last().map(|h| h.code.clone()).unwrap_or_default();
    let rows = rows
        .into_iter()
        .map(|h| ListRow {
            id: h.id,
            code: h.code,
            head_name: h.head_name,
            village: h.village.unwrap_or_default(),
            commune: h.commune,
            status: tr.status(h.status.map_or("", |s| s.code())).to_string(),
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
        unit_search,
        unit_name,
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
        total_text: if total.capped {
            format!(
                "{} {}",
                tr.t("households_more_than"),
                number(tr, total.count)
            )
        } else {
            number(tr, total.count)
        },
        sees_ids: actor.may(Capability::SeeIdNumbers),
        rows,
        previous: (page > 1).then(|| match page {
            2 => page_link(&p, 1),
            _ => format!("{}&before={}", page_link(&p, page - 1), encode(&first_code)),
        }),
        next: total
            .has_more_than(page * PER_PAGE)
            .then(|| format!("{}&after={}", page_link(&p, page + 1), encode(&last_code))),
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
    id: HouseholdId,
    year: i64,
    can_write: bool,
    /// Identity numbers are shown in full on this page.
    full_ids: bool,
    /// The actor's work needs identity numbers: the page offers them.
    may_see_ids: bool,
    h: HouseholdView,
    /// (id, form, submitted, deadline, status, pending).
    requests: Vec<(i64, String, String, String, String, bool)>,
    support: Option<crate::support_page::SupportView>,
    delivered: crate::support_page::Delivered,
    profile: crate::support_page::ProfileView,
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
    let Ok(id) = id.parse::<HouseholdId>() else {
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
    let member_ids: Vec<i64> = detail.members.iter().map(|m| m.id.get()).collect();
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
                Some(c) => match registry::ReviewYear::new(a.year) {
                    Ok(year) => state.registry.locked(c.id, year).await.unwrap_or(true),
                    Err(_) => true,
                },
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
        commune: match &detail.commune_now {
            Some(now) => format!(
                "{} ({} {now})",
                detail.commune,
                ctx.tr().t("household_now_part_of")
            ),
            None => detail.commune.clone(),
        },
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
                let status = tr.status(a.status.code()).to_string();
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
    let member_names: Vec<String> = h.members.iter().map(|m| m.0.clone()).collect();
    let support = crate::support_page::view(&state, tr, actor, id, &member_names).await;
    let profile = crate::support_page::profile_view(&state, tr, actor, id).await;
    let delivered = crate::support_page::delivered(
        &state,
        tr,
        actor,
        id,
        member_ids
            .iter()
            .copied()
            .zip(member_names.iter().cloned())
            .collect(),
    )
    .await;
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
        support,
        delivered,
        profile,
    })
}

#[derive(Deserialize)]
pub struct RequestForm {
    form: String,
    submitted_on: String,
}

pub async fn submit_request(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
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
    Path((id, request)): Path<(HouseholdId, i64)>,
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
    let year = crate::pages::year_or_default(&state, tr, actor, p.year.as_deref()).await;
    let year = match year {
        Ok(y) => y,
        Err(problem) => return invalid_page(&ctx, vec![problem]),
    };
    let full = p.id_numbers.as_deref() == Some("full");
    match state.registry.export_list(actor, &p.unit, year, full).await {
        Ok((bytes, _)) => {
            crate::pages::xlsx_response(bytes, &format!("danh-sach-{}-{year}.xlsx", p.unit))
        }
        Err(e) => Failure::from(e).page(&ctx),
    }
}
