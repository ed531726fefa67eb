//! The validated, in-memory form of a standard. Built only by `load`, so every
//! value here has passed validation: nothing downstream re-checks it.

use num_rational::Ratio;
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// A text in Vietnamese, with its English translation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Vi => &self.vi,
            Language::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Vi,
    En,
}

/// How sure we are that an item matches the legal text (see standards-facts.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Deserialize)]
pub enum Confidence {
    /// Checked against a close quote of the legal text or two agreeing sources.
    #[serde(rename = "V")]
    #[default]
    Verified,
    /// One secondary source.
    #[serde(rename = "S")]
    Secondary,
    /// Unverified recollection: to be checked against the gazette.
    #[serde(rename = "R")]
    Recollection,
}

impl Confidence {
    pub fn mark(self) -> &'static str {
        match self {
            Confidence::Verified => "V",
            Confidence::Secondary => "S",
            Confidence::Recollection => "R",
        }
    }

    /// What a user is told about an item of this confidence.
    pub fn describe(self, language: Language) -> &'static str {
        match (self, language) {
            (Confidence::Verified, Language::Vi) => "đã đối chiếu văn bản",
            (Confidence::Verified, Language::En) => "checked against the text",
            (Confidence::Secondary, Language::Vi) => "theo một nguồn thứ cấp",
            (Confidence::Secondary, Language::En) => "from one secondary source",
            (Confidence::Recollection, Language::Vi) => "cần đối chiếu với Công báo",
            (Confidence::Recollection, Language::En) => "to be checked against the gazette",
        }
    }
}

/// Which set of income lines applies to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Rural,
    Urban,
}

impl Area {
    pub fn code(self) -> &'static str {
        match self {
            Area::Rural => "rural",
            Area::Urban => "urban",
        }
    }

    pub fn name(self, language: Language) -> &'static str {
        match (self, language) {
            (Area::Rural, Language::Vi) => "nông thôn",
            (Area::Urban, Language::Vi) => "thành thị",
            (Area::Rural, Language::En) => "rural",
            (Area::Urban, Language::En) => "urban",
        }
    }

    /// Parses the codes of the flat household file, and their Vietnamese names.
    pub fn parse_bytes(value: &[u8]) -> Option<Area> {
        match value {
            b"rural" | b"Rural" | b"RURAL" => Some(Area::Rural),
            b"urban" | b"Urban" | b"URBAN" => Some(Area::Urban),
            _ => match std::str::from_utf8(value)
                .ok()?
                .trim()
                .to_lowercase()
                .as_str()
            {
                "rural" | "nông thôn" | "nong thon" => Some(Area::Rural),
                "urban" | "thành thị" | "thanh thi" => Some(Area::Urban),
                _ => None,
            },
        }
    }
}

impl FromStr for Area {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Area::parse_bytes(s.as_bytes()).ok_or(())
    }
}

/// The outcome of classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Poor,
    NearPoor,
    Average,
    NotPoor,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Poor,
        Status::NearPoor,
        Status::Average,
        Status::NotPoor,
    ];

    /// The status of its code (`poor`, `near_poor`, `average`, `not_poor`).
    /// On the lists a commune recognises and certifies: poor or near-poor.
    pub fn is_listed(self) -> bool {
        matches!(self, Status::Poor | Status::NearPoor)
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Status::Poor => "poor",
            Status::NearPoor => "near_poor",
            Status::Average => "average",
            Status::NotPoor => "not_poor",
        }
    }

    pub fn name(self, language: Language) -> &'static str {
        match (self, language) {
            (Status::Poor, Language::Vi) => "hộ nghèo",
            (Status::NearPoor, Language::Vi) => "hộ cận nghèo",
            (Status::Average, Language::Vi) => "hộ có mức sống trung bình",
            (Status::NotPoor, Language::Vi) => "hộ không nghèo",
            (Status::Poor, Language::En) => "poor",
            (Status::NearPoor, Language::En) => "near-poor",
            (Status::Average, Language::En) => "average-living",
            (Status::NotPoor, Language::En) => "not poor",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;

    fn try_from(code: String) -> Result<Status, String> {
        Status::parse(&code).ok_or_else(|| format!("phân loại không rõ: {code}"))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A threshold with one value for rural and one for urban households: an income
/// line in VND per person per month, or a cut-off of the score form in points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub code: String,
    pub name: Text,
    pub rural: i64,
    pub urban: i64,
    pub confidence: Confidence,
    pub note: Option<Text>,
}

impl Line {
    pub fn value(&self, area: Area) -> i64 {
        match area {
            Area::Rural => self.rural,
            Area::Urban => self.urban,
        }
    }
}

/// The condition a rule puts on the deprivation count (or on score B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeprivationCondition {
    /// n ≥ the standard's cut-off (B ≥ the score form's B cut-off).
    AtLeastCutoff,
    /// n < the cut-off (n = 0 included).
    BelowCutoff,
}

