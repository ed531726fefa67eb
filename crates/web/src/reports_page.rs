//! The report set and its sign-off (issue 12): for a unit and year, each
//! report of the set as xlsx or printable (A4 landscape), the whole set as
//! one workbook, the poor rate by commune as a chart; and the period's
//! reports of the unit and of the units reporting to it, submitted,
//! returned or accepted.

use crate::i18n::Tr;
use crate::{AppState, SignedIn, redirect};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::{Capability, RegistryError, ReportKind, ReportPeriod, SignOffState};
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
    year: Option<String>,
    period: Option<String>,
    format: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    year: String,
    period: String,
    /// (code, title) of each report of the set.
    reports: Vec<(String, String)>,
    /// The detailed list of households with members (readers of names).
    list_link: Option<String>,
    /// The poor rate by commune, as an SVG chart.
    chart: String,
    /// The year's review is still open somewhere: figures are provisional.
    provisional: Option<String>,
    signoffs: Vec<SignOffRow>,
    /// Whether the page shows the sign-off (roles that see work lists).
    sees_signoff: bool,
    error: Option<String>,
}

struct SignOffRow {
    unit_code: String,
    unit_name: String,
    state: String,
    /// "submitted", "returned", "accepted" or "" (not submitted).
    state_code: &'static str,
    submitted_on: String,
    on_time: String,
    comment: String,
    /// The unit's own row: the account may submit it.
    may_submit: bool,
    /// A unit below waiting: the account may accept or return it.
    may_decide: bool,
}

