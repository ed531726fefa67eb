//! What the support of a household is worked out from: its latest official
//! assessment (status, deprivations, the income and livelihood it was
//! classified on), its groups, its members' ages and when it last escaped
//! poverty. The policies and the way out are the `support` crate's; this is
//! the edge that reads the registry for them, within the actor's scope.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::Registry;
use crate::tallies::{Group, MemberFacts, groups_in};
use crate::values::HouseholdId;
use standard::{Area, Livelihood, Status};

/// A household as its support is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportFacts {
    /// The year of the latest official assessment.
    pub year: i64,
    pub standard_id: String,
    pub status: Status,
    pub area: Area,
    /// The income per person the assessment was made on, when it says.
    pub income: Option<i64>,
    /// Indicator codes it is deprived in.
    pub deprived: Vec<String>,
    pub livelihood: Livelihood,
    pub groups: Vec<support::Group>,
    /// The members' ages in `year` (unknown births as 0-less: left out of
    /// age-bound policies), in the household page's order.
    pub member_ages: Vec<Option<u32>>,
    /// The last year it escaped poverty, if ever.
    pub escaped_in: Option<i64>,
}

fn support_group(g: Group) -> support::Group {
    match g {
        Group::Merit => support::Group::Merit,
        Group::SocialProtection => support::Group::SocialProtection,
        Group::EthnicMinority => support::Group::EthnicMinority,
        Group::NoWorkingCapacity => support::Group::NoWorkingCapacity,
    }
}

impl Registry {
    /// The facts the support of a household the actor may see is decided
    /// on; None when it is not visible or has no official assessment.
    pub async fn support_facts(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
    ) -> Result<Option<SupportFacts>, RegistryError> {
        if !self.household_visible(actor, household_id).await? {
            return Ok(None);
        }
        let years: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT year, standard_id, status, deprived, inputs FROM assessments WHERE household_id = $1 AND official = 1 ORDER BY year",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        let Some((year, standard_id, status, deprived, inputs)) = years.last().cloned() else {
            return Ok(None);
        };
        let Some(status) = Status::ALL.into_iter().find(|s| s.code() == status) else {
            return Ok(None);
        };
        let escaped_in = years
            .windows(2)
            .filter(|w| w[0].0 + 1 == w[1].0 && w[0].2 == "poor" && w[1].2 != "poor")
            .map(|w| w[1].0)
            .next_back();
        let inputs: serde_json::Value = serde_json::from_str(&inputs).unwrap_or_default();
        let livelihood = match inputs["livelihood"].as_str() {
            Some("farm") => Livelihood::Farm,
            Some("non_farm") => Livelihood::NonFarm,
            _ => Livelihood::Unknown,
        };
        let members: Vec<MemberFacts> = sqlx::query_as(
            "SELECT household_id, birth_date, ethnicity, merit, social_protection, no_working_capacity FROM members WHERE household_id = $1 AND removed_on IS NULL ORDER BY id",
        )
        .bind(household_id)
        .fetch_all(&self.db.pool)
        .await?;
        let member_ages = members
            .iter()
            .map(|m| {
                m.birth_date
                    .as_deref()
                    .and_then(|b| b.get(..4)?.parse::<i64>().ok())
                    .and_then(|born| u32::try_from(year - born).ok())
            })
            .collect();
        Ok(Some(SupportFacts {
            year,
            standard_id,
            status,
            area: self.household_area(household_id).await?,
            income: inputs["income_per_capita"].as_i64(),
            deprived: deprived
                .split(';')
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect(),
            livelihood,
            groups: groups_in(&members, year)
                .into_iter()
                .map(support_group)
                .collect(),
            member_ages,
            escaped_in,
        }))
    }
}