/// What a household lives from, as far as the average-living status cares
/// (Decree 07/2021: assessed only for households in agriculture, forestry,
/// fishery or salt making).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Livelihood {
    /// Agriculture, forestry, fishery or salt making.
    Farm,
    /// Any other occupation.
    NonFarm,
    /// Not recorded (a file without the column, a survey before it was
    /// asked): counted as farm, as results were before it was recorded.
    #[default]
    Unknown,
}

impl Livelihood {
    pub fn code(self) -> &'static str {
        match self {
            Livelihood::Farm => "farm",
            Livelihood::NonFarm => "non_farm",
            Livelihood::Unknown => "unknown",
        }
    }

    pub fn is_unknown(&self) -> bool {
        *self == Livelihood::Unknown
    }
}

/// The condition a rule puts on the household's livelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LivelihoodCondition {
    /// Farm households (and those whose livelihood is not recorded).
    Farm,
    NonFarm,
}

impl LivelihoodCondition {
    pub fn admits(self, livelihood: Livelihood) -> bool {
        match self {
            LivelihoodCondition::Farm => livelihood != Livelihood::NonFarm,
            LivelihoodCondition::NonFarm => livelihood == Livelihood::NonFarm,
        }
    }
}

/// Why a household got its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: String,
    pub text: Text,
}

/// One rule: if the measure (income, or score A) is above line `above` and at
/// most line `at_most`, and the deprivation condition holds, the status is
/// `status`. Rules are tried in order; the first that holds decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub status: Status,
    pub reason: Reason,
    /// Index into the lines the rule refers to (income lines or score lines).
    pub above: Option<usize>,
    pub at_most: Option<usize>,
    pub deprivations: Option<DeprivationCondition>,
    pub livelihood: Option<LivelihoodCondition>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    pub code: String,
    pub name: Text,
    pub weight: Ratio<u64>,
    /// The indicators of this dimension, as indices into `Standard::indicators`.
    pub indicators: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub code: String,
    pub name: Text,
    pub deprived_when: Text,
    pub weight: Ratio<u64>,
    /// The weight as integer points over `Standard::points_denominator`, so
    /// that scores are exact and ties at a cut-off are never lost to rounding.
    pub points: u32,
    pub dimension: usize,
    pub confidence: Confidence,
    /// How the survey form shows it (None: the standard is not surveyed
    /// with the form; deprivations are given).
    pub survey: Option<crate::survey::SurveyRule>,
    /// Other headings a district list gives its column ("BHYT").
    pub aliases: Vec<String>,
}

