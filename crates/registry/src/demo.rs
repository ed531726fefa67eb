//! A realistic demo district: one province, one district of 19 communes with
//! their villages, about 25,000 households with members, reviewed in five
//! years with the movements a real district sees (four recognised and
//! closed, the last under way), and an account of every role. Everything is written through the same service functions as real
//! data, audit rows included.

use crate::error::RegistryError;
use crate::gate::{Actor, Role};
use crate::households::{NewHousehold, NewMember, insert_household, insert_member};
use crate::service::Registry;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use standard::{Area, Standard};
use std::path::Path;

/// The communes of the demo district (names as in Nghi Xuân, Hà Tĩnh), and
/// whether each is a town (urban).
const COMMUNES: [(&str, bool); 19] = [
    ("Thị trấn Xuân An", true),
    ("Thị trấn Tiên Điền", true),
    ("Xã Xuân Hội", false),
    ("Xã Xuân Trường", false),
    ("Xã Xuân Đan", false),
    ("Xã Xuân Phổ", false),
    ("Xã Xuân Hải", false),
    ("Xã Xuân Giang", false),
    ("Xã Xuân Yên", false),
    ("Xã Xuân Thành", false),
    ("Xã Xuân Hồng", false),
    ("Xã Xuân Lam", false),
    ("Xã Xuân Lĩnh", false),
    ("Xã Xuân Viên", false),
    ("Xã Xuân Mỹ", false),
    ("Xã Xuân Liên", false),
    ("Xã Cương Gián", false),
    ("Xã Cổ Đạm", false),
    ("Xã Đan Trường", false),
];

/// The review years of the demo: all but the last recognised and closed;
/// the last surveyed, its review still under way.
pub const DEMO_YEARS: [i64; 5] = [2022, 2023, 2024, 2025, 2026];

/// The password of every demo account (shown by `giamngheo demo`).
pub const DEMO_PASSWORD: &str = "giamngheo-demo";

/// The demo accounts: username, role, unit code.
pub const DEMO_USERS: [(&str, Role, Option<&str>); 7] = [
    ("quantri", Role::Admin, None),
    ("huyen.nghixuan", Role::DistrictOfficer, Some("436")),
    ("xa.xuanhoi", Role::CommuneOfficer, Some("18652")),
    ("xa.xuanan", Role::CommuneOfficer, Some("18631")),
    ("nhcsxh", Role::AgencyOfficer, Some("436")),
    ("lanhdao", Role::Leader, Some("436")),
    ("thongke", Role::Statistics, Some("436")),
];

