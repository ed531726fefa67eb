//! The household page's support section: the policies the household is
//! eligible for (who is responsible, whom in it they serve), and the
//! shortest way out of poverty — or, for a near-poor household, the
//! deprivation that would make it poor and the policies that prevent it.
//! Worked out by the `support` crate from the registry's facts.

use crate::i18n::Tr;
use crate::{AppState, redirect};
use axum::extract::{Form, Path, State};
use axum::response::Response;
use registry::{Actor, HouseholdId, RegistryError, SupportFacts};
use standard::{DeprivationSet, Status};
use std::collections::HashMap;

/// What the section shows, in the reader's language.
pub struct SupportView {
    pub year: i64,
    /// "Cần giảm 2 trong 4 thiếu hụt để thoát nghèo", or what income needs.
    pub way_out: Option<String>,
    /// (indicator, policies that address it) for the way out or the risk.
    pub steps: Vec<(String, String)>,
    /// (policy, agency, whom: "cả hộ" or members' names, served first).
    pub eligible: Vec<(String, String, String, bool)>,
}

/// Causes, wishes and the type of a household, and the form to record them.
pub struct ProfileView {
    pub year: i64,
    /// (code, words, ticked).
    pub causes: Vec<(String, String, bool)>,
    pub wishes: Vec<(String, String, bool)>,
    /// (number, words, selected).
    pub types: Vec<(i64, String, bool)>,
    /// The type the members suggest, in words.
    pub suggested: String,
    pub reason: String,
    /// The type recorded, in words (empty when none, or hidden).
    pub shown: String,
    /// "2026: Nguyễn Thị Hoa (Trưởng thôn), hạn 30/06/2026", newest first.
    pub escapes: Vec<String>,
    /// "Nuôi bò sinh sản (từ 15/03/2025)".
    pub models: Vec<String>,
}

fn type_words(tr: Tr, t: support::PovertyType) -> String {
    tr.t(&format!("poverty_type_{}", t.number())).to_string()
}

/// The profile section of a household the actor may see.
pub async fn profile_view(state: &AppState, tr: Tr, actor: &Actor, id: HouseholdId) -> ProfileView {
    let lang = tr.language();
    let policies = &state.policies;
    let facts = state.registry.support_facts(actor, id).await.ok().flatten();
    let profile = state.registry.profile(actor, id).await.ok().flatten();
    let sees_three = state
        .registry
        .sees_persuasion_type(actor)
        .await
        .unwrap_or(false);
    let suggested = support::PovertyType::suggested(facts.as_ref().map_or(&[][..], |f| &f.groups));
    let ticked = |list: &[support::Choice], chosen: &[String]| {
        list.iter()
            .map(|c| {
                (
                    c.code.clone(),
                    c.text(lang).to_string(),
                    chosen.contains(&c.code),
                )
            })
            .collect()
    };
    let chosen = profile.as_ref().and_then(|p| p.poverty_type);
    let plans = state
        .registry
        .household_plans(actor, id)
        .await
        .unwrap_or_default();
    let day = crate::pages::shown_date;
    ProfileView {
        escapes: plans
            .escapes
            .iter()
            .map(|(year, cadre, due)| match due {
                Some(d) => format!(
                    "{year}: {cadre}, {} {}",
                    tr.t("escape_due").to_lowercase(),
                    day(d)
                ),
                None => format!("{year}: {cadre}"),
            })
            .collect(),
        models: plans
            .models
            .iter()
            .map(|(name, joined)| {
                format!(
                    "{name} ({} {})",
                    tr.t("models_joined_on").to_lowercase(),
                    day(joined)
                )
            })
            .collect(),
        year: facts
            .as_ref()
            .map_or_else(|| state.current_year(), |f| f.year),
        causes: ticked(
            &policies.causes,
            profile.as_ref().map_or(&[][..], |p| &p.causes),
        ),
        wishes: ticked(
            &policies.wishes,
            profile.as_ref().map_or(&[][..], |p| &p.wishes),
        ),
        types: support::PovertyType::ALL
            .into_iter()
            .filter(|t| *t != support::PovertyType::Persuasion || sees_three)
            .map(|t| (t.number(), type_words(tr, t), chosen == Some(t)))
            .collect(),
        suggested: type_words(tr, suggested),
        reason: profile
            .as_ref()
            .and_then(|p| p.reason.clone())
            .unwrap_or_default(),
        shown: chosen.map(|t| type_words(tr, t)).unwrap_or_default(),
    }
}

