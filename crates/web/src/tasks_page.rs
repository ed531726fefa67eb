//! The plan's tasks (issue 12, first part): a unit's tasks for the plan's
//! agencies, overdue ones marked, the form to set one and each responsible
//! agency's progress report.

use crate::i18n::Tr;
use crate::{AppState, SignedIn, redirect};
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use registry::RegistryError;
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Params {
    unit: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    unit: String,
    can_write: bool,
    /// (code, name) of the catalogue's agencies.
    agencies: Vec<(String, String)>,
    /// (id, "plan number — target") of the targets a task may serve.
    targets: Vec<(i64, String)>,
    tasks: Vec<TaskRow>,
    overdue: usize,
    error: Option<String>,
}

struct TaskRow {
    id: i64,
    unit: String,
    title: String,
    /// The target it serves.
    target: String,
    agency: String,
    cooperating: String,
    due_on: String,
    status: String,
    overdue: bool,
    /// "12/05/2025 · 50 % · note (by)", newest first.
    reports: Vec<String>,
    /// (file id, name) of the files attached to its reports.
    files: Vec<(i64, String)>,
    /// Whether the account reports on it.
    may_report: bool,
}

async fn page(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let lang = tr.language();
    let agency_name = |code: &str| {
        state
            .policies
            .agency(code)
            .map_or(code.to_string(), |a| a.name.get(lang).to_string())
    };
    let mut page = TasksPage {
        tr,
        user: crate::pages::user_view(ctx),
        unit: unit.clone(),
        can_write: false,
        agencies: state
            .policies
            .agencies
            .iter()
            .map(|a| (a.code.clone(), a.name.get(lang).to_string()))
            .collect(),
        targets: Vec::new(),
        tasks: Vec::new(),
        overdue: 0,
        error,
    };
    if !unit.is_empty() {
        let today = chrono::Utc::now().date_naive();
        let tasks = match state.registry.tasks(actor, &unit, today).await {
            Ok(tasks) => tasks,
            Err(e) => return crate::failure::Failure::from(e).page(ctx),
        };
        page.can_write = crate::pages::may_write_unit(state, actor, &unit).await;
        if page.can_write {
            page.targets = state
                .registry
                .plans(actor, &unit)
                .await
                .unwrap_or_default()
                .into_iter()
                .flat_map(|p| {
                    p.targets
                        .into_iter()
                        .map(move |t| (t.id, format!("{} — {}", p.number, t.title)))
                })
                .collect();
        }
        page.overdue = tasks.iter().filter(|t| t.overdue).count();
        page.tasks = tasks
            .into_iter()
            .map(|t| TaskRow {
                may_report: actor.may(registry::Capability::Support) && actor.works_for(&t.agency),
                files: t.files.clone(),
                id: t.id,
                unit: t.unit,
                title: t.title,
                target: t.target.unwrap_or_default(),
                agency: agency_name(&t.agency),
                cooperating: t
                    .cooperating
                    .iter()
                    .map(|c| agency_name(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                due_on: vntext::format_date(t.due_on),
                status: tr
                    .t(&format!("task_status_{}", t.status.code()))
                    .to_string(),
                overdue: t.overdue,
                reports: t
                    .reports
                    .iter()
                    .map(|(day, progress, note, by)| {
                        let note = if note.is_empty() {
                            String::new()
                        } else {
                            format!(" · {note}")
                        };
                        format!("{} · {progress} %{note} ({by})", vntext::format_date(*day))
                    })
                    .collect(),
            })
            .collect();
    }
    let problems = page.error.is_some();
    crate::pages::render_answer(page, problems)
}

/// The tasks of a unit.
pub async fn tasks_page(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Query(p): Query<Params>,
) -> Response {
    let unit = p.unit.unwrap_or_default().trim().to_string();
    page(&state, &ctx, actor, unit, None).await
}

async fn after(
    state: &AppState,
    ctx: &crate::Ctx,
    actor: &registry::Actor,
    unit: String,
    result: Result<(), RegistryError>,
) -> Response {
    match result {
        Ok(()) => redirect(&format!(
            "/plans/tasks?unit={}",
            crate::pages::unit_param(&unit)
        )),
        Err(RegistryError::Invalid(problems)) => {
            page(state, ctx, actor, unit, Some(problems.join("; "))).await
        }
        Err(e) => crate::failure::Failure::from(e).page(ctx),
    }
}

/// Sets a task (form: unit, title, agency, cooperating_<code>, due_on).
pub async fn add(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| crate::input::field(&f, k);
    let new = registry::NewTask {
        unit_code: field("unit"),
        title: field("title"),
        agency: field("agency"),
        cooperating: crate::input::ticked(
            &f,
            "cooperating_",
            state.policies.agencies.iter().map(|a| a.code.as_str()),
        ),
        due_on: field("due_on"),
        target: field("target").parse().ok(),
    };
    let result = state
        .registry
        .add_task(actor, &new, &state.policies)
        .await
        .map(|_| ());
    after(&state, &ctx, actor, field("unit"), result).await
}

/// The responsible agency's progress report (multipart form: unit,
/// progress, note, and a file, a PDF or a photo, if any).
pub async fn report(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(task): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Response {
    let Some(crate::input::Upload { fields, file }) =
        crate::input::upload(multipart, "bao-cao").await
    else {
        let problem = ctx.tr().t("tasks_unreadable").to_string();
        return page(&state, &ctx, actor, String::new(), Some(problem)).await;
    };
    let field = |k: &str| crate::input::field(&fields, k);
    let result = state
        .registry
        .report_task(
            actor,
            task,
            &field("progress"),
            &field("note"),
            file.as_ref().map(|(n, d)| (n.as_str(), d.as_slice())),
        )
        .await;
    after(&state, &ctx, actor, field("unit"), result).await
}

/// A file attached to a task's report.
pub async fn file(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path((task, file)): Path<(i64, i64)>,
) -> Response {
    match state.registry.task_file(actor, task, file).await {
        Ok(Some((name, _, data))) => crate::reviews::file_response(&name, data),
        Ok(None) => {
            crate::pages::message_for(&ctx, axum::http::StatusCode::NOT_FOUND, "error_not_found")
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}
