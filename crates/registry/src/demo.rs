//! A realistic demo: Hà Tĩnh with Nghi Xuân district as its history went.
//! 19 communes and towns in 2019 under the district; on 1 January 2020 Xuân
//! Đan and Xuân Trường became Đan Trường, and xã Tiên Điền with thị trấn
//! Nghi Xuân became thị trấn Tiên Điền; on 1 July 2025 the district was
//! abolished and its communes merged into larger communes under the
//! province (the grouping here is illustrative, and says so in the units'
//! note). About 25,000 households with members, surveyed every year from
//! 2019 under the standard of each year, each year's review recognised by
//! the commune of that year and approved by the level above of that day;
//! the 2026 review under way, one commune's reported to the province. An
//! account of every role. Everything is written through the same service
//! functions as real data, audit rows included.

use crate::error::RegistryError;
use crate::gate::{Actor, Role};
use crate::households::{
    Assessed, CheckedMember, Facts, NewHousehold, insert_household, insert_member,
};
use crate::review::{Meeting, Vote};
use crate::service::Registry;
use crate::values::{ReviewYear, UnitId};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use standard::{Area, Catalogue, Standard};
use std::path::Path;

/// A commune of the demo's history: code, name, town (urban), the commune
/// it was merged into and the last day it existed (None: it still exists).
struct DemoCommune {
    code: &'static str,
    name: &'static str,
    town: bool,
    merged_into: Option<&'static str>,
}

/// The merger of 1 January 2020 (Resolution 819/NQ-UBTVQH14).
const MERGED_2020: &str = "31/12/2019";
/// The day before the two-tier government (1 July 2025).
const LAST_DAY_OF_DISTRICTS: &str = "30/06/2025";

/// The 19 communes and towns of Nghi Xuân in 2019, and where each went.
/// Codes other than Xuân An's and Xuân Hội's are the demo's own.
const COMMUNES_2019: [DemoCommune; 19] = [
    DemoCommune {
        code: "18631",
        name: "Thị trấn Xuân An",
        town: true,
        merged_into: Some("90001"),
    },
    DemoCommune {
        code: "18661",
        name: "Thị trấn Nghi Xuân",
        town: true,
        merged_into: Some("18682"),
    },
    DemoCommune {
        code: "18652",
        name: "Xã Xuân Hội",
        town: false,
        merged_into: Some("90001"),
    },
    DemoCommune {
        code: "18663",
        name: "Xã Xuân Trường",
        town: false,
        merged_into: Some("18681"),
    },
    DemoCommune {
        code: "18664",
        name: "Xã Xuân Đan",
        town: false,
        merged_into: Some("18681"),
    },
    DemoCommune {
        code: "18665",
        name: "Xã Xuân Phổ",
        town: false,
        merged_into: Some("90003"),
    },
    DemoCommune {
        code: "18666",
        name: "Xã Xuân Hải",
        town: false,
        merged_into: Some("90003"),
    },
    DemoCommune {
        code: "18667",
        name: "Xã Xuân Giang",
        town: false,
        merged_into: Some("90001"),
    },
    DemoCommune {
        code: "18668",
        name: "Xã Xuân Yên",
        town: false,
        merged_into: Some("90002"),
    },
    DemoCommune {
        code: "18669",
        name: "Xã Xuân Thành",
        town: false,
        merged_into: Some("90002"),
    },
    DemoCommune {
        code: "18670",
        name: "Xã Xuân Hồng",
        town: false,
        merged_into: Some("90004"),
    },
    DemoCommune {
        code: "18671",
        name: "Xã Xuân Lam",
        town: false,
        merged_into: Some("90004"),
    },
    DemoCommune {
        code: "18672",
        name: "Xã Xuân Lĩnh",
        town: false,
        merged_into: Some("90004"),
    },
    DemoCommune {
        code: "18673",
        name: "Xã Xuân Viên",
        town: false,
        merged_into: Some("90004"),
    },
    DemoCommune {
        code: "18674",
        name: "Xã Xuân Mỹ",
        town: false,
        merged_into: Some("90002"),
    },
    DemoCommune {
        code: "18675",
        name: "Xã Xuân Liên",
        town: false,
        merged_into: Some("90005"),
    },
    DemoCommune {
        code: "18676",
        name: "Xã Cương Gián",
        town: false,
        merged_into: Some("90005"),
    },
    DemoCommune {
        code: "18677",
        name: "Xã Cổ Đạm",
        town: false,
        merged_into: Some("90005"),
    },
    DemoCommune {
        code: "18662",
        name: "Xã Tiên Điền",
        town: false,
        merged_into: Some("18682"),
    },
];

