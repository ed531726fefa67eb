//! Classification of one household. The batch commands call exactly this code
//! for every row, so one household in a form and 27 million in a file are
//! classified the same way.

use crate::model::*;
use num_rational::Ratio;

/// The indicators a household is deprived in, as a set of indicator indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DeprivationSet(pub u64);

impl DeprivationSet {
    pub const EMPTY: DeprivationSet = DeprivationSet(0);

    pub fn insert(&mut self, indicator: usize) {
        self.0 |= 1 << indicator;
    }

    pub fn with(mut self, indicator: usize) -> Self {
        self.insert(indicator);
        self
    }

    pub fn contains(self, indicator: usize) -> bool {
        self.0 >> indicator & 1 == 1
    }

    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(i)
        })
    }

    /// The set named by indicator codes; an unknown code is returned as the error.
    pub fn from_codes<'a>(
        standard: &Standard,
        codes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, String> {
        let mut set = DeprivationSet::EMPTY;
        for code in codes {
            match standard.indicator_index(code) {
                Some(i) => set.insert(i),
                None => return Err(code.to_string()),
            }
        }
        Ok(set)
    }
}

/// A weighted deprivation score c = points / denominator, kept exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub points: u32,
    pub denominator: u32,
}

impl Score {
    pub fn as_f64(self) -> f64 {
        f64::from(self.points) / f64::from(self.denominator)
    }

    /// c ≥ k, compared exactly (3 × 1/12 is exactly 1/4).
    pub fn at_least(self, k: Ratio<u64>) -> bool {
        u128::from(self.points) * u128::from(*k.denom())
            >= u128::from(*k.numer()) * u128::from(self.denominator)
    }
}

/// What the standard makes of one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    pub status: Status,
    /// Index of the rule that decided, in `Standard::rules`.
    pub rule: usize,
    pub deprivations: DeprivationSet,
    pub score: Score,
}

impl Classification {
    pub fn deprivation_count(&self) -> u32 {
        self.deprivations.count()
    }

    pub fn reason<'a>(&self, standard: &'a Standard) -> &'a Reason {
        &standard.rules[self.rule].reason
    }

    pub fn deprived_codes<'a>(&self, standard: &'a Standard) -> impl Iterator<Item = &'a str> {
        self.deprivations
            .iter()
            .map(|i| standard.indicators[i].code.as_str())
    }
}

/// What the score form makes of one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreFormClassification {
    pub status: Status,
    /// Index of the rule that decided, in `ScoreForm::rules`.
    pub rule: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("chuẩn {0} không có phiếu chấm điểm (điểm A/B)")]
    NoScoreForm(String),
    #[error("điểm B = {b} không chia hết cho {per} điểm mỗi chỉ số thiếu hụt")]
    ScoreBNotMultiple { b: u32, per: u32 },
    #[error("hộ thiếu hụt chỉ số thứ {0}, nhưng chuẩn không có chỉ số này")]
    UnknownIndicator(usize),
}

/// Rules with their lines resolved to numbers for each area: the inner loop
/// does no lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledRules {
    /// Per area (rural, urban): (above, at_most) bounds, exclusive/inclusive.
    bounds: Vec<[(i64, i64); 2]>,
    /// Inclusive range of the deprivation count (or score B) that satisfies a rule.
    counts: Vec<(u32, u32)>,
    livelihoods: Vec<Option<LivelihoodCondition>>,
    statuses: Vec<Status>,
}

impl CompiledRules {
    pub(crate) fn new(rules: &[Rule], lines: &[Line], cutoff: u32) -> Self {
        let bound = |line: Option<usize>, area: Area, open: i64| {
            line.map_or(open, |l| lines[l].value(area))
        };
        CompiledRules {
            bounds: rules
                .iter()
                .map(|r| {
                    [Area::Rural, Area::Urban].map(|area| {
                        (
                            bound(r.above, area, i64::MIN),
                            bound(r.at_most, area, i64::MAX),
                        )
                    })
                })
                .collect(),
            counts: rules
                .iter()
                .map(|r| match r.deprivations {
                    None => (0, u32::MAX),
                    Some(DeprivationCondition::AtLeastCutoff) => (cutoff, u32::MAX),
                    Some(DeprivationCondition::BelowCutoff) => (0, cutoff - 1),
                })
                .collect(),
            livelihoods: rules.iter().map(|r| r.livelihood).collect(),
            statuses: rules.iter().map(|r| r.status).collect(),
        }
    }

