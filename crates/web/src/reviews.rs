//! The review workflow's pages: rounds, their steps, the printable posting
//! list and certificates.

use crate::i18n::Tr;
use crate::pages::{UserView, user_view};
use crate::{AppState, Ctx, redirect};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::{Actor, Capability, Complaint, Meeting, RegistryError, Step, Vote};
use registry::{HouseholdId, RoundId, RoundKind, RoundPlan};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "reviews.html")]
struct ReviewsPage {
    tr: Tr,
    user: Option<UserView>,
    rounds: Vec<(RoundId, String, i64, String, String)>,
    /// More closed rounds than are listed.
    more_closed: bool,
    communes: Vec<(String, String)>,
    /// The commune is typed and searched, not picked from a list.
    commune_search: bool,
    year: i64,
    can_write: bool,
    error: Option<String>,
}

/// A case of a round as its page shows it.
pub struct CaseRow {
    pub id: HouseholdId,
    pub code: String,
    pub head: String,
    pub village: String,
    pub origin: String,
    pub proposed: String,
    pub agreeing: String,
    pub final_status: String,
    pub certificate: String,
    /// "must be surveyed again" / "surveyed again, vote again", if so.
    pub resurvey: String,
    /// The meeting must vote on it (never voted, or surveyed again).
    pub needs_vote: bool,
    /// The agreeing count already recorded, for the meeting form.
    pub agreeing_value: String,
    /// An applicant, screened with form A before form B.
    pub applicant: bool,
    /// The form A criteria it met (screened out), in words.
    pub screened_out: Vec<String>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    tr: Tr,
    user: Option<UserView>,
    id: RoundId,
    commune: String,
    year: i64,
    step: String,
    step_code: String,
    steps: Vec<(String, bool)>,
    cases: Vec<CaseRow>,
    statuses: Vec<(String, String)>,
    closed: bool,
    /// Reported to the level above or closed: the commune's part is done.
    reported: bool,
    /// The unit the round is (or will be) reported to.
    approver: String,
    can_write: bool,
    can_approve: bool,
    error: Option<String>,
    /// (file id, name).
    minutes: Vec<(i64, String)>,
    /// Working days of posting, from the calendar file.
    posting_days: u32,
    /// Form A of the year's standard: its name and (code, criterion).
    screening: Option<(String, Vec<(String, String)>)>,
    /// "từ dd/mm/yyyy đến hết dd/mm/yyyy" once the posting has started.
    posting_period: Option<String>,
}

