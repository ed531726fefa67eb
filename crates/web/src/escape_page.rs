//! The expected-escape list and the steering committee's areas (issue 11):
//! for a commune and year, the poor households expected out of poverty,
//! each with its cadre, planned policies, due date, follow-up notes and
//! outcome; the tally by cadre and by commune; the steering committee's
//! members watching the communes, with their visits.

use crate::i18n::Tr;
use crate::pages::shown_date as day;
use crate::{AppState, SignedIn, redirect};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use registry::{EscapeOutcome, EscapeTally, RegistryError};
use std::collections::HashMap;

#[derive(askama::Template)]
#[template(path = "escape.html")]
struct EscapePage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    year: i64,
    can_write: bool,
    /// (code, name) of the policies, for the plan's checkboxes.
    policies: Vec<(String, String)>,
    rows: Vec<EscapeRow>,
    by_cadre: Vec<TallyRow>,
    by_commune: Vec<TallyRow>,
    /// The members, their visits' dates as dd/mm/yyyy.
    steering: Vec<registry::SteeringMember>,
    /// The poor households of the year before, closest to escaping first.
    ranking: Vec<RankRow>,
    error: Option<String>,
}

struct EscapeRow {
    id: i64,
    household_id: i64,
    code: String,
    head: String,
    village: String,
    cadre: String,
    policies: String,
    due: String,
    outcome: String,
    outcome_class: &'static str,
    /// (date, note, by).
    notes: Vec<(String, String, String)>,
}

/// A poor household in the ranking of the shortest ways out.
struct RankRow {
    household_id: i64,
    code: String,
    head: String,
    village: String,
    /// "1", "2"… or "thu nhập".
    distance: String,
    /// "Bảo hiểm y tế (Thẻ bảo hiểm y tế); Nước sạch (…)".
    deprivations: String,
    /// The plan's type in words (empty when not recorded, or hidden).
    poverty_type: String,
    /// The causes recorded, in words.
    causes: String,
}

struct TallyRow {
    name: String,
    planned: usize,
    escaped: usize,
    still_poor: usize,
    pending: usize,
}

