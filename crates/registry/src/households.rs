//! Households, members, surveys and assessments.

use crate::error::RegistryError;
use crate::gate::Actor;
use crate::service::{Action, AuditRow, Entity, Registry, audit, audit_many, diff};
use crate::tallies::Tallied;
use crate::units::ImportSummary;
use crate::values::{HouseholdId, MemberId, UnitId};
use crate::values::{IdNumber, ReviewYear, check_id_number};
use flatfile::{Batch, Input, Job, ReadOptions};
use serde_json::json;
use standard::{Area, DeprivationSet, Standard};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// One row of the flat household file, as the registry imports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlatRow {
    pub(crate) row: u64,
    pub(crate) code: String,
    pub(crate) commune: String,
    pub(crate) village: String,
    pub(crate) area: Area,
    pub(crate) members: u32,
    pub(crate) income_per_capita: i64,
    pub(crate) deprivations: DeprivationSet,
    pub(crate) livelihood: standard::Livelihood,
    pub(crate) merit: bool,
    pub(crate) social_protection: bool,
    /// A text column whose bytes are not UTF-8.
    pub(crate) not_utf8: Option<&'static str>,
}

impl FlatRow {
    /// The row as a survey's answers, kept with the survey.
    fn answers(&self, file: &str, standard: &Standard) -> serde_json::Value {
        let deprived: Vec<&str> = self
            .deprivations
            .iter()
            .map(|i| standard.indicators[i].code.as_str())
            .collect();
        json!({
            "source": file, "area": self.area.code(), "members": self.members,
            "income_per_capita": self.income_per_capita, "deprived": deprived,
            "merit": self.merit, "social_protection": self.social_protection,
            "livelihood": self.livelihood.code(),
        })
    }
}

struct Collect;

impl Job for Collect {
    type Output = Vec<FlatRow>;
    fn start(&self) -> Vec<FlatRow> {
        Vec::new()
    }
    fn batch(&self, b: &Batch, out: &mut Vec<FlatRow>) {
        let text = |t: &flatfile::Texts, i: usize| vntext::nfc(&String::from_utf8_lossy(t.get(i)));
        for i in 0..b.len() {
            let utf8 = |t: &flatfile::Texts| t.is_empty() || std::str::from_utf8(t.get(i)).is_ok();
            let not_utf8 = [
                ("household_id", &b.household_id),
                ("commune_code", &b.commune_code),
                ("village", &b.village),
            ]
            .into_iter()
            .find(|(_, t)| !utf8(t))
            .map(|(name, _)| name);
            out.push(FlatRow {
                row: b.first_row + i as u64,
                code: text(&b.household_id, i),
                commune: text(&b.commune_code, i),
                village: if b.village.is_empty() {
                    String::new()
                } else {
                    text(&b.village, i)
                },
                area: b.area[i],
                members: b.members[i],
                income_per_capita: b.income_per_capita[i],
                deprivations: b.deprivations[i],
                livelihood: b.livelihood[i],
                merit: b.merit.get(i).copied().unwrap_or(false),
                social_protection: b.social_protection.get(i).copied().unwrap_or(false),
                not_utf8,
            });
        }
    }
}

/// A household as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HouseholdSummary {
    pub id: HouseholdId,
    pub code: String,
    pub commune_id: UnitId,
    pub village_id: Option<UnitId>,
    pub head_name: String,
    pub address: String,
}

/// A new household, as a form or a sheet gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewHousehold {
    pub code: String,
    pub commune_code: String,
    pub village_code: Option<String>,
    pub address: String,
    pub head_name: String,
    pub phone: String,
}

/// The household an assessment is of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Assessed<'a> {
    pub id: HouseholdId,
    pub code: &'a str,
    pub commune_id: UnitId,
}

/// What the standard classifies for a year, and where it came from (a
/// survey, or the inputs of a file or a score form).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub year: i64,
    pub standard: &'a Standard,
    pub area: Area,
    pub income: i64,
    pub deprivations: DeprivationSet,
    /// Decides the average-living status (farm households only).
    pub livelihood: standard::Livelihood,
    pub survey_id: Option<i64>,
    pub inputs: &'a serde_json::Value,
}

/// A member of a household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMember {
    pub full_name: String,
    pub sex: Option<String>,
    /// dd/mm/yyyy or ISO.
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub relation: String,
    pub ethnicity: String,
    pub disability: bool,
    pub no_working_capacity: bool,
    pub merit: bool,
    pub social_protection: bool,
}

/// A member whose every field has been checked: only `check_member`, the
/// sheet import's reading and the demo's generator make one, and only one
/// is ever inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedMember {
    pub full_name: String,
    pub sex: Option<String>,
    pub birth: Option<chrono::NaiveDate>,
    pub id_number: Option<IdNumber>,
    pub relation: String,
    pub ethnicity: String,
    pub disability: bool,
    pub no_working_capacity: bool,
    pub merit: bool,
    pub social_protection: bool,
}

/// A member as typed, checked: the name required, texts within their
/// limits, the birth date a real date not in the future, the identity
/// number well formed and agreeing with sex and birth year.
pub(crate) fn check_member(m: &NewMember) -> Result<CheckedMember, RegistryError> {
    use crate::limits::{LINE, NAME, Problems, required, text};
    let mut problems = Problems::default();
    let full_name = problems.keep(required("họ và tên", &m.full_name, NAME));
    let relation = problems.keep(text("quan hệ với chủ hộ", &m.relation, LINE));
    let ethnicity = problems.keep(text("dân tộc", &m.ethnicity, LINE));
    let sex = m.sex.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = sex
        && s != "male"
        && s != "female"
    {
        problems.push(format!("giới tính \"{s}\": chọn nam hoặc nữ"));
    }
    let today = chrono::Utc::now().date_naive();
    let birth = match m
        .birth_date
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        None => None,
        Some(t) => match vntext::parse_date(t) {
            Some(d) if d > today => {
                problems.push(format!("ngày sinh {}: ở tương lai", vntext::format_date(d)));
                None
            }
            Some(d) if chrono::Datelike::year(&d) < 1900 => {
                problems.push(format!(
                    "ngày sinh {}: trước năm 1900",
                    vntext::format_date(d)
                ));
                None
            }
            Some(d) => Some(d),
            None => {
                problems.push(format!("ngày sinh \"{t}\": không đúng dạng dd/mm/yyyy"));
                None
            }
        },
    };
    let id_number = {
        use chrono::Datelike;
        check_id_number(
            m.id_number.as_deref().unwrap_or(""),
            sex,
            birth.map(|d| d.year()),
        )
        .map_err(|p| problems.push(p))
        .ok()
        .flatten()
    };
    problems.done()?;
    Ok(CheckedMember {
        full_name,
        sex: sex.map(String::from),
        birth,
        id_number,
        relation,
        ethnicity,
        disability: m.disability,
        no_working_capacity: m.no_working_capacity,
        merit: m.merit,
        social_protection: m.social_protection,
    })
}