fn html(status: StatusCode, t: impl Template) -> Response {
    match t.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A stored date as dd/mm/yyyy; empty when missing.
fn date(d: &Option<String>) -> String {
    d.as_deref()
        .and_then(vntext::parse_date)
        .map(vntext::format_date)
        .unwrap_or_default()
}

fn step_name(tr: Tr, step: Step) -> String {
    tr.t(&format!("step_{}", step.code())).to_string()
}

fn message(e: &RegistryError) -> String {
    match e {
        RegistryError::Invalid(p) => p.join("; "),
        other => other.to_string(),
    }
}

/// The closed rounds the reviews page lists, newest first.
const CLOSED_LISTED: i64 = 100;

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    // Every round under way, then the latest closed ones: a province
    // closes hundreds a year, a nation thousands.
    let mut rounds = state
        .registry
        .open_rounds(actor, i64::MAX)
        .await
        .unwrap_or_default();
    let mut closed = state
        .registry
        .closed_rounds(actor, CLOSED_LISTED + 1)
        .await
        .unwrap_or_default();
    let more_closed = closed.len() as i64 > CLOSED_LISTED;
    closed.truncate(CLOSED_LISTED as usize);
    rounds.extend(closed);
    let communes = state
        .registry
        .unit_choices(actor, None)
        .await
        .unwrap_or_default();
    // The year under way, never one that has not begun; the communes that
    // exist in it.
    let year = state.current_year();
    let communes: Vec<(String, String)> = communes
        .into_iter()
        .filter(|u| u.level == registry::Level::Commune && u.existed_in(year))
        .map(|u| (u.code, u.name))
        .collect();
    // A province's communes: typed and searched, not listed.
    let commune_search = communes.len() > crate::pages::UNITS_LISTED;
    let communes = if commune_search { Vec::new() } else { communes };
    html(
        status,
        ReviewsPage {
            tr,
            user: user_view(ctx),
            rounds: rounds
                .into_iter()
                .map(|(r, name)| {
                    let kind = match (r.kind, r.month) {
                        (RoundKind::Regular, Some(month)) => {
                            format!("{} {month}", tr.t("reviews_regular_month"))
                        }
                        (RoundKind::Regular, None) => tr.t("reviews_regular").to_string(),
                        (RoundKind::Periodic, _) => tr.t("reviews_periodic").to_string(),
                    };
                    (r.id, name, r.year, kind, step_name(tr, r.step))
                })
                .collect(),
            more_closed,
            communes,
            commune_search,
            year,
            can_write: actor.may(Capability::Write),
            error,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
) -> Response {
    if !actor.may(Capability::SeeNames) {
        return crate::pages::forbidden(&ctx);
    }
    list_page(&state, &ctx, actor, StatusCode::OK, None).await
}

pub async fn open(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let tr = ctx.tr();
    let year = match crate::input::review_year(tr, field("year"), state.current_year() + 1) {
        Ok(y) => y,
        Err(problem) => {
            return list_page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(problem)).await;
        }
    };
    let typed = crate::pages::unit_named(
        &state.registry,
        actor,
        field("commune"),
        Some(registry::Level::Commune),
    )
    .await;
    let commune = typed.as_deref().unwrap_or(field("commune")).trim();
    let plan = match RoundKind::parse(field("kind")) {
        Some(RoundKind::Periodic) => Ok(RoundPlan::Periodic {
            reason: Some(field("reason").to_string()),
        }),
        Some(RoundKind::Regular) => {
            crate::input::whole(tr, tr.t("reviews_month"), field("month"), 1..=12).map(|month| {
                RoundPlan::Regular {
                    month: month as u32,
                }
            })
        }
        None => Err(format!(
            "{}: {}",
            tr.t("reviews_kind"),
            tr.t("input_unknown_choice")
        )),
    };
    let plan = match plan {
        Ok(plan) => plan,
        Err(problem) => {
            return list_page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(problem)).await;
        }
    };
    match state.registry.open_round(actor, commune, year, &plan).await {
        Ok(id) => redirect(&format!("/reviews/{id}")),
        Err(RegistryError::Forbidden(_)) => crate::pages::forbidden(&ctx),
        Err(e) => {
            list_page(
                &state,
                &ctx,
                actor,
                StatusCode::BAD_REQUEST,
                Some(message(&e)),
            )
            .await
        }
    }
}

