//! The plan's tasks (issue 12, first part): a unit sets a task for one of
//! the plan's agencies (with the agencies cooperating and a due date); the
//! agency reports its progress; a task past its date and not done is
//! overdue. An agency officer sees the tasks its agency is responsible for
//! or cooperates on, and reports only on its own.

use crate::error::RegistryError;
use crate::gate::{Actor, Capability};
use crate::limits::{LINE, LONG_TEXT};
use crate::service::{Action, Entity, Registry, audit};
use chrono::NaiveDate;
use serde_json::json;

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Open,
    InProgress,
    Done,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::InProgress, TaskStatus::Done];

    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(code: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A task as a unit's officer sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTask {
    pub unit_code: String,
    pub title: String,
    /// The responsible agency's code.
    pub agency: String,
    pub cooperating: Vec<String>,
    /// dd/mm/yyyy.
    pub due_on: String,
    /// The plan's target it serves (a target of a plan in the actor's
    /// scope).
    pub target: Option<i64>,
}

/// A task with its latest report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    pub unit: String,
    pub title: String,
    pub agency: String,
    pub cooperating: Vec<String>,
    pub due_on: NaiveDate,
    pub status: TaskStatus,
    /// The title of the target it serves.
    pub target: Option<String>,
    /// Past its date and not done, on the day asked.
    pub overdue: bool,
    /// (day, progress %, note, by) of each report, newest first.
    pub reports: Vec<(NaiveDate, i64, String, String)>,
    /// The files attached to its reports: (file id, name), oldest first.
    pub files: Vec<(i64, String)>,
}

/// Whether a task due on `due_on` is overdue on `today`.
pub fn overdue(due_on: NaiveDate, status: TaskStatus, today: NaiveDate) -> bool {
    status != TaskStatus::Done && due_on < today
}

fn day(iso: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(iso, "%Y-%m-%d").ok()
}

