//! Lists out of the registry: households of a unit with their official
//! assessment of a year, as an xlsx sheet with Vietnamese headers. Every
//! export is checked against the actor's scope and recorded in the audit log.

use crate::db::{Backend, decode_error};
use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::values::{HouseholdId, ReviewYear};
use futures_util::TryStreamExt;
use serde_json::json;
use std::path::Path;

/// One household of an exported list (from a row, or from its cells in
/// this order: `Db::fetch_packed_in_order`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Deserialize)]
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
        let (_, units) = self.list_scope(actor, unit_code).await?;
        self.rows_of(&units, year, only_deprived).await
    }

    /// The unit of a list and what it covers, in the actor's scope (a unit
    /// outside it is not found).
    async fn list_scope(
        &self,
        actor: &Actor,
        unit_code: &str,
    ) -> Result<(crate::units::Unit, crate::views::ListUnits), RegistryError> {
        let not_found = || RegistryError::NotFound(format!("đơn vị \"{unit_code}\""));
        let unit = self.unit_by_code(unit_code).await?.ok_or_else(not_found)?;
        self.require_in_scope(actor, unit.id, || format!("đơn vị \"{unit_code}\""))
            .await?;
        let units = self
            .list_units(actor, Some(unit_code))
            .await?
            .ok_or_else(not_found)?;
        Ok((unit, units))
    }

    async fn rows_of(
        &self,
        units: &crate::views::ListUnits,
        year: i64,
        only_deprived: bool,
    ) -> Result<Vec<ListRow>, RegistryError> {
        let deprived = if only_deprived {
            " AND a.deprivation_count > 0"
        } else {
            ""
        };
        let sql = list_sql(&units.households_clause(), ", h.head_sort", deprived);
        // Only unit ids (integers from the database) are formatted into the SQL.
        // A commune's hundreds of rows packed on SQLite, in the list's order.
        self.db
            .fetch_packed_in_order(
                self.db.reports(),
                &sql,
                &LIST_COLUMNS,
                "head_sort, code",
                &[year],
            )
            .await
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
        let (unit, units) = self.list_scope(actor, unit_code).await?;
        let title = format!("Danh sách hộ – {} – năm {year}", unit.name);
        // Households go to the writer, on another thread, a batch at a
        // time while the next are read: one wake-up of its thread per
        // batch, not per household.
        let (send, mut received) = tokio::sync::mpsc::channel::<Batch>(8);
        let writer = tokio::task::spawn_blocking(move || {
            let mut book = ListBook::new(&title)?;
            while let Some(batch) = received.blocking_recv() {
                for (row, members) in &batch {
                    book.household(row, members)?;
                }
            }
            book.finish()
        });
        let reading = Reading {
            year,
            full_id_numbers,
            send,
        };
        let read = match self.db.backend() {
            Backend::Sqlite if units.one_commune() => self.send_packed(&units, reading).await,
            _ => self.send_rows(&units, reading).await,
        };
        // The writer's error, if it stopped on one, is the cause of a
        // failed send: it comes first.
        let (bytes, count) = writer.await.map_err(|e| RegistryError::Io {
            file: "danh-sach.xlsx".into(),
            source: std::io::Error::other(e.to_string()),
        })??;
        read?;
        let mut tx = self.db.write().await?;
        audit(
            &mut tx,
            actor,
            Action::Export,
            Entity::Unit,
            unit_code,
            Some(unit.id),
            json!({"year": year, "rows": count, "id_numbers": if full_id_numbers { "full" } else { "masked" }}),
        )
        .await?;
        tx.commit().await?;
        Ok((bytes, count))
    }

    /// The export's households a row each, with their members as one JSON
    /// array (one row where a row per member would be four or five),
    /// decoded in this task as they arrive.
    async fn send_rows(
        &self,
        units: &crate::views::ListUnits,
        reading: Reading,
    ) -> Result<(), RegistryError> {
        let members = match self.db.backend() {
            Backend::Sqlite => SQLITE_MEMBERS,
            Backend::Postgres => {
                "(SELECT json_agg(json_build_array(m.full_name, m.sex, m.birth_date, m.id_number, m.relation, m.ethnicity) ORDER BY m.id)::text \
                 FROM members m WHERE m.household_id = h.id AND m.province_id = h.province_id AND m.removed_on IS NULL)"
            }
        };
        let sql = list_sql(
            &units.households_clause(),
            &format!(", {members} AS members"),
            "",
        );
        // Only unit ids (integers from the database) are formatted into the SQL.
        let mut rows = sqlx::query_as::<_, WithMembers>(sqlx::AssertSqlSafe(sql))
            .bind(reading.year)
            .fetch(self.db.reports());
        let mut batch: Batch = Vec::with_capacity(BATCH);
        while let Some(WithMembers { row, members }) = rows.try_next().await? {
            let members = match members.as_deref() {
                Some(json) => {
                    serde_json::from_str::<Vec<MemberCells>>(json).map_err(decode_error)?
                }
                None => Vec::new(),
            };
            batch.push(reading.household(row, members));
            if batch.len() == BATCH && !reading.send(&mut batch).await {
                return Ok(());
            }
        }
        reading.send(&mut batch).await;
        Ok(())
    }

    /// The export of one commune on SQLite: a chunk of households at a time
    /// as one JSON text, each with its members, the next chunk after the
    /// last one's place in the list's order. SQLite's driver hands rows
    /// over one at a time from its own thread, a wake-up each. Only one
    /// commune: its index holds its households in name order, so a chunk
    /// reads its own rows; several communes' would be sorted whole for
    /// each chunk.
    async fn send_packed(
        &self,
        units: &crate::views::ListUnits,
        reading: Reading,
    ) -> Result<(), RegistryError> {
        let clause = units.households_clause();
        let columns = format!(", h.head_sort, {SQLITE_MEMBERS} AS members");
        let packed = |rows: &str| {
            format!(
                "SELECT COALESCE(json_group_array(json_array(json_array({}), head_sort, json(members)) ORDER BY head_sort, code), '[]') \
                 FROM ({rows} LIMIT {}) AS packed",
                LIST_COLUMNS.join(", "),
                self.export_chunk,
            )
        };
        // Only unit ids (integers from the database) are formatted into the SQL.
        let first = packed(&list_sql(&clause, &columns, ""));
        let next = packed(&list_sql(
            &clause,
            &columns,
            " AND (h.head_sort, h.code) > ($2, $3)",
        ));
        let mut after: Option<(String, String)> = None;
        loop {
            let text: String = match &after {
                None => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(first.as_str()))
                        .bind(reading.year)
                        .fetch_one(self.db.reports())
                        .await?
                }
                Some((sort, code)) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(next.as_str()))
                        .bind(reading.year)
                        .bind(sort.as_str())
                        .bind(code.as_str())
                        .fetch_one(self.db.reports())
                        .await?
                }
            };
            let chunk: Vec<Packed> = serde_json::from_str(&text).map_err(decode_error)?;
            let Some(Packed(last, sort, _)) = chunk.last() else {
                return Ok(());
            };
            let whole = chunk.len() == self.export_chunk;
            after = Some((sort.clone(), last.code.clone()));
            let mut batch: Batch = chunk
                .into_iter()
                .map(|Packed(row, _, members)| reading.household(row, members))
                .collect();
            if !reading.send(&mut batch).await || !whole {
                return Ok(());
            }
        }
    }
}

