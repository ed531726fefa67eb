//! Following support up (issue 11): the credit follow-up — loans overdue or
//! due a use check, by mass organisation and commune, with the check's form
//! — and the livelihood models with their households' status year by year.

use crate::i18n::Tr;
use crate::pages::number;
use crate::{AppState, SignedIn, redirect};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use registry::RegistryError;
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "credit.html")]
struct CreditPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    /// Whether the account records checks.
    can_check: bool,
    /// Whether the codes open the household pages (not for an agency officer).
    links: bool,
    tally: Vec<TallyView>,
    /// The loans overdue or due a check.
    loans: Vec<LoanRow>,
    error: Option<String>,
    first_check_months: u32,
    check_every_months: u32,
}

/// A row of the tally, its amounts in the Vietnamese form.
struct TallyView {
    organisation: String,
    commune: String,
    loans: usize,
    outstanding: String,
    overdue_loans: usize,
    overdue: String,
    needs_check: usize,
}

struct LoanRow {
    id: i64,
    household_id: i64,
    code: String,
    head: String,
    commune: String,
    programme: String,
    amount: String,
    delivered_on: String,
    outstanding: String,
    overdue: String,
    entrusted_to: String,
    last_check: String,
    needs_check: bool,
}

async fn credit(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let mut page = CreditPage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        can_check: actor.may(registry::Capability::Support)
            && state
                .policies
                .policies
                .iter()
                .any(|p| p.records.iter().any(|r| r == "outstanding") && actor.works_on(p)),
        links: actor.may(registry::Capability::SeeNames),
        tally: Vec::new(),
        loans: Vec::new(),
        error,
        first_check_months: registry::FIRST_CHECK_MONTHS,
        check_every_months: registry::CHECK_EVERY_MONTHS,
    };
    if !unit.is_empty() {
        let today = chrono::Utc::now().date_naive();
        let loans = match state
            .registry
            .loans(actor, &unit, &state.policies, today)
            .await
        {
            Ok(loans) => loans,
            Err(e) => return crate::failure::Failure::from(e).page(ctx),
        };
        page.tally = registry::credit_tally(&loans)
            .into_iter()
            .map(|t| TallyView {
                organisation: t.organisation,
                commune: t.commune,
                loans: t.loans,
                outstanding: number(tr, t.outstanding),
                overdue_loans: t.overdue_loans,
                overdue: number(tr, t.overdue),
                needs_check: t.needs_check,
            })
            .collect();
        let vnd = |v: Option<i64>| v.map(|v| number(tr, v)).unwrap_or_default();
        page.loans = loans
            .into_iter()
            .filter(|l| l.overdue > 0 || l.needs_check)
            .take(500)
            .map(|l| LoanRow {
                id: l.delivery_id,
                household_id: l.household_id,
                code: l.household_code,
                head: l.head_name,
                commune: l.commune,
                programme: l.programme,
                amount: vnd(l.amount),
                delivered_on: vntext::format_date(l.delivered_on),
                outstanding: vnd(l.outstanding),
                overdue: if l.overdue > 0 {
                    number(tr, l.overdue)
                } else {
                    String::new()
                },
                entrusted_to: l.entrusted_to,
                last_check: match l.last_check {
                    Some((day, used, note)) => format!(
                        "{} · {}{}",
                        vntext::format_date(day),
                        tr.t(if used {
                            "credit_used_ok"
                        } else {
                            "credit_used_wrong"
                        }),
                        if note.is_empty() {
                            String::new()
                        } else {
                            format!(" · {note}")
                        }
                    ),
                    None => tr.t("credit_never_checked").to_string(),
                },
                needs_check: l.needs_check,
            })
            .collect();
    }
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The credit follow-up of a unit.
pub async fn credit_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let unit = p.unit.unwrap_or_default().trim().to_string();
    credit(&state, &ctx, actor, unit, None).await
}

