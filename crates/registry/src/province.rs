//! A synthetic province at scale, for measuring: N households in communes
//! of about 2,000 (a merged commune of the two-tier system), each with
//! members and an official assessment for several review years, so that
//! statuses move between years. Past years' reviews are recorded as closed
//! rounds. Written through the bulk path (`crate::bulk`) in one
//! transaction: all or nothing, like an import.
//!
//! What it leaves out, to stay fast: no survey forms (an assessment's
//! deprivations are drawn, not derived from answers), one audit row per
//! household (its creation, with its members and years counted) rather
//! than one per member and assessment.

use crate::bulk::{DroppedIndexes, Prepared, Row, insert_rows};
use crate::demo::{DEMO_PASSWORD, draw_members_of};
use crate::error::RegistryError;
use crate::gate::{Actor, Role};
use crate::households::CheckedMember;
use crate::service::Registry;
use crate::values::{IdNumber, ReviewYear, UnitId};
use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde_json::json;
use standard::{Area, Catalogue, Standard};
use std::collections::BTreeMap;

/// The synthetic province's code; its communes are `99` and four digits.
pub const PROVINCE_CODE: &str = "99";
/// The commune whose officer the province demo's commune account is.
pub const PROVINCE_COMMUNE: &str = "990001";
/// Households per commune.
const COMMUNE_SIZE: usize = 2_000;

/// The province demo's accounts: an administrator, the province's officer,
/// approver, leader and statistics office, and one commune's officer. All
/// have `DEMO_PASSWORD`.
pub const PROVINCE_USERS: [(&str, Role, Option<&str>); 6] = [
    ("quantri", Role::Admin, None),
    ("tinh", Role::Officer, Some(PROVINCE_CODE)),
    ("pheduyet", Role::Approver, Some(PROVINCE_CODE)),
    ("lanhdao", Role::Leader, Some(PROVINCE_CODE)),
    ("thongke", Role::Statistics, Some(PROVINCE_CODE)),
    ("xa", Role::Officer, Some(PROVINCE_COMMUNE)),
];

/// What the province demo wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProvinceSummary {
    pub communes: usize,
    pub households: usize,
    pub members: usize,
    pub assessments: usize,
}

struct HouseholdValues {
    id: i64,
    code: String,
    commune_id: UnitId,
    village_id: UnitId,
    address: String,
    head_name: String,
    phone: String,
    first_year: i64,
}

struct AssessmentValues {
    household_id: i64,
    year: i64,
    standard_id: String,
    status: &'static str,
    deprived: Vec<String>,
    area: standard::Area,
    points: u32,
    denominator: i64,
    reason: String,
    inputs: String,
}

/// One commune's rows, drawn apart from the writer.
struct CommuneRows {
    households: Vec<HouseholdValues>,
    members: Vec<(i64, CheckedMember)>,
    assessments: Vec<AssessmentValues>,
    commune_id: UnitId,
    province_id: UnitId,
}

struct Place {
    commune_id: UnitId,
    /// The province (every commune's is the synthetic province).
    province_id: UnitId,
    code: String,
    name: String,
    urban: bool,
    villages: Vec<(UnitId, String)>,
}

/// The units file of the province: communes of `COMMUNE_SIZE` households,
/// about one in seven a ward (urban), 8 to 14 villages each.
fn units_file(communes: usize, rng: &mut impl Rng) -> String {
    let mut units = format!(
        "code,name,level,parent_code,area,valid_from,merged_into,valid_to,note\n{PROVINCE_CODE},Tỉnh Tổng Hợp,province,,,01/07/2025,,,Dữ liệu tổng hợp để đo hiệu năng\n"
    );
    for c in 1..=communes {
        let code = format!("{PROVINCE_CODE}{c:04}");
        let urban = c % 7 == 0;
        let (kind, area, village) = if urban {
            ("Phường", "urban", "Tổ dân phố")
        } else {
            ("Xã", "rural", "Thôn")
        };
        units.push_str(&format!(
            "{code},{kind} Tổng Hợp {c},commune,{PROVINCE_CODE},{area},01/07/2025,,,\n"
        ));
        for v in 1..=rng.random_range(8..=14) {
            units.push_str(&format!(
                "{code}-{v:02},{village} {v},village,{code},,,,,\n"
            ));
        }
    }
    units
}

