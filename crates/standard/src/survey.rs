//! From the raw answers of the review form to the deprivation indicators.
//!
//! The form asks facts — each member's age, health insurance, schooling and
//! diplomas, work and contract, a child's nutrition; the house's materials and
//! area, water, latrine, telecom and devices — and the indicators follow from
//! them. Each indicator code of the shipped standards has its rule here; an
//! indicator a rule does not know (a standard of one's own) must be answered
//! directly in `deprived`, which also lets a reviewer override a rule.

use crate::classify::DeprivationSet;
use crate::model::{Livelihood, Standard};
use std::collections::BTreeMap;

/// Work of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// Not working and not looking (student, retired, homemaker, …).
    #[default]
    NotInLabourForce,
    /// Able and wanting to work, without work.
    Unemployed,
    /// Self-employed or family work.
    OwnAccount,
    WageWithContract,
    WageWithoutContract,
}

/// The highest diploma of a member.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Deserialize,
    serde::Serialize,
    Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Diploma {
    #[default]
    None,
    Primary,
    LowerSecondary,
    UpperSecondary,
    Vocational,
    Higher,
}

/// A member's sex, for the retirement ages of the Labour Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// What the form records of one member.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MemberAnswers {
    /// Age in completed years at the review.
    pub age: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// 1–12, with `birth_year`: retirement ages step by months.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_month: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Receives a monthly social allowance (trợ cấp xã hội hằng tháng).
    #[serde(skip_serializing_if = "is_false")]
    pub monthly_social_allowance: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub health_insurance: bool,
    /// Was ill or injured enough to need care …
    #[serde(skip_serializing_if = "is_false")]
    pub needed_care: bool,
    /// … and got examination or treatment.
    #[serde(skip_serializing_if = "is_false")]
    pub got_care: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub in_school: bool,
    /// A child attends the school level for their age.
    #[serde(skip_serializing_if = "is_false")]
    pub right_school_level: bool,
    pub diploma: Diploma,
    pub work: Work,
    /// A child under 16 is stunted or underweight.
    #[serde(skip_serializing_if = "is_false")]
    pub undernourished: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub disabled_without_working_capacity: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WaterSource {
    Tap,
    DrilledWell,
    ProtectedDugWell,
    ProtectedSpring,
    Rainwater,
    Bottled,
    UnprotectedDugWell,
    UnprotectedSpring,
    SurfaceWater,
    #[default]
    Other,
}

impl WaterSource {
    /// Clean, as the 2022–2025 standard counts it.
    pub fn clean(self) -> bool {
        matches!(
            self,
            WaterSource::Tap
                | WaterSource::DrilledWell
                | WaterSource::ProtectedDugWell
                | WaterSource::ProtectedSpring
                | WaterSource::Rainwater
                | WaterSource::Bottled
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Latrine {
    Septic,
    SemiSeptic,
    PourFlush,
    VentilatedPit,
    DoubleVault,
    OpenPit,
    #[default]
    None,
}

impl Latrine {
    pub fn hygienic(self) -> bool {
        matches!(
            self,
            Latrine::Septic
                | Latrine::SemiSeptic
                | Latrine::PourFlush
                | Latrine::VentilatedPit
                | Latrine::DoubleVault
        )
    }
}

/// The house as the 2016–2020 form classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HouseType {
    #[default]
    Durable,
    SemiDurable,
    LessDurable,
    Makeshift,
}

/// What the form records of the household.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyAnswers {
    pub members: Vec<MemberAnswers>,
    /// Monthly income per person, VND.
    pub income_per_capita: i64,
    /// What the household lives from: the average-living status is for
    /// farm households only.
    #[serde(skip_serializing_if = "Livelihood::is_unknown")]
    pub livelihood: Livelihood,
    #[serde(skip_serializing_if = "is_false")]
    pub durable_walls: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub durable_columns: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub durable_roof: bool,
    pub house_type: HouseType,
    /// Living area of the house, m².
    pub living_area_m2: f64,
    pub water: WaterSource,
    pub latrine: Latrine,
    /// Some member uses internet services (mobile or fixed).
    #[serde(skip_serializing_if = "is_false")]
    pub internet: bool,
    /// Some member has a phone subscription.
    #[serde(skip_serializing_if = "is_false")]
    pub phone_subscription: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub tv: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub radio: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub computer: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub phone_or_tablet: bool,
    /// Can hear the village loudspeaker.
    #[serde(skip_serializing_if = "is_false")]
    pub loudspeaker: bool,
    /// Domestic waste is collected or treated hygienically.
    #[serde(skip_serializing_if = "is_false")]
    pub waste_treated: bool,
    /// Answers given directly by indicator code; they win over the rules.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deprived: BTreeMap<String, bool>,
}

/// Answers are stored without their "no"s: a missing field reads as its
/// default, so the record is the same and a fifth of the size.
fn is_false(value: &bool) -> bool {
    !*value
}

/// A deprivation that cannot be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("chỉ số \"{0}\" không tự suy ra được từ phiếu; ghi trực tiếp trong mục deprived")]
    NoRule(String),
    #[error("phiếu không có thành viên nào")]
    NoMembers,
}