/// Records a loan's use check (form: unit, checked_on, used = yes|no, note).
pub async fn check_use(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(loan): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let unit = field("unit");
    let result = state
        .registry
        .check_loan_use(
            actor,
            &state.policies,
            loan,
            &field("checked_on"),
            field("used") != "no",
            &field("note"),
        )
        .await;
    match result {
        Ok(()) => redirect(&format!(
            "/support/credit?unit={}",
            crate::pages::unit_param(&unit)
        )),
        Err(RegistryError::Invalid(problems)) => {
            credit(&state, &ctx, actor, unit, Some(problems.join("; "))).await
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

#[derive(askama::Template)]
#[template(path = "models.html")]
struct ModelsPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    can_write: bool,
    models: Vec<ModelView>,
    error: Option<String>,
}

struct ModelView {
    id: i64,
    commune: String,
    name: String,
    sector: String,
    started_on: String,
    funding: String,
    years: Vec<i64>,
    /// (household id, code, head, statuses in words).
    households: Vec<(i64, String, String, Vec<String>)>,
    /// "3 of 5 poor households out of poverty".
    escaped: String,
}

async fn models(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let mut page = ModelsPage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        can_write: false,
        models: Vec::new(),
        error,
    };
    if !unit.is_empty() {
        let found = match state.registry.models(actor, &unit).await {
            Ok(found) => found,
            Err(e) => return crate::failure::Failure::from(e).page(ctx),
        };
        if let Ok(Some(u)) = state.registry.unit_by_code(&unit).await {
            page.can_write = u.level == registry::Level::Commune
                && state.registry.may_write(actor, u.id).await.unwrap_or(false);
        }
        page.models = found
            .into_iter()
            .map(|m| {
                let (poor, out) = m.escaped();
                ModelView {
                    escaped: tr
                        .t("models_escaped")
                        .replace("{out}", &out.to_string())
                        .replace("{poor}", &poor.to_string()),
                    id: m.id,
                    commune: m.commune,
                    name: m.name,
                    sector: m.sector,
                    started_on: crate::pages::shown_date(&m.started_on),
                    funding: m
                        .funding
                        .map(|f| format!("{} {}", number(tr, f), m.funding_source))
                        .unwrap_or(m.funding_source),
                    years: m.years,
                    households: m
                        .households
                        .into_iter()
                        .map(|(id, code, head, statuses)| {
                            (
                                id.get(),
                                code,
                                head,
                                statuses
                                    .into_iter()
                                    .map(|s| {
                                        s.map_or("–".to_string(), |s| {
                                            tr.status(s.code()).to_string()
                                        })
                                    })
                                    .collect(),
                            )
                        })
                        .collect(),
                }
            })
            .collect();
    }
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The livelihood models of a unit.
pub async fn models_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let unit = p.unit.unwrap_or_default().trim().to_string();
    models(&state, &ctx, actor, unit, None).await
}

/// After a change to the models: back to the page, or the page with the problems.
async fn after_models(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    result: Result<(), RegistryError>,
) -> Response {
    match result {
        Ok(()) => redirect(&format!(
            "/support/models?unit={}",
            crate::pages::unit_param(&unit)
        )),
        Err(RegistryError::Invalid(problems)) => {
            models(state, ctx, actor, unit, Some(problems.join("; "))).await
        }
        Err(RegistryError::Conflict(problem)) => {
            models(state, ctx, actor, unit, Some(problem)).await
        }
        Err(e) => crate::failure::Failure::from(e).page(ctx),
    }
}

/// Registers a model (form: unit, name, sector, started_on, funding, funding_source).
pub async fn add_model(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let new = registry::NewModel {
        commune_code: field("unit"),
        name: field("name"),
        sector: field("sector"),
        started_on: field("started_on"),
        funding: field("funding"),
        funding_source: field("funding_source"),
    };
    let result = state.registry.add_model(actor, &new).await.map(|_| ());
    after_models(&state, &ctx, actor, field("unit"), result).await
}

/// Adds a household to a model (form: unit, household_code, joined_on).
pub async fn join_model(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(model): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let result = state
        .registry
        .join_model(actor, model, &field("household_code"), &field("joined_on"))
        .await;
    after_models(&state, &ctx, actor, field("unit"), result).await
}

#[derive(askama::Template)]
#[template(path = "support.html")]
struct SupportHub {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    /// (address, name, what it is for).
    links: Vec<(String, String, String)>,
}

/// The support pages the account may open, one line each; for a commune's
/// account, opened on its commune.
pub async fn hub(State(state): State<AppState>, SignedIn { ctx, ref actor }: SignedIn) -> Response {
    use registry::Capability::{SeeNames, SeeWorkLists, Support};
    let tr = ctx.tr();
    let pages = [
        ("/support/gaps", "nav_gaps", "hub_gaps", SeeWorkLists),
        ("/support/escape", "escape_title", "hub_escape", SeeNames),
        (
            "/support/served",
            "served_title",
            "hub_served",
            SeeWorkLists,
        ),
        (
            "/support/credit",
            "credit_title",
            "hub_credit",
            SeeWorkLists,
        ),
        ("/support/models", "models_title", "hub_models", SeeNames),
        ("/plans", "plans_title", "hub_plans", SeeWorkLists),
        ("/plans/tasks", "tasks_title", "hub_tasks", SeeWorkLists),
        (
            "/plans/reports",
            "reports_title",
            "hub_reports",
            SeeWorkLists,
        ),
        ("/support/lists", "lists_title", "hub_lists", Support),
    ];
    let commune = match actor.unit_id {
        Some(id) => state
            .registry
            .unit(id)
            .await
            .ok()
            .flatten()
            .filter(|u| u.level == registry::Level::Commune)
            .map(|u| format!("?unit={}", crate::pages::unit_param(&u.code))),
        None => None,
    }
    .unwrap_or_default();
    crate::pages::render(SupportHub {
        tr,
        user: crate::pages::user_view(&ctx),
        links: pages
            .into_iter()
            .filter(|p| actor.may(p.3))
            .map(|(path, name, what, _)| {
                // The list import is not by unit.
                let query = if path == "/support/lists" {
                    ""
                } else {
                    commune.as_str()
                };
                (
                    format!("{path}{query}"),
                    tr.t(name).to_string(),
                    tr.t(what).to_string(),
                )
            })
            .collect(),
    })
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct ServedParams {
    unit: Option<String>,
    year: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "served.html")]
struct ServedPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    year: i64,
    links: bool,
    /// (household id, code, head, commune, member, policy, date, amount, details).
    rows: Vec<ServedRow>,
    /// Whether the list stops at its cap.
    capped: bool,
    error: Option<String>,
}