/// Draws one commune's households, members and assessments. Household ids
/// are given here (from `first_id`), so members and assessments can name
/// them without reading anything back.
fn draw_commune(
    place: &Place,
    count: usize,
    first_id: i64,
    years: &[(i64, Standard)],
    rng: &mut impl Rng,
) -> Result<CommuneRows, RegistryError> {
    let invalid = |e: String| RegistryError::Invalid(vec![e]);
    let noise = Normal::new(0.0, 0.45).map_err(|e| invalid(e.to_string()))?;
    let shock = Normal::new(0.0, 0.22).map_err(|e| invalid(e.to_string()))?;
    let area = if place.urban {
        Area::Urban
    } else {
        Area::Rural
    };
    let median: f64 = if place.urban {
        4_300_000.0
    } else {
        2_900_000.0
    };
    let shift = rng.random_range(-0.25..0.15);
    let first_year = years.first().map_or(2026, |(y, _)| *y);
    let mut rows = CommuneRows {
        households: Vec::with_capacity(count),
        members: Vec::with_capacity(count * 4),
        assessments: Vec::with_capacity(count * years.len()),
        commune_id: place.commune_id,
        province_id: place.province_id,
    };
    for n in 0..count {
        let id = first_id + n as i64;
        let (village_id, village) = &place.villages[rng.random_range(0..place.villages.len())];
        let base = shift + noise.sample(rng);
        let size = synth::draw_members(rng, base);
        let head_female = rng.random_bool(0.22);
        let head = synth::person_name(rng, head_female);
        let phone = if rng.random_bool(0.8) {
            format!("09{:08}", rng.random_range(0..100_000_000u32))
        } else {
            String::new()
        };
        for (member, _age) in draw_members_of(rng, size, &head, head_female, base)? {
            rows.members.push((id, member));
        }
        for (year, standard) in years {
            let welfare = base + 0.06 * (*year - 2022) as f64 + shock.sample(rng);
            let income = ((median * welfare.exp()) / 1000.0).round() as i64 * 1000;
            let drawn = synth::deprivations(standard, rng, -welfare / 0.7, area);
            let c = standard.classify(area, income, drawn);
            let deprived: Vec<String> = c.deprived_codes(standard).map(str::to_string).collect();
            rows.assessments.push(AssessmentValues {
                household_id: id,
                year: *year,
                standard_id: standard.id.clone(),
                status: c.status.code(),
                area,
                inputs:
                    json!({"area": area.code(), "income_per_capita": income, "deprived": deprived})
                        .to_string(),
                deprived,
                points: c.score.points,
                denominator: i64::from(c.score.denominator),
                reason: c.reason(standard).code.clone(),
            });
        }
        rows.households.push(HouseholdValues {
            id,
            code: format!("{}-{:05}", place.code, n + 1),
            commune_id: place.commune_id,
            village_id: *village_id,
            address: format!("{village}, {}", place.name),
            head_name: head,
            phone,
            first_year,
        });
    }
    Ok(rows)
}

