//! Administrative units as dated data: province → (district) → commune →
//! village, 3 tiers before 1 July 2025 and 2 after; merges from a date.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::{UnitCode, UnitId};
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;

/// The level of an administrative unit. Districts exist in history before
/// 1 July 2025; communes then belong to the province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    District,
    Commune,
    Village,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Province,
        Level::District,
        Level::Commune,
        Level::Village,
    ];

    /// The level's code in the units file, the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
            Level::Village => "village",
        }
    }

    pub fn parse(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The level's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Level::Province => "tỉnh",
            Level::District => "huyện",
            Level::Commune => "xã",
            Level::Village => "thôn",
        }
    }

    /// Whether a unit of this level may sit directly under one of `parent`
    /// (a commune under a district before 2025, under the province after).
    pub fn fits_under(self, parent: Level) -> bool {
        matches!(
            (self, parent),
            (Level::District, Level::Province)
                | (Level::Commune, Level::Province | Level::District)
                | (Level::Village, Level::Commune)
        )
    }
}

impl TryFrom<String> for Level {
    type Error = String;

    fn try_from(code: String) -> Result<Level, String> {
        Level::parse(&code).ok_or_else(|| format!("cấp đơn vị không rõ: {code}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub level: Level,
    pub parent_id: Option<UnitId>,
    pub area: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub merged_into_id: Option<UnitId>,
    /// What the units file says of the unit (e.g. that a grouping is
    /// illustrative).
    pub note: Option<String>,
}

impl Unit {
    /// Whether the unit existed on `date` (yyyy-mm-dd).
    pub fn existed_on(&self, date: &str) -> bool {
        self.valid_from.as_deref().is_none_or(|f| f <= date)
            && self.valid_to.as_deref().is_none_or(|t| date <= t)
    }

    /// Whether the unit existed on some day of `year`.
    pub fn existed_in(&self, year: i64) -> bool {
        self.valid_from
            .as_deref()
            .is_none_or(|f| f <= format!("{year}-12-31").as_str())
            && self
                .valid_to
                .as_deref()
                .is_none_or(|t| t >= format!("{year}-01-01").as_str())
    }
}

/// The units `unit_id` was merged into, in order: the one it joined, the
/// one that joined in turn, … (id, name). Empty for a unit never merged.
pub(crate) async fn merged_into_chain(
    conn: &mut sqlx::AnyConnection,
    unit_id: UnitId,
) -> Result<Vec<(UnitId, String)>, RegistryError> {
    let mut chain: Vec<(UnitId, String)> = Vec::new();
    let mut at = unit_id;
    // A chain is short; the bound only guards against a cycle in the data.
    while chain.len() < 16 {
        let next: Option<(UnitId, String)> = sqlx::query_as(
            "SELECT n.id, n.name FROM units u JOIN units n ON n.id = u.merged_into_id WHERE u.id = $1",
        )
        .bind(at)
        .fetch_optional(&mut *conn)
        .await?;
        match next {
            Some((id, name)) if id != unit_id && !chain.iter().any(|(c, _)| *c == id) => {
                at = id;
                chain.push((id, name));
            }
            _ => break,
        }
    }
    Ok(chain)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// What the import did beyond the counts and the officer should know:
    /// codes it generated, columns it read but did not store.
    pub notes: Vec<String>,
}

struct UnitRow {
    line: usize,
    code: UnitCode,
    name: String,
    level: Level,
    parent_code: Option<UnitCode>,
    area: Option<&'static str>,
    valid_from: Option<String>,
    valid_to: Option<String>,
    merged_into: Option<UnitCode>,
    note: Option<String>,
}

/// A commune's area from its type when the file does not say: "Phường" and
/// "Thị trấn" are urban, "Xã" rural.
fn area_from_name(name: &str) -> Option<&'static str> {
    let lower = vntext::search_key(name);
    if lower.starts_with("phuong") || lower.starts_with("thi tran") {
        Some("urban")
    } else if lower.starts_with("xa") {
        Some("rural")
    } else {
        None
    }
}

fn read_units(path: &Path) -> Result<Vec<UnitRow>, RegistryError> {
    let file = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| RegistryError::Io {
            file: file.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            RegistryError::Invalid(vec![format!("{file}: dòng tiêu đề không đọc được: {e}")])
        })?
        .iter()
        .map(|h| vntext::nfc(h.trim_start_matches('\u{feff}')))
        .collect();
    let column = |name: &str| header.iter().position(|h| h == name);
    let mut problems = Vec::new();
    let required = ["code", "name", "level"];
    for name in required {
        if column(name).is_none() {
            problems.push(format!("{file}: thiếu cột \"{name}\" (cần: code, name, level, parent_code, area, valid_from, merged_into, valid_to)"));
        }
    }
    if !problems.is_empty() {
        return Err(RegistryError::Invalid(problems));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{file}, dòng {line}: dòng CSV không hợp lệ: {e}"));
                continue;
            }
        };
        let get = |name: &str| -> Option<String> {
            column(name)
                .and_then(|c| record.get(c))
                .map(vntext::nfc)
                .filter(|v| !v.is_empty())
        };
        let mut bad = |col: &str, problem: String| {
            problems.push(format!("{file}, dòng {line}, cột \"{col}\": {problem}"))
        };
        let Some(code) = get("code") else {
            bad("code", "ô trống; mỗi đơn vị cần một mã".into());
            continue;
        };
        let code = match UnitCode::parse(&code) {
            Ok(c) => c,
            Err(e) => {
                bad("code", e);
                continue;
            }
        };
        let name = get("name").unwrap_or_default();
        if name.is_empty() {
            bad(
                "name",
                "ô trống; ghi tên đơn vị, ví dụ \"Xã Xuân Hội\"".into(),
            );
        }
        let level_text = get("level").unwrap_or_default();
        let Some(level) = Level::parse(&level_text) else {
            bad(
                "level",
                format!(
                    "\"{level_text}\" không hợp lệ; ghi province, district, commune hoặc village"
                ),
            );
            continue;
        };
        let area = match get("area").as_deref() {
            None => None,
            Some("rural") => Some("rural"),
            Some("urban") => Some("urban"),
            Some(other) => {
                bad(
                    "area",
                    format!("\"{other}\" không hợp lệ; ghi rural hoặc urban, hoặc để trống"),
                );
                None
            }
        };
        let mut date = |col: &str| -> Option<String> {
            let text = get(col)?;
            match vntext::parse_date(&text) {
                Some(d) => Some(d.format("%Y-%m-%d").to_string()),
                None => {
                    problems.push(format!("{file}, dòng {line}, cột \"{col}\": \"{text}\" không phải ngày (dd/mm/yyyy)"));
                    None
                }
            }
        };
        let (valid_from, valid_to) = (date("valid_from"), date("valid_to"));
        // A code another row is referred to by: parsed like the row's own.
        let mut code_in = |col: &str| -> Option<UnitCode> {
            match UnitCode::parse(&get(col)?) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(format!("{file}, dòng {line}, cột \"{col}\": {e}"));
                    None
                }
            }
        };
        let parent_code = code_in("parent_code");
        let merged_into = code_in("merged_into");
        if level == Level::Province && parent_code.is_some() {
            problems.push(format!(
                "{file}, dòng {line}, cột \"parent_code\": tỉnh không có đơn vị cấp trên; để trống"
            ));
        }
        if level != Level::Province && parent_code.is_none() {
            problems.push(format!(
                "{file}, dòng {line}, cột \"parent_code\": ô trống; {} cần đơn vị cấp trên",
                level.name()
            ));
        }
        let area = area.or_else(|| {
            if level == Level::Commune {
                area_from_name(&name)
            } else {
                None
            }
        });
        rows.push(UnitRow {
            line,
            code,
            name,
            level,
            parent_code,
            area,
            valid_from,
            valid_to,
            merged_into,
            note: get("note"),
        });
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(RegistryError::Invalid(problems))
    }
}

