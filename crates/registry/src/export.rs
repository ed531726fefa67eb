//! Lists out of the registry: households of a unit with their official
//! assessment of a year, as an xlsx sheet with Vietnamese headers. Every
//! export is checked against the actor's scope and recorded in the audit log.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::{HouseholdId, ReviewYear};
use serde_json::json;
use std::path::Path;

/// One household of an exported list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ListRow {
    pub id: HouseholdId,
    pub code: String,
    pub head_name: String,
    pub village: Option<String>,
    pub address: String,
    #[sqlx(try_from = "crate::values::StatusText")]
    pub status: Option<standard::Status>,
    pub deprivation_count: Option<i64>,
    pub deprived: Option<String>,
    pub standard_id: Option<String>,
}

/// One member of an exported list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberListRow {
    pub household_code: String,
    pub full_name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub relation: String,
    pub ethnicity: String,
}

/// A member read with its household's id.
#[derive(sqlx::FromRow)]
struct MemberOf {
    household_id: HouseholdId,
    #[sqlx(flatten)]
    member: MemberListRow,
}

/// The headers of the member sheet, which the import reads back.
pub const MEMBER_HEADERS: [&str; 7] = [
    "Mã hộ",
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Số CCCD",
    "Quan hệ với chủ hộ",
    "Dân tộc",
];

/// The headers of the household list, as district sheets write them.
pub const LIST_HEADERS: [&str; 8] = [
    "Mã hộ",
    "Họ và tên chủ hộ",
    "Thôn/Xóm",
    "Địa chỉ",
    "Phân loại",
    "Số chỉ số thiếu hụt",
    "Các chỉ số thiếu hụt",
    "Chuẩn áp dụng",
];

/// A status as a list cell writes it: "Hộ nghèo".
pub(crate) fn status_name(code: &str) -> String {
    let name = standard::Status::ALL
        .into_iter()
        .find(|s| s.code() == code)
        .map_or(code, |s| s.name(standard::Language::Vi));
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl Registry {
    /// The households of a unit with their official assessment of `year`.
    pub async fn household_list(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
    ) -> Result<Vec<ListRow>, RegistryError> {
        self.household_rows(actor, unit_code, year, false).await
    }

    /// The list's rows; with `only_deprived`, only households deprived in
    /// something that year (what the gap finder reads).
    pub(crate) async fn household_rows(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: i64,
        only_deprived: bool,
    ) -> Result<Vec<ListRow>, RegistryError> {
        let unit = self
            .unit_by_code(unit_code)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        self.require_in_scope(actor, unit.id, || format!("đơn vị \"{unit_code}\""))
            .await?;
        let units = self
            .list_units(actor, Some(unit_code))
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        // The unit's households by its communes (or villages), in the
        // official order: a commune's are read in order from its index.
        let sql = format!(
            "SELECT h.id, h.code, h.head_name, v.name AS village, h.address, a.status, a.deprivation_count, a.deprived, a.standard_id \
             FROM households h LEFT JOIN units v ON v.id = h.village_id \
             LEFT JOIN assessments a ON a.household_id = h.id AND a.year = $1 AND a.official = 1 \
             WHERE h.removed_on IS NULL{}{} ORDER BY h.head_sort, h.code",
            units.households_clause(),
            if only_deprived {
                " AND a.deprivation_count > 0"
            } else {
                ""
            }
        );
        // Only unit ids (integers from the database) are formatted into the SQL.
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(year)
            .fetch_all(self.db.reports())
            .await?)
    }

    /// The list of a unit for a year as an xlsx workbook (households, then
    /// members), and the number of households. Identity numbers are masked
    /// unless `full_id_numbers`, which needs a role whose work needs them.
    /// The export is recorded in the audit log, with which kind of numbers
    /// it held.
    pub async fn export_list(
        &self,
        actor: &Actor,
        unit_code: &str,
        year: ReviewYear,
        full_id_numbers: bool,
    ) -> Result<(Vec<u8>, usize), RegistryError> {
        let year = year.as_i64();
        actor.require(Capability::SeeNames)?;
        if full_id_numbers && !actor.may(Capability::SeeIdNumbers) {
            return Err(RegistryError::Forbidden(
                "vai trò này chỉ xuất được số định danh đã che".into(),
            ));
        }
        let rows = self.household_list(actor, unit_code, year).await?;
        let unit = self
            .unit_by_code(unit_code)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("đơn vị \"{unit_code}\"")))?;
        // The members of those households, by household (found by the
        // members' index), put in the households' order here.
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let mut by_household: std::collections::HashMap<HouseholdId, Vec<MemberListRow>> =
            std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            // Only household ids (integers from the database) are formatted into the SQL.
            let found: Vec<(HouseholdId, MemberListRow)> = sqlx::query_as::<_, MemberOf>(
                sqlx::AssertSqlSafe(format!(
                    "SELECT m.household_id, '' AS household_code, m.full_name, m.sex, m.birth_date, m.id_number, m.relation, m.ethnicity \
                     FROM members m WHERE m.household_id IN ({}) AND m.removed_on IS NULL ORDER BY m.household_id, m.id",
                    chunk.join(",")
                )),
            )
            .fetch_all(self.db.reports())
            .await?
            .into_iter()
            .map(|m| (m.household_id, m.member))
            .collect();
            for (household, member) in found {
                by_household.entry(household).or_default().push(member);
            }
        }
        let mut members: Vec<MemberListRow> = Vec::new();
        for row in &rows {
            for mut member in by_household.remove(&row.id).unwrap_or_default() {
                member.household_code = row.code.clone();
                members.push(member);
            }
        }
        if !full_id_numbers {
            for m in &mut members {
                m.id_number = m.id_number.as_deref().map(crate::views::mask_id_number);
            }
        }
        let bytes = list_workbook(
            &format!("Danh sách hộ – {} – năm {year}", unit.name),
            &rows,
            &members,
        )?;
        let mut tx = self.db.write().await?;
        audit(
            &mut tx,
            actor,
            Action::Export,
            Entity::Unit,
            unit_code,
            Some(unit.id),
            json!({"year": year, "rows": rows.len(), "id_numbers": if full_id_numbers { "full" } else { "masked" }}),
        )
        .await?;
        tx.commit().await?;
        Ok((bytes, rows.len()))
    }
}