/// What the list's query selects of a [`ListRow`], in its fields' order.
const LIST_COLUMNS: [&str; 9] = [
    "id",
    "code",
    "head_name",
    "village",
    "address",
    "status",
    "deprivation_count",
    "deprived",
    "standard_id",
];

/// The list's query: the unit's households by its communes (or villages),
/// in the official order (a commune's are read in order from its index),
/// with their official assessment of the year `$1`; `units` is the
/// households' condition (`ListUnits`), `columns` are added to the
/// selected ones, `filter` to the conditions.
fn list_sql(units: &str, columns: &str, filter: &str) -> String {
    format!(
        "SELECT h.id, h.code, h.head_name, v.name AS village, h.address, a.status, a.deprivation_count, a.deprived, a.standard_id{columns} \
         FROM households h LEFT JOIN units v ON v.id = h.village_id \
         LEFT JOIN assessments a ON a.household_id = h.id AND a.year = $1 AND a.official = 1 \
         WHERE h.removed_on IS NULL{units}{filter} ORDER BY h.head_sort, h.code",
    )
}

/// The households of an export sent to its writer at once.
type Batch = Vec<(ListRow, Vec<MemberListRow>)>;
/// Households a batch holds when read a row each (PostgreSQL).
const BATCH: usize = 64;
/// Households a packed chunk holds (SQLite): some 100 KB of JSON, read in
/// about a millisecond and a half.
pub(crate) const PACKED: usize = 256;

/// What an export's reader needs: the year, whether identity numbers are
/// shown in full, and the writer's end of the channel.
struct Reading {
    year: i64,
    full_id_numbers: bool,
    send: tokio::sync::mpsc::Sender<Batch>,
}