impl Registry {
    /// Sets a task for an agency of the catalogue, in a unit the actor
    /// writes in.
    pub async fn add_task(
        &self,
        actor: &Actor,
        new: &NewTask,
        policies: &support::Catalogue,
    ) -> Result<i64, RegistryError> {
        let unit = self.writable_unit(actor, new.unit_code.trim()).await?;
        let mut problems = Vec::new();
        let title = crate::limits::checked_into("nhiệm vụ", &new.title, LINE, true, &mut problems);
        for agency in std::iter::once(&new.agency).chain(&new.cooperating) {
            if policies.agency(agency).is_none() {
                problems.push(format!("cơ quan: \"{agency}\" không có trong danh mục"));
            }
        }
        if new.cooperating.contains(&new.agency) {
            problems.push("cơ quan phối hợp: không gồm cơ quan chủ trì".to_string());
        }
        let due = vntext::parse_date(&new.due_on);
        if due.is_none() {
            problems.push(format!(
                "hạn hoàn thành: \"{}\" không đúng dạng dd/mm/yyyy",
                new.due_on
            ));
        }
        if let Some(target) = new.target {
            let plan_unit: Option<crate::values::UnitId> = sqlx::query_scalar(
                "SELECT p.unit_id FROM plan_targets t JOIN plans p ON p.id = t.plan_id WHERE t.id = $1",
            )
            .bind(target)
            .fetch_optional(&self.db.pool)
            .await?;
            let in_scope = match plan_unit {
                Some(u) => self.reads_issued_by(actor, u).await?,
                None => false,
            };
            if !in_scope {
                problems.push(format!("chỉ tiêu: không có chỉ tiêu số {target}"));
            }
        }
        let (Some(due), true) = (due, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let cooperating = new.cooperating.join(";");
        let mut tx = self.db.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (unit_id, title, agency, cooperating, due_on, status, created_at, created_by, target_id) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8) RETURNING id",
        )
        .bind(unit.id)
        .bind(&title)
        .bind(&new.agency)
        .bind(&cooperating)
        .bind(due.format("%Y-%m-%d").to_string())
        .bind(crate::now())
        .bind(&actor.name)
        .bind(new.target)
        .fetch_one(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            Action::Task,
            Entity::Unit,
            &unit.code,
            Some(unit.id),
            json!({"task": title, "agency": new.agency, "cooperating": cooperating, "due_on": vntext::format_date(due)}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The responsible agency reports its progress (0–100 %, a note); 100 %
    /// marks the task done, anything less in progress. An officer of the
    /// unit may report for it too.
    pub async fn report_task(
        &self,
        actor: &Actor,
        task_id: i64,
        progress: &str,
        note: &str,
        attachment: Option<(&str, &[u8])>,
    ) -> Result<(), RegistryError> {
        actor.require(Capability::Support)?;
        let mut problems = Vec::new();
        // A file: a PDF, a JPEG or a PNG of at most 10 MB, as review minutes.
        let file = match attachment.filter(|(_, data)| !data.is_empty()) {
            None => None,
            Some((_, data)) if data.len() > crate::review::MINUTES_MAX_BYTES => {
                problems.push(format!(
                    "tệp đính kèm quá lớn ({} MB); tối đa 10 MB",
                    data.len().div_ceil(1 << 20)
                ));
                None
            }
            Some((name, data)) => match crate::review::sniff_minutes(data) {
                Some((content_type, extension)) => Some((
                    crate::review::safe_file_name(name, extension),
                    content_type,
                    data,
                )),
                None => {
                    problems.push("tệp đính kèm phải là PDF, JPEG hoặc PNG".into());
                    None
                }
            },
        };
        let progress = match vntext::parse_whole(progress.trim().trim_end_matches('%').trim()) {
            Ok(p) if (0..=100).contains(&p) => Some(p),
            _ => {
                problems.push(format!(
                    "tiến độ: \"{progress}\" phải là số phần trăm từ 0 đến 100"
                ));
                None
            }
        };
        let note =
            crate::limits::checked_into("nội dung báo cáo", note, LONG_TEXT, false, &mut problems);
        let (Some(progress), true) = (progress, problems.is_empty()) else {
            return Err(RegistryError::Invalid(problems));
        };
        let task: Option<(crate::values::UnitId, String, String, String)> = sqlx::query_as(
            "SELECT t.unit_id, u.code, t.agency, t.title FROM tasks t JOIN units u ON u.id = t.unit_id WHERE t.id = $1",
        )
        .bind(task_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let not_found = || RegistryError::NotFound(format!("nhiệm vụ số {task_id}"));
        let (unit_id, unit_code, agency, title) = task.ok_or_else(not_found)?;
        self.require_in_scope(actor, unit_id, || format!("nhiệm vụ số {task_id}"))
            .await?;
        if !actor.works_for(&agency) {
            return Err(RegistryError::Forbidden(
                "chỉ cơ quan chủ trì báo cáo tiến độ nhiệm vụ này".into(),
            ));
        }
        let status = if progress == 100 {
            TaskStatus::Done
        } else {
            TaskStatus::InProgress
        };
        let today = chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string();
        let mut tx = self.db.write().await?;
        let report: i64 = sqlx::query_scalar(
            "INSERT INTO task_reports (task_id, reported_on, progress, note, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(task_id)
        .bind(&today)
        .bind(progress)
        .bind(&note)
        .bind(&actor.name)
        .fetch_one(&mut *tx)
        .await?;
        if let Some((name, content_type, data)) = &file {
            sqlx::query(
                "INSERT INTO task_report_files (report_id, file_name, content_type, data) VALUES ($1, $2, $3, $4)",
            )
            .bind(report)
            .bind(name)
            .bind(*content_type)
            .bind(data.to_vec())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE tasks SET status = $1 WHERE id = $2")
            .bind(status.code())
            .bind(task_id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            Action::TaskReport,
            Entity::Unit,
            &unit_code,
            Some(unit_id),
            json!({"task": title, "progress": progress, "note": note, "file": file.as_ref().map(|f| f.0.clone())}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tasks set by a unit and the units under it, oldest due first;
    /// an agency officer's, those its agency leads or cooperates on.
    pub async fn tasks(
        &self,
        actor: &Actor,
        unit_code: &str,
        today: NaiveDate,
    ) -> Result<Vec<Task>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let family = self.unit_list_within(actor, unit_code).await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            unit: String,
            title: String,
            agency: String,
            cooperating: String,
            due_on: String,
            status: String,
            target: Option<String>,
        }
        // Only unit ids (integers from the database) are formatted into the SQL.
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT t.id, u.name AS unit, t.title, t.agency, t.cooperating, t.due_on, t.status, g.title AS target \
             FROM tasks t JOIN units u ON u.id = t.unit_id LEFT JOIN plan_targets g ON g.id = t.target_id WHERE t.unit_id IN ({family}) ORDER BY t.due_on, t.id"
        )))
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let cooperating = crate::values::codes(&r.cooperating);
            if let Some(own) = actor.own_agency()
                && r.agency != own
                && !cooperating.iter().any(|c| c == own)
            {
                continue;
            }
            let (Some(due_on), Some(status)) = (day(&r.due_on), TaskStatus::parse(&r.status))
            else {
                continue;
            };
            let reports: Vec<(String, i64, String, String)> = sqlx::query_as(
                "SELECT reported_on, progress, note, created_by FROM task_reports WHERE task_id = $1 ORDER BY id DESC",
            )
            .bind(r.id)
            .fetch_all(&self.db.pool)
            .await?;
            let files: Vec<(i64, String)> = sqlx::query_as(
                "SELECT f.id, f.file_name FROM task_report_files f JOIN task_reports r ON r.id = f.report_id WHERE r.task_id = $1 ORDER BY f.id",
            )
            .bind(r.id)
            .fetch_all(&self.db.pool)
            .await?;
            out.push(Task {
                files,
                id: r.id,
                unit: r.unit,
                title: r.title,
                agency: r.agency,
                cooperating,
                due_on,
                status,
                target: r.target,
                overdue: overdue(due_on, status, today),
                reports: reports
                    .into_iter()
                    .filter_map(|(d, p, n, by)| Some((day(&d)?, p, n, by)))
                    .collect(),
            });
        }
        Ok(out)
    }

    /// A file attached to a report of the task, for those who see the task
    /// (its unit in scope; an agency officer, its agency's tasks): (name,
    /// content type, bytes); None otherwise.
    pub async fn task_file(
        &self,
        actor: &Actor,
        task_id: i64,
        file_id: i64,
    ) -> Result<Option<(String, String, Vec<u8>)>, RegistryError> {
        actor.require(Capability::SeeWorkLists)?;
        let task: Option<(crate::values::UnitId, String, String)> =
            sqlx::query_as("SELECT unit_id, agency, cooperating FROM tasks WHERE id = $1")
                .bind(task_id)
                .fetch_optional(&self.db.pool)
                .await?;
        let Some((unit_id, agency, cooperating)) = task else {
            return Ok(None);
        };
        if !self.scope(actor).await?.contains(unit_id) {
            return Ok(None);
        }
        if let Some(own) = actor.own_agency()
            && agency != own
            && !crate::values::codes(&cooperating).iter().any(|c| c == own)
        {
            return Ok(None);
        }
        Ok(sqlx::query_as(
            "SELECT f.file_name, f.content_type, f.data FROM task_report_files f JOIN task_reports r ON r.id = f.report_id \
             WHERE r.task_id = $1 AND f.id = $2",
        )
        .bind(task_id)
        .bind(file_id)
        .fetch_optional(&self.db.pool)
        .await?)
    }
}