impl Indicator {
    /// Whether a sheet's column heading names this indicator: its name or
    /// one of its aliases, compared without case, tone marks or spacing.
    pub fn named_by(&self, heading: &str) -> bool {
        let key = vntext::search_key(heading);
        std::iter::once(self.name.vi.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .any(|n| vntext::search_key(n) == key)
    }
}

/// Form A: criteria that screen an applicant out before form B (Circular
/// 07/2021): a household meeting any is not poor and is not scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    pub form: Text,
    pub criteria: Vec<ScreeningCriterion>,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningCriterion {
    pub code: String,
    pub vi: String,
    pub en: String,
}

impl ScreeningCriterion {
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Vi => &self.vi,
            Language::En => &self.en,
        }
    }
}

/// The score form of the review (B1/B2 in 2016–2020, A/B from 2022): score A
/// is an income proxy in points; score B is points per deprived indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreForm {
    pub name: Text,
    pub score_a: Text,
    pub score_b: Text,
    pub points_per_deprivation: u32,
    pub b_cutoff: u32,
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
    pub note: Option<Text>,
}

/// A national poverty standard: income lines, the rule that combines income and
/// deprivations, the dimensions and indicators, and the score form. Only
/// [`crate::parse`] makes one, so every `Standard` has been validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standard {
    pub id: String,
    pub name: Text,
    pub legal_basis: Text,
    pub legal_basis_confidence: Confidence,
    pub provisional: bool,
    pub review_years: RangeInclusive<u16>,
    pub review_years_confidence: Confidence,
    pub income_lines: Vec<Line>,
    pub rules: Vec<Rule>,
    pub dimensions: Vec<Dimension>,
    pub indicators: Vec<Indicator>,
    /// The legal deprivation-count cut-off (3 in every standard so far).
    pub deprivation_cutoff: u32,
    pub deprivation_cutoff_confidence: Confidence,
    /// The default Alkire–Foster k, from the file.
    pub mpi_k: Ratio<u64>,
    pub score_form: Option<ScoreForm>,
    /// Form A's quick identification of applicants, when the standard has one.
    pub screening: Option<Screening>,
    pub notes: Option<Text>,
    /// Common denominator of the indicator weights; see `Indicator::points`.
    pub points_denominator: u32,
    /// Rules and weights resolved for the inner loop. Built by `load` from the
    /// fields above; a `Standard` is read, never edited after loading.
    pub(crate) compiled: crate::classify::Compiled,
}

impl Standard {
    pub fn indicator_index(&self, code: &str) -> Option<usize> {
        self.indicators.iter().position(|i| i.code == code)
    }

    pub fn income_line(&self, code: &str) -> Option<&Line> {
        self.income_lines.iter().find(|l| l.code == code)
    }

    /// The lowest confidence of anything in the standard.
    pub fn weakest_confidence(&self) -> Confidence {
        let lines = self.income_lines.iter().map(|l| l.confidence);
        let rules = self.rules.iter().map(|r| r.confidence);
        let indicators = self.indicators.iter().map(|i| i.confidence);
        let score = self.score_form.iter().flat_map(|f| {
            f.lines
                .iter()
                .map(|l| l.confidence)
                .chain(f.rules.iter().map(|r| r.confidence))
        });
        lines
            .chain(rules)
            .chain(indicators)
            .chain(score)
            .chain([
                self.legal_basis_confidence,
                self.review_years_confidence,
                self.deprivation_cutoff_confidence,
            ])
            .max()
            .unwrap_or_default()
    }

    /// The default Alkire–Foster k: the file's `mpi_k`, else the legal
    /// cut-off as a share of the indicators (3 of 12 = 1/4). Whether H then
    /// matches "deprived in 3 or more" is `k_agreement`.
    pub fn default_k(&self) -> Ratio<u64> {
        self.mpi_k
    }

    /// Whether "score ≥ k" is the legal "deprived in `deprivation_cutoff` or
    /// more" for every household.
    pub fn k_agreement(&self, k: Ratio<u64>) -> KAgreement {
        KAgreement::of(&self.indicators, self.deprivation_cutoff, k)
    }

