//! The programme's support for poor households: the policies as data (who is
//! responsible, whom each serves, which deprivations each addresses, what a
//! delivery records), a household's eligibility, and the shortest way out of
//! poverty under the standard that applies. Pure: text in, values out.

mod gaps;
mod load;
mod way_out;

pub use gaps::{Gap, Served, gaps, may_have_gaps};
pub use load::CatalogueError;
pub use way_out::{RiskOfPoverty, WayOut, at_risk, way_out};

use standard::{Confidence, Status, Text};
use std::ops::RangeInclusive;

/// The policies of a period, with the agencies responsible for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub id: String,
    pub name: Text,
    pub years: RangeInclusive<i64>,
    pub agencies: Vec<Agency>,
    pub policies: Vec<Policy>,
    /// Causes of poverty as the review forms list them.
    pub causes: Vec<Choice>,
    /// What a household wishes for.
    pub wishes: Vec<Choice>,
}

/// An item of a list the forms offer (a cause, a wish).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub vi: String,
    pub en: String,
}

impl Choice {
    pub fn text(&self, language: standard::Language) -> &str {
        match language {
            standard::Language::Vi => &self.vi,
            standard::Language::En => &self.en,
        }
    }
}

/// The plan's three types of poor household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PovertyType {
    /// 1: social assistance (nobody can work).
    SocialAssistance,
    /// 2: help to escape poverty.
    HelpToEscape,
    /// 3: persuasion and education. Sensitive: a written reason, seen only
    /// by commune officers and their approvers.
    Persuasion,
}

impl PovertyType {
    pub const ALL: [PovertyType; 3] = [
        PovertyType::SocialAssistance,
        PovertyType::HelpToEscape,
        PovertyType::Persuasion,
    ];

    pub fn number(self) -> i64 {
        match self {
            PovertyType::SocialAssistance => 1,
            PovertyType::HelpToEscape => 2,
            PovertyType::Persuasion => 3,
        }
    }

    pub fn from_number(n: i64) -> Option<PovertyType> {
        PovertyType::ALL.into_iter().find(|t| t.number() == n)
    }

    /// What the members suggest: nobody able to work → type 1, else type 2.
    /// Type 3 is the officer's judgement, never suggested.
    pub fn suggested(groups: &[Group]) -> PovertyType {
        if groups.contains(&Group::NoWorkingCapacity) {
            PovertyType::SocialAssistance
        } else {
            PovertyType::HelpToEscape
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: String,
    pub name: Text,
    /// What the plan asks of it, as written.
    pub duties: Option<Text>,
}

/// Whom a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Household,
    Member,
}

/// A household's standing a policy may ask for: its official status of the
/// year, or having escaped poverty lately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Poor,
    NearPoor,
    Average,
    NotPoor,
    /// Escaped poverty within the clause's `escaped_within` years.
    Escaped,
}

/// The groups a policy may serve or serve first (as the registry keeps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Merit,
    SocialProtection,
    EthnicMinority,
    NoWorkingCapacity,
}

/// One way to be eligible; what it leaves out does not restrict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub standings: Vec<Standing>,
    pub escaped_within: Option<u32>,
    pub groups: Vec<Group>,
    /// Members aged `from` to under `below`, for a policy to members.
    pub ages: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub code: String,
    pub name: Text,
    /// The responsible agency's code.
    pub agency: String,
    pub cooperating: Vec<String>,
    pub to: Recipient,
    /// Any clause admits.
    pub eligible: Vec<Clause>,
    /// Groups served first.
    pub priority: Vec<Group>,
    /// Indicator codes of the standards a delivery helps with.
    pub addresses: Vec<String>,
    /// What a delivery records (field codes).
    pub records: Vec<String>,
    pub confidence: Confidence,
}

/// What eligibility asks of a household, for one year.
#[derive(Debug, Clone, Copy)]
pub struct Household<'a> {
    pub year: i64,
    /// Its official status of the year, if assessed.
    pub status: Option<Status>,
    /// The last year it escaped poverty (poor the year before, not poor in
    /// that one), if ever.
    pub escaped_in: Option<i64>,
    pub groups: &'a [Group],
    /// Its members' ages in the year, in the registry's order.
    pub member_ages: &'a [u32],
}

/// Who a policy serves in a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    /// The members served (indices into `member_ages`); every member for a
    /// member policy without ages, none for a household policy.
    pub members: Vec<usize>,
    /// The household is in a group served first.
    pub priority: bool,
}

impl Clause {
    fn admits(&self, h: &Household<'_>) -> bool {
        let group = self.groups.is_empty() || self.groups.iter().any(|g| h.groups.contains(g));
        self.admits_standing(h) && group
    }

    /// Whether the household's standing (its status, its escape) is one the
    /// clause admits, whatever its groups and members.
    fn admits_standing(&self, h: &Household<'_>) -> bool {
        self.standings.is_empty()
            || self.standings.iter().any(|s| match s {
                Standing::Escaped => h.escaped_in.is_some_and(|y| {
                    (0..=i64::from(self.escaped_within.unwrap_or(0))).contains(&(h.year - y))
                }),
                Standing::Poor => h.status == Some(Status::Poor),
                Standing::NearPoor => h.status == Some(Status::NearPoor),
                Standing::Average => h.status == Some(Status::Average),
                Standing::NotPoor => h.status == Some(Status::NotPoor),
            })
    }

    fn members(&self, h: &Household<'_>) -> Vec<usize> {
        h.member_ages
            .iter()
            .enumerate()
            .filter(|(_, age)| {
                self.ages
                    .is_none_or(|(from, below)| (from..below).contains(*age))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

impl Policy {
    /// Whether the household is eligible, and who in it; None when not.
    pub fn eligibility(&self, h: &Household<'_>) -> Option<Eligibility> {
        let mut members: Vec<usize> = Vec::new();
        let mut any = false;
        for clause in self.eligible.iter().filter(|c| c.admits(h)) {
            match self.to {
                Recipient::Household => any = true,
                Recipient::Member => {
                    let served = clause.members(h);
                    any |= !served.is_empty();
                    members.extend(served);
                }
            }
        }
        if !any {
            return None;
        }
        members.sort_unstable();
        members.dedup();
        Some(Eligibility {
            members,
            priority: self.priority.iter().any(|g| h.groups.contains(g)),
        })
    }

    pub fn addresses(&self, indicator: &str) -> bool {
        self.addresses.iter().any(|a| a == indicator)
    }
}

impl Catalogue {
    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.code == code)
    }

    pub fn policy(&self, code: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.code == code)
    }

    /// The policies that address an indicator.
    pub fn addressing<'a>(&'a self, indicator: &'a str) -> impl Iterator<Item = &'a Policy> + 'a {
        self.policies.iter().filter(move |p| p.addresses(indicator))
    }
}