/// The names of indicator codes under a standard, in Vietnamese (the codes
/// themselves if the standard is not a shipped one).
fn indicator_names(standard_id: Option<&str>, codes: &str) -> String {
    static CATALOGUE: std::sync::OnceLock<Option<standard::Catalogue>> = std::sync::OnceLock::new();
    let catalogue = CATALOGUE.get_or_init(|| standard::Catalogue::builtin().ok());
    let standard = standard_id.and_then(|id| catalogue.as_ref()?.get(id));
    codes
        .split(';')
        .filter(|c| !c.is_empty())
        .map(|c| {
            standard
                .and_then(|s| {
                    s.indicator_index(c)
                        .map(|i| s.indicators[i].name.get(standard::Language::Vi).to_string())
                })
                .unwrap_or_else(|| c.to_string())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes an export to a file: beside the target first, renamed when whole,
/// so a failed export leaves nothing.
pub fn write_file(out: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let io = |source| RegistryError::Io {
        file: out.display().to_string(),
        source,
    };
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".giamngheo-")
        .suffix(".xlsx")
        .tempfile_in(dir)
        .map_err(io)?;
    std::io::Write::write_all(&mut temp, bytes).map_err(io)?;
    temp.persist(out).map_err(|err| io(err.error))?;
    Ok(())
}

/// A household sheet (a title, the headers, the rows) and a member sheet,
/// as xlsx bytes (`report::xlsx`). The import reads both back.
pub fn list_workbook(
    title: &str,
    rows: &[ListRow],
    members: &[MemberListRow],
) -> Result<Vec<u8>, RegistryError> {
    use report::{Cell, Column, Kind, Report, Section};
    let text = |s: &str| Cell::text(s);
    let households = Report {
        title: title.to_string(),
        sheet: "Hộ".into(),
        columns: LIST_HEADERS
            .iter()
            .map(|h| {
                let kind = if *h == "Số chỉ số thiếu hụt" {
                    Kind::Count
                } else {
                    Kind::Text
                };
                Column::new(*h, kind)
            })
            .collect(),
        sections: vec![Section {
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        text(&r.code),
                        text(&r.head_name),
                        text(r.village.as_deref().unwrap_or("")),
                        text(&r.address),
                        Cell::Text(
                            r.status
                                .map(|s| status_name(s.code()))
                                .unwrap_or_else(|| "Chưa rà soát".into()),
                        ),
                        r.deprivation_count.map_or(Cell::Empty, Cell::Number),
                        Cell::Text(indicator_names(
                            r.standard_id.as_deref(),
                            r.deprived.as_deref().unwrap_or(""),
                        )),
                        text(r.standard_id.as_deref().unwrap_or("")),
                    ]
                })
                .collect(),
            ..Section::default()
        }],
        ..Report::default()
    };
    let members = Report {
        title: format!("Thành viên – {title}"),
        sheet: "Thành viên".into(),
        columns: MEMBER_HEADERS
            .iter()
            .map(|h| Column::new(*h, Kind::Text))
            .collect(),
        sections: vec![Section {
            rows: members
                .iter()
                .map(|m| {
                    let sex = match m.sex.as_deref() {
                        Some("male") => "Nam",
                        Some("female") => "Nữ",
                        _ => "",
                    };
                    let birth = m
                        .birth_date
                        .as_deref()
                        .and_then(vntext::parse_date)
                        .map(vntext::format_date)
                        .unwrap_or_default();
                    vec![
                        text(&m.household_code),
                        text(&m.full_name),
                        text(sex),
                        Cell::Text(birth),
                        text(m.id_number.as_deref().unwrap_or("")),
                        text(&m.relation),
                        text(&m.ethnicity),
                    ]
                })
                .collect(),
            ..Section::default()
        }],
        ..Report::default()
    };
    report::xlsx(&[households, members]).map_err(|e| RegistryError::Io {
        file: "danh-sach.xlsx".into(),
        source: std::io::Error::other(e.to_string()),
    })
}