    #[inline]
    fn decide(
        &self,
        area: Area,
        value: i64,
        count: u32,
        livelihood: Livelihood,
    ) -> (Status, usize) {
        let a = area as usize;
        for (i, (bounds, &(lo, hi))) in self.bounds.iter().zip(&self.counts).enumerate() {
            let (above, at_most) = bounds[a];
            // `above == i64::MIN` means "no lower line": even the lowest value passes.
            if (value > above || above == i64::MIN)
                && value <= at_most
                && count >= lo
                && count <= hi
                && self.livelihoods[i].is_none_or(|c| c.admits(livelihood))
            {
                return (self.statuses[i], i);
            }
        }
        // Validation guarantees the last rule is unconditional.
        let last = self.statuses.len() - 1;
        (self.statuses[last], last)
    }
}

/// Precomputed lookups for one standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiled {
    income: CompiledRules,
    score_form: Option<CompiledRules>,
    points: Vec<u32>,
    /// Score points of every deprivation set, when there are few indicators.
    points_table: Option<Vec<u32>>,
}

const TABLE_MAX_INDICATORS: usize = 16;

impl Compiled {
    pub(crate) fn new(
        indicators: &[Indicator],
        rules: &[Rule],
        income_lines: &[Line],
        deprivation_cutoff: u32,
        score_form: Option<&ScoreForm>,
    ) -> Self {
        let points: Vec<u32> = indicators.iter().map(|i| i.points).collect();
        let points_table = (points.len() <= TABLE_MAX_INDICATORS).then(|| {
            (0u64..1 << points.len())
                .map(|mask| DeprivationSet(mask).iter().map(|i| points[i]).sum::<u32>())
                .collect()
        });
        Compiled {
            income: CompiledRules::new(rules, income_lines, deprivation_cutoff),
            score_form: score_form.map(|f| CompiledRules::new(&f.rules, &f.lines, f.b_cutoff)),
            points,
            points_table,
        }
    }
}

impl Standard {
    /// The exact weighted deprivation score of a set of deprivations.
    #[inline]
    pub fn score(&self, deprivations: DeprivationSet) -> Score {
        let compiled = &self.compiled;
        let points = match &compiled.points_table {
            Some(table) => table[deprivations.0 as usize],
            None => deprivations.iter().map(|i| compiled.points[i]).sum(),
        };
        Score {
            points,
            denominator: self.points_denominator,
        }
    }

    /// Classifies a household by its area, its monthly income per person (VND)
    /// and the indicators it is deprived in, its livelihood not recorded.
    ///
    /// The set must only name indicators of this standard; see
    /// [`Standard::check_deprivations`] for sets that come from outside.
    #[inline]
    pub fn classify(
        &self,
        area: Area,
        income_per_capita: i64,
        deprivations: DeprivationSet,
    ) -> Classification {
        self.classify_household(area, income_per_capita, deprivations, Livelihood::Unknown)
    }

    /// Classifies a household whose livelihood is known: the average-living
    /// status is for farm households only.
    #[inline]
    pub fn classify_household(
        &self,
        area: Area,
        income_per_capita: i64,
        deprivations: DeprivationSet,
        livelihood: Livelihood,
    ) -> Classification {
        let (status, rule) =
            self.compiled
                .income
                .decide(area, income_per_capita, deprivations.count(), livelihood);
        Classification {
            status,
            rule,
            deprivations,
            score: self.score(deprivations),
        }
    }

    /// Rejects a deprivation set that names an indicator the standard lacks.
    pub fn check_deprivations(&self, deprivations: DeprivationSet) -> Result<(), ClassifyError> {
        match deprivations.iter().find(|&i| i >= self.indicators.len()) {
            Some(i) => Err(ClassifyError::UnknownIndicator(i)),
            None => Ok(()),
        }
    }

    /// Classifies from the score form: score A (income proxy, points) and
    /// score B (points for deprived indicators), as the circulars do.
    pub fn classify_score_form(
        &self,
        area: Area,
        score_a: i64,
        score_b: u32,
    ) -> Result<ScoreFormClassification, ClassifyError> {
        let (Some(form), Some(rules)) = (&self.score_form, &self.compiled.score_form) else {
            return Err(ClassifyError::NoScoreForm(self.id.clone()));
        };
        if !score_b.is_multiple_of(form.points_per_deprivation) {
            return Err(ClassifyError::ScoreBNotMultiple {
                b: score_b,
                per: form.points_per_deprivation,
            });
        }
        let (status, rule) = rules.decide(area, score_a, score_b, Livelihood::Unknown);
        Ok(ScoreFormClassification { status, rule })
    }
}