async fn round_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: RoundId,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let Ok(Some((round, cases))) = state.registry.round(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let commune = state
        .registry
        .unit(round.commune_id)
        .await
        .ok()
        .flatten()
        .map_or_else(String::new, |u| u.name);
    let opt = |s: &Option<standard::Status>| {
        s.map(|c| tr.status(c.code()).to_string())
            .unwrap_or_default()
    };
    let writes = state
        .registry
        .may_write(actor, round.commune_id)
        .await
        .unwrap_or(false);
    let can_approve = state
        .registry
        .may_approve(actor, &round)
        .await
        .unwrap_or(false);
    let language = tr.language();
    let screening = state
        .catalogue
        .for_review_year(round.year as u16)
        .and_then(|s| s.screening.as_ref());
    let approver = match state.registry.round_approver(&round).await {
        Ok(Some(unit)) => unit.name,
        _ => String::new(),
    };
    html(
        status,
        ReviewPage {
            tr,
            user: user_view(ctx),
            id,
            commune,
            year: round.year,
            step: step_name(tr, round.step),
            step_code: round.step.code().to_string(),
            posting_days: registry::calendar::Calendar::builtin().posting_days,
            screening: screening.map(|sc| {
                (
                    sc.form.get(language).to_string(),
                    sc.criteria
                        .iter()
                        .map(|c| (c.code.clone(), c.text(language).to_string()))
                        .collect(),
                )
            }),
            posting_period: round.posting_end().map(|end| {
                format!(
                    "{} {} {} {}",
                    tr.t("print_posted_from"),
                    date(&round.posting_start),
                    tr.t("reviews_posted_until"),
                    vntext::format_date(end)
                )
            }),
            steps: Step::ALL
                .iter()
                .map(|&s| (step_name(tr, s), s == round.step))
                .collect(),
            cases: cases
                .iter()
                .map(|c| CaseRow {
                    id: c.household_id,
                    code: c.code.clone(),
                    head: c.head_name.clone(),
                    village: c.village.clone().unwrap_or_default(),
                    origin: tr.t(&format!("origin_{}", c.origin)).to_string(),
                    proposed: opt(&c.proposed_status),
                    agreeing: c.agreeing.map(|a| a.to_string()).unwrap_or_default(),
                    final_status: opt(&c.final_status),
                    certificate: c.certificate.clone().unwrap_or_default(),
                    resurvey: match c.resurvey() {
                        registry::Resurvey::No => String::new(),
                        registry::Resurvey::WaitingForSurvey => {
                            tr.t("reviews_resurvey").to_string()
                        }
                        registry::Resurvey::WaitingForVote => tr.t("reviews_revote").to_string(),
                    },
                    needs_vote: c.agreeing.is_none() || c.resurvey() != registry::Resurvey::No,
                    agreeing_value: if c.resurvey() == registry::Resurvey::No {
                        c.agreeing.map(|a| a.to_string()).unwrap_or_default()
                    } else {
                        String::new()
                    },
                    applicant: c.origin == "request",
                    screened_out: c
                        .screened_out
                        .as_deref()
                        .map(|codes| {
                            codes
                                .split(';')
                                .map(|code| {
                                    screening
                                        .and_then(|sc| sc.criteria.iter().find(|k| k.code == code))
                                        .map_or_else(
                                            || code.to_string(),
                                            |k| k.text(language).to_string(),
                                        )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            statuses: standard::Status::ALL
                .iter()
                .map(|s| (s.code().to_string(), tr.status(s.code()).to_string()))
                .collect(),
            closed: round.step == Step::Closed,
            reported: matches!(round.step, Step::Reported | Step::Closed),
            approver,
            can_write: writes,
            can_approve,
            error,
            minutes: state
                .registry
                .minutes_files(actor, id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(f, name, _)| (f, name))
                .collect(),
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<RoundId>,
) -> Response {
    round_page(&state, &ctx, actor, id, StatusCode::OK, None).await
}

/// Runs one step's action and shows the round again (with the problem, if any).
async fn after(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: RoundId,
    result: Result<(), RegistryError>,
) -> Response {
    match result {
        Ok(()) => redirect(&format!("/reviews/{id}")),
        Err(RegistryError::Forbidden(_)) => crate::pages::forbidden(ctx),
        Err(RegistryError::NotFound(_)) => crate::pages::not_found(Extension(ctx.clone())).await,
        Err(e) => {
            round_page(
                state,
                ctx,
                actor,
                id,
                StatusCode::BAD_REQUEST,
                Some(message(&e)),
            )
            .await
        }
    }
}

pub async fn step(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path((id, action)): Path<(RoundId, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let r = &state.registry;
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    // Per-case fields are named `<prefix>_<household id>`.
    let per_case = |prefix: &str| -> Vec<(HouseholdId, String)> {
        f.iter()
            .filter_map(|(k, v)| {
                Some((k.strip_prefix(prefix)?.parse().ok()?, v.trim().to_string()))
            })
            .collect()
    };
    let tr = ctx.tr();
    let result = match action.as_str() {
        "surveys" => r.finish_surveys(actor, id).await,
        "meeting" => {
            let mut problems = Vec::new();
            let attendees = crate::input::whole(
                tr,
                tr.t("reviews_attendees"),
                &field("attendees"),
                1..=100_000,
            )
            .map_err(|p| problems.push(p))
            .unwrap_or(0);
            let mut votes: Vec<Vote> = Vec::new();
            let mut typed = per_case("agree_");
            typed.sort();
            for (household_id, v) in typed {
                if v.is_empty() {
                    continue;
                }
                let label = format!(
                    "{} ({} {household_id})",
                    tr.t("reviews_agreeing"),
                    tr.t("households_code_number")
                );
                match crate::input::whole(tr, &label, &v, 0..=100_000) {
                    Ok(agreeing) => votes.push(Vote {
                        household_id,
                        agreeing,
                    }),
                    Err(p) => problems.push(p),
                }
            }
            if problems.is_empty() {
                let meeting = Meeting {
                    date: field("date"),
                    chair: field("chair"),
                    attendees,
                    minutes: field("minutes"),
                };
                r.record_meeting(actor, id, &meeting, &votes)
                    .await
                    .map(|_| ())
            } else {
                Err(RegistryError::Invalid(problems))
            }
        }
        // The days are the law's, from the calendar file.
        "posting" => r.start_posting(actor, id, &field("start"), None).await,
        // Form A for one applicant: the criteria ticked, `criterion_<code>`.
        "screening" => {
            let household: Option<HouseholdId> = field("household").parse().ok();
            let year = r
                .round(actor, id)
                .await
                .ok()
                .flatten()
                .map(|(round, _)| round.year);
            let standard = year.and_then(|y| state.catalogue.for_review_year(y as u16));
            match (household, standard) {
                (Some(household), Some(standard)) => {
                    let met: Vec<String> = f
                        .iter()
                        .filter(|(_, v)| !v.trim().is_empty())
                        .filter_map(|(k, _)| k.strip_prefix("criterion_").map(String::from))
                        .collect();
                    r.screen_applicant(actor, id, household, standard, &met)
                        .await
                }
                _ => Err(RegistryError::Invalid(vec![
                    tr.t("reviews_screening_bad").to_string(),
                ])),
            }
        }
        "complaints" => {
            let texts: HashMap<HouseholdId, String> = per_case("complaint_").into_iter().collect();
            let complaints: Vec<Complaint> = per_case("recheck_")
                .into_iter()
                .filter(|(_, status)| !status.is_empty())
                .map(|(household_id, recheck_status)| Complaint {
                    household_id,
                    complaint: texts.get(&household_id).cloned().unwrap_or_default(),
                    recheck_status,
                })
                .collect();
            r.record_complaints(actor, id, &complaints)
                .await
                .map(|_| ())
        }
        "recognition" => r
            .recognise(actor, id, &field("number"), &field("date"))
            .await
            .map(|_| ()),
        _ => return crate::pages::not_found(Extension(ctx.clone())).await,
    };
    after(&state, &ctx, actor, id, result).await
}

/// The level above approves a commune's reported review.
pub async fn approve(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<RoundId>,
) -> Response {
    let result = state.registry.approve_round(actor, id).await;
    after(&state, &ctx, actor, id, result).await
}

/// The level above sends a reported review back, or reopens a closed one.
pub async fn reopen(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<RoundId>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let reason = f.get("reason").map(|v| v.trim()).unwrap_or_default();
    let result = state.registry.reopen_round(actor, id, reason).await;
    after(&state, &ctx, actor, id, result).await
}

/// Uploads the signed minutes of the meeting (multipart field `file`). The
/// route's body limit is the minutes' limit plus the multipart framing.
pub async fn upload_minutes(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<RoundId>,
    multipart: axum::extract::Multipart,
) -> Response {
    let unreadable = || {
        round_page(
            &state,
            &ctx,
            actor,
            id,
            StatusCode::BAD_REQUEST,
            Some(
                "không đọc được tệp tải lên, hoặc tệp quá lớn (tối đa 10 MB; PDF, JPEG hoặc PNG)"
                    .into(),
            ),
        )
    };
    let Some(upload) = crate::input::upload(multipart, "bien-ban").await else {
        return unreadable().await;
    };
    if let Some((name, bytes)) = upload.file {
        let result = state
            .registry
            .upload_minutes(actor, id, &name, &bytes)
            .await
            .map(|_| ());
        return after(&state, &ctx, actor, id, result).await;
    }
    round_page(
        &state,
        &ctx,
        actor,
        id,
        StatusCode::BAD_REQUEST,
        Some("chọn tệp biên bản".into()),
    )
    .await
}

/// A stored file (minutes, a task report's attachment) to download, its
/// type read from its first bytes, never from what was stored with it.
pub(crate) fn file_response(name: &str, data: Vec<u8>) -> Response {
    let kind = registry::sniff_minutes(&data).map_or("application/octet-stream", |k| k.0);
    (
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, attachment(name)),
        ],
        data,
    )
        .into_response()
}

/// `Content-Disposition` for a download: an ASCII fallback name and the
/// real name in UTF-8 (RFC 6266 / RFC 5987).
pub(crate) fn attachment(name: &str) -> String {
    let fallback: String = vntext::search_key(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Downloads a minutes file, with the type it was found to be on upload.
pub async fn minutes(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path((id, file)): Path<(RoundId, i64)>,
) -> Response {
    match state.registry.minutes_file(actor, id, file).await {
        Ok(Some((name, _, data))) => file_response(&name, data),
        _ => crate::pages::not_found(Extension(ctx.clone())).await,
    }
}

/// The printable posting list (by village) or the certificates of a round.
pub async fn printable(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path((id, what)): Path<(RoundId, String)>,
) -> Response {
    let tr = ctx.tr();
    let Ok(Some((round, cases))) = state.registry.round(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let commune = state
        .registry
        .unit(round.commune_id)
        .await
        .ok()
        .flatten()
        .map_or_else(String::new, |u| u.name);
    use report::{Cell, Column, Kind, Report, Section, Signature};
    let columns = |keys: &[&str]| -> Vec<Column> {
        keys.iter()
            .map(|k| Column::new(tr.t(k), Kind::Text))
            .collect()
    };
    let status =
        |s: &Option<standard::Status>| Cell::text(s.map(|s| tr.status(s.code())).unwrap_or(""));
    let place_date = |d: &Option<String>| {
        d.as_deref()
            .and_then(vntext::parse_date)
            .map(|d| crate::i18n::place_date(tr, &commune, d))
    };
    let report = match what.as_str() {
        "posting-list" => {
            // By village, in the order of the printed list.
            let mut sections: Vec<Section> = Vec::new();
            for (i, c) in cases.iter().enumerate() {
                let village = c.village.clone().unwrap_or_default();
                let row = vec![
                    Cell::Text((i + 1).to_string()),
                    Cell::text(&c.code),
                    Cell::text(&c.head_name),
                    status(&c.proposed_status),
                ];
                match sections
                    .iter_mut()
                    .find(|v| v.heading.as_deref() == Some(village.as_str()))
                {
                    Some(v) => v.rows.push(row),
                    None => sections.push(Section {
                        heading: Some(village),
                        rows: vec![row],
                        subtotal: None,
                    }),
                }
            }
            Report {
                title: format!("{} {}", tr.t("print_posting_title"), round.year),
                subtitle: match &round.posting_start {
                    Some(_) => format!(
                        "{commune} — {} {} {} {} ({} {} {})",
                        tr.t("print_posted_from"),
                        date(&round.posting_start),
                        tr.t("reviews_posted_until"),
                        round
                            .posting_end()
                            .map(vntext::format_date)
                            .unwrap_or_default(),
                        round.posting_days.unwrap_or_default(),
                        tr.t("print_working_days"),
                        tr.t("reviews_posting_not_counted"),
                    ),
                    None => format!("{commune} — {}", tr.t("print_draft")),
                },
                columns: columns(&[
                    "print_number",
                    "households_code",
                    "households_head",
                    "print_surveyed_as",
                ]),
                sections,
                place_date: place_date(&round.posting_start),
                signatures: vec![Signature {
                    title: tr.t("print_for_committee").into(),
                    name: String::new(),
                }],
                ..Report::default()
            }
        }
        "certificates" => Report {
            title: format!("{} {}", tr.t("print_certificates_title"), round.year),
            subtitle: format!(
                "{commune} — {} {} {} {}",
                tr.t("print_by_decision"),
                round.decision_number.clone().unwrap_or_default(),
                tr.t("print_dated"),
                date(&round.decision_date)
            ),
            columns: columns(&[
                "reviews_certificate",
                "households_code",
                "households_head",
                "households_village",
                "print_recognised_as",
            ]),
            sections: vec![Section {
                rows: cases
                    .iter()
                    .filter_map(|c| {
                        Some(vec![
                            Cell::Text(c.certificate.clone()?),
                            Cell::text(&c.code),
                            Cell::text(&c.head_name),
                            Cell::text(c.village.as_deref().unwrap_or("")),
                            status(&c.final_status),
                        ])
                    })
                    .collect(),
                ..Section::default()
            }],
            place_date: place_date(&round.decision_date),
            signatures: vec![Signature {
                title: tr.t("print_chairman").into(),
                name: String::new(),
            }],
            ..Report::default()
        },
        _ => return crate::pages::not_found(Extension(ctx.clone())).await,
    };
    match report::html(&report, &crate::i18n::report_words(tr)) {
        Ok(page) => (StatusCode::OK, Html(page)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "printable page");
            crate::failure::Failure::Server.page(&ctx)
        }
    }
}
