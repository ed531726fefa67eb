//! The household page's support section: the policies the household is
//! eligible for (who is responsible, whom in it they serve), and the
//! shortest way out of poverty — or, for a near-poor household, the
//! deprivation that would make it poor and the policies that prevent it.
//! Worked out by the `support` crate from the registry's facts.

use crate::AppState;
use crate::i18n::{Lang, Tr};
use registry::{Actor, HouseholdId, SupportFacts};
use standard::{DeprivationSet, Language, Status};

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

fn language(tr: Tr) -> Language {
    if tr.lang == Lang::Vi {
        Language::Vi
    } else {
        Language::En
    }
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
    let lang = language(tr);
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