/// The oldest age a member may have on the form.
pub const AGE_MAX: u32 = 130;
/// The highest monthly income per person the form takes, VND (far above
/// any line; a typo such as an extra digit group is refused).
pub const INCOME_MAX: i64 = 1_000_000_000;
/// The largest living area the form takes, m².
pub const AREA_MAX_M2: f64 = 10_000.0;
/// The most members a household may have on the form.
pub const MEMBERS_MAX: usize = 50;

impl SurveyAnswers {
    /// What is out of range, each naming its field (in Vietnamese). A form
    /// with problems must not be recorded.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(0..=INCOME_MAX).contains(&self.income_per_capita) {
            out.push(format!(
                "thu nhập bình quân đầu người/tháng: phải từ 0 đến {} đồng",
                INCOME_MAX
            ));
        }
        if !(self.living_area_m2.is_finite() && (0.0..=AREA_MAX_M2).contains(&self.living_area_m2))
        {
            out.push(format!("diện tích nhà ở: phải từ 0 đến {} m²", AREA_MAX_M2));
        }
        if self.members.len() > MEMBERS_MAX {
            out.push(format!("thành viên: tối đa {MEMBERS_MAX} người"));
        }
        for (i, m) in self.members.iter().enumerate() {
            if m.age > AGE_MAX {
                out.push(format!(
                    "tuổi của thành viên thứ {}: phải từ 0 đến {AGE_MAX}",
                    i + 1
                ));
            }
        }
        out
    }
}

/// An adult-education band: members aged `from` to `to` (inclusive; no
/// upper end when absent), born in `born_from` or later when given, not in
/// school and without a diploma of level `below` are deprived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiplomaBand {
    pub from: u32,
    pub to: Option<u32>,
    pub below: Diploma,
    pub born_from: Option<i32>,
}

/// An information asset the household may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformationAsset {
    Tv,
    Radio,
    Computer,
    PhoneOrTablet,
    Loudspeaker,
}

/// How an indicator is read from the survey form: written in the standard's
/// file (`survey = { rule = "…", … }` on the indicator), with its ages and
/// thresholds, so that a new standard is a new file and no code names one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum SurveyRule {
    /// A member of working age (`from` to under the retirement age of
    /// `retirement`, by sex and birth date) is unemployed or works without
    /// a contract.
    WorkingAgeWithoutSteadyWork {
        from: u32,
        retirement: Retirement,
    },
    /// More than half the members are dependents: under `child_below`,
    /// `elderly_from` or over, or disabled without working capacity; with
    /// `allowance_only` the elderly and the disabled count only when they
    /// receive a monthly social allowance.
    MostlyDependents {
        child_below: u32,
        elderly_from: u32,
        #[serde(default)]
        allowance_only: bool,
    },
    /// A child under `below` is undernourished.
    UndernourishedChild {
        below: u32,
    },
    /// A member aged `from` or over has no health insurance.
    UninsuredMember {
        from: u32,
    },
    /// A member needed care and did not get it.
    CareNotReceived,
    /// A member in any of the bands, not in school or training, lacks its
    /// diploma; with `except_disabled`, a member disabled without working
    /// capacity is not counted (the circular's exception).
    AdultsWithoutDiploma {
        bands: Vec<DiplomaBand>,
        #[serde(default)]
        except_disabled: bool,
    },
    /// A child aged `from` to under `below` is not in school.
    ChildrenNotInSchool {
        from: u32,
        below: u32,
    },
    /// A child aged `from` to under `below` is not at the school level of
    /// their age.
    ChildrenBehindInSchool {
        from: u32,
        below: u32,
    },
    /// The house is less durable or makeshift.
    HouseNotDurable,
    /// At least `at_least` of walls, columns and roof are not durable.
    HouseFrameNotDurable {
        at_least: usize,
    },
    /// Living area under `m2_per_person` square metres per member.
    LivingAreaBelow {
        m2_per_person: u32,
    },
    UncleanWater,
    UnhygienicLatrine,
    /// Neither a phone subscription nor the internet.
    NoPhoneNorInternet,
    NoInternet,
    /// None of `assets`.
    NoInformationAsset {
        assets: Vec<InformationAsset>,
    },
    WasteUntreated,
}

