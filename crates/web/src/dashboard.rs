//! The dashboard: the review years of the actor's scope, with rates once final.

use crate::AppState;
use crate::failure::Failure;
use crate::i18n::{Lang, Tr};
use crate::pages::{UserView, number, percent, render, user_view};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use registry::Capability;
use registry::RoundId;

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
    rounds: Vec<(RoundId, String, i64, String)>,
    /// The rounds link to their pages (roles that see names).
    round_links: bool,
    /// Who the poor are and how the lists moved, in one year, from the
    /// kept tallies.
    analysis: Option<Analysis>,
    /// A commune's work list in its latest year: (unit code, year,
    /// households, tasks).
    gaps: Option<(String, i64, usize, usize)>,
    /// The poor rate of each closed year (a merged commune's years include
    /// the communes it absorbed), as an SVG chart; a year under review is
    /// left out, never drawn as its rate.
    trend: String,
}

/// The analysis of one year of the dashboard.
pub struct Analysis {
    pub year: i64,
    /// (label, households) of the movements into the year.
    pub movements: Vec<(String, String)>,
    /// (label, poor households, of the poor) by group.
    pub groups: Vec<(String, String, String)>,
    /// Poor households deprived in each indicator, as an SVG bar chart.
    pub deprivations: String,
    /// The gap finder's counts: households still missing each policy's
    /// support in the year (and the people, for a policy to members), as
    /// an SVG bar chart; empty when nobody misses any.
    pub missing: String,
}

/// The analysis of `year` (the latest final year, else the latest) from
/// the kept tallies of the actor's scope.
async fn analysis(
    state: &AppState,
    tr: Tr,
    actor: &registry::Actor,
    counts: &[registry::YearCounts],
) -> Option<Analysis> {
    use registry::{Group, Measure, Movement};
    use standard::Status;
    let row = counts.iter().rev().find(|c| c.closed()).or(counts.last())?;
    let year = registry::ReviewYear::new(row.year).ok()?;
    let standard = state.catalogue.for_review_year(year.get());
    let mut measures: Vec<Measure> = Movement::ALL
        .iter()
        .map(|m| Measure::Movement(*m))
        .collect();
    measures.extend(Group::ALL.iter().map(|g| Measure::Group(*g, Status::Poor)));
    if let Some(s) = standard {
        measures.extend(
            s.indicators
                .iter()
                .map(|i| Measure::Deprived(i.code.clone(), Status::Poor)),
        );
    }
    // An agency officer's work is its agency's policies.
    let policies: Vec<&support::Policy> = state
        .policies
        .policies
        .iter()
        .filter(|p| actor.own_agency().is_none_or(|a| p.agency == a))
        .collect();
    for p in &policies {
        measures.push(Measure::Missing(p.code.clone()));
        measures.push(Measure::MissingMembers(p.code.clone()));
    }
    let tallies = state
        .registry
        .tallies(actor, None, year, &measures)
        .await
        .ok()
        .flatten()?;
    let count = |m: Movement| tallies.get(&Measure::Movement(m));
    let movements = vec![
        (
            tr.t("movement_escaped").to_string(),
            number(
                tr,
                count(Movement::EscapedToNearPoor) + count(Movement::EscapedAboveNearPoor),
            ),
        ),
        (
            tr.t("movement_newly_poor").to_string(),
            number(tr, count(Movement::NewlyPoor)),
        ),
        (
            tr.t("movement_re_poor").to_string(),
            number(tr, count(Movement::RePoor)),
        ),
        (
            tr.t("movement_near_poor_to_poor").to_string(),
            number(tr, count(Movement::NearPoorToPoor)),
        ),
    ];
    let groups = Group::ALL
        .iter()
        .map(|g| {
            let n = tallies.get(&Measure::Group(*g, Status::Poor));
            (
                tr.t(&format!("group_{}", g.code())).to_string(),
                number(tr, n),
                percent(tr, n, row.poor),
            )
        })
        .collect();
    let deprived = tallies.deprived(Status::Poor);
    let bars: Vec<report::Bar> = match standard {
        Some(s) => s
            .indicators
            .iter()
            .map(|i| {
                let n = deprived.get(i.code.as_str()).copied().unwrap_or(0);
                report::Bar {
                    label: tr.indicator(s, &i.code),
                    value: n as f64,
                    shown: format!("{} ({})", number(tr, n), percent(tr, n, row.poor)),
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let deprivations = if bars.is_empty() {
        String::new()
    } else {
        report::svg_bars(
            &format!("{} {}", tr.t("dashboard_deprived_poor"), row.year),
            &bars,
        )
    };
    let missing: Vec<report::Bar> = policies
        .iter()
        .filter_map(|p| {
            let households = tallies.get(&Measure::Missing(p.code.clone()));
            let members = tallies.get(&Measure::MissingMembers(p.code.clone()));
            (households > 0).then(|| report::Bar {
                label: p.name.get(tr.language()).to_string(),
                value: households as f64,
                shown: match p.to {
                    support::Recipient::Household => {
                        format!("{} {}", number(tr, households), tr.t("households_total"))
                    }
                    support::Recipient::Member => format!(
                        "{} {}, {} {}",
                        number(tr, households),
                        tr.t("households_total"),
                        number(tr, members),
                        tr.t("dashboard_people")
                    ),
                },
            })
        })
        .collect();
    let missing = if missing.is_empty() {
        String::new()
    } else {
        report::svg_bars(
            &format!("{} {}", tr.t("dashboard_missing"), row.year),
            &missing,
        )
    };
    Some(Analysis {
        year: row.year,
        movements,
        groups,
        deprivations,
        missing,
    })
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
        Some(id) => state.registry.unit(id).await.ok().flatten(),
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
    let unit_note = unit
        .as_ref()
        .and_then(|u| u.note.clone())
        .unwrap_or_default();
    let finals: Vec<&registry::YearCounts> = counts.iter().filter(|c| c.closed()).collect();
    let change = match finals.as_slice() {
        [.., a, b] => change_between(tr, a, b),
        _ => None,
    };
    let trend_bars: Vec<report::Bar> = finals
        .iter()
        .filter(|c| c.households > 0)
        .map(|c| report::Bar {
            label: c.year.to_string(),
            value: 100.0 * c.poor as f64 / c.households as f64,
            shown: percent(tr, c.poor, c.households),
        })
        .collect();
    let trend = if trend_bars.len() > 1 {
        report::svg_bars(tr.t("dashboard_trend"), &trend_bars)
    } else {
        String::new()
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
            .open_rounds(actor, 20)
            .await
            .unwrap_or_default()
            .into_iter()
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
    let analysis = analysis(&state, tr, actor, &counts).await;
    // A commune's work list: eligible, deprived households nobody served
    // this year (the gap finder is a commune's; above it, the page).
    let latest = counts.iter().rev().find(|c| c.assessed > 0).map(|c| c.year);
    let gaps = match (&unit, latest) {
        (Some(u), Some(year))
            if u.level == registry::Level::Commune && actor.may(Capability::SeeWorkLists) =>
        {
            state
                .registry
                .gaps(actor, &u.code, year, &state.policies)
                .await
                .ok()
                .map(|found| {
                    let tasks = found.iter().map(|h| h.gaps.len()).sum();
                    (u.code.clone(), year, found.len(), tasks)
                })
        }
        _ => None,
    };
    render(DashboardPage {
        trend,
        gaps,
        analysis,
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