impl From<EscapeTally> for TallyRow {
    fn from(t: EscapeTally) -> TallyRow {
        TallyRow {
            name: t.name,
            planned: t.planned,
            escaped: t.escaped,
            still_poor: t.still_poor,
            pending: t.pending,
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
    year: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    year: Result<i64, String>,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let lang = tr.language();
    let mut page = EscapePage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        year: *year.as_ref().unwrap_or(&state.current_year()),
        can_write: false,
        policies: state
            .policies
            .policies
            .iter()
            .map(|p| (p.code.clone(), p.name.get(lang).to_string()))
            .collect(),
        rows: Vec::new(),
        by_cadre: Vec::new(),
        by_commune: Vec::new(),
        steering: Vec::new(),
        ranking: Vec::new(),
        error,
    };
    let year = match year {
        Ok(y) => y,
        Err(problem) => {
            page.error = Some(problem);
            return (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response();
        }
    };
    if unit.is_empty() {
        return crate::pages::render(page).into_response();
    }
    let plans = match state.registry.escape_list(actor, &unit, year).await {
        Ok(plans) => plans,
        Err(e) => return crate::failure::Failure::from(e).page(ctx),
    };
    if let Ok(Some(u)) = state.registry.unit_by_code(&unit).await {
        page.can_write = u.level == registry::Level::Commune
            && state.registry.may_write(actor, u.id).await.unwrap_or(false);
    }
    page.by_cadre = registry::by_cadre(&plans)
        .into_iter()
        .map(TallyRow::from)
        .collect();
    page.by_commune = state
        .registry
        .escape_by_commune(actor, &unit, year)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(TallyRow::from)
        .collect();
    page.rows = plans
        .into_iter()
        .map(|p| {
            let (outcome, outcome_class) = match p.outcome {
                EscapeOutcome::Escaped => (tr.t("escape_escaped"), "ok"),
                EscapeOutcome::StillPoor => (tr.t("escape_still_poor"), "warn"),
                EscapeOutcome::Pending => (tr.t("escape_pending"), "muted"),
            };
            EscapeRow {
                id: p.id,
                household_id: p.household_id.get(),
                code: p.household_code,
                head: p.head_name,
                village: p.village.unwrap_or_default(),
                cadre: if p.cadre_role.is_empty() {
                    p.cadre_name
                } else {
                    format!("{} ({})", p.cadre_name, p.cadre_role)
                },
                policies: p
                    .policies
                    .iter()
                    .map(|c| {
                        state
                            .policies
                            .policy(c)
                            .map_or(c.clone(), |x| x.name.get(lang).to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                due: p.due_on.as_deref().map(day).unwrap_or_default(),
                outcome: outcome.to_string(),
                outcome_class,
                notes: p
                    .notes
                    .into_iter()
                    .map(|(d, n, by)| (day(&d), n, by))
                    .collect(),
            }
        })
        .collect();
    page.ranking = ranking(state, tr, actor, &unit, year).await;
    page.steering = state
        .registry
        .steering(actor, &unit, year)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|mut m| {
            for visit in &mut m.visits {
                visit.0 = day(&visit.0);
            }
            m
        })
        .collect();
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The unit's poor households of the year before `year` (those the year's
/// list chooses from), ranked by how few deprivations separate them from
/// escaping under the standard that applies (those poor by income alone, or
/// whose income is not recorded, last), with their type and causes as
/// recorded for `year`.
async fn ranking(
    state: &AppState,
    tr: Tr,
    actor: &registry::Actor,
    unit: &str,
    year: i64,
) -> Vec<RankRow> {
    let lang = tr.language();
    let poor = state
        .registry
        .poor_households(actor, unit, year - 1, year)
        .await
        .unwrap_or_default();
    let mut ranked: Vec<(u32, RankRow)> = poor
        .into_iter()
        .filter_map(|h| {
            let standard = state.catalogue.get(&h.standard_id)?;
            let set = standard::DeprivationSet::from_codes(
                standard,
                h.deprived.iter().map(String::as_str),
            )
            .ok()?;
            let way = match h.income {
                Some(income) => {
                    support::way_out(standard, &state.policies, h.area, income, set, h.livelihood)
                }
                None => support::WayOut::Income,
            };
            let distance = way.distance();
            if distance == 0 {
                return None;
            }
            let deprivations = match &way {
                support::WayOut::Deprivations { indicators, .. } => indicators
                    .iter()
                    .map(|(i, codes)| {
                        let policies = codes
                            .iter()
                            .filter_map(|c| state.policies.policy(c))
                            .map(|p| p.name.get(lang).to_string())
                            .collect::<Vec<_>>()
                            .join(", ");
                        let name = tr.indicator(standard, &standard.indicators[*i].code);
                        if policies.is_empty() {
                            name
                        } else {
                            format!("{name} ({policies})")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => String::new(),
            };
            Some((
                distance,
                RankRow {
                    household_id: h.id.get(),
                    code: h.code,
                    head: h.head_name,
                    village: h.village.unwrap_or_default(),
                    distance: if distance == u32::MAX {
                        tr.t("escape_by_income").to_string()
                    } else {
                        distance.to_string()
                    },
                    deprivations,
                    poverty_type: h
                        .poverty_type
                        .map(|t| tr.t(&format!("poverty_type_{}", t.number())).to_string())
                        .unwrap_or_default(),
                    causes: h
                        .causes
                        .iter()
                        .filter_map(|c| state.policies.causes.iter().find(|x| &x.code == c))
                        .map(|c| c.text(lang).to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            ))
        })
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
    ranked.into_iter().map(|(_, row)| row).collect()
}

fn year_of(state: &AppState, tr: Tr, text: Option<&str>) -> Result<i64, String> {
    match text.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => crate::input::review_year(tr, y, state.current_year() + 1).map(|y| y.as_i64()),
        None => Ok(state.current_year()),
    }
}

/// The list's page.
pub async fn escape_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let year = year_of(&state, ctx.tr(), p.year.as_deref());
    let unit = p.unit.unwrap_or_default().trim().to_string();
    page(&state, &ctx, actor, unit, year, None).await
}

/// After a change: back to the page, or the page with the problems.
async fn after(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: &str,
    year: i64,
    result: Result<(), RegistryError>,
) -> Response {
    match result {
        Ok(()) => redirect(&format!(
            "/support/escape?unit={}&year={year}",
            crate::pages::unit_param(unit)
        )),
        Err(RegistryError::Invalid(problems)) => {
            page(
                state,
                ctx,
                actor,
                unit.to_string(),
                Ok(year),
                Some(problems.join("; ")),
            )
            .await
        }
        Err(e) => crate::failure::Failure::from(e).page(ctx),
    }
}

/// Puts a household on the list (form: unit, year, household_code,
/// cadre_name, cadre_role, due_on, policy_<code>).
pub async fn plan(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let tr = ctx.tr();
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let unit = field("unit");
    let year = match crate::input::review_year(tr, &field("year"), state.current_year() + 1) {
        Ok(y) => y,
        Err(problem) => return crate::pages::problem_page(&ctx, StatusCode::BAD_REQUEST, &problem),
    };
    let plan = registry::NewEscapePlan {
        household_code: field("household_code"),
        cadre_name: field("cadre_name"),
        cadre_role: field("cadre_role"),
        policies: state
            .policies
            .policies
            .iter()
            .filter(|p| f.contains_key(&format!("policy_{}", p.code)))
            .map(|p| p.code.clone())
            .collect(),
        due_on: field("due_on"),
    };
    let result = state
        .registry
        .plan_escape(actor, year, &plan, &state.policies)
        .await
        .map(|_| ());
    after(&state, &ctx, actor, &unit, year.as_i64(), result).await
}

/// Adds a follow-up note (form: unit, year, note).
pub async fn note(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(plan): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let year = year_of(&state, ctx.tr(), Some(&field("year"))).unwrap_or(state.current_year());
    let result = state
        .registry
        .note_escape(actor, plan, &field("note"))
        .await;
    after(&state, &ctx, actor, &field("unit"), year, result).await
}

/// Assigns a steering committee member (form: unit, year, commune, name,
/// position).
pub async fn assign_member(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let tr = ctx.tr();
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let year = match crate::input::review_year(tr, &field("year"), state.current_year() + 1) {
        Ok(y) => y,
        Err(problem) => return crate::pages::problem_page(&ctx, StatusCode::BAD_REQUEST, &problem),
    };
    let commune = Some(field("commune"))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| field("unit"));
    let result = state
        .registry
        .assign_steering_member(actor, &commune, year, &field("name"), &field("position"))
        .await
        .map(|_| ());
    after(&state, &ctx, actor, &field("unit"), year.as_i64(), result).await
}

/// Records a member's visit (form: unit, year, visited_on, findings).
pub async fn visit(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(member): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let year = year_of(&state, ctx.tr(), Some(&field("year"))).unwrap_or(state.current_year());
    let result = state
        .registry
        .record_visit(actor, member, &field("visited_on"), &field("findings"))
        .await;
    after(&state, &ctx, actor, &field("unit"), year, result).await
}
