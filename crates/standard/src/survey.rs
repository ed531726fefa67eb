//! From the raw answers of the review form to the deprivation indicators.
//!
//! The form asks facts — each member's age, health insurance, schooling and
//! diplomas, work and contract, a child's nutrition; the house's materials and
//! area, water, latrine, telecom and devices — and the indicators follow from
//! them. Each indicator code of the shipped standards has its rule here; an
//! indicator a rule does not know (a standard of one's own) must be answered
//! directly in `deprived`, which also lets a reviewer override a rule.

use crate::classify::DeprivationSet;
use crate::model::Standard;
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

/// What the form records of one member.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MemberAnswers {
    /// Age in completed years at the review.
    pub age: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
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

type Rule = fn(&SurveyAnswers, i32) -> bool;

fn working_age(m: &MemberAnswers) -> bool {
    (15..60).contains(&m.age)
}

fn dependent(m: &MemberAnswers) -> bool {
    m.age < 16 || m.age >= 60 || m.disabled_without_working_capacity
}

/// The rule of an indicator code, by the standard it belongs to (the same
/// code can mean different things in 2016 and 2022).
fn rule(standard_id: &str, code: &str) -> Option<Rule> {
    let old = standard_id == "vn-2016-2020";
    Some(match code {
        "employment" => |a, _| {
            a.members.iter().any(|m| {
                working_age(m) && matches!(m.work, Work::Unemployed | Work::WageWithoutContract)
            })
        },
        "dependents" => {
            |a, _| 2 * a.members.iter().filter(|m| dependent(m)).count() > a.members.len()
        }
        "nutrition" => |a, _| a.members.iter().any(|m| m.age < 16 && m.undernourished),
        "health_insurance" => |a, _| a.members.iter().any(|m| m.age >= 6 && !m.health_insurance),
        "health_access" => |a, _| a.members.iter().any(|m| m.needed_care && !m.got_care),
        "adult_education" if old => |a, year| {
            // 15 or over, born in 1986 or later, without lower secondary, not in school.
            a.members.iter().any(|m| {
                let born = m.birth_year.unwrap_or(year - m.age as i32);
                m.age >= 15 && born >= 1986 && m.diploma < Diploma::LowerSecondary && !m.in_school
            })
        },
        "adult_education" => |a, _| {
            a.members.iter().any(|m| {
                !m.in_school
                    && match m.age {
                        16..=17 => m.diploma < Diploma::LowerSecondary,
                        18..=30 => m.diploma < Diploma::UpperSecondary,
                        _ => false,
                    }
            })
        },
        "child_schooling" if old => |a, _| {
            a.members
                .iter()
                .any(|m| (5..15).contains(&m.age) && !m.in_school)
        },
        "child_schooling" => |a, _| {
            a.members
                .iter()
                .any(|m| (3..16).contains(&m.age) && !m.right_school_level)
        },
        "housing_quality" if old => {
            |a, _| matches!(a.house_type, HouseType::LessDurable | HouseType::Makeshift)
        }
        "housing_quality" => |a, _| {
            [a.durable_walls, a.durable_columns, a.durable_roof]
                .iter()
                .filter(|d| !**d)
                .count()
                >= 2
        },
        "housing_area" => |a, _| a.living_area_m2 < 8.0 * a.members.len() as f64,
        "water" => |a, _| !a.water.clean(),
        "latrine" => |a, _| !a.latrine.hygienic(),
        "telecom" if old => |a, _| !a.phone_subscription && !a.internet,
        "telecom" | "digital_services" => |a, _| !a.internet,
        "information" => |a, _| !(a.tv || a.radio || a.computer || a.phone_or_tablet),
        "information_assets" => |a, _| !(a.tv || a.radio || a.computer || a.loudspeaker),
        "waste" => |a, _| !a.waste_treated,
        _ => return None,
    })
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
                None => match rule(&standard.id, &indicator.code) {
                    Some(rule) => rule(self, year),
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