/// The communes formed on 1 January 2020, merged again on 1 July 2025.
const COMMUNES_2020: [DemoCommune; 2] = [
    DemoCommune {
        code: "18681",
        name: "Xã Đan Trường",
        town: false,
        merged_into: Some("90003"),
    },
    DemoCommune {
        code: "18682",
        name: "Thị trấn Tiên Điền",
        town: true,
        merged_into: Some("90002"),
    },
];

/// The communes under the province from 1 July 2025 (illustrative grouping).
const COMMUNES_2025: [DemoCommune; 5] = [
    DemoCommune {
        code: "90001",
        name: "Xã Nghi Xuân",
        town: false,
        merged_into: None,
    },
    DemoCommune {
        code: "90002",
        name: "Xã Tiên Điền",
        town: false,
        merged_into: None,
    },
    DemoCommune {
        code: "90003",
        name: "Xã Đan Hải",
        town: false,
        merged_into: None,
    },
    DemoCommune {
        code: "90004",
        name: "Xã Xuân Lam",
        town: false,
        merged_into: None,
    },
    DemoCommune {
        code: "90005",
        name: "Xã Cổ Đạm",
        town: false,
        merged_into: None,
    },
];

/// The note the illustrative communes carry.
const ILLUSTRATIVE: &str = "Minh họa: cách ghép các xã của huyện Nghi Xuân theo Nghị quyết 1665/NQ-UBTVQH15 chưa được đối chiếu";