impl Reading {
    /// A household as the workbook writes it, its members' identity
    /// numbers masked unless shown in full.
    fn household(&self, row: ListRow, members: Vec<MemberCells>) -> (ListRow, Vec<MemberListRow>) {
        let mut members: Vec<MemberListRow> =
            members.into_iter().map(|m| m.of(&row.code)).collect();
        if !self.full_id_numbers {
            for m in &mut members {
                m.id_number = m.id_number.as_deref().map(crate::views::mask_id_number);
            }
        }
        (row, members)
    }

    /// Sends the batch, if any, to the writer; false if the writer has
    /// stopped (on an error, which its result holds).
    async fn send(&self, batch: &mut Batch) -> bool {
        if batch.is_empty() {
            return true;
        }
        let sent = std::mem::replace(batch, Vec::with_capacity(BATCH));
        self.send.send(sent).await.is_ok()
    }
}

/// A household's members as one JSON array, on SQLite.
const SQLITE_MEMBERS: &str = "(SELECT json_group_array(json_array(m.full_name, m.sex, m.birth_date, m.id_number, m.relation, m.ethnicity) ORDER BY m.id) \
     FROM members m WHERE m.household_id = h.id AND m.removed_on IS NULL)";

/// A household of a packed chunk: its list row, its sort key (where the
/// next chunk starts) and its members.
#[derive(serde::Deserialize)]
struct Packed(ListRow, String, Vec<MemberCells>);

/// A household of an exported list with its members as a JSON array.
#[derive(sqlx::FromRow)]
struct WithMembers {
    #[sqlx(flatten)]
    row: ListRow,
    members: Option<String>,
}

/// A member as the list's query gives it: name, sex, birth date, identity
/// number, relation to the head, ethnicity.
#[derive(serde::Deserialize)]
struct MemberCells(
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

impl MemberCells {
    fn of(self, household_code: &str) -> MemberListRow {
        let MemberCells(full_name, sex, birth_date, id_number, relation, ethnicity) = self;
        MemberListRow {
            household_code: household_code.to_string(),
            full_name,
            sex,
            birth_date,
            id_number,
            relation,
            ethnicity,
        }
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
/// written household by household (`report::StreamedBook`). The import
/// reads both back.
pub struct ListBook {
    book: report::StreamedBook,
    households: usize,
}

impl ListBook {
    pub fn new(title: &str) -> Result<ListBook, RegistryError> {
        use report::{Column, Kind, Report};
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
            ..Report::default()
        };
        let members = Report {
            title: format!("Thành viên – {title}"),
            sheet: "Thành viên".into(),
            columns: MEMBER_HEADERS
                .iter()
                .map(|h| Column::new(*h, Kind::Text))
                .collect(),
            ..Report::default()
        };
        let book = report::StreamedBook::new(vec![households, members]).map_err(workbook_error)?;
        Ok(ListBook {
            book,
            households: 0,
        })
    }

    /// A household's row, and its members' rows on the member sheet.
    pub fn household(
        &mut self,
        r: &ListRow,
        members: &[MemberListRow],
    ) -> Result<(), RegistryError> {
        use report::CellRef::{Empty, Number, Text};
        let status = r
            .status
            .map(|s| status_name(s.code()))
            .unwrap_or_else(|| "Chưa rà soát".into());
        let deprived = indicator_names(
            r.standard_id.as_deref(),
            r.deprived.as_deref().unwrap_or(""),
        );
        let cells = [
            Text(&r.code),
            Text(&r.head_name),
            Text(r.village.as_deref().unwrap_or("")),
            Text(&r.address),
            Text(&status),
            r.deprivation_count.map_or(Empty, Number),
            Text(&deprived),
            Text(r.standard_id.as_deref().unwrap_or("")),
        ];
        self.book.row(0, &cells).map_err(workbook_error)?;
        for m in members {
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
            let cells = [
                Text(&m.household_code),
                Text(&m.full_name),
                Text(sex),
                Text(&birth),
                Text(m.id_number.as_deref().unwrap_or("")),
                Text(&m.relation),
                Text(&m.ethnicity),
            ];
            self.book.row(1, &cells).map_err(workbook_error)?;
        }
        self.households += 1;
        Ok(())
    }

    /// The workbook's bytes and its number of households.
    pub fn finish(self) -> Result<(Vec<u8>, usize), RegistryError> {
        Ok((self.book.finish().map_err(workbook_error)?, self.households))
    }
}

fn workbook_error(e: report::ReportError) -> RegistryError {
    RegistryError::Io {
        file: "danh-sach.xlsx".into(),
        source: std::io::Error::other(e.to_string()),
    }
}