impl Registry {
    /// Loads a unit list (formats.md "The unit list"). Parents come before
    /// children; a unit already known is updated. All or nothing.
    pub async fn import_units(
        &self,
        actor: &Actor,
        path: &Path,
        dry_run: bool,
    ) -> Result<ImportSummary, RegistryError> {
        actor.require(Capability::Administer)?;
        let rows = read_units(path)?;
        let file = path.display().to_string();
        let existing: Vec<Unit> = sqlx::query_as(
            "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut known: HashMap<String, (Level, Option<UnitId>)> = existing
            .iter()
            .map(|u| (u.code.clone(), (u.level, Some(u.id))))
            .collect();
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            if !seen.insert(row.code.clone()) {
                problems.push(format!(
                    "{file}, dòng {}, cột \"code\": mã \"{}\" lặp lại trong tệp",
                    row.line, row.code
                ));
            }
            if let Some(parent) = &row.parent_code {
                match known.get(parent.as_str()) {
                    None => problems.push(format!(
                        "{file}, dòng {}, cột \"parent_code\": không có đơn vị \"{parent}\" (đơn vị cấp trên phải đứng trước)",
                        row.line
                    )),
                    Some((parent_level, _)) => {
                        if !row.level.fits_under(*parent_level) {
                            problems.push(format!(
                                "{file}, dòng {}, cột \"parent_code\": {} không thể thuộc {} \"{parent}\"",
                                row.line,
                                row.level.name(),
                                parent_level.name()
                            ));
                        }
                    }
                }
            }
            known
                .entry(row.code.to_string())
                .or_insert((row.level, None));
        }
        for row in &rows {
            if let Some(into) = &row.merged_into {
                if !known.contains_key(into.as_str()) {
                    problems.push(format!(
                        "{file}, dòng {}, cột \"merged_into\": không có đơn vị \"{into}\"",
                        row.line
                    ));
                }
                if row.valid_to.is_none() {
                    problems.push(format!(
                        "{file}, dòng {}, cột \"valid_to\": đơn vị đã sáp nhập cần ngày cuối cùng trước khi sáp nhập",
                        row.line
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }

        let mut summary = ImportSummary::default();
        let mut tx = self.db.write().await?;
        let provinces = crate::provinces::UnitsChanging::start(&mut tx).await?;
        let mut ids: HashMap<String, UnitId> =
            existing.iter().map(|u| (u.code.clone(), u.id)).collect();
        let old: HashMap<&str, &Unit> = existing.iter().map(|u| (u.code.as_str(), u)).collect();
        for row in &rows {
            let parent_id = row
                .parent_code
                .as_ref()
                .and_then(|p| ids.get(p.as_str()))
                .copied();
            let values = json!({
                "code": row.code, "name": row.name, "level": row.level, "parent_id": parent_id,
                "area": row.area, "valid_from": row.valid_from, "valid_to": row.valid_to,
                "note": row.note,
            });
            match old.get(row.code.as_str()) {
                Some(unit) => {
                    let before = json!({
                        "code": unit.code, "name": unit.name, "level": unit.level, "parent_id": unit.parent_id,
                        "area": unit.area, "valid_from": unit.valid_from, "valid_to": unit.valid_to,
                        "note": unit.note,
                    });
                    let changes = crate::service::diff(&before, &values);
                    if changes.as_object().is_none_or(|c| c.is_empty()) {
                        summary.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE units SET name = $1, name_search = $2, level = $3, parent_id = $4, area = $5, valid_from = $6, valid_to = $7, note = $8 WHERE id = $9",
                    )
                    .bind(&row.name)
                    .bind(vntext::search_key(&row.name))
                    .bind(row.level.code())
                    .bind(parent_id)
                    .bind(row.area)
                    .bind(&row.valid_from)
                    .bind(&row.valid_to)
                    .bind(&row.note)
                    .bind(unit.id)
                    .execute(&mut *tx)
                    .await?;
                    audit(
                        &mut tx,
                        actor,
                        Action::Update,
                        Entity::Unit,
                        &row.code,
                        Some(unit.id),
                        changes,
                    )
                    .await?;
                    summary.updated += 1;
                }
                None => {
                    let id: UnitId = sqlx::query_scalar(
                        "INSERT INTO units (code, name, name_search, level, parent_id, area, valid_from, valid_to, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(&row.code)
                    .bind(&row.name)
                    .bind(vntext::search_key(&row.name))
                    .bind(row.level.code())
                    .bind(parent_id)
                    .bind(row.area)
                    .bind(&row.valid_from)
                    .bind(&row.valid_to)
                    .bind(&row.note)
                    .fetch_one(&mut *tx)
                    .await?;
                    ids.insert(row.code.to_string(), id);
                    audit(
                        &mut tx,
                        actor,
                        Action::Create,
                        Entity::Unit,
                        &row.code,
                        Some(id),
                        values,
                    )
                    .await?;
                    summary.created += 1;
                }
            }
        }
        for row in rows.iter().filter(|r| r.merged_into.is_some()) {
            let into = row
                .merged_into
                .as_ref()
                .and_then(|c| ids.get(c.as_str()))
                .copied();
            let id = ids[row.code.as_str()];
            let current: Option<UnitId> =
                sqlx::query_scalar("SELECT merged_into_id FROM units WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if current != into {
                sqlx::query("UPDATE units SET merged_into_id = $1 WHERE id = $2")
                    .bind(into)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                audit(
                    &mut tx,
                    actor,
                    Action::Merge,
                    Entity::Unit,
                    &row.code,
                    Some(id),
                    json!({"merged_into": [current, into]}),
                )
                .await?;
            }
        }
        provinces.done(&mut tx).await?;
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
            self.units_changed();
        }
        Ok(summary)
    }

    /// The unit a commune reports its review to on `date` (yyyy-mm-dd): the
    /// nearest unit above it that existed that day. Before 1 July 2025 a
    /// commune's district; after it, the district being abolished, the
    /// province. None for a unit with nothing above it.
    pub async fn approving_unit(
        &self,
        commune_id: UnitId,
        date: &str,
    ) -> Result<Option<Unit>, RegistryError> {
        let mut at = self.unit(commune_id).await?.and_then(|u| u.parent_id);
        // A chain of units is short; the bound only guards against a cycle.
        for _ in 0..16 {
            let Some(unit) = (match at {
                Some(id) => self.unit(id).await?,
                None => None,
            }) else {
                return Ok(None);
            };
            if unit.existed_on(date) {
                return Ok(Some(unit));
            }
            at = unit.parent_id;
        }
        Ok(None)
    }

    /// The communes merged into `unit_id`, directly or through an earlier
    /// merger, oldest last day first: whose history the unit carries.
    pub async fn predecessors(&self, unit_id: UnitId) -> Result<Vec<Unit>, RegistryError> {
        let mut found: Vec<Unit> = Vec::new();
        let mut frontier = vec![unit_id];
        while let Some(at) = frontier.pop() {
            let merged: Vec<Unit> = sqlx::query_as(
                "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units WHERE merged_into_id = $1",
            )
            .bind(at)
            .fetch_all(&self.db.pool)
            .await?;
            for u in merged {
                if u.id != unit_id && !found.iter().any(|f| f.id == u.id) {
                    frontier.push(u.id);
                    found.push(u);
                }
            }
        }
        found.sort_by(|a, b| (&a.valid_to, &a.name).cmp(&(&b.valid_to, &b.name)));
        Ok(found)
    }

    pub async fn unit_by_code(&self, code: &str) -> Result<Option<Unit>, RegistryError> {
        Ok(sqlx::query_as(
            "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// One unit by its id.
    pub async fn unit(&self, id: UnitId) -> Result<Option<Unit>, RegistryError> {
        Ok(sqlx::query_as(
            "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?)
    }

    /// Every unit: for the administrator's pages and imports, never for a
    /// page every user opens (the national table holds some 65,000).
    pub async fn units(&self) -> Result<Vec<Unit>, RegistryError> {
        Ok(sqlx::query_as(
            "SELECT id, code, name, level, parent_id, area, valid_from, valid_to, merged_into_id, note FROM units ORDER BY code",
        )
        .fetch_all(&self.db.pool)
        .await?)
    }
}

/// The unit `id` counts under at the end of `day` (yyyy-mm-dd), among
/// `units` by id: followed through its mergers while each had ended by
/// then (a merger with no end date has), else itself. [`successor`] is the
/// same rule in SQL, for queries that join it to their rows.
pub(crate) fn successor_at<'a>(
    units: &HashMap<UnitId, &'a Unit>,
    id: UnitId,
    day: &str,
) -> Option<&'a Unit> {
    let mut unit: &Unit = units.get(&id)?;
    // A chain of mergers is two or three long; a cycle would be an error
    // in the units file, cut short here.
    for _ in 0..16 {
        match unit.merged_into_id {
            Some(into) if unit.valid_to.as_deref().is_none_or(|to| to < day) => {
                match units.get(&into) {
                    Some(next) => unit = next,
                    None => break,
                }
            }
            _ => break,
        }
    }
    Some(unit)
}

impl Registry {
    /// Each of the communes `ids` with the commune it counts under at the
    /// end of `year` (its code, name and area), from the units kept in
    /// memory: a province's thousands of communes are not read again for
    /// every report.
    pub(crate) async fn reviewers_at(
        &self,
        ids: &std::collections::BTreeSet<UnitId>,
        year: i64,
    ) -> Result<Vec<(UnitId, String, String, Option<String>)>, RegistryError> {
        let units = self.units_above_villages().await?;
        let by_id: HashMap<UnitId, &Unit> = units.iter().map(|u| (u.id, u)).collect();
        let day = format!("{year}-12-31");
        Ok(ids
            .iter()
            .filter_map(|id| {
                let to = successor_at(&by_id, *id, &day)?;
                Some((*id, to.code.clone(), to.name.clone(), to.area.clone()))
            })
            .collect())
    }
}

/// In a query over units `u`, the commune a unit counts under on a day (the
/// bound parameter `day`, yyyy-mm-dd): following its mergers (up to three,
/// as 2019's communes merged in 2020 and again in 2025) while each had
/// ended by then, else itself. `column` is `name` or `code`; join
/// [`SUCCESSOR_JOIN`].
pub(crate) fn successor(column: &str, day: &str) -> String {
    format!(
        "CASE WHEN u.merged_into_id IS NULL OR NOT u.valid_to < {day} THEN u.{column} \
              WHEN m1.merged_into_id IS NULL OR NOT m1.valid_to < {day} THEN m1.{column} \
              WHEN m2.merged_into_id IS NULL OR NOT m2.valid_to < {day} THEN m2.{column} \
              ELSE m3.{column} END"
    )
}

/// The joins [`successor`] reads.
pub(crate) const SUCCESSOR_JOIN: &str = "LEFT JOIN units m1 ON m1.id = u.merged_into_id \
     LEFT JOIN units m2 ON m2.id = m1.merged_into_id LEFT JOIN units m3 ON m3.id = m2.merged_into_id";

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(id: i64, merged_into: Option<i64>, valid_to: Option<&str>) -> Unit {
        Unit {
            id: UnitId::new(id),
            code: format!("{id}"),
            name: format!("Xã {id}"),
            level: Level::Commune,
            parent_id: None,
            area: None,
            valid_from: None,
            valid_to: valid_to.map(str::to_string),
            merged_into_id: merged_into.map(UnitId::new),
            note: None,
        }
    }

    #[test]
    fn a_commune_counts_under_what_it_had_merged_into_by_the_day() {
        // 1 merged into 2 on 31/03/2020, 2 into 3 on 30/06/2025; 4 merged
        // with no end date; 5 and 6 name each other (a broken file).
        let units = [
            commune(1, Some(2), Some("2020-03-31")),
            commune(2, Some(3), Some("2025-06-30")),
            commune(3, None, None),
            commune(4, Some(3), None),
            commune(5, Some(6), Some("2020-01-01")),
            commune(6, Some(5), Some("2020-01-01")),
        ];
        let by_id: HashMap<UnitId, &Unit> = units.iter().map(|u| (u.id, u)).collect();
        let at =
            |id: i64, day: &str| successor_at(&by_id, UnitId::new(id), day).map(|u| u.id.get());
        assert_eq!(at(1, "2019-12-31"), Some(1));
        assert_eq!(
            at(1, "2020-03-31"),
            Some(1),
            "the last day is still its own"
        );
        assert_eq!(at(1, "2020-12-31"), Some(2));
        assert_eq!(at(1, "2025-12-31"), Some(3), "two mergers followed");
        assert_eq!(at(2, "2024-12-31"), Some(2));
        assert_eq!(at(4, "2019-12-31"), Some(3), "no end date: merged");
        assert_eq!(at(3, "2025-12-31"), Some(3));
        assert_eq!(at(7, "2025-12-31"), None, "not a unit");
        assert!(matches!(at(5, "2025-12-31"), Some(5 | 6)), "a cycle ends");
    }
}
