//! An agency's list (the Social Policy Bank's loans, the social-insurance
//! office's cards, a course's roster) read from a spreadsheet, each row
//! matched to a person or household of the registry — by identity number,
//! then household code, then name and birth date — and reported: matched,
//! already recorded, ambiguous, not found, outside the scope, or wrong. The
//! matched rows are kept as a draft; nothing is written until the officer
//! confirms, and then all of them in one transaction.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::service::{Action, Entity, Registry, audit};
use crate::sheets::{Field, Table, column_letter, locate, read_uploaded_grids};
use crate::values::IdNumber;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The columns an agency's list is known to have. Record fields a policy
/// does not keep are left aside (and named in the report).
pub const AGENCY_LIST_FIELDS: &[Field] = &[
    Field {
        key: "full_name",
        aliases: &[
            "Họ và tên",
            "Họ tên",
            "Tên khách hàng",
            "Họ và tên khách hàng",
            "Họ và tên người vay",
            "Họ tên người vay",
            "Họ và tên học viên",
            "Người được cấp thẻ",
            "full_name",
        ],
        required: true,
    },
    Field {
        key: "id_number",
        aliases: &[
            "Số CCCD",
            "CCCD",
            "Số CMND/CCCD",
            "Số CCCD/CMND",
            "Số định danh",
            "Số định danh cá nhân",
            "id_number",
        ],
        required: false,
    },
    Field {
        key: "household_code",
        aliases: &["Mã hộ", "Mã số hộ", "Mã hộ gia đình", "household_code"],
        required: false,
    },
    Field {
        key: "birth_date",
        aliases: &[
            "Ngày sinh",
            "Ngày, tháng, năm sinh",
            "Ngày tháng năm sinh",
            "birth_date",
        ],
        required: false,
    },
    Field {
        key: "delivered_on",
        aliases: &[
            "Ngày giải ngân",
            "Ngày vay",
            "Ngày cấp",
            "Ngày hỗ trợ",
            "Ngày nhận",
            "Ngày khai giảng",
            "delivered_on",
        ],
        required: false,
    },
    Field {
        key: "amount",
        aliases: &[
            "Số tiền",
            "Số tiền vay",
            "Số tiền hỗ trợ",
            "Số tiền (đồng)",
            "Số tiền giải ngân",
            "amount",
        ],
        required: false,
    },
    Field {
        key: "programme",
        aliases: &[
            "Chương trình",
            "Chương trình vay",
            "Chương trình cho vay",
            "programme",
        ],
        required: false,
    },
    Field {
        key: "purpose",
        aliases: &[
            "Mục đích",
            "Mục đích vay",
            "Mục đích sử dụng vốn",
            "purpose",
        ],
        required: false,
    },
    Field {
        key: "term_months",
        aliases: &[
            "Thời hạn (tháng)",
            "Thời hạn vay (tháng)",
            "Thời hạn vay",
            "Thời hạn",
            "term_months",
        ],
        required: false,
    },
    Field {
        key: "outstanding",
        aliases: &["Dư nợ", "Dư nợ hiện tại", "Dư nợ (đồng)", "outstanding"],
        required: false,
    },
    Field {
        key: "overdue",
        aliases: &["Nợ quá hạn", "Nợ quá hạn (đồng)", "overdue"],
        required: false,
    },
    Field {
        key: "entrusted_to",
        aliases: &[
            "Tổ chức hội nhận ủy thác",
            "Tổ chức nhận ủy thác",
            "Hội đoàn thể nhận ủy thác",
            "Hội nhận ủy thác",
            "Tổ chức hội",
            "entrusted_to",
        ],
        required: false,
    },
    Field {
        key: "card_number",
        aliases: &[
            "Mã thẻ BHYT",
            "Số thẻ BHYT",
            "Mã thẻ",
            "Số thẻ",
            "card_number",
        ],
        required: false,
    },
    Field {
        key: "valid_from",
        aliases: &[
            "Giá trị sử dụng từ ngày",
            "Giá trị từ ngày",
            "Hạn thẻ từ",
            "Từ ngày",
            "Giá trị từ",
            "valid_from",
        ],
        required: false,
    },
    Field {
        key: "valid_to",
        aliases: &[
            "Giá trị sử dụng đến ngày",
            "Giá trị đến ngày",
            "Hạn thẻ đến",
            "Đến ngày",
            "Giá trị đến",
            "valid_to",
        ],
        required: false,
    },
    Field {
        key: "paid_by",
        aliases: &[
            "Nguồn đóng",
            "Đối tượng đóng",
            "Nguồn kinh phí đóng",
            "paid_by",
        ],
        required: false,
    },
    Field {
        key: "course",
        aliases: &["Nghề đào tạo", "Tên nghề", "Khóa học", "course"],
        required: false,
    },
    Field {
        key: "completed",
        aliases: &["Hoàn thành", "Tốt nghiệp", "completed"],
        required: false,
    },
    Field {
        key: "job_after",
        aliases: &["Việc làm sau đào tạo", "Có việc làm", "job_after"],
        required: false,
    },
    Field {
        key: "school_year",
        aliases: &["Năm học", "school_year"],
        required: false,
    },
    Field {
        key: "note",
        aliases: &["Ghi chú", "note"],
        required: false,
    },
];