fn commune_code(i: usize) -> String {
    // Xuân An and Xuân Hội keep codes the accounts above refer to.
    match i {
        0 => "18631".into(),
        2 => "18652".into(),
        _ => format!("186{:02}", 60 + i),
    }
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

    /// Fills an empty database with the demo district. `progress` is told the
    /// communes done, of 19.
    pub async fn seed_demo(
        &self,
        standard: &Standard,
        households: usize,
        seed: u64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), RegistryError> {
        let actor = Actor {
            name: "demo".into(),
            role: Role::Admin,
            unit_id: None,
        };
        let mut rng = synth::rng(seed);
        // Units.
        let mut units = String::from(
            "code,name,level,parent_code,area\n42,Tỉnh Hà Tĩnh,province,,\n436,Huyện Nghi Xuân,district,42,\n",
        );
        let mut villages = Vec::new();
        for (i, (name, town)) in COMMUNES.iter().enumerate() {
            let code = commune_code(i);
            let area = if *town { "urban" } else { "rural" };
            units.push_str(&format!("{code},{name},commune,436,{area}\n"));
            let n = rng.random_range(8..=14);
            let mut list = Vec::new();
            for v in 1..=n {
                let village = if *town {
                    format!("Tổ dân phố {v}")
                } else {
                    format!("Thôn {v}")
                };
                let vcode = format!("{code}{v:02}");
                units.push_str(&format!("{vcode},{village},village,{code},\n"));
                list.push((vcode, village));
            }
            villages.push(list);
        }
        let file =
            std::env::temp_dir().join(format!("giamngheo-demo-units-{}.csv", std::process::id()));
        std::fs::write(&file, units).map_err(|e| RegistryError::Io {
            file: file.display().to_string(),
            source: e,
        })?;
        self.import_units(&actor, Path::new(&file), false).await?;
        let _ = std::fs::remove_file(&file);

        // Households, members and three reviews, commune by commune.
        let weights: Vec<f64> = (0..COMMUNES.len())
            .map(|_| rng.random_range(0.6..1.4))
            .collect();
        let total: f64 = weights.iter().sum();
        let noise =
            Normal::new(0.0, 0.45).map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let shock =
            Normal::new(0.0, 0.22).map_err(|e| RegistryError::Invalid(vec![e.to_string()]))?;
        let mut number = 0usize;
        for (c, (_, town)) in COMMUNES.iter().enumerate() {
            let code = commune_code(c);
            let count = ((households as f64) * weights[c] / total).round() as usize;
            let commune_id = self
                .unit_by_code(&code)
                .await?
                .ok_or_else(|| RegistryError::NotFound(format!("xã {code}")))?
                .id;
            let village_ids: Vec<i64> = {
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
                let family = head.split(' ').next().unwrap_or("Nguyễn").to_string();
                let new = NewHousehold {
                    code: format!("{code}-{number:05}"),
                    commune_code: code.clone(),
                    village_code: Some(villages[c][v].0.clone()),
                    address: format!("{}, {}", villages[c][v].1, COMMUNES[c].0),
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
                // Members: the head, a spouse, children, sometimes a parent.
                let merit_household = rng.random_bool(0.03);
                let protection_household = rng.random_bool(if base < -0.4 { 0.15 } else { 0.04 });
                let head_age = rng.random_range(25..75);
                // (age in 2026, disabled without working capacity) of each member.
                let mut people: Vec<(i32, bool)> = Vec::new();
                for m in 0..size {
                    let (name, female, age, relation) = match m {
                        0 => (head.clone(), head_female, head_age, "Chủ hộ"),
                        1 if size > 1 => {
                            let female = !head_female;
                            let n = synth::person_name(&mut rng, female);
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
                                synth::person_name(&mut rng, female),
                                female,
                                head_age + rng.random_range(22..32),
                                if female { "Mẹ" } else { "Cha" },
                            )
                        }
                        _ => {
                            let female = rng.random_bool(0.5);
                            let given = synth::person_name(&mut rng, female);
                            let rest = given
                                .split_once(' ')
                                .map_or(given.as_str(), |(_, r)| r)
                                .to_string();
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
                    people.push((age, no_working_capacity));
                    let member = NewMember {
                        full_name: name,
                        sex: Some(if female { "female" } else { "male" }.into()),
                        birth_date: birth.map(vntext::format_date),
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
                    insert_member(
                        &mut tx,
                        &actor,
                        household_id,
                        &new.code,
                        commune_id,
                        &member,
                        birth,
                    )
                    .await?;
                }
                // Three reviews: welfare drifts up a little each year, with shocks.
                for (k, year) in DEMO_YEARS.iter().enumerate() {
                    let welfare = base + 0.06 * k as f64 + shock.sample(&mut rng);
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
                        "INSERT INTO surveys (household_id, year, answers, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
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
                        household_id,
                        &new.code,
                        commune_id,
                        *year,
                        standard,
                        area,
                        income,
                        deprivations,
                        Some(survey_id),
                        &answers,
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            // Each year's review recognised by the commune's decision, but
            // the last one's, which is under way.
            for year in &DEMO_YEARS[..DEMO_YEARS.len() - 1] {
                let year = *year;
                self.record_past_review(
                    &actor,
                    &code,
                    year,
                    &format!("{}/QĐ-UBND", 100 + c),
                    &format!("10/12/{year}"),
                )
                .await?;
            }
            progress(c + 1);
        }
        for (username, role, unit) in DEMO_USERS {
            self.add_user(&actor, username, DEMO_PASSWORD, role, unit)
                .await?;
        }
        self.db.optimize().await
    }
}