fn in_band(age: u32, from: u32, below: u32) -> bool {
    (from..below).contains(&age)
}

/// An age in months, written "60y3m", "62y" or "55" in a standard file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct AgeMonths(pub u32);

impl TryFrom<String> for AgeMonths {
    type Error = String;
    fn try_from(text: String) -> Result<AgeMonths, String> {
        let bad = || format!("\"{text}\": ghi tuổi như \"60y3m\" hoặc \"62y\"");
        let t = text.trim();
        let (years, rest) = match t.find('y') {
            Some(i) => (&t[..i], &t[i + 1..]),
            None => (t, ""),
        };
        let years: u32 = years.trim().parse().map_err(|_| bad())?;
        let months: u32 = match rest.trim().strip_suffix('m') {
            Some(m) => m.trim().parse().map_err(|_| bad())?,
            None if rest.trim().is_empty() => 0,
            None => return Err(bad()),
        };
        if months >= 12 || years > 130 {
            return Err(bad());
        }
        Ok(AgeMonths(years * 12 + months))
    }
}

/// The retirement age of one sex by calendar year: `start` in `from_year`,
/// then `step_months` more each year up to `until`; the year before
/// `from_year` and earlier, `start` less one step (the age the schedule rose
/// from). Without a step it is one fixed age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetirementAge {
    pub start: AgeMonths,
    #[serde(default)]
    pub from_year: i32,
    #[serde(default)]
    pub step_months: u32,
    pub until: Option<AgeMonths>,
}

impl RetirementAge {
    /// The age, in months, at which one retires during calendar `year`.
    pub fn in_year(&self, year: i32) -> u32 {
        let start = self.start.0;
        if year < self.from_year {
            return start.saturating_sub(self.step_months);
        }
        let steps = (year - self.from_year) as u32;
        let age = start + self.step_months * steps;
        self.until.map_or(age, |until| age.min(until.0))
    }

    /// The month (year × 12 + month − 1) one born in `birth` (same count)
    /// retires: the first year in which the age of that year is reached.
    pub fn retires(&self, birth: i64) -> i64 {
        let mut year = birth.div_euclid(12) as i32;
        loop {
            let month = birth + i64::from(self.in_year(year));
            if month.div_euclid(12) <= i64::from(year) {
                return month;
            }
            year += 1;
        }
    }
}

/// Retirement ages by sex (Labour Code 2012: 60 and 55; Labour Code 2019:
/// stepping up from 2021). A member whose sex is not recorded is taken at
/// the men's age, the later one, so nobody of working age is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    pub men: RetirementAge,
    pub women: RetirementAge,
}

/// The month ages are taken at: 1 September of the review year, when the
/// periodic review opens (Decision 24/2021).
pub const REFERENCE_MONTH: u32 = 9;

impl Retirement {
    /// Whether a member has not yet reached retirement age at the review of
    /// `year`. With a birth year and month the schedule is followed to the
    /// month; with only an age in completed years, the member is taken to
    /// have just turned it.
    pub fn before_retirement(&self, m: &MemberAnswers, year: i32) -> bool {
        let schedule = match m.sex {
            Some(Sex::Female) => &self.women,
            Some(Sex::Male) | None => &self.men,
        };
        let reference = i64::from(year) * 12 + i64::from(REFERENCE_MONTH) - 1;
        let birth = match (m.birth_year, m.birth_month) {
            (Some(y), Some(month @ 1..=12)) => i64::from(y) * 12 + i64::from(month) - 1,
            _ => reference - i64::from(m.age) * 12,
        };
        reference < schedule.retires(birth)
    }
}

