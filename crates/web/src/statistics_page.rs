//! The statistics office's page (issue 12): the year's poor and near-poor
//! rates, the access to each basic social service and the multidimensional
//! poverty index (H, A, M0 with standard errors) for the unit, by area and
//! by commune, each indicator's contribution, and the change from the year
//! before with delta-method standard errors.

use crate::i18n::Tr;
use crate::{AppState, SignedIn};
use axum::extract::{Query, State};
use axum::response::Response;
use measure::GroupMeasures;

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
    year: Option<String>,
    /// "1": add the rates at prices updated by the CPI (reads every
    /// household's income, so only when asked).
    cpi: Option<String>,
    /// The page of the table by commune (from 1).
    page: Option<String>,
}

/// Communes in the table by commune on one page: a merged province's
/// 100–170 on one, a synthetic or national one's thousands a page at a
/// time (each commune's sheet is read for its row).
const COMMUNES_PER_PAGE: usize = 200;

#[derive(askama::Template)]
#[template(path = "statistics.html")]
struct StatisticsPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    year: String,
    standard: String,
    provisional: bool,
    /// (label, households, poor rate, near-poor rate, H, A, M0), each
    /// measure with its standard error.
    overall: Vec<[String; 7]>,
    /// (commune, households, share of the households, H, A, M0,
    /// contribution to M0 in points, and as a share of it).
    communes: Vec<[String; 8]>,
    /// Which communes the table shows of how many, when not all.
    communes_shown: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    /// (group, households, share of the households, poor rate, H, A, M0).
    groups: Vec<[String; 7]>,
    /// (indicator, access, uncensored, censored, contribution to M0 in
    /// points, and as a share of it).
    indicators: Vec<[String; 6]>,
    /// (measure, last year, this year, absolute, relative, annualised).
    changes: Vec<[String; 6]>,
    change_note: Option<String>,
    /// What the CPI row is, when there is one.
    cpi_note: Option<String>,
    /// The link that adds the CPI row, when it is not there.
    cpi_link: Option<String>,
    empty: bool,
    error: Option<String>,
}

/// A fraction as a percentage, the page's way.
fn pct(tr: Tr, f: f64) -> String {
    if f.is_nan() {
        return "–".into();
    }
    let text = format!("{:.2} %", 100.0 * f);
    match tr.language() {
        standard::Language::Vi => text.replace('.', ","),
        standard::Language::En => text,
    }
}

/// A part of M0 in percentage points: "1,23".
fn points(tr: Tr, f: f64) -> String {
    pct(tr, f).replace(" %", "")
}

/// "12,34 % (± 0,56)": an estimate with its standard error.
fn with_se(tr: Tr, f: Option<f64>, se: Option<f64>) -> String {
    match (f, se) {
        (Some(f), Some(se)) => format!("{} (± {})", pct(tr, f), pct(tr, se).replace(" %", "")),
        (Some(f), None) => pct(tr, f),
        _ => "–".into(),
    }
}

fn overall_row(tr: Tr, label: String, g: &GroupMeasures) -> [String; 7] {
    [
        label,
        crate::pages::number(tr, g.households as i64),
        pct(tr, g.poor_rate),
        pct(tr, g.near_poor_rate),
        with_se(tr, Some(g.h), g.se.h),
        with_se(tr, g.a, g.se.a),
        with_se(tr, Some(g.m0), g.se.m0),
    ]
}