fn report_title(tr: Tr, kind: ReportKind) -> String {
    tr.t(&format!("report_{}", kind.code())).to_string()
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    year_text: Option<String>,
    period_text: Option<String>,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let mut page = ReportsPage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        year: year_text.clone().unwrap_or_default(),
        period: period_text.clone().unwrap_or_default(),
        reports: ReportKind::ALL
            .iter()
            .map(|k| (k.code().to_string(), report_title(tr, *k)))
            .collect(),
        list_link: None,
        chart: String::new(),
        provisional: None,
        signoffs: Vec::new(),
        sees_signoff: actor.may(Capability::SeeWorkLists),
        error,
    };
    if unit.is_empty() {
        return crate::pages::render_answer(page, false);
    }
    let year = match crate::pages::year_or_default(state, tr, actor, year_text.as_deref()).await {
        Ok(y) => y,
        Err(problem) => {
            page.error = Some(problem);
            return crate::pages::render_answer(page, true);
        }
    };
    page.year = year.to_string();
    let figures = match state.registry.report_overview(actor, &unit, year).await {
        Ok(f) => f,
        Err(e) => return crate::failure::Failure::from(e).page(ctx),
    };
    if actor.may(Capability::SeeNames) {
        page.list_link = Some(format!(
            "/export?unit={}&year={year}",
            crate::pages::unit_param(&unit)
        ));
    }
    if !figures.closed() {
        page.provisional = Some(
            tr.t("reports_provisional")
                .replace("{year}", &year.to_string())
                .replace("{closed}", &figures.communes_closed.to_string())
                .replace("{communes}", &figures.communes_reviewing.to_string()),
        );
    }
    let mut rates: Vec<(String, i64, i64)> = figures
        .communes
        .iter()
        .map(|c| {
            let poor = c
                .statuses
                .get(&standard::Status::Poor)
                .copied()
                .unwrap_or(0);
            (c.name.clone(), poor, c.households)
        })
        .filter(|(_, _, households)| *households > 0)
        .collect();
    // Highest rate first: where the work is.
    rates.sort_by(|a, b| (b.1 * a.2).cmp(&(a.1 * b.2)).then_with(|| a.0.cmp(&b.0)));
    if !rates.is_empty() {
        let bars: Vec<report::Bar> = rates
            .iter()
            .map(|(name, poor, households)| {
                let rate = 100.0 * *poor as f64 / *households as f64;
                report::Bar {
                    label: name.clone(),
                    value: rate,
                    shown: crate::pages::percent(tr, *poor, *households),
                }
            })
            .collect();
        let title = tr.t("reports_chart").replace("{year}", &year.to_string());
        page.chart = report::svg_bars(&title, &bars);
    }
    if page.sees_signoff {
        let period = match period_text
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(p) => match ReportPeriod::parse(p) {
                Ok(p) => p,
                Err(problem) => {
                    page.error = Some(problem);
                    return crate::pages::render_answer(page, true);
                }
            },
            None => ReportPeriod::Year(year.as_i64() as i32),
        };
        page.period = match period {
            ReportPeriod::Year(y) => y.to_string(),
            ReportPeriod::Month(y, m) => format!("{m:02}/{y}"),
        };
        let rows = match state.registry.signoffs(actor, &unit, period).await {
            Ok(rows) => rows,
            Err(e) => return crate::failure::Failure::from(e).page(ctx),
        };
        // Its own officers submit a unit's report (a province reports
        // outside the system) and decide on those sent to it.
        let (may_write_own, decides) = match state.registry.unit_by_code(&unit).await {
            Ok(Some(u)) => (
                u.parent_id.is_some()
                    && registry::Registry::speaks_for(actor, u.id)
                    && state.registry.may_write(actor, u.id).await.unwrap_or(false),
                registry::Registry::speaks_for(actor, u.id),
            ),
            _ => (false, false),
        };
        page.signoffs = rows
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let state_code = s.state.map_or("", SignOffState::code);
                SignOffRow {
                    may_submit: i == 0
                        && may_write_own
                        && matches!(s.state, None | Some(SignOffState::Returned)),
                    may_decide: i > 0
                        && decides
                        && actor.may(Capability::Approve)
                        && s.state == Some(SignOffState::Submitted),
                    state: tr
                        .t(&format!(
                            "signoff_state_{}",
                            if state_code.is_empty() {
                                "none"
                            } else {
                                state_code
                            }
                        ))
                        .to_string(),
                    state_code,
                    unit_code: s.unit_code,
                    unit_name: s.unit_name,
                    submitted_on: s
                        .submitted_on
                        .as_deref()
                        .map(crate::pages::shown_date)
                        .unwrap_or_default(),
                    on_time: match s.on_time {
                        Some(true) => tr.t("signoff_on_time").to_string(),
                        Some(false) => tr.t("signoff_late").to_string(),
                        None => String::new(),
                    },
                    comment: s.comment.unwrap_or_default(),
                }
            })
            .collect();
    }
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The report set's page of a unit and year, with the sign-off.
pub async fn reports_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let unit = crate::pages::unit_or_own(&state, actor, p.unit).await;
    page(&state, &ctx, actor, unit, p.year, p.period, None).await
}