/// Records causes, wishes and the type from the household page's form.
pub async fn record_profile(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let tr = ctx.tr();
    let picked = |prefix: &str| -> Vec<String> {
        let mut codes: Vec<String> = f
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, _)| k.strip_prefix(prefix).map(String::from))
            .collect();
        codes.sort();
        codes
    };
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let year = match crate::input::review_year(tr, &field("year"), state.current_year() + 1) {
        Ok(y) => y.as_i64(),
        Err(p) => return crate::pages::problem_page(&ctx, axum::http::StatusCode::BAD_REQUEST, &p),
    };
    let poverty_type = match field("poverty_type").as_str() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => Some(0),
        },
    };
    let new = registry::NewProfile {
        causes: picked("cause_"),
        wishes: picked("wish_"),
        poverty_type,
        reason: field("reason"),
    };
    match state
        .registry
        .record_profile(actor, id, year, &state.policies, &new)
        .await
    {
        Ok(()) => redirect(&format!("/households/{id}#profile")),
        Err(RegistryError::Invalid(problems)) => crate::pages::problem_page(
            &ctx,
            axum::http::StatusCode::BAD_REQUEST,
            &problems.join("; "),
        ),
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

/// The support a household received, and the form to record more.
pub struct Delivered {
    /// (year, date, policy, member, amount, details) newest first.
    pub rows: Vec<(i64, String, String, String, String, String)>,
    /// (code, name, to members) of every policy, for the form.
    pub policies: Vec<(String, String, bool)>,
    /// (member id, name) for the form.
    pub members: Vec<(i64, String)>,
}

/// The deliveries to a household, in the reader's language.
pub async fn delivered(
    state: &AppState,
    tr: Tr,
    actor: &Actor,
    id: HouseholdId,
    members: Vec<(i64, String)>,
) -> Delivered {
    let lang = tr.language();
    let policies = &state.policies;
    let name = |code: &str| {
        policies
            .policy(code)
            .map_or_else(|| code.to_string(), |p| p.name.get(lang).to_string())
    };
    let rows = state
        .registry
        .deliveries(actor, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            let details = details_in_words(tr, &d.details);
            (
                d.year,
                crate::pages::shown_date(&d.delivered_on),
                name(&d.policy),
                d.member_name.unwrap_or_default(),
                d.amount.map(vntext::format_vnd).unwrap_or_default(),
                details,
            )
        })
        .collect();
    Delivered {
        rows,
        policies: policies
            .policies
            .iter()
            .map(|p| {
                (
                    p.code.clone(),
                    p.name.get(lang).to_string(),
                    p.to == support::Recipient::Member,
                )
            })
            .collect(),
        members,
    }
}

