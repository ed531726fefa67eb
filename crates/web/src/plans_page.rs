//! Plans and targets (issue 12): a unit's plans (and those of the units
//! above it), the form to issue one; a plan's page with each target's
//! progress for the whole unit and by commune, its status, a chart, the
//! tasks serving it, and the form to add a target.

use crate::i18n::Tr;
use crate::{AppState, SignedIn, redirect};
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use registry::{RegistryError, TargetProgress, TargetShape};
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "plans.html")]
struct PlansPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    can_write: bool,
    /// (id, number, date, title, issuing unit, years).
    plans: Vec<(i64, String, String, String, String, String)>,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "plan.html")]
struct PlanPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    id: i64,
    number: String,
    issued_on: String,
    title: String,
    unit: String,
    unit_code: String,
    years: String,
    legal_bases: String,
    targets: Vec<TargetView>,
    can_write: bool,
    /// (code, name) of the policies, for the target form.
    policies: Vec<(String, String)>,
    shapes: Vec<(String, String)>,
    /// The overdue tasks of the plan's unit: (title, agency, due).
    overdue: Vec<(String, String, String)>,
    /// The agencies and their duties, as written.
    agencies: Vec<(String, String)>,
    error: Option<String>,
}

struct TargetView {
    title: String,
    /// "0,50 điểm %/năm", "2,50 %", "4.000".
    value: String,
    measure: String,
    /// The year measured ("2020", "2026 (đang rà soát)").
    year: String,
    status: String,
    status_code: &'static str,
    /// (commune, measure, meets: "yes" | "no" | "").
    communes: Vec<(String, String, &'static str)>,
    chart: String,
}

/// A target's measure as a page shows it.
fn shown(tr: Tr, shape: &TargetShape, value: f64) -> String {
    let decimal = |v: f64| {
        let text = format!("{v:.2}");
        match tr.language() {
            standard::Language::Vi => text.replace('.', ","),
            standard::Language::En => text,
        }
    };
    match shape {
        TargetShape::PoorRateDrop => format!("{} {}", decimal(value), tr.t("plans_points_a_year")),
        TargetShape::PoorRateBelow { .. } | TargetShape::ShareServed { .. } => {
            format!("{} %", decimal(value))
        }
        TargetShape::NoPoor { .. } => tr
            .t("plans_poor_households")
            .replace("{n}", &crate::pages::number(tr, value.round() as i64)),
        TargetShape::Served { .. } => crate::pages::number(tr, value.round() as i64),
    }
}

fn target_view(tr: Tr, p: &TargetProgress) -> TargetView {
    let shape = &p.target.shape;
    let value = if shape.counts() {
        p.target.value as f64
    } else {
        p.target.value as f64 / 100.0
    };
    let value_text = match shape {
        TargetShape::PoorRateBelow { .. } => format!("< {}", shown(tr, shape, value)),
        TargetShape::NoPoor { .. } => shown(tr, shape, 0.0),
        _ => format!("≥ {}", shown(tr, shape, value)),
    };
    let measure = p
        .measure
        .map(|m| shown(tr, shape, m))
        .unwrap_or_else(|| "–".into());
    let year = match (p.year, p.base_year) {
        (Some(y), _) if !p.closed => format!("{y} ({})", tr.t("plans_in_progress")),
        (Some(y), Some(b)) => format!("{b}–{y}"),
        (Some(y), None) => y.to_string(),
        (None, _) => "–".into(),
    };
    let bars: Vec<report::Bar> = p
        .communes
        .iter()
        .filter_map(|c| {
            Some(report::Bar {
                label: c.name.clone(),
                value: c.measure?.max(0.0),
                shown: shown(tr, shape, c.measure?),
            })
        })
        .collect();
    let chart = if bars.len() > 1 {
        report::svg_bars(&p.target.title, &bars)
    } else {
        String::new()
    };
    TargetView {
        title: p.target.title.clone(),
        value: value_text,
        measure,
        year,
        status: tr
            .t(&format!("target_status_{}", p.status.code()))
            .to_string(),
        status_code: p.status.code(),
        communes: p
            .communes
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.measure
                        .map(|m| shown(tr, shape, m))
                        .unwrap_or_else(|| "–".into()),
                    match c.meets {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "",
                    },
                )
            })
            .collect(),
        chart,
    }
}