/// One report of the set (`all`: the whole set as one workbook), as xlsx
/// (`format=xlsx`) or as a printable page.
pub async fn report(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(kind): Path<String>,
    Query(p): Query<Params>,
) -> Response {
    let tr = ctx.tr();
    let kinds: Vec<ReportKind> = match kind.as_str() {
        "all" => ReportKind::ALL.to_vec(),
        code => match ReportKind::parse(code) {
            Some(k) => vec![k],
            None => return crate::pages::message_for(&ctx, StatusCode::NOT_FOUND, "not_found"),
        },
    };
    let unit = p.unit.unwrap_or_default().trim().to_string();
    let year = match crate::pages::year_or_default(&state, tr, actor, p.year.as_deref()).await {
        Ok(y) => y,
        Err(problem) => return crate::pages::invalid_page(&ctx, vec![problem]),
    };
    let mut figures = match state.registry.figures_for(actor, &unit, year, &kinds).await {
        Ok(f) => f,
        Err(e) => return crate::failure::Failure::from(e).page(&ctx),
    };
    if kinds.contains(&ReportKind::Support) {
        match state
            .registry
            .gap_counts(actor, &unit, year, &state.policies)
            .await
        {
            Ok(missing) => figures.missing = Some(missing),
            Err(e) => return crate::failure::Failure::from(e).page(&ctx),
        }
    }
    let standard = state.catalogue.for_review_year(year.get());
    let language = tr.language();
    let today = chrono::Utc::now().date_naive();
    let reports: Vec<report::Report> = kinds
        .iter()
        .filter_map(|k| registry::report_of(*k, &figures, standard, &state.policies, language))
        .map(|mut r| {
            r.place_date = Some(crate::i18n::place_date(tr, &figures.unit_name, today));
            r.signatures = vec![
                report::Signature {
                    title: tr.t("print_preparer").to_string(),
                    name: String::new(),
                },
                report::Signature {
                    title: tr.t("print_chairman").to_string(),
                    name: String::new(),
                },
            ];
            r
        })
        .collect();
    if reports.is_empty() {
        return crate::pages::message_for(&ctx, StatusCode::NOT_FOUND, "reports_no_standard");
    }
    if p.format.as_deref() == Some("xlsx") {
        let name = format!(
            "bao-cao-{}-{}-{year}.xlsx",
            kind,
            crate::pages::unit_param(&unit)
        );
        return match crate::pages::workbook(reports).await {
            Ok(bytes) => crate::pages::xlsx_response(bytes, &name),
            Err(e) => {
                tracing::error!(error = %e, "report workbook");
                crate::failure::Failure::Server.page(&ctx)
            }
        };
    }
    let words = crate::i18n::report_words(tr);
    let mut pages = String::new();
    for r in &reports {
        match report::html(r, &words) {
            Ok(page) => pages.push_str(&page),
            Err(e) => {
                tracing::error!(error = %e, "printable report");
                return crate::failure::Failure::Server.page(&ctx);
            }
        }
    }
    (StatusCode::OK, Html(pages)).into_response()
}

async fn after(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    f: &HashMap<String, String>,
    result: Result<(), RegistryError>,
) -> Response {
    let field = |k: &str| crate::input::field(f, k);
    let unit = field("page_unit");
    match result {
        Ok(()) => redirect(&format!(
            "/plans/reports?unit={}&year={}&period={}",
            crate::pages::unit_param(&unit),
            crate::pages::unit_param(&field("year")),
            field("period")
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect::<String>(),
        )),
        Err(RegistryError::Invalid(problems)) => {
            page(
                state,
                ctx,
                actor,
                unit,
                Some(field("year")),
                Some(field("period")),
                Some(problems.join("; ")),
            )
            .await
        }
        Err(e) => crate::failure::Failure::from(e).page(ctx),
    }
}

/// The period asked for in a form, written back in the form the redirect
/// carries ("2025" or "2025-03").
fn period_field(f: &mut HashMap<String, String>) -> Result<ReportPeriod, RegistryError> {
    let text = f.get("period").map(String::as_str).unwrap_or_default();
    let period = ReportPeriod::parse(text).map_err(|e| RegistryError::Invalid(vec![e]))?;
    f.insert("period".into(), period.code());
    Ok(period)
}

/// Submits the unit's report of a period (form: unit, period, year,
/// page_unit).
pub async fn submit(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(mut f): Form<HashMap<String, String>>,
) -> Response {
    let result = match period_field(&mut f) {
        Ok(period) => {
            let unit = f.get("unit").cloned().unwrap_or_default();
            let today = chrono::Utc::now().date_naive();
            state
                .registry
                .submit_report(actor, unit.trim(), period, today)
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &ctx, actor, &f, result).await
}

/// Accepts or returns a unit's submitted report (form: unit, period,
/// decision = accept | return, comment, year, page_unit).
pub async fn decide(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(mut f): Form<HashMap<String, String>>,
) -> Response {
    let result = match period_field(&mut f) {
        Ok(period) => {
            let field = |k: &str| crate::input::field(&f, k);
            let accept = match field("decision").as_str() {
                "accept" => Some(true),
                "return" => Some(false),
                _ => None,
            };
            match accept {
                Some(accept) => {
                    state
                        .registry
                        .decide_report(actor, &field("unit"), period, accept, &field("comment"))
                        .await
                }
                None => Err(RegistryError::Invalid(vec![
                    ctx.tr().t("signoff_no_decision").to_string(),
                ])),
            }
        }
        Err(e) => Err(e),
    };
    after(&state, &ctx, actor, &f, result).await
}