impl Registry {
    /// Fills an empty database with a synthetic province of `households`
    /// households, assessed in each of `years` (the last one's review not
    /// yet held). `progress` is told the households written so far.
    pub async fn seed_province(
        &self,
        catalogue: &Catalogue,
        households: usize,
        years: &[ReviewYear],
        seed: u64,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<ProvinceSummary, RegistryError> {
        if !self.is_empty().await? {
            return Err(RegistryError::Invalid(vec![
                "cơ sở dữ liệu đã có hộ; tỉnh tổng hợp chỉ tạo trong cơ sở dữ liệu trống".into(),
            ]));
        }
        let actor = Actor {
            name: "demo".into(),
            role: Role::Admin,
            unit_id: None,
            agency: None,
        };
        let years: Vec<(i64, Standard)> = years
            .iter()
            .map(|y| {
                catalogue
                    .for_review_year(y.get())
                    .map(|s| (y.as_i64(), s.clone()))
                    .ok_or_else(|| {
                        RegistryError::Invalid(vec![format!("không có chuẩn cho năm rà soát {y}")])
                    })
            })
            .collect::<Result<_, _>>()?;
        let communes = households.div_ceil(COMMUNE_SIZE).max(1);
        let mut rng = synth::rng(seed);
        self.import_units_text(&actor, &units_file(communes, &mut rng))
            .await?;
        let places = self.province_places().await?;
        let places_province = places
            .first()
            .map(|p| p.province_id)
            .ok_or_else(|| RegistryError::NotFound(format!("xã của tỉnh {PROVINCE_CODE}")))?;

        // Drawing and preparing the statements run on their own thread
        // while this one sends the previous commune's.
        let (sender, mut receiver) =
            tokio::sync::mpsc::channel::<Result<(CommuneRows, Vec<Prepared>), RegistryError>>(2);
        let drawing_years = years.clone();
        let backend = self.db.backend();
        let now = crate::now();
        let (drawing_actor, drawing_now) = (actor.clone(), now.clone());
        let drawer = std::thread::spawn(move || {
            let mut first_id = 1;
            let mut left = households;
            for (c, place) in places.iter().enumerate() {
                let count = left.min(COMMUNE_SIZE);
                if count == 0 {
                    break;
                }
                left -= count;
                let mut rng = synth::rng(seed ^ (c as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let rows =
                    draw_commune(place, count, first_id, &drawing_years, &mut rng).map(|rows| {
                        let statements =
                            prepare_commune(backend, &drawing_actor, &drawing_now, &rows);
                        (rows, statements)
                    });
                first_id += count as i64;
                if sender.blocking_send(rows).is_err() {
                    break;
                }
            }
        });

        let mut summary = ProvinceSummary::default();
        let mut counts: BTreeMap<(UnitId, i64, &'static str), i64> = BTreeMap::new();
        let mut spans: Vec<(UnitId, i64)> = Vec::new();
        let mut tallies: BTreeMap<crate::tallies::TallyKey, i64> = BTreeMap::new();
        let mut tx = self.db.write().await?;
        let dropped = DroppedIndexes::drop(
            &mut tx,
            self.db.backend(),
            &["households", "members", "assessments", "audit_log"],
        )
        .await?;
        while let Some(drawn) = receiver.recv().await {
            let (rows, statements) = drawn?;
            for statement in statements {
                statement.execute(&mut tx).await?;
            }
            for a in &rows.assessments {
                *counts
                    .entry((rows.commune_id, a.year, a.status))
                    .or_default() += 1;
            }
            spans.push((rows.commune_id, rows.households.len() as i64));
            commune_tallies(&rows, &mut tallies);
            summary.communes += 1;
            summary.households += rows.households.len();
            summary.members += rows.members.len();
            summary.assessments += rows.assessments.len();
            progress(summary.households);
        }
        let _ = drawer.join();
        // The province's roll-up rows beside its communes'.
        let province_id = places_province;
        let mut rolled: BTreeMap<(UnitId, i64, &'static str), i64> = BTreeMap::new();
        for ((_, year, status), n) in &counts {
            *rolled.entry((province_id, *year, *status)).or_default() += n;
        }
        counts.extend(rolled);
        let counts: Vec<_> = counts.into_iter().collect();
        insert_rows(
            &mut tx,
            self.db.backend(),
            "official_counts",
            &["commune_id", "year", "status", "households"],
            &counts,
            |q, ((commune, year, status), n)| q.bind(*commune).bind(*year).bind(*status).bind(*n),
        )
        .await?;
        // Every household is on the registry from the first year, not removed.
        let first_year = years.first().map_or(2026, |(y, _)| *y);
        spans.push((province_id, spans.iter().map(|(_, n)| n).sum()));
        insert_rows(
            &mut tx,
            self.db.backend(),
            "household_spans",
            &["commune_id", "first_year", "removed_on", "households"],
            &spans,
            |q, (commune, n)| q.bind(*commune).bind(first_year).bind("").bind(*n),
        )
        .await?;
        let tallies: Vec<_> = crate::tallies::with_roll_ups(&mut tx, &tallies)
            .await?
            .into_iter()
            .collect();
        crate::tallies::insert_tallies(&mut tx, self.db.backend(), &tallies).await?;
        crate::tallies::rebuild_sheets(&mut tx).await?;
        dropped.rebuild(&mut tx).await?;
        if self.db.backend() == crate::db::Backend::Postgres {
            // Ids were given by the load: the identity continues after them.
            sqlx::query("SELECT setval(pg_get_serial_sequence('households', 'id'), (SELECT MAX(id) FROM households))")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // Statistics first: without them the planner reads a commune's
        // assessments by year across the whole province.
        self.db.optimize().await?;

        // Each past year's review, closed by its commune.
        if let Some((_, past)) = years.split_last() {
            for (k, (year, _)) in past.iter().enumerate() {
                for c in 1..=summary.communes {
                    self.record_past_review(
                        &actor,
                        &format!("{PROVINCE_CODE}{c:04}"),
                        ReviewYear::new(*year).map_err(|e| RegistryError::Invalid(vec![e]))?,
                        &format!("{}/QĐ-UBND", 100 + k),
                        &format!("10/12/{year}"),
                    )
                    .await?;
                }
            }
        }
        for (username, role, unit) in PROVINCE_USERS {
            self.add_user(&actor, username, DEMO_PASSWORD, role, unit)
                .await?;
        }
        self.db.optimize().await?;
        Ok(summary)
    }

    /// The province's communes and their villages, in code order.
    async fn province_places(&self) -> Result<Vec<Place>, RegistryError> {
        let units = self.units().await?;
        let province_id = units
            .iter()
            .find(|u| u.code == PROVINCE_CODE)
            .map(|u| u.id)
            .ok_or_else(|| RegistryError::NotFound(format!("tỉnh {PROVINCE_CODE}")))?;
        let mut places: Vec<Place> = units
            .iter()
            .filter(|u| u.level == crate::units::Level::Commune)
            .map(|u| Place {
                commune_id: u.id,
                province_id,
                code: u.code.clone(),
                name: u.name.clone(),
                urban: u.area.as_deref() == Some("urban"),
                villages: units
                    .iter()
                    .filter(|v| v.parent_id == Some(u.id))
                    .map(|v| (v.id, v.name.clone()))
                    .collect(),
            })
            .collect();
        places.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(places)
    }
}

/// The statements writing one commune's rows, and an audit row per
/// household (made on the drawing thread; the writer sends them in the
/// load's transaction).
fn prepare_commune(
    backend: crate::db::Backend,
    actor: &Actor,
    now: &str,
    rows: &CommuneRows,
) -> Vec<Prepared> {
    let households = Prepared::new(
        backend,
        "households",
        crate::households::HOUSEHOLD_COLUMNS,
        &rows.households,
        |q: Row, h| {
            q.bind(h.id)
                .bind(&h.code)
                .bind(h.commune_id)
                .bind(h.village_id)
                .bind(&h.address)
                .bind(&h.head_name)
                .bind(vntext::search_key(&h.head_name))
                .bind(vntext::search_key(vntext::given_name(&h.head_name)))
                .bind(vntext::name_sort_key(&h.head_name))
                .bind(&h.phone)
                .bind(now)
                .bind(now)
                .bind(format!("{}-01-01", h.first_year))
                .bind(h.first_year)
                .bind(rows.province_id)
        },
    );
    let members = Prepared::new(
        backend,
        "members",
        &[
            "household_id",
            "full_name",
            "name_search",
            "given_search",
            "name_sort",
            "sex",
            "birth_date",
            "id_number",
            "relation",
            "ethnicity",
            "disability",
            "no_working_capacity",
            "merit",
            "social_protection",
            "province_id",
        ],
        &rows.members,
        |q, (household_id, m)| {
            q.bind(*household_id)
                .bind(&m.full_name)
                .bind(vntext::search_key(&m.full_name))
                .bind(vntext::search_key(vntext::given_name(&m.full_name)))
                .bind(vntext::name_sort_key(&m.full_name))
                .bind(&m.sex)
                .bind(m.birth.map(|d| d.format("%Y-%m-%d").to_string()))
                .bind(m.id_number.as_ref().map(IdNumber::as_str))
                .bind(&m.relation)
                .bind(&m.ethnicity)
                .bind(i64::from(m.disability))
                .bind(i64::from(m.no_working_capacity))
                .bind(i64::from(m.merit))
                .bind(i64::from(m.social_protection))
                .bind(rows.province_id)
        },
    );
    let head_sorts: std::collections::HashMap<i64, String> = rows
        .households
        .iter()
        .map(|h| (h.id, vntext::name_sort_key(&h.head_name)))
        .collect();
    let assessments = Prepared::new(
        backend,
        "assessments",
        crate::households::ASSESSMENT_COLUMNS,
        &rows.assessments,
        |q, a| {
            q.bind(a.household_id)
                .bind(a.year)
                .bind(&a.standard_id)
                .bind(1i64)
                .bind(a.status)
                .bind(a.deprived.len() as i64)
                .bind(a.deprived.join(";"))
                .bind(i64::from(a.points))
                .bind(a.denominator)
                .bind(&a.reason)
                .bind(&a.inputs)
                // Drawn, not surveyed: no survey form.
                .bind(None::<i64>)
                .bind(now)
                .bind(rows.province_id)
                .bind(head_sorts.get(&a.household_id).map(String::as_str))
        },
    );
    let mut members_of: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (h, _) in &rows.members {
        *members_of.entry(*h).or_default() += 1;
    }
    let years: Vec<i64> = {
        let mut y: Vec<i64> = rows.assessments.iter().map(|a| a.year).collect();
        y.sort_unstable();
        y.dedup();
        y
    };
    let audits: Vec<crate::service::AuditRow> = rows
        .households
        .iter()
        .map(|h| crate::service::AuditRow {
            entity_id: h.code.clone(),
            unit_id: Some(rows.commune_id),
            changes: json!({"head_name": h.head_name, "address": h.address, "members": members_of.get(&h.id).copied().unwrap_or(0), "years": years, "source": "province_demo"}),
        })
        .collect();
    let audit = crate::service::audit_prepared(
        backend,
        actor,
        crate::service::Action::Create,
        crate::service::Entity::Household,
        &audits,
        now,
    );
    vec![households, members, assessments, audit]
}

/// What one commune's households add to the kept tallies, computed from
/// the rows drawn (the same function a write applies).
fn commune_tallies(rows: &CommuneRows, out: &mut BTreeMap<crate::tallies::TallyKey, i64>) {
    use crate::tallies::{History, MemberFacts};
    use crate::values::HouseholdId;
    let mut histories: BTreeMap<i64, History> = rows
        .households
        .iter()
        .map(|h| {
            (
                h.id,
                History {
                    commune_id: rows.commune_id,
                    years: BTreeMap::new(),
                    members: Vec::new(),
                    // The synthetic province records no support.
                    deliveries: Vec::new(),
                },
            )
        })
        .collect();
    for (id, member) in &rows.members {
        if let Some(h) = histories.get_mut(id) {
            h.members
                .push(MemberFacts::of(HouseholdId::new(*id), member));
        }
    }
    for a in &rows.assessments {
        if let (Some(h), Some(status)) = (
            histories.get_mut(&a.household_id),
            standard::Status::parse(a.status),
        ) {
            h.years.insert(
                a.year,
                crate::tallies::Official {
                    status,
                    deprived: a.deprived.clone(),
                    score: Some(crate::tallies::Scored {
                        standard: a.standard_id.clone(),
                        area: a.area,
                        points: a.points,
                    }),
                },
            );
        }
    }
    for history in histories.values() {
        crate::tallies::tallies(history, out);
    }
}