async fn list_page(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let mut page = PlansPage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        can_write: false,
        plans: Vec::new(),
        error,
    };
    if !unit.is_empty() {
        let plans = match state.registry.plans(actor, &unit).await {
            Ok(p) => p,
            Err(e) => return crate::failure::Failure::from(e).page(ctx),
        };
        page.can_write = crate::pages::may_write_unit(state, actor, &unit).await;
        page.plans = plans
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    p.number,
                    vntext::format_date(p.issued_on),
                    p.title,
                    p.unit_name,
                    if p.from_year == p.to_year {
                        p.from_year.to_string()
                    } else {
                        format!("{}–{}", p.from_year, p.to_year)
                    },
                )
            })
            .collect();
    }
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The plans of a unit and of the units above it.
pub async fn plans_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let unit = crate::pages::unit_or_own(&state, actor, p.unit).await;
    list_page(&state, &ctx, actor, unit, None).await
}

/// Issues a plan (form: unit, number, issued_on, title, from_year,
/// to_year, legal_bases).
pub async fn add_plan(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| crate::input::field(&f, k);
    let new = registry::NewPlan {
        unit_code: field("unit"),
        number: field("number"),
        issued_on: field("issued_on"),
        title: field("title"),
        from_year: field("from_year"),
        to_year: field("to_year"),
        legal_bases: field("legal_bases"),
    };
    match state.registry.add_plan(actor, &new).await {
        Ok(id) => redirect(&format!("/plans/{id}")),
        Err(RegistryError::Invalid(problems)) => {
            list_page(
                &state,
                &ctx,
                actor,
                field("unit"),
                Some(problems.join("; ")),
            )
            .await
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

async fn plan_page(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    id: i64,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let lang = tr.language();
    let today = chrono::Utc::now().date_naive();
    let (plan, progress) = match state
        .registry
        .plan_progress(actor, id, today, &state.policies)
        .await
    {
        Ok(p) => p,
        Err(e) => return crate::failure::Failure::from(e).page(ctx),
    };
    let can_write = crate::pages::may_write_unit(state, actor, &plan.unit_code).await;
    // The overdue tasks of the plan's unit, for those who see tasks.
    let overdue = if actor.may(registry::Capability::SeeWorkLists) {
        state
            .registry
            .tasks(actor, &plan.unit_code, today)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.overdue)
            .map(|t| {
                (
                    t.title,
                    state
                        .policies
                        .agency(&t.agency)
                        .map_or(t.agency.clone(), |a| a.name.get(lang).to_string()),
                    vntext::format_date(t.due_on),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = PlanPage {
        tr,
        user: crate::pages::user_view(ctx),
        id: plan.id,
        number: plan.number,
        issued_on: vntext::format_date(plan.issued_on),
        title: plan.title,
        unit: plan.unit_name,
        unit_code: plan.unit_code,
        years: if plan.from_year == plan.to_year {
            plan.from_year.to_string()
        } else {
            format!("{}–{}", plan.from_year, plan.to_year)
        },
        legal_bases: plan.legal_bases,
        targets: progress.iter().map(|p| target_view(tr, p)).collect(),
        can_write,
        policies: state
            .policies
            .policies
            .iter()
            .map(|p| (p.code.clone(), p.name.get(lang).to_string()))
            .collect(),
        shapes: registry::TARGET_SHAPES
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    tr.t(&format!("target_shape_{s}")).to_string(),
                )
            })
            .collect(),
        overdue,
        agencies: state
            .policies
            .agencies
            .iter()
            .map(|a| {
                (
                    a.name.get(lang).to_string(),
                    a.duties
                        .as_ref()
                        .map(|d| d.get(lang).to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        error,
    };
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// A plan with its targets' progress.
pub async fn plan(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(id): Path<i64>,
) -> Response {
    plan_page(&state, &ctx, actor, id, None).await
}

/// Adds a target (form: title, shape, value, policy_<code>, standing_<code>,
/// commune, excluding).
pub async fn add_target(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| crate::input::field(&f, k);
    let new = registry::NewTarget {
        title: field("title"),
        shape: field("shape"),
        value: field("value"),
        policies: crate::input::ticked(
            &f,
            "policy_",
            state.policies.policies.iter().map(|p| p.code.as_str()),
        ),
        standings: crate::input::ticked(&f, "standing_", ["poor", "near_poor", "escaped"]),
        commune: field("commune"),
        excluding: f.contains_key("excluding"),
    };
    match state
        .registry
        .add_target(actor, id, &new, &state.policies)
        .await
    {
        Ok(_) => redirect(&format!("/plans/{id}")),
        Err(RegistryError::Invalid(problems)) => {
            plan_page(&state, &ctx, actor, id, Some(problems.join("; "))).await
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}
