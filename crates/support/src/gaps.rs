//! The gap finder: a household eligible for a policy that addresses one of
//! its deprivations, and not served by it this year — the work nobody has
//! done yet, by policy and so by responsible agency.

use crate::{Catalogue, Household, Policy, Recipient};

/// One policy a household (or some of its members) should have had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap<'a> {
    pub policy: &'a Policy,
    /// The household's deprivations the policy addresses (indicator codes).
    pub indicators: Vec<String>,
    /// For a policy to members: those eligible and not served (indices into
    /// the household's members); empty for a household policy.
    pub members: Vec<usize>,
}

/// What was delivered to a household in the year: (policy code, member
/// index for a delivery to a member).
pub type Served<'s> = &'s [(&'s str, Option<usize>)];

/// Whether a household of this standing (its status of `year`, the last
/// year it escaped poverty) and these deprivations could have a gap at
/// all, before its members and groups are read: some policy addressing
/// one of the deprivations has a clause admitting the standing. Groups and
/// ages only narrow a clause further, so no household [`gaps`] lists is
/// left out.
pub fn may_have_gaps(
    catalogue: &Catalogue,
    year: i64,
    status: Option<standard::Status>,
    escaped_in: Option<i64>,
    deprived: &[String],
) -> bool {
    let household = Household {
        year,
        status,
        escaped_in,
        groups: &[],
        member_ages: &[],
    };
    catalogue.policies.iter().any(|p| {
        deprived.iter().any(|d| p.addresses(d))
            && p.eligible.iter().any(|c| c.admits_standing(&household))
    })
}

/// The gaps of one household deprived in `deprived` (indicator codes).
pub fn gaps<'a>(
    catalogue: &'a Catalogue,
    household: &Household<'_>,
    deprived: &[String],
    served: Served<'_>,
) -> Vec<Gap<'a>> {
    catalogue
        .policies
        .iter()
        .filter_map(|policy| {
            let indicators: Vec<String> = deprived
                .iter()
                .filter(|d| policy.addresses(d))
                .cloned()
                .collect();
            if indicators.is_empty() {
                return None;
            }
            let eligible = policy.eligibility(household)?;
            let delivered = |member: Option<usize>| {
                served
                    .iter()
                    .any(|(code, m)| *code == policy.code && (member.is_none() || *m == member))
            };
            match policy.to {
                Recipient::Household => (!delivered(None)).then(|| Gap {
                    policy,
                    indicators,
                    members: Vec::new(),
                }),
                Recipient::Member => {
                    let members: Vec<usize> = eligible
                        .members
                        .into_iter()
                        .filter(|&m| !delivered(Some(m)))
                        .collect();
                    (!members.is_empty()).then_some(Gap {
                        policy,
                        indicators,
                        members,
                    })
                }
            }
        })
        .collect()
}