/// Who already holds an identity number (a current member), as "thành viên
/// NAME của hộ CODE".
pub(crate) async fn id_number_holder(
    conn: &mut sqlx::AnyConnection,
    number: &IdNumber,
) -> Result<Option<String>, RegistryError> {
    let holder: Option<(String, String)> = sqlx::query_as(
        "SELECT m.full_name, h.code FROM members m JOIN households h ON h.id = m.household_id \
         WHERE m.id_number = $1 AND m.removed_on IS NULL LIMIT 1",
    )
    .bind(number.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(holder.map(|(name, code)| format!("thành viên {name} của hộ {code}")))
}

/// A household's typed fields, checked: the head's name required, texts
/// within their limits, the phone made of digits.
pub(crate) fn check_household_fields(
    head_name: &str,
    address: &str,
    phone: &str,
) -> Result<(String, String, String), RegistryError> {
    use crate::limits::{LINE, NAME, Problems, SHORT_TEXT, required, text};
    let mut problems = Problems::default();
    let head = problems.keep(required("họ và tên chủ hộ", head_name, NAME));
    let address = problems.keep(text("địa chỉ", address, LINE));
    let phone = problems.keep(text("điện thoại", phone, SHORT_TEXT));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.is_empty()
        && (!phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '+' | '(' | ')'))
            || !(8..=15).contains(&digits))
    {
        problems.push(format!(
            "điện thoại \"{phone}\": chỉ gồm chữ số (8 đến 15 số), ví dụ 0912 345 678"
        ));
    }
    problems.done()?;
    Ok((head, address, phone))
}