    /// A plain sentence when "score ≥ k" is not the legal count rule, with an
    /// example each way; None when it is.
    pub fn k_warning(&self, k: Ratio<u64>, language: Language) -> Option<String> {
        let KAgreement::Differs {
            counted_not_mpi_poor,
            mpi_poor_not_counted,
        } = self.k_agreement(k)
        else {
            return None;
        };
        let names = |set: &[usize]| {
            set.iter()
                .map(|&i| self.indicators[i].name.get(language))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let n = self.deprivation_cutoff;
        let mut out = match language {
            Language::Vi => format!(
                "Lưu ý: với k = {k}, H không trùng với quy định \"thiếu hụt từ {n} chỉ số trở lên\" vì trọng số các chỉ số không bằng nhau."
            ),
            Language::En => format!(
                "Note: with k = {k}, H is not the legal \"deprived in {n} or more\" count, because the indicator weights are unequal."
            ),
        };
        if !counted_not_mpi_poor.is_empty() {
            out.push(' ');
            out.push_str(&match language {
                Language::Vi => format!(
                    "Hộ thiếu hụt {} đủ {n} chỉ số nhưng không tính là nghèo đa chiều.",
                    names(&counted_not_mpi_poor)
                ),
                Language::En => format!(
                    "A household deprived in {} has {n} deprivations but is not MPI-poor.",
                    names(&counted_not_mpi_poor)
                ),
            });
        }
        if !mpi_poor_not_counted.is_empty() {
            out.push(' ');
            out.push_str(&match language {
                Language::Vi => format!(
                    "Hộ chỉ thiếu hụt {} (dưới {n} chỉ số) lại tính là nghèo đa chiều.",
                    names(&mpi_poor_not_counted)
                ),
                Language::En => format!(
                    "A household deprived only in {} (fewer than {n}) is MPI-poor.",
                    names(&mpi_poor_not_counted)
                ),
            });
        }
        Some(out)
    }
}

/// How "score ≥ k" compares with the legal count rule. With equal weights a
/// k reproduces it exactly; with unequal weights none may, and the output
/// must say so rather than let H pass for the legal poverty count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KAgreement {
    /// Every household deprived in the cut-off count or more scores ≥ k, and
    /// no other does.
    Exact,
    /// Examples of both ways to disagree (indicator indices); either may be
    /// empty.
    Differs {
        /// Deprived in as many indicators as the law counts, yet below k.
        counted_not_mpi_poor: Vec<usize>,
        /// Deprived in fewer, yet at or above k.
        mpi_poor_not_counted: Vec<usize>,
    },
}

impl KAgreement {
    /// Scores only grow with more deprivations, so it is enough to look at
    /// the `cutoff` lightest indicators and the `cutoff − 1` heaviest.
    pub fn of(indicators: &[Indicator], cutoff: u32, k: Ratio<u64>) -> KAgreement {
        let mut by_weight: Vec<usize> = (0..indicators.len()).collect();
        by_weight.sort_by_key(|&i| indicators[i].weight);
        let sum = |set: &[usize]| -> Ratio<u64> {
            set.iter()
                .map(|&i| indicators[i].weight)
                .fold(Ratio::from_integer(0), |a, w| a + w)
        };
        let cutoff = cutoff as usize;
        let lightest = &by_weight[..cutoff.min(by_weight.len())];
        let heaviest = &by_weight[by_weight.len() - (cutoff - 1).min(by_weight.len())..];
        let counted_not_mpi_poor = if sum(lightest) < k {
            lightest.to_vec()
        } else {
            Vec::new()
        };
        let mpi_poor_not_counted = if !heaviest.is_empty() && sum(heaviest) >= k {
            heaviest.to_vec()
        } else {
            Vec::new()
        };
        if counted_not_mpi_poor.is_empty() && mpi_poor_not_counted.is_empty() {
            KAgreement::Exact
        } else {
            KAgreement::Differs {
                counted_not_mpi_poor,
                mpi_poor_not_counted,
            }
        }
    }
}
