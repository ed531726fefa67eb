//! An agency's list uploaded, matched and confirmed (issue 11): the upload
//! form, the match report with its confirmation, and the confirmation's
//! result. The reading and matching are `registry::agency_lists`'.

use crate::i18n::Tr;
use crate::{AppState, SignedIn};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use registry::{MatchKey, MatchReport, RegistryError, RowOutcome};

#[derive(askama::Template)]
#[template(path = "agency_lists.html")]
struct ListsPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    /// (code, name) of the policies the actor works on.
    policies: Vec<(String, String)>,
    chosen: String,
    default_date: String,
    error: Option<String>,
    report: Option<ReportView>,
    /// After a confirmation: how many deliveries were written.
    written: Option<usize>,
}

/// The match report as the page shows it.
struct ReportView {
    token: String,
    policy: String,
    file_name: String,
    found_at: String,
    /// (label, count, css class) by outcome.
    counts: Vec<(String, usize, &'static str)>,
    /// (row, name, outcome in words, css class).
    rows: Vec<(usize, String, String, &'static str)>,
    unused_columns: String,
    confirmable: bool,
}

fn report_view(tr: Tr, policies: &support::Catalogue, report: &MatchReport) -> ReportView {
    let lang = tr.language();
    let words = |o: &RowOutcome| -> (String, &'static str) {
        match o {
            RowOutcome::Matched { by, household_code } => (
                tr.t("lists_matched_by")
                    .replace("{code}", household_code)
                    .replace(
                        "{key}",
                        tr.t(match by {
                            MatchKey::IdNumber => "lists_key_id_number",
                            MatchKey::HouseholdCode => "lists_key_household_code",
                            MatchKey::NameAndBirthDate => "lists_key_name_birth",
                        }),
                    ),
                "ok",
            ),
            RowOutcome::Updated { household_code } => (
                tr.t("lists_updated").replace("{code}", household_code),
                "ok",
            ),
            RowOutcome::AlreadyRecorded { household_code } => (
                tr.t("lists_already").replace("{code}", household_code),
                "muted",
            ),
            RowOutcome::Ambiguous(n) => (
                tr.t("lists_ambiguous").replace("{n}", &n.to_string()),
                "warn",
            ),
            RowOutcome::NotFound => (tr.t("lists_not_found").to_string(), "warn"),
            RowOutcome::OutsideScope => (tr.t("lists_outside").to_string(), "warn"),
            RowOutcome::Invalid(problems) => (problems.join("; "), "error"),
        }
    };
    type Wanted = fn(&RowOutcome) -> bool;
    let kinds: [(&str, Wanted, &'static str); 6] = [
        (
            "lists_count_matched",
            |o| matches!(o, RowOutcome::Matched { .. }),
            "ok",
        ),
        (
            "lists_count_already",
            |o| matches!(o, RowOutcome::AlreadyRecorded { .. }),
            "muted",
        ),
        (
            "lists_count_ambiguous",
            |o| matches!(o, RowOutcome::Ambiguous(_)),
            "warn",
        ),
        (
            "lists_count_not_found",
            |o| matches!(o, RowOutcome::NotFound),
            "warn",
        ),
        (
            "lists_count_outside",
            |o| matches!(o, RowOutcome::OutsideScope),
            "warn",
        ),
        (
            "lists_count_invalid",
            |o| matches!(o, RowOutcome::Invalid(_)),
            "error",
        ),
    ];
    ReportView {
        token: report.token.clone(),
        policy: policies
            .policy(&report.policy)
            .map_or(report.policy.clone(), |p| p.name.get(lang).to_string()),
        file_name: report.file_name.clone(),
        found_at: report.found_at.clone(),
        counts: kinds
            .iter()
            .map(|(key, wanted, class)| (tr.t(key).to_string(), report.count(*wanted), *class))
            .collect(),
        rows: report
            .rows
            .iter()
            .map(|r| {
                let (text, class) = words(&r.outcome);
                (r.row, r.name.clone(), text, class)
            })
            .collect(),
        unused_columns: report.unused_columns.join(", "),
        confirmable: report.confirmable(),
    }
}

fn lists_page(state: &AppState, ctx: &crate::Ctx, actor: &registry::Actor) -> ListsPage {
    let tr = ctx.tr();
    let lang = tr.language();
    ListsPage {
        tr,
        user: crate::pages::user_view(ctx),
        policies: state
            .policies
            .policies
            .iter()
            .filter(|p| actor.works_on(p))
            .map(|p| (p.code.clone(), p.name.get(lang).to_string()))
            .collect(),
        chosen: String::new(),
        default_date: String::new(),
        error: None,
        report: None,
        written: None,
    }
}

/// The upload form.
pub async fn form(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
) -> Response {
    crate::pages::render(lists_page(&state, &ctx, actor)).into_response()
}

/// Reads an uploaded list (multipart: `policy`, `default_date`, `file`)
/// and shows its match report; nothing is written.
pub async fn upload(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    multipart: axum::extract::Multipart,
) -> Response {
    let tr = ctx.tr();
    let mut page = lists_page(&state, &ctx, actor);
    let Some(crate::input::Upload { mut fields, file }) =
        crate::input::upload(multipart, "danh-sach.xlsx").await
    else {
        page.error = Some(tr.t("lists_unreadable").to_string());
        return (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response();
    };
    if let Some(policy) = fields.remove("policy") {
        page.chosen = policy;
    }
    if let Some(day) = fields.remove("default_date") {
        page.default_date = day;
    }
    // No file chosen: the browser sends an empty part.
    let file = file.filter(|(_, bytes)| !bytes.is_empty());
    let Some((name, bytes)) = file else {
        page.error = Some(tr.t("lists_choose_file").to_string());
        return (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response();
    };
    let default_date = Some(page.default_date.as_str()).filter(|d| !d.trim().is_empty());
    match state
        .registry
        .match_agency_list(
            actor,
            &state.policies,
            &page.chosen,
            &name,
            bytes,
            default_date,
        )
        .await
    {
        Ok(report) => {
            page.report = Some(report_view(tr, &state.policies, &report));
            crate::pages::render(page).into_response()
        }
        Err(RegistryError::Invalid(problems)) => {
            page.error = Some(problems.join("; "));
            (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response()
        }
        Err(RegistryError::Io { file, .. }) => {
            page.error = Some(tr.t("lists_unreadable_file").replace("{file}", &file));
            (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response()
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// Writes a matched list the actor confirms.
pub async fn confirm(
    State(state): State<AppState>,
    SignedIn { ctx, ref actor }: SignedIn,
    Path(token): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let tr = ctx.tr();
    let mut page = lists_page(&state, &ctx, actor);
    if f.confirm != "yes" {
        return crate::redirect("/support/lists");
    }
    match state
        .registry
        .confirm_agency_list(actor, &state.policies, &token)
        .await
    {
        Ok(n) => {
            page.written = Some(n);
            crate::pages::render(page).into_response()
        }
        Err(RegistryError::Invalid(problems)) => {
            page.error = Some(problems.join("; "));
            if let Ok(Some(report)) = state.registry.agency_list_report(actor, &token).await {
                page.report = Some(report_view(tr, &state.policies, &report));
            }
            (StatusCode::BAD_REQUEST, crate::pages::render(page)).into_response()
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}