impl SurveyRule {
    /// Whether the answers of review year `year` are deprived by this rule.
    pub fn deprived(&self, a: &SurveyAnswers, year: i32) -> bool {
        let members = &a.members;
        match self {
            SurveyRule::WorkingAgeWithoutSteadyWork { from, retirement } => {
                members.iter().any(|m| {
                    m.age >= *from
                        && retirement.before_retirement(m, year)
                        && matches!(m.work, Work::Unemployed | Work::WageWithoutContract)
                })
            }
            SurveyRule::MostlyDependents {
                child_below,
                elderly_from,
                allowance_only,
            } => {
                let dependents = members
                    .iter()
                    .filter(|m| {
                        let counted = !*allowance_only || m.monthly_social_allowance;
                        m.age < *child_below
                            || (counted
                                && (m.age >= *elderly_from || m.disabled_without_working_capacity))
                    })
                    .count();
                2 * dependents > members.len()
            }
            SurveyRule::UndernourishedChild { below } => {
                members.iter().any(|m| m.age < *below && m.undernourished)
            }
            SurveyRule::UninsuredMember { from } => members
                .iter()
                .any(|m| m.age >= *from && !m.health_insurance),
            SurveyRule::CareNotReceived => members.iter().any(|m| m.needed_care && !m.got_care),
            SurveyRule::AdultsWithoutDiploma {
                bands,
                except_disabled,
            } => members.iter().any(|m| {
                // In school or training, or excepted: not counted.
                let excepted = *except_disabled && m.disabled_without_working_capacity;
                !(m.in_school || excepted)
                    && bands.iter().any(|b| {
                        let born = m.birth_year.unwrap_or(year - m.age as i32);
                        m.age >= b.from
                            && b.to.is_none_or(|to| m.age <= to)
                            && b.born_from.is_none_or(|from| born >= from)
                            && m.diploma < b.below
                    })
            }),
            SurveyRule::ChildrenNotInSchool { from, below } => members
                .iter()
                .any(|m| in_band(m.age, *from, *below) && !m.in_school),
            SurveyRule::ChildrenBehindInSchool { from, below } => members
                .iter()
                .any(|m| in_band(m.age, *from, *below) && !m.right_school_level),
            SurveyRule::HouseNotDurable => {
                matches!(a.house_type, HouseType::LessDurable | HouseType::Makeshift)
            }
            SurveyRule::HouseFrameNotDurable { at_least } => {
                [a.durable_walls, a.durable_columns, a.durable_roof]
                    .iter()
                    .filter(|d| !**d)
                    .count()
                    >= *at_least
            }
            SurveyRule::LivingAreaBelow { m2_per_person } => {
                a.living_area_m2 < f64::from(*m2_per_person) * members.len() as f64
            }
            SurveyRule::UncleanWater => !a.water.clean(),
            SurveyRule::UnhygienicLatrine => !a.latrine.hygienic(),
            SurveyRule::NoPhoneNorInternet => !a.phone_subscription && !a.internet,
            SurveyRule::NoInternet => !a.internet,
            SurveyRule::NoInformationAsset { assets } => !assets.iter().any(|asset| match asset {
                InformationAsset::Tv => a.tv,
                InformationAsset::Radio => a.radio,
                InformationAsset::Computer => a.computer,
                InformationAsset::PhoneOrTablet => a.phone_or_tablet,
                InformationAsset::Loudspeaker => a.loudspeaker,
            }),
            SurveyRule::WasteUntreated => !a.waste_treated,
        }
    }
}

impl SurveyAnswers {
    /// The indicators the household is deprived in under `standard`, as the
    /// answers of review year `year` show them.
    pub fn deprivations(
        &self,
        standard: &Standard,
        year: i32,
    ) -> Result<DeprivationSet, SurveyError> {
        if self.members.is_empty() {
            return Err(SurveyError::NoMembers);
        }
        let mut set = DeprivationSet::EMPTY;
        for (i, indicator) in standard.indicators.iter().enumerate() {
            let deprived = match self.deprived.get(&indicator.code) {
                Some(&given) => given,
                None => match &indicator.survey {
                    Some(rule) => rule.deprived(self, year),
                    None => return Err(SurveyError::NoRule(indicator.code.clone())),
                },
            };
            if deprived {
                set.insert(i);
            }
        }
        Ok(set)
    }
}