/// Record fields that hold an amount of VND: parsed as such.
const AMOUNT_FIELDS: [&str; 2] = ["outstanding", "overdue"];
/// Record fields that hold a date: parsed and kept as dd/mm/yyyy.
const DATE_FIELDS: [&str; 2] = ["valid_from", "valid_to"];

/// How a row found its person or household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchKey {
    IdNumber,
    HouseholdCode,
    NameAndBirthDate,
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowOutcome {
    /// Will be written on confirmation.
    Matched {
        by: MatchKey,
        household_code: String,
    },
    /// The same policy to the same person or household on the same day is
    /// already recorded: skipped.
    AlreadyRecorded {
        household_code: String,
    },
    /// Recorded before with other record fields (a loan's outstanding and
    /// overdue amounts in the bank's next list): they are updated.
    Updated {
        household_code: String,
    },
    /// Several people (or households) fit: the count.
    Ambiguous(usize),
    NotFound,
    /// Found, in a commune the officer does not work for (not named).
    OutsideScope,
    /// Cells that could not be read: each named by column.
    Invalid(Vec<String>),
}

/// A row of the match report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// Spreadsheet row number.
    pub row: usize,
    pub name: String,
    pub outcome: RowOutcome,
}

/// The match report of an agency's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchReport {
    /// What the confirmation names.
    pub token: String,
    pub policy: String,
    pub file_name: String,
    /// "sheet: tiêu đề ở dòng 4, dữ liệu từ dòng 6".
    pub found_at: String,
    pub rows: Vec<ReportRow>,
    /// Columns of the list this policy does not record (left aside).
    pub unused_columns: Vec<String>,
}

impl MatchReport {
    pub fn count(&self, wanted: fn(&RowOutcome) -> bool) -> usize {
        self.rows.iter().filter(|r| wanted(&r.outcome)).count()
    }

    /// Whether the list can be confirmed: no unreadable cell, and something
    /// to write.
    pub fn confirmable(&self) -> bool {
        self.count(|o| matches!(o, RowOutcome::Invalid(_))) == 0
            && self.count(|o| matches!(o, RowOutcome::Matched { .. } | RowOutcome::Updated { .. }))
                > 0
    }
}

/// A delivery the draft will write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct DraftDelivery {
    /// The delivery recorded before whose record fields this row updates.
    #[serde(default)]
    updates: Option<i64>,
    row: usize,
    household_id: i64,
    household_code: String,
    commune_id: i64,
    member_id: Option<i64>,
    /// yyyy-mm-dd.
    delivered_on: String,
    amount: Option<i64>,
    details: BTreeMap<String, String>,
}

/// A candidate found for a row: (member id or none, household id, code, commune).
type Candidate = (Option<i64>, i64, String, i64);

fn invalid(text: impl Into<String>) -> RegistryError {
    RegistryError::Invalid(vec![text.into()])
}