impl Registry {
    /// Imports the flat household file for a review year: each household is
    /// created or updated, its answers stored as a survey, and its official
    /// assessment for the year computed by `standard`. All or nothing.
    pub async fn import_flat(
        &self,
        actor: &Actor,
        path: &Path,
        standard: &Standard,
        year: ReviewYear,
        dry_run: bool,
    ) -> Result<ImportSummary, RegistryError> {
        let year = year.as_i64();
        let _turn = self.import_turn().await?;
        let input = Input::open(path)?;
        let options = ReadOptions {
            ids: true,
            ..ReadOptions::default()
        };
        let columns = input.columns(standard, &options)?;
        let mut rows = Vec::new();
        input.run(&columns, &Collect, 2, &|_| {}, |part| {
            rows.extend(part);
            Ok(())
        })?;
        let file = path.display().to_string();

        // Units: every commune and village must be known.
        let units = self.units().await?;
        let communes: HashMap<&str, &crate::units::Unit> = units
            .iter()
            .filter(|u| u.level == crate::units::Level::Commune)
            .map(|u| (u.code.as_str(), u))
            .collect();
        let mut villages: HashMap<(UnitId, String), UnitId> = HashMap::new();
        for v in units
            .iter()
            .filter(|u| u.level == crate::units::Level::Village)
        {
            if let Some(parent) = v.parent_id {
                villages.insert((parent, v.code.clone()), v.id);
                villages.insert((parent, vntext::search_key(&v.name)), v.id);
            }
        }
        let mut problems = Vec::new();
        let mut unknown_communes = BTreeMap::new();
        let mut unknown_villages = BTreeMap::new();
        let mut seen = HashMap::new();
        let scope = self.write_scope(actor).await?;
        let mut resolved = Vec::with_capacity(rows.len());
        for r in &rows {
            if let Some(column) = r.not_utf8 {
                problems.push(format!(
                    "{file}, dòng {}, cột \"{column}\": không phải văn bản UTF-8; lưu tệp dạng \"CSV UTF-8\" rồi nạp lại",
                    r.row
                ));
                continue;
            }
            if let Some(first) = seen.insert(r.code.clone(), r.row) {
                problems.push(format!(
                    "{file}, dòng {}, cột \"household_id\": mã hộ \"{}\" đã có ở dòng {first}",
                    r.row, r.code
                ));
            }
            let Some(commune) = communes.get(r.commune.as_str()) else {
                unknown_communes.entry(r.commune.clone()).or_insert(r.row);
                continue;
            };
            if !scope.contains(commune.id) {
                problems.push(format!(
                    "{file}, dòng {}: xã \"{}\" nằm ngoài phạm vi của tài khoản",
                    r.row, r.commune
                ));
                continue;
            }
            let village = if r.village.is_empty() {
                None
            } else {
                let id = villages
                    .get(&(commune.id, r.village.clone()))
                    .or_else(|| villages.get(&(commune.id, vntext::search_key(&r.village))));
                match id {
                    Some(id) => Some(*id),
                    None => {
                        unknown_villages
                            .entry(format!("{}/{}", r.commune, r.village))
                            .or_insert(r.row);
                        continue;
                    }
                }
            };
            resolved.push((r, commune.id, village));
        }
        for (code, row) in unknown_communes {
            problems.push(format!(
                "{file}, dòng {row}, cột \"commune_code\": không có xã \"{code}\" trong danh mục đơn vị; nạp danh mục trước (giamngheo units import)"
            ));
        }
        for (code, row) in unknown_villages {
            problems.push(format!("{file}, dòng {row}, cột \"village\": không có thôn \"{code}\" trong danh mục đơn vị"));
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }

        // Only the households the file names are read.
        let codes: Vec<String> = resolved.iter().map(|(r, _, _)| r.code.clone()).collect();
        let existing: HashMap<String, (HouseholdId, UnitId, Option<UnitId>)> = self
            .fetch_in::<(String, HouseholdId, UnitId, Option<UnitId>)>(
                "SELECT code, id, commune_id, village_id FROM households WHERE code IN ({list})",
                &codes,
            )
            .await?
            .into_iter()
            .map(|(code, id, c, v)| (code, (id, c, v)))
            .collect();
        let mut summary = ImportSummary::default();
        let mut tx = self.db.write().await?;
        let now = crate::now();
        // New households, their surveys and assessments, in bulk.
        let fresh: Vec<&(&FlatRow, UnitId, Option<UnitId>)> = resolved
            .iter()
            .filter(|(r, _, _)| !existing.contains_key(&r.code))
            .collect();
        summary.created = fresh.len();
        // A chunk at a time: the memory of the writes follows the chunk.
        for chunk in fresh.chunks(50_000) {
            let new: Vec<NewHousehold> = chunk
                .iter()
                .map(|(r, _, village_id)| NewHousehold {
                    code: r.code.clone(),
                    commune_code: r.commune.clone(),
                    village_code: village_id.map(|_| r.village.clone()),
                    ..NewHousehold::default()
                })
                .collect();
            let inserts: Vec<HouseholdInsert<'_>> = chunk
                .iter()
                .zip(&new)
                .map(|((_, commune_id, village_id), new)| HouseholdInsert {
                    commune_id: *commune_id,
                    village_id: *village_id,
                    new,
                })
                .collect();
            // On the registry since the year its survey is for.
            let ids =
                insert_households(&mut tx, actor, &inserts, Some(&format!("{year}-01-01"))).await?;
            let assessed: Vec<(Assessed<'_>, &FlatRow)> = chunk
                .iter()
                .zip(&ids)
                .map(|((r, commune_id, _), id)| {
                    let household = Assessed {
                        id: *id,
                        code: r.code.as_str(),
                        commune_id: *commune_id,
                    };
                    (household, *r)
                })
                .collect();
            self.assess_new_households(&mut tx, actor, &file, standard, year, &now, &assessed)
                .await?;
        }
        for &(r, commune_id, village_id) in &resolved {
            let id = match existing.get(&r.code) {
                Some(&(id, c, v)) => {
                    if (c, v) != (commune_id, village_id) {
                        crate::counts::household_moved(&mut tx, id, c, commune_id).await?;
                        sqlx::query("UPDATE households SET commune_id = $1, village_id = $2, updated_at = $3 WHERE id = $4")
                            .bind(commune_id)
                            .bind(village_id)
                            .bind(&now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        crate::provinces::household_moved(&mut tx, id, commune_id).await?;
                        let changes = diff(
                            &json!({"commune_id": c, "village_id": v}),
                            &json!({"commune_id": commune_id, "village_id": village_id}),
                        );
                        audit(
                            &mut tx,
                            actor,
                            Action::Update,
                            Entity::Household,
                            &r.code,
                            Some(commune_id),
                            changes,
                        )
                        .await?;
                        summary.updated += 1;
                    } else {
                        summary.unchanged += 1;
                    }
                    id
                }
                None => continue,
            };
            let household = Assessed {
                id,
                code: &r.code,
                commune_id,
            };
            self.assess_from_file(&mut tx, actor, &file, standard, year, &now, &household, r)
                .await?;
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            self.db.optimize().await?;
        }
        Ok(summary)
    }

    /// A file's facts for a household already on the registry: the year's
    /// survey and official assessment, as a form's would be.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn assess_from_file(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        file: &str,
        standard: &Standard,
        year: i64,
        now: &str,
        household: &Assessed<'_>,
        r: &FlatRow,
    ) -> Result<(), RegistryError> {
        let answers = r.answers(file, standard);
        let survey_id: i64 = sqlx::query_scalar(
            "INSERT INTO surveys (household_id, year, answers, created_at, created_by, province_id) VALUES ($1, $2, $3, $4, $5, (SELECT province_id FROM households WHERE id = $1)) RETURNING id",
        )
        .bind(household.id)
        .bind(year)
        .bind(answers.to_string())
        .bind(now)
        .bind(&actor.name)
        .fetch_one(&mut **tx)
        .await?;
        self.record_assessment(
            tx,
            actor,
            household,
            &Facts {
                year,
                standard,
                area: r.area,
                income: r.income_per_capita,
                deprivations: r.deprivations,
                livelihood: r.livelihood,
                survey_id: Some(survey_id),
                inputs: &answers,
            },
        )
        .await
    }

    /// The surveys and official assessments of households created by this
    /// import (so none has an assessment of the year yet, nor a review
    /// case), with the kept counts and an audit row each, in bulk.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn assess_new_households(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        file: &str,
        standard: &Standard,
        year: i64,
        now: &str,
        households: &[(Assessed<'_>, &FlatRow)],
    ) -> Result<(), RegistryError> {
        let communes: BTreeSet<UnitId> = households.iter().map(|(h, _)| h.commune_id).collect();
        for commune in communes {
            if crate::review::locked_in(tx, commune, year).await? {
                return Err(locked_year(year));
            }
        }
        let backend = crate::db::Backend::of(tx);
        let survey_ids = crate::bulk::reserve_ids(tx, backend, "surveys", households.len()).await?;
        let facts: Vec<(serde_json::Value, standard::Classification, Vec<&str>)> = households
            .iter()
            .map(|(_, r)| {
                let answers = r.answers(file, standard);
                let c = standard.classify_household(
                    r.area,
                    r.income_per_capita,
                    r.deprivations,
                    r.livelihood,
                );
                let codes: Vec<&str> = c.deprived_codes(standard).collect();
                (answers, c, codes)
            })
            .collect();
        let surveys: Vec<(i64, HouseholdId, String)> = survey_ids
            .iter()
            .zip(households)
            .zip(&facts)
            .map(|((id, (h, _)), (answers, _, _))| (*id, h.id, answers.to_string()))
            .collect();
        let ids: Vec<HouseholdId> = households.iter().map(|(h, _)| h.id).collect();
        let provinces = crate::provinces::of_households(tx, &ids).await?;
        crate::bulk::insert_rows(
            tx,
            backend,
            "surveys",
            &[
                "id",
                "household_id",
                "year",
                "answers",
                "created_at",
                "created_by",
                "province_id",
            ],
            &surveys,
            |q, (id, household, answers)| {
                q.bind(*id)
                    .bind(*household)
                    .bind(year)
                    .bind(answers)
                    .bind(now)
                    .bind(&actor.name)
                    .bind(provinces.get(household).copied())
            },
        )
        .await?;
        let reasons: Vec<String> = facts
            .iter()
            .map(|(_, c, _)| c.reason(standard).code.clone())
            .collect();
        let rows: Vec<AssessmentRow<'_>> = households
            .iter()
            .zip(&facts)
            .zip(&survey_ids)
            .zip(&reasons)
            .map(|((((h, r), (_, c, deprived)), survey), reason)| AssessmentRow {
                household_id: h.id,
                year,
                standard_id: &standard.id,
                official: true,
                status: c.status.code(),
                deprived,
                score: c.score,
                reason,
                inputs: json!({"area": r.area.code(), "income_per_capita": r.income_per_capita, "deprived": deprived}).to_string(),
                survey_id: Some(*survey),
            })
            .collect();
        insert_assessments(tx, &rows).await?;
        let mut counts: BTreeMap<(UnitId, &str), i64> = BTreeMap::new();
        for ((h, _), (_, c, _)) in households.iter().zip(&facts) {
            *counts.entry((h.commune_id, c.status.code())).or_default() += 1;
        }
        crate::counts::officials_added(tx, year, &counts).await?;
        // Created by this import: no members and no other year yet.
        let mut tallies = BTreeMap::new();
        for ((h, r), (_, c, deprived)) in households.iter().zip(&facts) {
            let history = crate::tallies::History {
                commune_id: h.commune_id,
                years: BTreeMap::from([(
                    year,
                    crate::tallies::Official {
                        status: c.status,
                        deprived: deprived.iter().map(|d| d.to_string()).collect(),
                        score: Some(crate::tallies::Scored {
                            standard: standard.id.clone(),
                            area: r.area,
                            points: c.score.points,
                        }),
                    },
                )]),
                members: Vec::new(),
                deliveries: Vec::new(),
            };
            crate::tallies::tallies(&history, &mut tallies);
        }
        crate::tallies::add_tallies(tx, &tallies).await?;
        let entries: Vec<AuditRow> = households
            .iter()
            .zip(&facts)
            .map(|((h, _), (_, c, deprived))| AuditRow {
                entity_id: h.code.to_string(),
                unit_id: Some(h.commune_id),
                changes: json!({"year": year, "standard": standard.id, "status": [None::<&str>, c.status.code()], "deprived": deprived}),
            })
            .collect();
        audit_many(tx, actor, Action::Assess, Entity::Household, &entries).await
    }

    /// Replaces the official assessment of a household for a year.
    pub(crate) async fn record_assessment(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        household: &Assessed<'_>,
        facts: &Facts<'_>,
    ) -> Result<(), RegistryError> {
        let Assessed {
            id: household_id,
            code: household_code,
            commune_id: unit_id,
        } = *household;
        let Facts {
            year,
            standard,
            area,
            income,
            deprivations,
            livelihood,
            survey_id,
            inputs,
        } = *facts;
        // One write of a household at a time: on PostgreSQL this takes the
        // row's lock (SQLite writes one at a time anyway), so two surveys of
        // the same household cannot both replace its assessment.
        if self.db.backend() == crate::db::Backend::Postgres {
            sqlx::query("SELECT id FROM households WHERE id = $1 FOR UPDATE")
                .bind(household_id)
                .fetch_optional(&mut **tx)
                .await?;
        }
        if crate::review::locked_in(tx, unit_id, year).await? {
            return Err(locked_year(year));
        }
        let tallied = Tallied::before(tx, &[household_id]).await?;
        let c = standard.classify_household(area, income, deprivations, livelihood);
        let deprived: Vec<&str> = c.deprived_codes(standard).collect();
        let old: Option<String> = sqlx::query_scalar(
            "SELECT status FROM assessments WHERE household_id = $1 AND year = $2 AND official = 1",
        )
        .bind(household_id)
        .bind(year)
        .fetch_optional(&mut **tx)
        .await?;
        sqlx::query(
            "DELETE FROM assessments WHERE household_id = $1 AND year = $2 AND official = 1",
        )
        .bind(household_id)
        .bind(year)
        .execute(&mut **tx)
        .await?;
        insert_assessment(
            tx,
            &AssessmentRow {
                household_id,
                year,
                standard_id: &standard.id,
                official: true,
                status: c.status.code(),
                deprived: &deprived,
                score: c.score,
                reason: &c.reason(standard).code,
                // What the classification used; a survey's full answers stay
                // with the survey (survey_id), not copied here.
                inputs: match survey_id {
                    Some(_) => json!({"area": area.code(), "income_per_capita": income, "deprived": deprived}).to_string(),
                    None => inputs.to_string(),
                },
                survey_id,
            },
        )
        .await?;
        crate::counts::official_changed(
            tx,
            household_id,
            year,
            old.as_deref(),
            Some(c.status.code()),
        )
        .await?;
        tallied.changed(tx).await?;
        crate::review::surveyed_again(tx, household_id, year).await?;
        audit(
            tx,
            actor,
            Action::Assess,
            Entity::Household,
            household_code,
            Some(unit_id),
            json!({"year": year, "standard": standard.id, "status": [old, c.status.code()], "deprived": deprived}),
        )
        .await?;
        Ok(())
    }

    /// Creates a household (with its head's name, for lists and search).
    pub async fn create_household(
        &self,
        actor: &Actor,
        new: &NewHousehold,
    ) -> Result<HouseholdId, RegistryError> {
        let commune = self
            .unit_by_code(&new.commune_code)
            .await?
            .filter(|u| u.level == crate::units::Level::Commune)
            .ok_or_else(|| RegistryError::NotFound(format!("xã \"{}\"", new.commune_code)))?;
        self.check_write(actor, commune.id).await?;
        let code = crate::limits::required("mã hộ", &new.code, crate::limits::SHORT_TEXT);
        let fields = check_household_fields(&new.head_name, &new.address, &new.phone);
        let (code, (head_name, address, phone)) = match (code, fields) {
            (Ok(c), Ok(f)) => (c, f),
            (c, f) => {
                let mut problems: Vec<String> = c.err().into_iter().collect();
                if let Err(RegistryError::Invalid(p)) = f {
                    problems.extend(p);
                }
                return Err(RegistryError::Invalid(problems));
            }
        };
        let village_id = match &new.village_code {
            None => None,
            Some(code) => Some(
                self.unit_by_code(code)
                    .await?
                    .filter(|u| u.parent_id == Some(commune.id))
                    .ok_or_else(|| {
                        RegistryError::NotFound(format!(
                            "thôn \"{code}\" của xã \"{}\"",
                            new.commune_code
                        ))
                    })?
                    .id,
            ),
        };
        let new = NewHousehold {
            code,
            head_name,
            address,
            phone,
            ..new.clone()
        };
        let mut tx = self.db.write().await?;
        let taken: Option<String> =
            sqlx::query_scalar("SELECT head_name FROM households WHERE code = $1")
                .bind(&new.code)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(head) = taken {
            return Err(RegistryError::Conflict(format!(
                "mã hộ \"{}\" đã có (hộ {head}); chọn mã khác",
                new.code
            )));
        }
        let id =
            insert_household(&mut tx, actor, commune.id, village_id, &new, Some(&today())).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a household's head, address, phone and village (in its commune).
    pub async fn update_household(
        &self,
        actor: &Actor,
        id: HouseholdId,
        wanted: &NewHousehold,
    ) -> Result<bool, RegistryError> {
        let row: Option<(String, UnitId, Option<UnitId>, String, String, String)> = sqlx::query_as(
            "SELECT code, commune_id, village_id, head_name, address, phone FROM households WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let (code, commune, village, head_name, address, phone) =
            row.ok_or_else(|| RegistryError::NotFound(format!("hộ số {id}")))?;
        self.writable_household(actor, id).await?;
        let (head_name_new, address_new, phone_new) =
            check_household_fields(&wanted.head_name, &wanted.address, &wanted.phone)?;
        let village_id = match wanted.village_code.as_deref().filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(
                self.unit_by_code(v)
                    .await?
                    .filter(|u| u.parent_id == Some(commune))
                    .ok_or_else(|| RegistryError::NotFound(format!("thôn \"{v}\" của xã này")))?
                    .id,
            ),
        };
        let current = HouseholdFields {
            village_id: village,
            head_name,
            address,
            phone,
        };
        let fields = HouseholdFields {
            village_id,
            head_name: head_name_new,
            address: address_new,
            phone: phone_new,
        };
        let mut tx = self.db.write().await?;
        let changed = update_household_tx(
            &mut tx,
            actor,
            id,
            &code,
            (commune, commune),
            &current,
            &fields,
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Creates many households in one transaction (imports, demo data).
    pub async fn create_households(
        &self,
        actor: &Actor,
        new: &[NewHousehold],
    ) -> Result<usize, RegistryError> {
        let units = self.units().await?;
        let communes: HashMap<&str, UnitId> = units
            .iter()
            .filter(|u| u.level == crate::units::Level::Commune)
            .map(|u| (u.code.as_str(), u.id))
            .collect();
        let villages: HashMap<&str, (UnitId, Option<UnitId>)> = units
            .iter()
            .filter(|u| u.level == crate::units::Level::Village)
            .map(|u| (u.code.as_str(), (u.id, u.parent_id)))
            .collect();
        let mut checked = BTreeSet::new();
        let mut tx = self.db.write().await?;
        for h in new {
            let commune = *communes
                .get(h.commune_code.as_str())
                .ok_or_else(|| RegistryError::NotFound(format!("xã \"{}\"", h.commune_code)))?;
            if checked.insert(commune) {
                self.check_write(actor, commune).await?;
            }
            let village = match &h.village_code {
                None => None,
                Some(code) => match villages.get(code.as_str()) {
                    Some(&(id, parent)) if parent == Some(commune) => Some(id),
                    _ => {
                        return Err(RegistryError::NotFound(format!(
                            "thôn \"{code}\" của xã \"{}\"",
                            h.commune_code
                        )));
                    }
                },
            };
            insert_household(&mut tx, actor, commune, village, h, Some(&today())).await?;
        }
        tx.commit().await?;
        Ok(new.len())
    }

    /// Adds a member to a household, checking the identity number.
    pub async fn add_member(
        &self,
        actor: &Actor,
        household_id: HouseholdId,
        m: &NewMember,
    ) -> Result<MemberId, RegistryError> {
        let household = self.writable_household(actor, household_id).await?;
        let (code, commune_id) = (household.code, household.commune_id);
        let m = check_member(m)?;
        let mut tx = self.db.write().await?;
        if let Some(number) = &m.id_number
            && let Some(holder) = id_number_holder(&mut tx, number).await?
        {
            return Err(RegistryError::Conflict(format!(
                "số CCCD {number} đã là của {holder}; kiểm tra lại, hệ thống không tự gộp"
            )));
        }
        let id = insert_member(&mut tx, actor, household_id, &code, commune_id, &m).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Households whose head or a member has a name beginning with `query`
    /// (case- and diacritic-insensitive), in the actor's scope, for search as
    /// you type. Order: households whose head's full name begins with the
    /// query, then those whose head's given name does, then those with such a
    /// member; within each, by that name in Vietnamese order. Each of the four
    /// is one range of an index read in order, so a page costs the same at a
    /// thousand households or a million.
    pub async fn search_households(
        &self,
        actor: &Actor,
        query: &str,
        limit: i64,
    ) -> Result<Vec<HouseholdSummary>, RegistryError> {
        let key = vntext::search_key(query);
        let upper = format!("{key}\u{10FFFF}");
        let scope = self.scope(actor).await?;
        let Some(unit_filter) = crate::gate::scope_clause(&scope, "h.commune_id") else {
            return Ok(Vec::new());
        };
        if key.is_empty() {
            // Nothing typed yet: the list in official order.
            let sql = format!(
                "SELECT h.id, h.code, h.commune_id, h.village_id, h.head_name, h.address FROM households h \
                 WHERE h.removed_on IS NULL{unit_filter} ORDER BY h.head_sort, h.code LIMIT $1"
            );
            // Only unit ids (integers from the database) are formatted into the SQL.
            return Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?);
        }
        let arms = [
            format!(
                "SELECT h.id FROM households h WHERE h.head_search >= $1 AND h.head_search < $2 AND h.removed_on IS NULL{unit_filter} \
                 ORDER BY h.head_search, h.head_sort, h.id LIMIT $3"
            ),
            format!(
                "SELECT h.id FROM households h WHERE h.head_given_search >= $1 AND h.head_given_search < $2 AND h.removed_on IS NULL{unit_filter} \
                 ORDER BY h.head_given_search, h.head_sort, h.id LIMIT $3"
            ),
            format!(
                "SELECT m.household_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.name_search >= $1 AND m.name_search < $2 AND m.removed_on IS NULL AND h.removed_on IS NULL{unit_filter} \
                 ORDER BY m.name_search, m.name_sort, m.id LIMIT $3"
            ),
            format!(
                "SELECT m.household_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.given_search >= $1 AND m.given_search < $2 AND m.removed_on IS NULL AND h.removed_on IS NULL{unit_filter} \
                 ORDER BY m.given_search, m.name_sort, m.id LIMIT $3"
            ),
        ];
        let mut order: Vec<HouseholdId> = Vec::new();
        for arm in arms {
            if order.len() as i64 >= limit {
                break;
            }
            // Only unit ids (integers from the database) are formatted into the SQL.
            let found: Vec<HouseholdId> = sqlx::query_scalar(sqlx::AssertSqlSafe(arm))
                .bind(&key)
                .bind(&upper)
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?;
            for id in found {
                if !order.contains(&id) && (order.len() as i64) < limit {
                    order.push(id);
                }
            }
        }
        if order.is_empty() {
            return Ok(Vec::new());
        }
        let list = order
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // Only integers from the database are formatted into the SQL.
        let rows: Vec<HouseholdSummary> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, code, commune_id, village_id, head_name, address FROM households WHERE id IN ({list})"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        let mut rows: Vec<Option<HouseholdSummary>> = rows.into_iter().map(Some).collect();
        Ok(order
            .iter()
            .filter_map(|id| {
                rows.iter_mut()
                    .find(|r| r.as_ref().is_some_and(|r| r.id == *id))
                    .and_then(Option::take)
            })
            .collect())
    }

    /// Households of a unit (and what rolled up into it), in list order.
    pub async fn households_of(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<Vec<HouseholdSummary>, RegistryError> {
        let unit = self
            .unit_by_code(unit_code)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        let scope = self.scope(actor).await?;
        if !scope.contains(unit.id) {
            return Err(RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")));
        }
        let units = self
            .list_units(actor, Some(unit_code))
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        // Only unit ids (integers from the database) are formatted into the SQL.
        let sql = format!(
            "SELECT h.id, h.code, h.commune_id, h.village_id, h.head_name, h.address FROM households h \
             WHERE h.removed_on IS NULL{} ORDER BY h.head_sort, h.code",
            units.households_clause()
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.db.pool)
            .await?)
    }

    /// Official statuses by household and year, for the households of a unit.
    pub(crate) async fn official_statuses(
        &self,
        units: &crate::views::ListUnits,
        up_to_year: i64,
    ) -> Result<Vec<(HouseholdId, i64, standard::Status)>, RegistryError> {
        // Only unit ids (integers from the database) are formatted into the SQL.
        let sql = format!(
            "SELECT a.household_id, a.year, a.status FROM households h JOIN assessments a ON a.household_id = h.id \
             WHERE a.official = 1 AND a.year <= $1{}",
            units.households_clause()
        );
        let rows: Vec<(HouseholdId, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(up_to_year)
            .fetch_all(self.db.reports())
            .await?;
        rows.into_iter()
            .map(|(h, y, s)| {
                standard::Status::try_from(s)
                    .map(|s| (h, y, s))
                    .map_err(|e| RegistryError::Invalid(vec![e]))
            })
            .collect()
    }
}

/// Today's date as stored (UTC), the registration date of a household
/// entered now.
pub(crate) fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// One row of `assessments`.
pub(crate) struct AssessmentRow<'a> {
    pub household_id: HouseholdId,
    pub year: i64,
    pub standard_id: &'a str,
    /// The official assessment of the year, or a what-if beside it.
    pub official: bool,
    pub status: &'a str,
    pub deprived: &'a [&'a str],
    pub score: standard::Score,
    pub reason: &'a str,
    /// The snapshot of what the assessment was computed from (JSON).
    pub inputs: String,
    pub survey_id: Option<i64>,
}

/// A year whose review the commune has reported or closed.
fn locked_year(year: i64) -> RegistryError {
    RegistryError::Forbidden(format!(
        "đợt rà soát năm {year} của xã đã báo cáo cấp trên hoặc đã đóng; cấp trên của xã (huyện, hoặc tỉnh từ 01/07/2025) trả lại hoặc mở lại đợt trước khi sửa kết quả"
    ))
}

/// Inserts an assessment in the caller's transaction.
pub(crate) async fn insert_assessment(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    row: &AssessmentRow<'_>,
) -> Result<(), RegistryError> {
    insert_assessments(tx, std::slice::from_ref(row)).await
}

/// The columns an assessment is written with, in the order bulk writes
/// bind them.
pub(crate) const ASSESSMENT_COLUMNS: &[&str] = &[
    "household_id",
    "year",
    "standard_id",
    "official",
    "status",
    "deprivation_count",
    "deprived",
    "score_points",
    "score_denominator",
    "reason",
    "inputs",
    "survey_id",
    "created_at",
    "province_id",
    "head_sort",
];

/// Inserts assessments in the caller's transaction, a few thousand rows
/// per statement.
pub(crate) async fn insert_assessments(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    rows: &[AssessmentRow<'_>],
) -> Result<(), RegistryError> {
    let now = crate::now();
    let backend = crate::db::Backend::of(tx);
    let households: Vec<HouseholdId> = rows.iter().map(|r| r.household_id).collect();
    let heads = crate::provinces::heads_of(tx, &households).await?;
    for row in rows {
        crate::provinces::province(&heads, row.household_id)?;
    }
    crate::bulk::insert_rows(
        tx,
        backend,
        "assessments",
        ASSESSMENT_COLUMNS,
        rows,
        |q, row| {
            q.bind(row.household_id)
                .bind(row.year)
                .bind(row.standard_id)
                .bind(i64::from(row.official))
                .bind(row.status)
                .bind(row.deprived.len() as i64)
                .bind(row.deprived.join(";"))
                .bind(i64::from(row.score.points))
                .bind(i64::from(row.score.denominator))
                .bind(row.reason)
                .bind(&row.inputs)
                .bind(row.survey_id)
                .bind(&now)
                .bind(heads.get(&row.household_id).map(|(p, _)| *p))
                .bind(heads.get(&row.household_id).map(|(_, sort)| sort.as_str()))
        },
    )
    .await
}

/// The fields of a household a form or a sheet can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFields {
    pub village_id: Option<UnitId>,
    pub head_name: String,
    pub address: String,
    pub phone: String,
}

/// What an update of a household changes, field by field as its audit row
/// says it (the wanted text in NFC, the phone trimmed); none if nothing.
/// `communes` is (current, wanted).
pub(crate) fn household_changes(
    communes: (UnitId, UnitId),
    current: &HouseholdFields,
    wanted: &HouseholdFields,
) -> Option<serde_json::Value> {
    let before = json!({"commune_id": communes.0, "village_id": current.village_id, "head_name": current.head_name, "address": current.address, "phone": current.phone});
    let after = json!({"commune_id": communes.1, "village_id": wanted.village_id, "head_name": vntext::nfc(&wanted.head_name), "address": vntext::nfc(&wanted.address), "phone": wanted.phone.trim()});
    let changes = diff(&before, &after);
    changes
        .as_object()
        .is_some_and(|c| !c.is_empty())
        .then_some(changes)
}

/// Updates a household if anything changed, with the field-level audit row,
/// in the caller's transaction. `communes` is (current, wanted). Returns
/// whether anything changed.
pub(crate) async fn update_household_tx(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    id: HouseholdId,
    code: &str,
    communes: (UnitId, UnitId),
    current: &HouseholdFields,
    wanted: &HouseholdFields,
) -> Result<bool, RegistryError> {
    let Some(changes) = household_changes(communes, current, wanted) else {
        return Ok(false);
    };
    // The values written, as `household_changes` compared them.
    let head = vntext::nfc(&wanted.head_name);
    let (address, phone) = (
        vntext::nfc(&wanted.address),
        wanted.phone.trim().to_string(),
    );
    crate::counts::household_moved(tx, id, communes.0, communes.1).await?;
    sqlx::query(
        "UPDATE households SET commune_id = $1, village_id = $2, head_name = $3, head_search = $4, head_given_search = $5, head_sort = $6, address = $7, phone = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(communes.1)
    .bind(wanted.village_id)
    .bind(&head)
    .bind(vntext::search_key(&head))
    .bind(vntext::search_key(vntext::given_name(&head)))
    .bind(vntext::name_sort_key(&head))
    .bind(&address)
    .bind(&phone)
    .bind(crate::now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if head != current.head_name {
        // The assessments' copy of the sort key, read by the lists.
        sqlx::query("UPDATE assessments SET head_sort = $1 WHERE household_id = $2")
            .bind(vntext::name_sort_key(&head))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    if communes.0 != communes.1 {
        crate::provinces::household_moved(tx, id, communes.1).await?;
    }
    audit(
        tx,
        actor,
        Action::Update,
        Entity::Household,
        code,
        Some(communes.1),
        changes,
    )
    .await?;
    Ok(true)
}

/// Inserts a household, with its audit row, in the caller's transaction.
pub(crate) async fn insert_household(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    commune_id: UnitId,
    village_id: Option<UnitId>,
    new: &NewHousehold,
    registered_on: Option<&str>,
) -> Result<HouseholdId, RegistryError> {
    let row = HouseholdInsert {
        commune_id,
        village_id,
        new,
    };
    let ids = insert_households(tx, actor, &[row], registered_on).await?;
    Ok(ids[0])
}

/// The columns a new household is written with, in the order bulk writes
/// bind them.
pub(crate) const HOUSEHOLD_COLUMNS: &[&str] = &[
    "id",
    "code",
    "commune_id",
    "village_id",
    "address",
    "head_name",
    "head_search",
    "head_given_search",
    "head_sort",
    "phone",
    "created_at",
    "updated_at",
    "registered_on",
    "first_year",
    "province_id",
];

/// A new household and where it is, for [`insert_households`].
pub(crate) struct HouseholdInsert<'a> {
    pub commune_id: UnitId,
    pub village_id: Option<UnitId>,
    pub new: &'a NewHousehold,
}

/// Inserts households, with an audit row each and their kept spans, in the
/// caller's transaction, a few thousand rows per statement; their ids in
/// the order given.
pub(crate) async fn insert_households(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    rows: &[HouseholdInsert<'_>],
    registered_on: Option<&str>,
) -> Result<Vec<HouseholdId>, RegistryError> {
    let backend = crate::db::Backend::of(tx);
    let ids: Vec<HouseholdId> = crate::bulk::reserve_ids(tx, backend, "households", rows.len())
        .await?
        .into_iter()
        .map(HouseholdId::new)
        .collect();
    let now = crate::now();
    let first_year = registered_on.and_then(|d| d.get(..4)?.parse::<i64>().ok());
    let heads: Vec<String> = rows.iter().map(|r| vntext::nfc(&r.new.head_name)).collect();
    let communes: Vec<UnitId> = rows.iter().map(|r| r.commune_id).collect();
    let provinces = crate::provinces::roots_of(tx, &communes).await?;
    let written: Vec<(HouseholdId, &HouseholdInsert<'_>, &str)> = ids
        .iter()
        .zip(rows)
        .zip(&heads)
        .map(|((id, r), head)| (*id, r, head.as_str()))
        .collect();
    crate::bulk::insert_rows(
        tx,
        backend,
        "households",
        HOUSEHOLD_COLUMNS,
        &written,
        |q, (id, r, head)| {
            q.bind(*id)
                .bind(vntext::nfc(&r.new.code))
                .bind(r.commune_id)
                .bind(r.village_id)
                .bind(vntext::nfc(&r.new.address))
                .bind(*head)
                .bind(vntext::search_key(head))
                .bind(vntext::search_key(vntext::given_name(head)))
                .bind(vntext::name_sort_key(head))
                .bind(r.new.phone.trim())
                .bind(&now)
                .bind(&now)
                .bind(registered_on)
                .bind(first_year)
                .bind(provinces.get(&r.commune_id).copied())
        },
    )
    .await?;
    let mut spans: BTreeMap<UnitId, i64> = BTreeMap::new();
    for r in rows {
        *spans.entry(r.commune_id).or_default() += 1;
    }
    let spans: Vec<(crate::counts::Span, i64)> = spans
        .into_iter()
        .map(|(commune_id, n)| {
            let span = crate::counts::Span {
                commune_id,
                first_year,
                removed_on: String::new(),
            };
            (span, n)
        })
        .collect();
    crate::counts::add_spans(tx, &spans).await?;
    let entries: Vec<AuditRow> = written
        .iter()
        .map(|(_, r, head)| AuditRow {
            entity_id: r.new.code.clone(),
            unit_id: Some(r.commune_id),
            changes: json!({"commune": r.new.commune_code, "village": r.new.village_code, "head_name": head, "address": r.new.address, "phone": r.new.phone}),
        })
        .collect();
    audit_many(tx, actor, Action::Create, Entity::Household, &entries).await?;
    Ok(ids)
}

/// Inserts a member, with its audit row, in the caller's transaction.
pub(crate) async fn insert_member(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    household_id: HouseholdId,
    household_code: &str,
    commune_id: UnitId,
    m: &CheckedMember,
) -> Result<MemberId, RegistryError> {
    let row = MemberInsert {
        household_id,
        household_code,
        commune_id,
        member: m,
    };
    let ids = insert_members(tx, actor, &[row]).await?;
    Ok(ids[0])
}

/// A new member and their household, for [`insert_members`].
pub(crate) struct MemberInsert<'a> {
    pub household_id: HouseholdId,
    pub household_code: &'a str,
    pub commune_id: UnitId,
    pub member: &'a CheckedMember,
}

/// Inserts members, with an audit row each, in the caller's transaction, a
/// few thousand rows per statement; their ids in the order given.
pub(crate) async fn insert_members(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    rows: &[MemberInsert<'_>],
) -> Result<Vec<MemberId>, RegistryError> {
    let backend = crate::db::Backend::of(tx);
    // Members change their household's groups, so its tallies.
    let households: Vec<HouseholdId> = rows
        .iter()
        .map(|r| r.household_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let tallied = Tallied::before(tx, &households).await?;
    let provinces = crate::provinces::of_households(tx, &households).await?;
    for h in &households {
        crate::provinces::province(&provinces, *h)?;
    }
    let ids: Vec<MemberId> = crate::bulk::reserve_ids(tx, backend, "members", rows.len())
        .await?
        .into_iter()
        .map(MemberId::new)
        .collect();
    let names: Vec<String> = rows
        .iter()
        .map(|r| vntext::nfc(&r.member.full_name))
        .collect();
    let written: Vec<(MemberId, &MemberInsert<'_>, &str)> = ids
        .iter()
        .zip(rows)
        .zip(&names)
        .map(|((id, r), name)| (*id, r, name.as_str()))
        .collect();
    crate::bulk::insert_rows(
        tx,
        backend,
        "members",
        &[
            "id",
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
        &written,
        |q, (id, r, name)| {
            let m = r.member;
            q.bind(*id)
                .bind(r.household_id)
                .bind(*name)
                .bind(vntext::search_key(name))
                .bind(vntext::search_key(vntext::given_name(name)))
                .bind(vntext::name_sort_key(name))
                .bind(&m.sex)
                .bind(m.birth.map(|d| d.format("%Y-%m-%d").to_string()))
                .bind(m.id_number.as_ref().map(IdNumber::as_str))
                .bind(vntext::nfc(&m.relation))
                .bind(vntext::nfc(&m.ethnicity))
                .bind(i64::from(m.disability))
                .bind(i64::from(m.no_working_capacity))
                .bind(i64::from(m.merit))
                .bind(i64::from(m.social_protection))
                .bind(provinces.get(&r.household_id).copied())
        },
    )
    .await?;
    let entries: Vec<AuditRow> = written
        .iter()
        .map(|(id, r, name)| AuditRow {
            entity_id: format!("{}/{id}", r.household_code),
            unit_id: Some(r.commune_id),
            changes: json!({
                "full_name": name,
                "id_number": r.member.id_number.as_ref().map(IdNumber::as_str),
                "birth_date": r.member.birth.map(vntext::format_date),
            }),
        })
        .collect();
    audit_many(tx, actor, Action::Create, Entity::Member, &entries).await?;
    tallied.changed(tx).await?;
    Ok(ids)
}