/// Records a delivery from the household page's form: the policy, the
/// member for a policy to members, the date, an amount and a note.
pub async fn record_delivery(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let member_id = match field("member").as_str() {
        "" => None,
        m => m.parse().ok(),
    };
    let mut details = std::collections::BTreeMap::new();
    if !field("note").is_empty() {
        details.insert("note".to_string(), field("note"));
    }
    let new = registry::NewDelivery {
        policy: field("policy"),
        member_id,
        delivered_on: field("delivered_on"),
        amount: field("amount"),
        details,
    };
    match state
        .registry
        .record_delivery(actor, id, &state.policies, &new)
        .await
    {
        Ok(_) => redirect(&format!("/households/{id}#delivered")),
        Err(RegistryError::Invalid(problems)) => crate::pages::problem_page(
            &ctx,
            axum::http::StatusCode::BAD_REQUEST,
            &problems.join("; "),
        ),
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

/// A delivery's record fields in words ("Số thẻ: …; Dư nợ: 40.000.000"),
/// amounts in the Vietnamese form.
pub(crate) fn details_in_words(tr: Tr, json: &str) -> String {
    let details: std::collections::BTreeMap<String, String> =
        serde_json::from_str(json).unwrap_or_default();
    details
        .iter()
        .map(|(k, v)| {
            let value = match (k.as_str(), v.parse::<i64>()) {
                ("outstanding" | "overdue", Ok(n)) => vntext::format_vnd(n),
                _ => v.clone(),
            };
            format!("{}: {value}", tr.t(&format!("record_{k}")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The section for a household the actor may see; None without an official
/// assessment.
pub async fn view(
    state: &AppState,
    tr: Tr,
    actor: &Actor,
    id: HouseholdId,
    member_names: &[String],
) -> Option<SupportView> {
    let facts: SupportFacts = state
        .registry
        .support_facts(actor, id)
        .await
        .ok()
        .flatten()?;
    let standard = state.catalogue.get(&facts.standard_id)?;
    let policies = &state.policies;
    let lang = tr.language();
    // Unknown ages fall outside every age band, inside policies without one.
    let ages: Vec<u32> = facts
        .member_ages
        .iter()
        .map(|a| a.unwrap_or(u32::MAX))
        .collect();
    let household = support::Household {
        year: facts.year,
        status: Some(facts.status),
        escaped_in: facts.escaped_in,
        groups: &facts.groups,
        member_ages: &ages,
    };
    let names = |codes: &[String]| -> String {
        codes
            .iter()
            .filter_map(|c| policies.policy(c))
            .map(|p| p.name.get(lang).to_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let eligible = policies
        .policies
        .iter()
        .filter_map(|p| {
            let e = p.eligibility(&household)?;
            let whom = match p.to {
                support::Recipient::Household => tr.t("support_whole_household").to_string(),
                support::Recipient::Member => e
                    .members
                    .iter()
                    .filter_map(|&i| member_names.get(i).cloned())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let agency = policies
                .agency(&p.agency)
                .map_or_else(|| p.agency.clone(), |a| a.name.get(lang).to_string());
            Some((p.name.get(lang).to_string(), agency, whom, e.priority))
        })
        .collect();
    let deprivations =
        DeprivationSet::from_codes(standard, facts.deprived.iter().map(String::as_str)).ok()?;
    let indicator = |i: usize| tr.indicator(standard, &standard.indicators[i].code);
    let (way_out, steps) = match (facts.status, facts.income) {
        (Status::Poor, Some(income)) => {
            match support::way_out(
                standard,
                policies,
                facts.area,
                income,
                deprivations,
                facts.livelihood,
            ) {
                support::WayOut::Deprivations { needed, indicators } => (
                    Some(
                        tr.t("support_way_out_deprivations")
                            .replace("{needed}", &needed.to_string())
                            .replace("{count}", &indicators.len().to_string()),
                    ),
                    indicators
                        .iter()
                        .map(|(i, codes)| (indicator(*i), names(codes)))
                        .collect(),
                ),
                support::WayOut::Income => {
                    (Some(tr.t("support_way_out_income").to_string()), Vec::new())
                }
                support::WayOut::NotPoor => (None, Vec::new()),
            }
        }
        (Status::NearPoor, Some(income)) => {
            match support::at_risk(
                standard,
                policies,
                facts.area,
                income,
                deprivations,
                facts.livelihood,
            ) {
                Some(risk) => (
                    Some(tr.t("support_at_risk").to_string()),
                    risk.indicators
                        .iter()
                        .map(|(i, codes)| (indicator(*i), names(codes)))
                        .collect(),
                ),
                None => (None, Vec::new()),
            }
        }
        _ => (None, Vec::new()),
    };
    Some(SupportView {
        year: facts.year,
        way_out,
        steps,
        eligible,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct GapParams {
    unit: Option<String>,
    year: Option<String>,
    /// One agency's work list (its code).
    agency: Option<String>,
    /// "xlsx": the work list as a workbook.
    format: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "gaps.html")]
struct GapsPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    year: i64,
    agency: String,
    /// (code, name) of the agencies, for the filter.
    agencies: Vec<(String, String)>,
    /// Whether the codes open the household pages (not for an agency officer).
    links: bool,
    /// Whether each row offers to record the delivery there (an agency
    /// officer, who has no household page to record it on).
    record_here: bool,
    /// (households, tasks).
    counts: Option<(usize, usize)>,
    /// (agency heading, rows of (household id, code, head, village, status,
    /// policy, deprivations, members)).
    sections: Vec<(String, Vec<GapRow>)>,
    error: Option<String>,
}

pub struct GapRow {
    pub policy_code: String,
    /// For a policy to members: who may receive it (id, name).
    pub to_members: Vec<(i64, String)>,
    pub id: HouseholdId,
    pub code: String,
    pub head: String,
    pub village: String,
    pub status: String,
    pub policy: String,
    pub deprivations: String,
    pub members: String,
}

/// The gap finder's page (issue 11): for a commune and year, the households
/// eligible for a policy that addresses one of their deprivations and not
/// served by it that year, by responsible agency; `format=xlsx` gives each
/// agency's work list as a sheet.
pub async fn gaps_page(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    axum::extract::Query(p): axum::extract::Query<GapParams>,
) -> Response {
    use axum::response::IntoResponse;
    let tr = ctx.tr();
    let lang = tr.language();
    let policies = &state.policies;
    let year = match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => crate::input::review_year(tr, y, state.current_year() + 1).map(|y| y.as_i64()),
        None => Ok(state.current_year()),
    };
    let unit = p.unit.clone().unwrap_or_default().trim().to_string();
    // An agency officer's work list is its agency's.
    let agency = match actor.own_agency() {
        Some(own) => own.to_string(),
        None => p.agency.clone().unwrap_or_default(),
    };
    let mut page = GapsPage {
        tr,
        user: crate::pages::user_view(&ctx),
        unit: unit.clone(),
        year: *year.as_ref().unwrap_or(&state.current_year()),
        agency: agency.clone(),
        agencies: policies
            .agencies
            .iter()
            .filter(|a| actor.own_agency().is_none_or(|own| own == a.code))
            .map(|a| (a.code.clone(), a.name.get(lang).to_string()))
            .collect(),
        links: actor.may(registry::Capability::SeeNames),
        record_here: actor.own_agency().is_some() && actor.may(registry::Capability::Support),
        counts: None,
        sections: Vec::new(),
        error: None,
    };
    let year = match year {
        Ok(y) => y,
        Err(problem) => {
            page.error = Some(problem);
            return (
                axum::http::StatusCode::BAD_REQUEST,
                crate::pages::render(page),
            )
                .into_response();
        }
    };
    if unit.is_empty() {
        return crate::pages::render(page).into_response();
    }
    let found = match state.registry.gaps(actor, &unit, year, policies).await {
        Ok(found) => found,
        Err(RegistryError::Invalid(problems)) => {
            page.error = Some(problems.join("; "));
            return (
                axum::http::StatusCode::BAD_REQUEST,
                crate::pages::render(page),
            )
                .into_response();
        }
        Err(e) => return crate::failure::Failure::from(e).page(&ctx),
    };
    let standard = state.catalogue.for_review_year(year as u16);
    let indicator = |code: &str| match standard {
        Some(s) => tr.indicator(s, code),
        None => code.to_string(),
    };
    let mut households = 0;
    let mut tasks = 0;
    for a in &policies.agencies {
        if !agency.is_empty() && agency != a.code {
            continue;
        }
        let mut rows = Vec::new();
        for h in &found {
            for g in &h.gaps {
                let Some(policy) = policies.policy(&g.policy) else {
                    continue;
                };
                if policy.agency != a.code {
                    continue;
                }
                rows.push(GapRow {
                    id: h.id,
                    code: h.code.clone(),
                    head: h.head_name.clone(),
                    village: h.village.clone().unwrap_or_default(),
                    status: tr.status(h.status.code()).to_string(),
                    policy: policy.name.get(lang).to_string(),
                    deprivations: g
                        .indicators
                        .iter()
                        .map(|i| indicator(i))
                        .collect::<Vec<_>>()
                        .join(", "),
                    members: g
                        .members
                        .iter()
                        .map(|(_, name)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    policy_code: policy.code.clone(),
                    to_members: g
                        .members
                        .iter()
                        .map(|(id, name)| (id.get(), name.clone()))
                        .collect(),
                });
            }
        }
        if !rows.is_empty() {
            tasks += rows.len();
            page.sections.push((a.name.get(lang).to_string(), rows));
        }
    }
    households += found
        .iter()
        .filter(|h| {
            h.gaps.iter().any(|g| {
                agency.is_empty()
                    || policies
                        .policy(&g.policy)
                        .is_some_and(|p| p.agency == agency)
            })
        })
        .count();
    page.counts = Some((households, tasks));
    if p.format.as_deref() == Some("xlsx") {
        use report::{Cell, Column, Kind, Report, Section};
        let columns = [
            "households_code",
            "households_head",
            "households_village",
            "households_status",
            "support_policy",
            "support_indicator",
            "support_members_unserved",
        ]
        .iter()
        .map(|k| Column::new(tr.t(k), Kind::Text))
        .collect();
        let report = Report {
            title: tr.t("gaps_title").to_uppercase(),
            subtitle: format!("{unit} — {year}"),
            sheet: tr.t("gaps_sheet").to_string(),
            columns,
            sections: page
                .sections
                .iter()
                .map(|(heading, rows)| Section {
                    heading: Some(heading.clone()),
                    rows: rows
                        .iter()
                        .map(|r| {
                            [
                                &r.code,
                                &r.head,
                                &r.village,
                                &r.status,
                                &r.policy,
                                &r.deprivations,
                                &r.members,
                            ]
                            .into_iter()
                            .map(|c| Cell::text(c.as_str()))
                            .collect()
                        })
                        .collect(),
                    subtotal: None,
                })
                .collect(),
            ..Report::default()
        };
        return match crate::pages::workbook(vec![report]).await {
            Ok(bytes) => {
                crate::pages::xlsx_response(bytes, &format!("viec-can-lam-{unit}-{year}.xlsx"))
            }
            Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
    }
    crate::pages::render(page).into_response()
}

/// A delivery recorded from a work list's row (an agency officer's; form:
/// household, policy, member, delivered_on, amount, note, unit, year). Back
/// to the work list, or the page naming the problem.
pub async fn record_from_work_list(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let Ok(household) = field("household").parse::<HouseholdId>() else {
        return crate::pages::problem_page(
            &ctx,
            axum::http::StatusCode::BAD_REQUEST,
            "hộ: không rõ hộ nào",
        );
    };
    let mut details = std::collections::BTreeMap::new();
    if !field("note").is_empty() {
        details.insert("note".to_string(), field("note"));
    }
    let new = registry::NewDelivery {
        policy: field("policy"),
        member_id: field("member").parse().ok(),
        delivered_on: field("delivered_on"),
        amount: field("amount"),
        details,
    };
    match state
        .registry
        .record_delivery(actor, household, &state.policies, &new)
        .await
    {
        Ok(_) => {
            let keep =
                |t: String| -> String { t.chars().filter(char::is_ascii_alphanumeric).collect() };
            redirect(&format!(
                "/support/gaps?unit={}&year={}",
                keep(field("unit")),
                keep(field("year"))
            ))
        }
        Err(RegistryError::Invalid(problems)) => crate::pages::problem_page(
            &ctx,
            axum::http::StatusCode::BAD_REQUEST,
            &problems.join("; "),
        ),
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}