/// The statistics of a unit and year.
pub async fn statistics_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let tr = ctx.tr();
    let lang = tr.language();
    let unit = crate::pages::unit_or_own(&state, actor, p.unit).await;
    let mut page = StatisticsPage {
        tr,
        user: crate::pages::user_view(&ctx),
        unit: unit.clone(),
        year: p.year.clone().unwrap_or_default(),
        standard: String::new(),
        provisional: false,
        overall: Vec::new(),
        communes: Vec::new(),
        communes_shown: None,
        previous: None,
        next: None,
        groups: Vec::new(),
        indicators: Vec::new(),
        changes: Vec::new(),
        change_note: None,
        cpi_note: None,
        cpi_link: None,
        empty: true,
        error: None,
    };
    if unit.is_empty() {
        return crate::pages::render_answer(page, false);
    }
    let year = match crate::pages::year_or_default(&state, tr, actor, p.year.as_deref()).await {
        Ok(y) => y,
        Err(problem) => {
            page.error = Some(problem);
            return crate::pages::render_answer(page, true);
        }
    };
    page.year = year.to_string();
    let page_number = match crate::input::page(tr, p.page.as_deref()) {
        Ok(n) => usize::try_from(n).unwrap_or(1),
        Err(problem) => {
            page.error = Some(problem);
            return crate::pages::render_answer(page, true);
        }
    };
    let first = (page_number - 1) * COMMUNES_PER_PAGE;
    let Some(standard) = state.catalogue.for_review_year(year.get()) else {
        return crate::pages::render_answer(page, false);
    };
    page.standard = standard.name.get(lang).to_string();
    // This year and the year before, at once (two readers).
    let before = registry::ReviewYear::new(year.as_i64() - 1)
        .ok()
        .filter(|b| state.catalogue.for_review_year(b.get()).map(|s| &s.id) == Some(&standard.id));
    // The lines updated by the CPI from the year before the standard's
    // first review year, for statistics only.
    static CPI: std::sync::OnceLock<standard::cpi::Cpi> = std::sync::OnceLock::new();
    let cpi = CPI.get_or_init(standard::cpi::Cpi::builtin);
    let base = i64::from(*standard.review_years.start()) - 1;
    let factor = cpi.factor(base, year.as_i64());
    let at_prices = factor.filter(|_| p.cpi.as_deref() == Some("1"));
    let years: Vec<registry::ReviewYear> = std::iter::once(year).chain(before).collect();
    let (measured, deflated) = tokio::join!(
        state.registry.statistics_of_years(
            actor,
            &unit,
            &years,
            standard,
            first..first + COMMUNES_PER_PAGE
        ),
        async {
            match at_prices {
                Some(f) => state
                    .registry
                    .statistics_at_prices(actor, &unit, year, standard, f)
                    .await
                    .map(|g| g.map(|g| (f, g))),
                None => Ok(None),
            }
        }
    );
    let deflated = match deflated {
        Ok(d) => d,
        Err(e) => return crate::failure::Failure::from(e).page(&ctx),
    };
    let mut measured = match measured {
        Ok(m) => m.into_iter(),
        Err(e) => return crate::failure::Failure::from(e).page(&ctx),
    };
    let Some(now) = measured.next().flatten() else {
        return crate::pages::render_answer(page, false);
    };
    let previous = measured.next().flatten();
    page.empty = false;
    page.provisional = !now.closed;
    page.overall.push(overall_row(
        tr,
        tr.t("statistics_whole").to_string(),
        &now.total,
    ));
    for g in &now.by_area {
        let area = if g.group == "urban" {
            standard::Area::Urban
        } else {
            standard::Area::Rural
        };
        let name = area.name(lang);
        // "nông thôn" as a row's label: "Nông thôn".
        let mut chars = name.chars();
        let label: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        page.overall.push(overall_row(tr, label, g));
    }
    if factor.is_some() && at_prices.is_none() {
        page.cpi_link = Some(format!(
            "/statistics?unit={}&year={year}&cpi=1",
            crate::households::encode(&unit)
        ));
    }
    if let Some((factor, g)) = &deflated {
        let label = tr
            .t("statistics_cpi_row")
            .replace("{factor}", &crate::pages::decimal(tr, *factor, 4))
            .replace("{base}", &base.to_string());
        page.overall.push([
            label,
            crate::pages::number(tr, g.households as i64),
            pct(tr, g.poor_rate),
            pct(tr, g.near_poor_rate),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
        page.cpi_note = Some(tr.t("statistics_cpi_note").to_string());
    }
    if now.communes > COMMUNES_PER_PAGE || page_number > 1 {
        let link = |n: usize| {
            let mut link = format!(
                "/statistics?unit={}&year={year}",
                crate::households::encode(&unit)
            );
            if at_prices.is_some() {
                link.push_str("&cpi=1");
            }
            format!("{link}&page={n}#mpi-communes")
        };
        let count = crate::pages::number(tr, now.communes as i64);
        if first < now.communes {
            let last = now.communes.min(first + COMMUNES_PER_PAGE);
            page.communes_shown = Some(
                tr.t("statistics_communes_shown")
                    .replace("{from}", &crate::pages::number(tr, (first + 1) as i64))
                    .replace("{to}", &crate::pages::number(tr, last as i64))
                    .replace("{total}", &count),
            );
            page.previous = (page_number > 1).then(|| link(page_number - 1));
            page.next = (last < now.communes).then(|| link(page_number + 1));
        } else {
            // A page past the last (a link kept from a larger unit): say
            // so, and link the last page.
            page.communes_shown = Some(tr.t("statistics_communes_none").replace("{total}", &count));
            page.previous = Some(link(now.communes.div_ceil(COMMUNES_PER_PAGE).max(1)));
        }
    }
    let total_weight = now.total.weight_sum;
    page.communes = now
        .by_commune
        .iter()
        .map(|g| {
            // Absolute: the commune's population share times its M0 (they
            // add up to the unit's M0); relative: that as a share of it.
            let absolute = if total_weight > 0.0 {
                g.weight_sum / total_weight * g.m0
            } else {
                f64::NAN
            };
            let contribution = if now.total.m0 > 0.0 {
                absolute / now.total.m0
            } else {
                f64::NAN
            };
            [
                now.names
                    .get(&g.group)
                    .cloned()
                    .unwrap_or_else(|| g.group.clone()),
                crate::pages::number(tr, g.households as i64),
                pct(tr, g.weight_sum / total_weight),
                with_se(tr, Some(g.h), g.se.h),
                with_se(tr, g.a, g.se.a),
                with_se(tr, Some(g.m0), g.se.m0),
                points(tr, absolute),
                pct(tr, contribution),
            ]
        })
        .collect();
    page.groups = now
        .by_group
        .iter()
        .map(|g| {
            [
                tr.t(&format!("group_{}", g.group)).to_string(),
                crate::pages::number(tr, g.households as i64),
                pct(tr, g.weight_sum / total_weight),
                pct(tr, g.poor_rate),
                with_se(tr, Some(g.h), g.se.h),
                with_se(tr, g.a, g.se.a),
                with_se(tr, Some(g.m0), g.se.m0),
            ]
        })
        .collect();
    page.indicators = standard
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let uncensored = now.total.uncensored.get(i).copied().unwrap_or(f64::NAN);
            let relative = now.total.contribution.get(i).copied().flatten();
            [
                ind.name.get(lang).to_string(),
                pct(tr, 1.0 - uncensored),
                pct(tr, uncensored),
                pct(tr, now.total.censored.get(i).copied().unwrap_or(f64::NAN)),
                // Absolute: the indicator's weight times its censored
                // headcount, the same as its share of M0 times M0.
                relative.map_or_else(|| "–".into(), |c| points(tr, c * now.total.m0)),
                relative.map_or_else(|| "–".into(), |c| pct(tr, c)),
            ]
        })
        .collect();
    // The change from the year before, under the same standard only.
    if before.is_none() && year.as_i64() > i64::from(registry::ReviewYear::FIRST) {
        page.change_note = Some(tr.t("statistics_other_standard").to_string());
    }
    if let Some(prev) = previous {
        let signed = |f: f64, se: Option<f64>| {
            let sign = if f > 0.0 { "+" } else { "" };
            format!("{sign}{}", with_se(tr, Some(f), se))
        };
        for (label, a, sa, b, sb) in [
            (
                "H",
                prev.total.h,
                prev.total.se.h,
                now.total.h,
                now.total.se.h,
            ),
            (
                "M0",
                prev.total.m0,
                prev.total.se.m0,
                now.total.m0,
                now.total.se.m0,
            ),
        ] {
            let c = measure::change((a, sa), (b, sb), 1);
            page.changes.push([
                label.to_string(),
                with_se(tr, Some(a), sa),
                with_se(tr, Some(b), sb),
                signed(c.absolute, c.se_absolute),
                c.relative
                    .map_or_else(|| "–".into(), |r| signed(r, c.se_relative)),
                c.annualised
                    .map_or_else(|| "–".into(), |r| signed(r, c.se_annualised)),
            ]);
        }
        if !prev.closed {
            page.change_note = Some(tr.t("statistics_previous_open").to_string());
        }
    }
    crate::pages::render_answer(page, false)
}