struct ServedRow {
    household_id: i64,
    code: String,
    head: String,
    commune: String,
    member: String,
    policy: String,
    delivered_on: String,
    amount: String,
    details: String,
}

/// At most this many deliveries on the page.
const SERVED_CAP: i64 = 1_000;

/// The support delivered in a unit and year: for an agency officer, its
/// agency's — the households its work concerns, served.
pub async fn served_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<ServedParams>,
) -> Response {
    let tr = ctx.tr();
    let lang = tr.language();
    let unit = p.unit.unwrap_or_default().trim().to_string();
    let year = match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => crate::input::review_year(tr, y, state.current_year() + 1).map(|y| y.as_i64()),
        None => Ok(state.current_year()),
    };
    let mut page = ServedPage {
        tr,
        user: crate::pages::user_view(&ctx),
        unit: unit.clone(),
        year: *year.as_ref().unwrap_or(&state.current_year()),
        links: actor.may(registry::Capability::SeeNames),
        rows: Vec::new(),
        capped: false,
        error: None,
    };
    let year = match year {
        Ok(y) => y,
        Err(problem) => {
            page.error = Some(problem);
            return (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response();
        }
    };
    if !unit.is_empty() {
        let found = match state
            .registry
            .served(actor, &unit, year, &state.policies, SERVED_CAP + 1)
            .await
        {
            Ok(found) => found,
            Err(e) => return crate::failure::Failure::from(e).page(&ctx),
        };
        page.capped = found.len() as i64 > SERVED_CAP;
        page.rows = found
            .into_iter()
            .take(SERVED_CAP as usize)
            .map(|d| ServedRow {
                household_id: d.household_id,
                code: d.household_code,
                head: d.head_name,
                commune: d.commune,
                member: d.member_name.unwrap_or_default(),
                policy: state
                    .policies
                    .policy(&d.policy)
                    .map_or(d.policy.clone(), |p| p.name.get(lang).to_string()),
                delivered_on: crate::pages::shown_date(&d.delivered_on),
                amount: d.amount.map(|a| number(tr, a)).unwrap_or_default(),
                details: crate::support_page::details_in_words(tr, &d.details),
            })
            .collect();
    }
    crate::pages::render(page).into_response()
}