/// A CCCD as the sheet holds it: Excel drops the leading zero of a number
/// typed into a number cell (every CCCD of a province coded 001–099), so
/// eleven digits are the twelve with that zero.
fn id_number_of(text: &str) -> Result<Option<IdNumber>, String> {
    let digits = text.trim().replace([' ', '.'], "");
    // …and of a 9-digit CMND of a province coded 01–09.
    if matches!(digits.len(), 8 | 11) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return IdNumber::parse(&format!("0{digits}"));
    }
    IdNumber::parse(&digits)
}

impl Registry {
    /// Reads and matches an agency's list of deliveries of `policy_code`;
    /// keeps the matched rows as a draft the same actor confirms with
    /// [`Registry::confirm_agency_list`]. `default_date` (dd/mm/yyyy)
    /// serves rows without a date of their own. A list that cannot be read,
    /// or a policy outside the actor's work, is refused.
    pub async fn match_agency_list(
        &self,
        actor: &Actor,
        policies: &support::Catalogue,
        policy_code: &str,
        file_name: &str,
        bytes: Vec<u8>,
        default_date: Option<&str>,
    ) -> Result<MatchReport, RegistryError> {
        actor.require(Capability::Support)?;
        let policy = policies.policy(policy_code).ok_or_else(|| {
            invalid(format!(
                "chính sách: \"{policy_code}\" không có trong danh mục"
            ))
        })?;
        if !actor.works_on(policy) {
            let agency = policies
                .agency(&policy.agency)
                .map_or(policy.agency.as_str(), |a| a.name.vi.as_str());
            return Err(RegistryError::Forbidden(format!(
                "{} do {agency} phụ trách",
                policy.name.vi
            )));
        }
        let default_date = match default_date.map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(text) => Some(vntext::parse_date(text).ok_or_else(|| {
                invalid(format!(
                    "ngày mặc định: \"{text}\" không đúng dạng dd/mm/yyyy"
                ))
            })?),
        };
        let grids = read_uploaded_grids(file_name, bytes)?;
        let table = grids
            .into_iter()
            .find_map(|g| Some(locate(&g, AGENCY_LIST_FIELDS)?.take(g)))
            .ok_or_else(|| {
                invalid(format!(
                    "{file_name}: không thấy bảng danh sách: cần một dòng tiêu đề có cột \"Họ và tên\" (và \"Số CCCD\", \"Mã hộ\" hoặc \"Ngày sinh\" để đối chiếu)"
                ))
            })?;
        let mut missing = Vec::new();
        if table.column("id_number").is_none()
            && table.column("household_code").is_none()
            && table.column("birth_date").is_none()
        {
            missing.push(format!(
                "{file_name}: không có cột nào để đối chiếu: cần \"Số CCCD\", \"Mã hộ\" hoặc \"Ngày sinh\" bên cạnh \"Họ và tên\""
            ));
        }
        if table.column("delivered_on").is_none()
            && table.column("valid_from").is_none()
            && default_date.is_none()
        {
            missing.push(format!(
                "{file_name}: không có cột ngày (\"Ngày giải ngân\", \"Ngày cấp\", \"Ngày hỗ trợ\"…): nhập ngày mặc định cho cả danh sách"
            ));
        }
        if !missing.is_empty() {
            return Err(RegistryError::Invalid(missing));
        }
        let unused_columns: Vec<String> = table
            .columns
            .iter()
            .filter(|(key, _, _)| {
                !matches!(
                    *key,
                    "full_name"
                        | "id_number"
                        | "household_code"
                        | "birth_date"
                        | "delivered_on"
                        | "note"
                ) && !policy.records.iter().any(|r| r == key)
            })
            .map(|(key, _, _)| table.header(key))
            .chain(
                table
                    .others
                    .iter()
                    .map(|(c, label)| format!("{} ({label})", column_letter(table.first_col + c))),
            )
            .filter(|h| !h.contains("(STT)") && !h.contains("(TT)"))
            .collect();
        let scope = self.scope(actor).await?;
        let mut report_rows = Vec::new();
        let mut drafts: Vec<DraftDelivery> = Vec::new();
        for (row, cells) in &table.rows {
            let name = vntext::nfc(table.cell(cells, "full_name").trim());
            // A row naming nobody (a total, a note under the table) is not a delivery.
            if ["full_name", "id_number", "household_code", "birth_date"]
                .iter()
                .all(|k| table.cell(cells, k).trim().is_empty())
            {
                continue;
            }
            let (found, problems) = self.match_row(&table, cells, policy, default_date).await?;
            let outcome = match (problems.is_empty(), found) {
                (false, _) => RowOutcome::Invalid(problems),
                (true, Found::None) => RowOutcome::NotFound,
                (true, Found::Many(n)) => RowOutcome::Ambiguous(n),
                (true, Found::One(by, candidate, delivery)) => {
                    let (member_id, household_id, code, commune) = candidate;
                    if !scope.contains(crate::values::UnitId::new(commune)) {
                        RowOutcome::OutsideScope
                    } else {
                        let (delivered_on, amount, details) = delivery;
                        let twice = drafts.iter().any(|d| {
                            d.household_id == household_id
                                && d.member_id == member_id
                                && d.delivered_on == delivered_on
                        });
                        let recorded = if twice {
                            None
                        } else {
                            self.delivery_recorded(
                                &policy.code,
                                household_id,
                                member_id,
                                &delivered_on,
                            )
                            .await?
                        };
                        let updates = match &recorded {
                            // Other record fields than those kept: an update.
                            Some((id, kept))
                                if details.iter().any(|(k, v)| kept.get(k) != Some(v)) =>
                            {
                                Some(*id)
                            }
                            _ => None,
                        };
                        if twice || (recorded.is_some() && updates.is_none()) {
                            RowOutcome::AlreadyRecorded {
                                household_code: code,
                            }
                        } else {
                            drafts.push(DraftDelivery {
                                updates,
                                row: *row,
                                household_id,
                                household_code: code.clone(),
                                commune_id: commune,
                                member_id,
                                delivered_on,
                                amount,
                                details,
                            });
                            if updates.is_some() {
                                RowOutcome::Updated {
                                    household_code: code,
                                }
                            } else {
                                RowOutcome::Matched {
                                    by,
                                    household_code: code,
                                }
                            }
                        }
                    }
                }
            };
            report_rows.push(ReportRow {
                row: *row,
                name,
                outcome,
            });
        }
        let token = crate::sessions::new_token();
        let report = MatchReport {
            token: token.clone(),
            policy: policy.code.clone(),
            file_name: file_name.to_string(),
            found_at: format!("{}: {}", table.sheet, table.found_at()),
            rows: report_rows,
            unused_columns,
        };
        let mut tx = self.db.write().await?;
        // Drafts nobody confirmed within a day are dropped.
        sqlx::query("DELETE FROM agency_list_drafts WHERE created_at < $1")
            .bind(day_ago())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO agency_list_drafts (token, username, policy, file_name, deliveries, report, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token)
        .bind(&actor.name)
        .bind(&policy.code)
        .bind(file_name)
        .bind(to_json(&drafts)?)
        .bind(to_json(&report)?)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The report of a draft of the actor's, if it is still kept.
    pub async fn agency_list_report(
        &self,
        actor: &Actor,
        token: &str,
    ) -> Result<Option<MatchReport>, RegistryError> {
        let report: Option<String> = sqlx::query_scalar(
            "SELECT report FROM agency_list_drafts WHERE token = $1 AND username = $2",
        )
        .bind(token)
        .bind(&actor.name)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(report.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Writes a draft's matched deliveries, all or none, each audited; the
    /// draft is then gone. The scope and "already recorded" are checked
    /// again, as the registry may have changed since the match.
    pub async fn confirm_agency_list(
        &self,
        actor: &Actor,
        policies: &support::Catalogue,
        token: &str,
    ) -> Result<usize, RegistryError> {
        actor.require(Capability::Support)?;
        let gone = || {
            RegistryError::NotFound(
                "danh sách chờ xác nhận (đã ghi, hoặc quá một ngày: tải lên lại)".into(),
            )
        };
        let draft: Option<(String, String, String, String)> = sqlx::query_as(
            "SELECT policy, file_name, deliveries, report FROM agency_list_drafts WHERE token = $1 AND username = $2 AND created_at >= $3",
        )
        .bind(token)
        .bind(&actor.name)
        .bind(day_ago())
        .fetch_optional(&self.db.pool)
        .await?;
        let Some((policy_code, file_name, deliveries, report)) = draft else {
            return Err(gone());
        };
        let policy = policies.policy(&policy_code).ok_or_else(|| {
            invalid(format!(
                "chính sách: \"{policy_code}\" không còn trong danh mục"
            ))
        })?;
        if !actor.works_on(policy) {
            return Err(actor.role.refusal(Capability::Support));
        }
        let report: MatchReport =
            serde_json::from_str(&report).map_err(|e| invalid(e.to_string()))?;
        if !report.confirmable() {
            let problems = report
                .rows
                .iter()
                .filter_map(|r| match &r.outcome {
                    RowOutcome::Invalid(p) => {
                        Some(format!("{file_name}, dòng {}: {}", r.row, p.join("; ")))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>();
            return Err(RegistryError::Invalid(if problems.is_empty() {
                vec![format!("{file_name}: không có dòng nào khớp để ghi")]
            } else {
                problems
            }));
        }
        let deliveries: Vec<DraftDelivery> =
            serde_json::from_str(&deliveries).map_err(|e| invalid(e.to_string()))?;
        let scope = self.support_scope(actor).await?;
        let mut problems = Vec::new();
        for d in &deliveries {
            // The household's commune now (it may have moved since the match).
            let commune: Option<crate::values::UnitId> = sqlx::query_scalar(
                "SELECT commune_id FROM households WHERE id = $1 AND removed_on IS NULL",
            )
            .bind(d.household_id)
            .fetch_optional(&self.db.pool)
            .await?;
            let recorded = self
                .delivery_recorded(&policy.code, d.household_id, d.member_id, &d.delivered_on)
                .await?
                .map(|(id, _)| id);
            if !commune.is_some_and(|c| scope.contains(c)) {
                problems.push(format!("{file_name}, dòng {}: ngoài phạm vi", d.row));
            } else if recorded != d.updates {
                problems.push(format!(
                    "{file_name}, dòng {}: hộ {} đã được ghi nhận từ lúc đối chiếu; tải lên lại",
                    d.row, d.household_code
                ));
            }
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        use chrono::Datelike;
        let mut tx = self.db.write().await?;
        // The draft goes first: a second confirmation of the same list (a
        // double click, a form sent again) finds it gone and writes nothing.
        let taken =
            sqlx::query("DELETE FROM agency_list_drafts WHERE token = $1 AND username = $2")
                .bind(token)
                .bind(&actor.name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if taken != 1 {
            return Err(gone());
        }
        // What the households still miss changes with the list (kept tallies).
        let households: Vec<crate::values::HouseholdId> = deliveries
            .iter()
            .map(|d| crate::values::HouseholdId::new(d.household_id))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let tallied = crate::tallies::Tallied::before(&mut tx, &households).await?;
        for d in &deliveries {
            let day = chrono::NaiveDate::parse_from_str(&d.delivered_on, "%Y-%m-%d")
                .map_err(|e| invalid(e.to_string()))?;
            let details = serde_json::to_string(&d.details).map_err(|e| invalid(e.to_string()))?;
            let change = match d.updates {
                Some(id) => {
                    sqlx::query(
                        "UPDATE deliveries SET details = $1, amount = COALESCE($2, amount) WHERE id = $3",
                    )
                    .bind(&details)
                    .bind(d.amount)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    json!({"policy": policy.name.vi, "delivered_on": vntext::format_date(day), "updated": d.details, "list": file_name, "row": d.row})
                }
                None => {
                    sqlx::query(
                        "INSERT INTO deliveries (household_id, member_id, policy, year, delivered_on, amount, details, created_at, created_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(d.household_id)
                    .bind(d.member_id)
                    .bind(&policy.code)
                    .bind(i64::from(day.year()))
                    .bind(&d.delivered_on)
                    .bind(d.amount)
                    .bind(&details)
                    .bind(crate::now())
                    .bind(&actor.name)
                    .execute(&mut *tx)
                    .await?;
                    json!({"policy": policy.name.vi, "delivered_on": vntext::format_date(day), "amount": d.amount, "member": d.member_id, "list": file_name, "row": d.row})
                }
            };
            audit(
                &mut tx,
                actor,
                Action::Deliver,
                Entity::Household,
                &d.household_code,
                Some(crate::values::UnitId::new(d.commune_id)),
                change,
            )
            .await?;
        }
        tallied.changed(&mut tx).await?;
        tx.commit().await?;
        Ok(deliveries.len())
    }

    /// The delivery of the policy recorded for that person (or household)
    /// on that day, if any: its id and record fields.
    async fn delivery_recorded(
        &self,
        policy: &str,
        household_id: i64,
        member_id: Option<i64>,
        delivered_on: &str,
    ) -> Result<Option<(i64, BTreeMap<String, String>)>, RegistryError> {
        let found: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, details FROM deliveries WHERE policy = $1 AND household_id = $2 AND delivered_on = $3 AND (member_id = $4 OR (member_id IS NULL AND $4 IS NULL)) ORDER BY id LIMIT 1",
        )
        .bind(policy)
        .bind(household_id)
        .bind(delivered_on)
        .bind(member_id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(found.map(|(id, details)| (id, serde_json::from_str(&details).unwrap_or_default())))
    }

    /// Reads one row's cells and finds its person: by identity number,
    /// else household code (and the name within it, for a member's
    /// policy), else name and birth date.
    async fn match_row(
        &self,
        table: &Table,
        cells: &[String],
        policy: &support::Policy,
        default_date: Option<chrono::NaiveDate>,
    ) -> Result<(Found, Vec<String>), RegistryError> {
        let mut problems = Vec::new();
        let cell = |key: &str| table.cell(cells, key).trim().to_string();
        let name = vntext::nfc(&cell("full_name"));
        if name.is_empty() {
            problems.push(format!("{}: trống", table.header("full_name")));
        }
        let id_number = match id_number_of(&cell("id_number")) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("{}: {e}", table.header("id_number")));
                None
            }
        };
        let birth = match cell("birth_date").as_str() {
            "" => None,
            text => match vntext::parse_date(text) {
                Some(d) => Some(d),
                None => {
                    problems.push(format!(
                        "{}: \"{text}\" không đúng dạng dd/mm/yyyy",
                        table.header("birth_date")
                    ));
                    None
                }
            },
        };
        let date_of = |key: &str, problems: &mut Vec<String>| match cell(key).as_str() {
            "" => None,
            text => match vntext::parse_date(text) {
                Some(d) => Some(d),
                None => {
                    problems.push(format!(
                        "{}: \"{text}\" không đúng dạng dd/mm/yyyy",
                        table.header(key)
                    ));
                    None
                }
            },
        };
        let delivered = date_of("delivered_on", &mut problems)
            .or_else(|| date_of("valid_from", &mut Vec::new()))
            .or(default_date);
        if delivered.is_none() && problems.is_empty() {
            problems.push(format!(
                "{}: trống, và không có ngày mặc định",
                table.header("delivered_on")
            ));
        }
        if let Some(d) = delivered
            && d > chrono::Utc::now().date_naive() + chrono::Duration::days(1)
        {
            problems.push(format!(
                "{}: {} ở tương lai",
                table.header("delivered_on"),
                vntext::format_date(d)
            ));
        }
        let whole = |key: &str, problems: &mut Vec<String>| match cell(key).as_str() {
            "" => None,
            text => match vntext::parse_whole(text) {
                Ok(v) if (0..=100_000_000_000).contains(&v) => Some(v),
                _ => {
                    problems.push(format!(
                        "{}: \"{text}\" không phải số đồng (ví dụ 50.000.000)",
                        table.header(key)
                    ));
                    None
                }
            },
        };
        let amount = if policy.records.iter().any(|r| r == "amount") {
            whole("amount", &mut problems)
        } else {
            None
        };
        let mut details = BTreeMap::new();
        for key in policy.records.iter().map(String::as_str).chain(["note"]) {
            if key == "amount" || table.column(key).is_none() {
                continue;
            }
            let value = if AMOUNT_FIELDS.contains(&key) {
                whole(key, &mut problems).map(|v| v.to_string())
            } else if DATE_FIELDS.contains(&key) {
                date_of(key, &mut problems).map(vntext::format_date)
            } else {
                Some(vntext::nfc(&cell(key))).filter(|v| !v.is_empty())
            };
            if let Some(v) = value {
                if v.chars().count() > crate::limits::LONG_TEXT {
                    problems.push(format!(
                        "{}: tối đa {} ký tự",
                        table.header(key),
                        crate::limits::LONG_TEXT
                    ));
                }
                details.insert(key.to_string(), v);
            }
        }
        if !problems.is_empty() {
            return Ok((Found::None, problems));
        }
        let Some(delivered) = delivered else {
            return Ok((Found::None, problems));
        };
        let delivery = (delivered.format("%Y-%m-%d").to_string(), amount, details);
        let to_member = policy.to == support::Recipient::Member;
        let key = vntext::search_key(&name);
        // 1. The identity number.
        if let Some(number) = &id_number {
            let found: Vec<Candidate> = sqlx::query_as(
                "SELECT m.id, h.id, h.code, h.commune_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.id_number = $1 AND m.removed_on IS NULL AND h.removed_on IS NULL LIMIT 5",
            )
            .bind(number.as_str())
            .fetch_all(&self.db.pool)
            .await?;
            if !found.is_empty() {
                return Ok((
                    Found::of(MatchKey::IdNumber, found, to_member, delivery),
                    problems,
                ));
            }
        }
        // 2. The household code, and the person by name within it.
        let code = cell("household_code");
        if !code.is_empty() {
            let found: Vec<Candidate> = sqlx::query_as(
                "SELECT m.id, h.id, h.code, h.commune_id FROM households h JOIN members m ON m.household_id = h.id \
                 WHERE h.code = $1 AND h.removed_on IS NULL AND m.removed_on IS NULL AND m.name_search = $2 LIMIT 5",
            )
            .bind(&code)
            .bind(&key)
            .fetch_all(&self.db.pool)
            .await?;
            if !found.is_empty() {
                return Ok((
                    Found::of(MatchKey::HouseholdCode, found, to_member, delivery),
                    problems,
                ));
            }
        }
        // 3. Name and birth date.
        if let Some(birth) = birth {
            let found: Vec<Candidate> = sqlx::query_as(
                "SELECT m.id, h.id, h.code, h.commune_id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.name_search = $1 AND m.birth_date = $2 AND m.removed_on IS NULL AND h.removed_on IS NULL LIMIT 5",
            )
            .bind(&key)
            .bind(birth.format("%Y-%m-%d").to_string())
            .fetch_all(&self.db.pool)
            .await?;
            if !found.is_empty() {
                return Ok((
                    Found::of(MatchKey::NameAndBirthDate, found, to_member, delivery),
                    problems,
                ));
            }
        }
        Ok((Found::None, problems))
    }
}

/// (yyyy-mm-dd, amount, record fields) of a row.
type RowDelivery = (String, Option<i64>, BTreeMap<String, String>);

enum Found {
    None,
    Many(usize),
    One(MatchKey, Candidate, RowDelivery),
}

impl Found {
    /// One person (or, for a household's policy, one household) is a
    /// match; more is ambiguous.
    fn of(by: MatchKey, found: Vec<Candidate>, to_member: bool, delivery: RowDelivery) -> Found {
        let mut distinct: Vec<Candidate> = Vec::new();
        for c in found {
            let same = |d: &Candidate| if to_member { d.0 == c.0 } else { d.1 == c.1 };
            if !distinct.iter().any(same) {
                distinct.push(c);
            }
        }
        match distinct.len() {
            0 => Found::None,
            1 => {
                let mut one = distinct.remove(0);
                if !to_member {
                    one.0 = None;
                }
                Found::One(by, one, delivery)
            }
            n => Found::Many(n),
        }
    }
}

/// A day before now, as `created_at` is written: a draft older is expired.
fn day_ago() -> String {
    (chrono::Utc::now() - chrono::Duration::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// JSON of a draft's parts.
fn to_json<T: Serialize>(value: &T) -> Result<String, RegistryError> {
    serde_json::to_string(value).map_err(|e| invalid(e.to_string()))
}