/// The commune that reviewed a 2019 commune's households in `year`: itself,
/// or the one it had been merged into by the end of that year.
fn reviewer_in(code: &'static str, year: i64) -> &'static str {
    let mut at = code;
    while let Some(c) = COMMUNES_2019
        .iter()
        .chain(&COMMUNES_2020)
        .find(|c| c.code == at)
    {
        let Some(into) = c.merged_into else { break };
        let last_year = if COMMUNES_2020.iter().any(|n| n.code == into) {
            2019
        } else {
            2024
        };
        if year <= last_year {
            break;
        }
        at = into;
    }
    at
}

/// The review years of the demo: all but the last recognised and approved;
/// the last surveyed, its review under way.
pub const DEMO_YEARS: [i64; 8] = [2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026];

/// The commune whose 2026 review the demo takes to its report to the
/// province, for the province to approve.
pub const DEMO_REPORTED: &str = "90005";

/// The password of every demo account (shown by `giamngheo demo`).
pub const DEMO_PASSWORD: &str = "giamngheo-demo";

/// The demo accounts: username, role, unit code. The district officer's
/// account is history: its district ended on 30/06/2025.
pub const DEMO_USERS: [(&str, Role, Option<&str>); 11] = [
    ("quantri", Role::Admin, None),
    ("tinh.hatinh", Role::Officer, Some("42")),
    ("pheduyet.tinh", Role::Approver, Some("42")),
    ("huyen.nghixuan", Role::Officer, Some("436")),
    ("xa.nghixuan", Role::Officer, Some("90001")),
    ("xa.tiendien", Role::Officer, Some("90002")),
    ("xa.danhai", Role::Officer, Some("90003")),
    ("nhcsxh", Role::AgencyOfficer, Some("42")),
    ("bhxh", Role::AgencyOfficer, Some("42")),
    ("lanhdao", Role::Leader, Some("42")),
    ("thongke", Role::Statistics, Some("42")),
];

/// The demo's units file.
fn units_file(rng: &mut impl Rng) -> (String, Vec<Vec<(String, String)>>) {
    let mut units = format!(
        "code,name,level,parent_code,area,valid_from,merged_into,valid_to,note\n42,Tỉnh Hà Tĩnh,province,,,,,,\n436,Huyện Nghi Xuân,district,42,,,,{LAST_DAY_OF_DISTRICTS},\n"
    );
    let area = |town: bool| if town { "urban" } else { "rural" };
    for c in &COMMUNES_2025 {
        units.push_str(&format!(
            "{},{},commune,42,{},01/07/2025,,,{ILLUSTRATIVE}\n",
            c.code,
            c.name,
            area(c.town)
        ));
    }
    for c in &COMMUNES_2020 {
        units.push_str(&format!(
            "{},{},commune,436,{},01/01/2020,{},{LAST_DAY_OF_DISTRICTS},\n",
            c.code,
            c.name,
            area(c.town),
            c.merged_into.unwrap_or_default()
        ));
    }
    let mut villages = Vec::new();
    for c in &COMMUNES_2019 {
        let into = c.merged_into.unwrap_or_default();
        let last = if into.starts_with('9') {
            LAST_DAY_OF_DISTRICTS
        } else {
            MERGED_2020
        };
        units.push_str(&format!(
            "{},{},commune,436,{},,{into},{last},\n",
            c.code,
            c.name,
            area(c.town)
        ));
        let n = rng.random_range(8..=14);
        let mut list = Vec::new();
        for v in 1..=n {
            let village = if c.town {
                format!("Tổ dân phố {v}")
            } else {
                format!("Thôn {v}")
            };
            let code = format!("{}{v:02}", c.code);
            units.push_str(&format!("{code},{village},village,{},,,,,\n", c.code));
            list.push((code, village));
        }
        villages.push(list);
    }
    (units, villages)
}

/// The members of a household the demo draws, head first, each with their
/// age in 2026: a spouse, children, sometimes a parent; the head sometimes
/// a meritorious person or a social-protection beneficiary (more often in
/// a poorer household, `base` below 0).
pub(crate) fn draw_members_of(
    rng: &mut impl Rng,
    size: u32,
    head: &str,
    head_female: bool,
    base: f64,
) -> Result<Vec<(CheckedMember, i32)>, RegistryError> {
    let family = head.split(' ').next().unwrap_or("Nguyễn");
    let merit_household = rng.random_bool(0.03);
    let protection_household = rng.random_bool(if base < -0.4 { 0.15 } else { 0.04 });
    let head_age = rng.random_range(25..75);
    let mut members = Vec::with_capacity(size as usize);
    for m in 0..size {
        let (name, female, age, relation) = match m {
            0 => (head.to_string(), head_female, head_age, "Chủ hộ"),
            1 if size > 1 => {
                let female = !head_female;
                let n = synth::person_name(rng, female);
                (
                    n,
                    female,
                    (head_age + rng.random_range(-5..5)).max(18),
                    if female { "Vợ" } else { "Chồng" },
                )
            }
            _ if m == size - 1 && head_age < 50 && rng.random_bool(0.3) => {
                let female = rng.random_bool(0.6);
                (
                    synth::person_name(rng, female),
                    female,
                    head_age + rng.random_range(22..32),
                    if female { "Mẹ" } else { "Cha" },
                )
            }
            _ => {
                let female = rng.random_bool(0.5);
                let given = synth::person_name(rng, female);
                let rest = given.split_once(' ').map_or(given.as_str(), |(_, r)| r);
                (
                    format!("{family} {rest}"),
                    female,
                    (head_age - rng.random_range(20..35)).max(0),
                    "Con",
                )
            }
        };
        let year = 2026 - age;
        let birth = chrono::NaiveDate::from_ymd_opt(
            year,
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        );
        let id_number = (age >= 14).then(|| {
            let century = if year >= 2000 { 2 } else { 0 } + u32::from(female);
            format!(
                "042{century}{:02}{:06}",
                year % 100,
                rng.random_range(0..1_000_000u32)
            )
        });
        let no_working_capacity = age >= 75 && rng.random_bool(0.5);
        let id_number = match id_number {
            Some(n) => {
                crate::values::IdNumber::parse(&n).map_err(|p| RegistryError::Invalid(vec![p]))?
            }
            None => None,
        };
        let member = CheckedMember {
            full_name: name,
            sex: Some(if female { "female" } else { "male" }.into()),
            birth,
            id_number,
            relation: relation.into(),
            ethnicity: if rng.random_bool(0.01) {
                "Thái".into()
            } else {
                "Kinh".into()
            },
            disability: rng.random_bool(0.02),
            no_working_capacity,
            merit: merit_household && m == 0,
            social_protection: protection_household && m == 0,
        };
        members.push((member, age));
    }
    Ok(members)
}

/// The survey form a household of the demo would have filled in a year:
/// its members at their age that year, and answers chosen so that the
/// indicators they give are the drawn ones wherever the members allow
/// (a household without children cannot be deprived in schooling).
fn form_answers(
    standard: &Standard,
    people: &[(i32, bool)],
    years_before_2026: i32,
    income: i64,
    drawn: standard::DeprivationSet,
) -> standard::SurveyAnswers {
    use standard::{Diploma, Latrine, MemberAnswers, SurveyAnswers, WaterSource, Work};
    let deprived = |code: &str| {
        standard
            .indicator_index(code)
            .is_some_and(|i| drawn.contains(i))
    };
    let mut members: Vec<MemberAnswers> = people
        .iter()
        .filter(|(age, _)| *age - years_before_2026 >= 0)
        .map(|(age, disabled)| {
            let age = (*age - years_before_2026) as u32;
            let child = (3..16).contains(&age);
            MemberAnswers {
                age,
                health_insurance: true,
                in_school: child || (16..=18).contains(&age),
                right_school_level: child || (16..=18).contains(&age),
                diploma: match age {
                    0..=10 => Diploma::None,
                    11..=15 => Diploma::Primary,
                    16..=17 => Diploma::LowerSecondary,
                    _ => Diploma::UpperSecondary,
                },
                work: if (18..60).contains(&age) && !disabled {
                    Work::OwnAccount
                } else {
                    Work::NotInLabourForce
                },
                disabled_without_working_capacity: *disabled,
                ..MemberAnswers::default()
            }
        })
        .collect();
    if members.is_empty() {
        members.push(MemberAnswers {
            age: 40,
            health_insurance: true,
            diploma: Diploma::UpperSecondary,
            work: Work::OwnAccount,
            ..MemberAnswers::default()
        });
    }
    if deprived("health_insurance")
        && let Some(m) = members.iter_mut().find(|m| m.age >= 6)
    {
        m.health_insurance = false;
    }
    if deprived("employment")
        && let Some(m) = members.iter_mut().find(|m| (15..60).contains(&m.age))
    {
        m.work = Work::WageWithoutContract;
    }
    if deprived("nutrition")
        && let Some(m) = members.iter_mut().find(|m| m.age < 16)
    {
        m.undernourished = true;
    }
    if deprived("child_schooling")
        && let Some(m) = members.iter_mut().find(|m| (3..16).contains(&m.age))
    {
        m.right_school_level = false;
    }
    if deprived("adult_education")
        && let Some(m) = members.iter_mut().find(|m| (16..=30).contains(&m.age))
    {
        m.in_school = false;
        m.right_school_level = false;
        m.diploma = Diploma::Primary;
    }
    let n = members.len() as f64;
    let poor_house = deprived("housing_quality");
    let mut answers = SurveyAnswers {
        members,
        income_per_capita: income,
        // Rural Hà Tĩnh: the demo's households live from the land and the sea.
        livelihood: standard::Livelihood::Farm,
        durable_walls: !poor_house,
        durable_columns: true,
        durable_roof: !poor_house,
        living_area_m2: if deprived("housing_area") {
            (6.0 * n).round()
        } else {
            (14.0 * n + 10.0).round()
        },
        water: if deprived("water") {
            WaterSource::UnprotectedDugWell
        } else {
            WaterSource::Tap
        },
        latrine: if deprived("latrine") {
            Latrine::OpenPit
        } else {
            Latrine::Septic
        },
        internet: !deprived("telecom") && !deprived("digital_services"),
        phone_subscription: !deprived("telecom"),
        tv: !deprived("information") && !deprived("information_assets"),
        phone_or_tablet: !deprived("information"),
        loudspeaker: !deprived("information_assets"),
        waste_treated: !deprived("waste"),
        ..SurveyAnswers::default()
    };
    // Members may not allow every drawn deprivation (no child, no one of
    // working age); the household's own conditions make up the count, so
    // that the demo's poverty stays that of the draw.
    let year = 2026 - years_before_2026;
    let count = |a: &SurveyAnswers| a.deprivations(standard, year).map_or(0, |d| d.count());
    for code in [
        "water",
        "latrine",
        "housing_area",
        "housing_quality",
        "telecom",
        "information",
    ] {
        if count(&answers) >= drawn.count() {
            break;
        }
        match code {
            "water" => answers.water = WaterSource::UnprotectedDugWell,
            "latrine" => answers.latrine = Latrine::OpenPit,
            "housing_area" => answers.living_area_m2 = (6.0 * n).round(),
            "housing_quality" => {
                answers.durable_walls = false;
                answers.durable_roof = false;
            }
            "telecom" => answers.internet = false,
            _ => {
                answers.tv = false;
                answers.phone_or_tablet = false;
            }
        }
    }
    answers
}

impl Registry {
    /// Whether the database already holds households.
    pub async fn is_empty(&self) -> Result<bool, RegistryError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(n == 0)
    }

    /// Imports a units file the demo wrote, through the units import.
    pub(crate) async fn import_units_text(
        &self,
        actor: &Actor,
        units: &str,
    ) -> Result<(), RegistryError> {
        let file =
            std::env::temp_dir().join(format!("giamngheo-demo-units-{}.csv", std::process::id()));
        std::fs::write(&file, units).map_err(|e| RegistryError::Io {
            file: file.display().to_string(),
            source: e,
        })?;
        let imported = self.import_units(actor, Path::new(&file), false).await;
        let _ = std::fs::remove_file(&file);
        imported.map(|_| ())
    }

    /// Fills an empty database with the demo. `progress` is told the
    /// communes of 2019 done, of 19.
    pub async fn seed_demo(
        &self,
        catalogue: &Catalogue,
        households: usize,
        seed: u64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), RegistryError> {
        let actor = Actor {
            name: "demo".into(),
            role: Role::Admin,
            unit_id: None,
            agency: None,
        };
        let standard_of = |year: i64| -> Result<&Standard, RegistryError> {
            catalogue.for_review_year(year as u16).ok_or_else(|| {
                RegistryError::Invalid(vec![format!("không có chuẩn cho năm rà soát {year}")])
            })
        };
        let mut rng = synth::rng(seed);
        let (units, villages) = units_file(&mut rng);
        self.import_units_text(&actor, &units).await?;

        // Households and members in the communes of 2019, surveyed every year.
        let weights: Vec<f64> = (0..COMMUNES_2019.len())
            .map(|_| rng.random_range(0.6..1.4))
            .collect();
        let total: f64 = weights.iter().sum();
        let noise =
            Normal::new(0.0, 0.45).map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let shock =
            Normal::new(0.0, 0.22).map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let mut number = 0usize;
        for (c, commune) in COMMUNES_2019.iter().enumerate() {
            let code = commune.code.to_string();
            let town = &commune.town;
            let count = ((households as f64) * weights[c] / total).round() as usize;
            let commune_id = self
                .unit_by_code(&code)
                .await?
                .ok_or_else(|| RegistryError::NotFound(format!("xã {code}")))?
                .id;
            let village_ids: Vec<UnitId> = {
                let mut ids = Vec::new();
                for (v, _) in &villages[c] {
                    if let Some(u) = self.unit_by_code(v).await? {
                        ids.push(u.id);
                    }
                }
                ids
            };
            let area = if *town { Area::Urban } else { Area::Rural };
            let median: f64 = if *town { 4_300_000.0 } else { 2_900_000.0 };
            let commune_shift = rng.random_range(-0.25..0.15);
            let mut tx = self.db.write().await?;
            for _ in 0..count {
                number += 1;
                let v = rng.random_range(0..village_ids.len());
                let base = commune_shift + noise.sample(&mut rng);
                let size = synth::draw_members(&mut rng, base);
                let head_female = rng.random_bool(0.22);
                let head = synth::person_name(&mut rng, head_female);
                let new = NewHousehold {
                    code: format!("{code}-{number:05}"),
                    commune_code: code.clone(),
                    village_code: Some(villages[c][v].0.clone()),
                    address: format!("{}, {}", villages[c][v].1, commune.name),
                    head_name: head.clone(),
                    phone: if rng.random_bool(0.8) {
                        format!("09{:08}", rng.random_range(0..100_000_000u32))
                    } else {
                        String::new()
                    },
                };
                let household_id = insert_household(
                    &mut tx,
                    &actor,
                    commune_id,
                    Some(village_ids[v]),
                    &new,
                    None,
                )
                .await?;
                let mut people: Vec<(i32, bool)> = Vec::new();
                for (member, age) in draw_members_of(&mut rng, size, &head, head_female, base)? {
                    people.push((age, member.no_working_capacity));
                    insert_member(
                        &mut tx,
                        &actor,
                        household_id,
                        &new.code,
                        commune_id,
                        &member,
                    )
                    .await?;
                }
                // A survey each year, under that year's standard: welfare
                // drifts up a little each year, with shocks.
                for year in &DEMO_YEARS {
                    let standard = standard_of(*year)?;
                    let welfare = base + 0.06 * (*year - 2022) as f64 + shock.sample(&mut rng);
                    let income = ((median * welfare.exp()) / 1000.0).round() as i64 * 1000;
                    let drawn = synth::deprivations(standard, &mut rng, -welfare / 0.7, area);
                    let answers =
                        form_answers(standard, &people, 2026 - *year as i32, income, drawn);
                    let deprivations = answers
                        .deprivations(standard, *year as i32)
                        .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
                    let answers = serde_json::to_value(&answers)
                        .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
                    let survey_id: i64 = sqlx::query_scalar(
                        "INSERT INTO surveys (household_id, year, answers, created_at, created_by, province_id) VALUES ($1, $2, $3, $4, $5, (SELECT province_id FROM households WHERE id = $1)) RETURNING id",
                    )
                    .bind(household_id)
                    .bind(*year)
                    .bind(answers.to_string())
                    .bind(crate::now())
                    .bind(&actor.name)
                    .fetch_one(&mut *tx)
                    .await?;
                    self.record_assessment(
                        &mut tx,
                        &actor,
                        &Assessed {
                            id: household_id,
                            code: &new.code,
                            commune_id,
                        },
                        &Facts {
                            year: *year,
                            standard,
                            area,
                            income,
                            deprivations,
                            livelihood: standard::Livelihood::Farm,
                            survey_id: Some(survey_id),
                            inputs: &answers,
                        },
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            progress(c + 1);
        }
        // Each year's review, recognised by the commune of that year and
        // approved by the level above of that day; the last one's under way.
        for (k, year) in DEMO_YEARS[..DEMO_YEARS.len() - 1].iter().enumerate() {
            let mut reviewers: Vec<&str> = COMMUNES_2019
                .iter()
                .map(|c| reviewer_in(c.code, *year))
                .collect();
            reviewers.dedup();
            reviewers.sort_unstable();
            reviewers.dedup();
            for (n, code) in reviewers.iter().enumerate() {
                self.record_past_review(
                    &actor,
                    code,
                    demo_year(*year)?,
                    &format!("{}/QĐ-UBND", 100 + 10 * k + n),
                    &format!("10/12/{year}"),
                )
                .await?;
            }
        }
        self.report_demo_round(&actor).await?;
        for (username, role, unit) in DEMO_USERS {
            self.add_user(&actor, username, DEMO_PASSWORD, role, unit)
                .await?;
        }
        let policies = support::Catalogue::builtin(catalogue)
            .map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        self.assign_demo_agencies(&actor, &policies).await?;
        self.seed_demo_support(&policies).await?;
        self.seed_demo_plans(&policies).await?;
        self.db.optimize().await
    }

    /// One commune's 2026 review, taken through every step to its report to
    /// the province: every vote in favour, no complaint.
    async fn report_demo_round(&self, actor: &Actor) -> Result<(), RegistryError> {
        let year = DEMO_YEARS[DEMO_YEARS.len() - 1];
        let round = self
            .open_round(
                actor,
                DEMO_REPORTED,
                demo_year(year)?,
                // Recorded only when the demo is built outside 1/9–14/12.
                &crate::review::RoundPlan::Periodic {
                    reason: Some(format!("Dữ liệu mẫu của đợt rà soát năm {year}")),
                },
            )
            .await?;
        self.finish_surveys(actor, round).await?;
        let cases = self
            .round(actor, round)
            .await?
            .map(|(_, cases)| cases)
            .unwrap_or_default();
        let attendees = 40;
        let votes: Vec<Vote> = cases
            .iter()
            .map(|c| Vote {
                household_id: c.household_id,
                agreeing: attendees,
            })
            .collect();
        let meeting = Meeting {
            date: format!("05/10/{year}"),
            chair: "Trưởng thôn Phan Văn Thành".into(),
            attendees,
            minutes: "Hội nghị thống nhất danh sách hộ nghèo, hộ cận nghèo.".into(),
        };
        self.record_meeting(actor, round, &meeting, &votes).await?;
        self.start_posting(actor, round, &format!("12/10/{year}"), Some(3))
            .await?;
        self.record_complaints(actor, round, &[]).await?;
        self.recognise(actor, round, "215/QĐ-UBND", &format!("28/10/{year}"))
            .await?;
        Ok(())
    }
}

/// A year of the demo's history as a review year (they are all in range).
fn demo_year(year: i64) -> Result<ReviewYear, RegistryError> {
    ReviewYear::new(year).map_err(|e| RegistryError::Invalid(vec![e]))
}
