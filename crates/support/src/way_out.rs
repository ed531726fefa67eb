//! The shortest way out of poverty: which deprivations a poor household
//! would have to lose to leave poverty under the standard that applies, and
//! the policies that address each; and for a near-poor household, which
//! deprivation would make it poor. Worked out by classifying the changed
//! household with the standard itself, so it follows whatever the file says.

use crate::Catalogue;
use standard::{Area, DeprivationSet, Livelihood, Standard, Status};

/// What separates a household from leaving poverty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WayOut {
    /// Not poor under the standard: nothing to leave.
    NotPoor,
    /// Poor by its deprivations: losing any `needed` of them takes it out
    /// (the rules count deprivations). Each deprived indicator with the
    /// codes of the policies that address it.
    Deprivations {
        needed: u32,
        indicators: Vec<(usize, Vec<String>)>,
    },
    /// Poor whatever its deprivations: its income must rise above the line.
    Income,
}

impl WayOut {
    /// How many deprivations separate it from escaping (for ranking; income
    /// alone ranks last).
    pub fn distance(&self) -> u32 {
        match self {
            WayOut::NotPoor => 0,
            WayOut::Deprivations { needed, .. } => *needed,
            WayOut::Income => u32::MAX,
        }
    }
}

/// A near-poor household one step from poverty: the indicators whose
/// deprivation would make it poor, each with the policies that prevent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskOfPoverty {
    pub indicators: Vec<(usize, Vec<String>)>,
}

fn policies_for(catalogue: &Catalogue, standard: &Standard, indicator: usize) -> Vec<String> {
    catalogue
        .addressing(&standard.indicators[indicator].code)
        .map(|p| p.code.clone())
        .collect()
}

/// The shortest way out for a household of `area` with `income` per person,
/// deprived in `deprivations`.
pub fn way_out(
    standard: &Standard,
    catalogue: &Catalogue,
    area: Area,
    income: i64,
    deprivations: DeprivationSet,
    livelihood: Livelihood,
) -> WayOut {
    let status = |set| {
        standard
            .classify_household(area, income, set, livelihood)
            .status
    };
    if status(deprivations) != Status::Poor {
        return WayOut::NotPoor;
    }
    let deprived: Vec<usize> = deprivations.iter().collect();
    // Lose the first k: the rules count deprivations, so which k does not
    // matter to the status.
    let mut less = deprivations;
    for (k, &i) in deprived.iter().enumerate() {
        less = DeprivationSet(less.0 & !(1 << i));
        if status(less) != Status::Poor {
            return WayOut::Deprivations {
                needed: k as u32 + 1,
                indicators: deprived
                    .iter()
                    .map(|&i| (i, policies_for(catalogue, standard, i)))
                    .collect(),
            };
        }
    }
    WayOut::Income
}

/// For a household that is not poor: the deprivations that, one more, would
/// make it poor; None when one more would not.
pub fn at_risk(
    standard: &Standard,
    catalogue: &Catalogue,
    area: Area,
    income: i64,
    deprivations: DeprivationSet,
    livelihood: Livelihood,
) -> Option<RiskOfPoverty> {
    let status = |set| {
        standard
            .classify_household(area, income, set, livelihood)
            .status
    };
    if status(deprivations) == Status::Poor {
        return None;
    }
    let indicators: Vec<(usize, Vec<String>)> = (0..standard.indicators.len())
        .filter(|&i| !deprivations.contains(i) && status(deprivations.with(i)) == Status::Poor)
        .map(|i| (i, policies_for(catalogue, standard, i)))
        .collect();
    (!indicators.is_empty()).then_some(RiskOfPoverty { indicators })
}
