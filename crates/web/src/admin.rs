//! The administrator's pages: accounts and their roles.

use crate::i18n::Tr;
use crate::pages::{UserView, user_view};
use crate::{AppState, Ctx, redirect};
use askama::Template;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::{Actor, RegistryError, Role};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    tr: Tr,
    user: Option<UserView>,
    users: Vec<(String, String, String)>,
    roles: Vec<(String, String)>,
    units: Vec<(String, String)>,
    /// (code, name) of the policy catalogue's agencies.
    agencies: Vec<(String, String)>,
    /// The latest failed sign-ins: (when, username, address, why).
    failures: Vec<(String, String, String, String)>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let tr = ctx.tr();
    let users = match state.registry.users(actor).await {
        Ok(u) => u,
        Err(_) => return crate::pages::forbidden(ctx),
    };
    let units = state.registry.units().await.unwrap_or_default();
    let failures = state
        .registry
        .failed_sign_ins(actor, 200)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            (
                crate::history::when(&f.at),
                f.username,
                f.client,
                tr.t(&format!("sign_in_{}", f.reason.code())).to_string(),
            )
        })
        .collect();
    let html = UsersPage {
        tr,
        user: user_view(ctx),
        users: users
            .into_iter()
            .map(|u| {
                let role = Role::parse(&u.role).map_or(u.role.clone(), |r| tr.role(r).to_string());
                let unit = match u.unit {
                    Some(code) => match units.iter().find(|n| n.code == code) {
                        Some(n) => format!("{} ({code})", n.name),
                        None => code,
                    },
                    None => String::new(),
                };
                (u.username, role, unit)
            })
            .collect(),
        roles: Role::FORM_ORDER
            .iter()
            .map(|r| (r.code().to_string(), tr.role(*r).to_string()))
            .collect(),
        failures,
        agencies: state
            .policies
            .agencies
            .iter()
            .map(|a| (a.code.clone(), a.name.get(tr.language()).to_string()))
            .collect(),
        units: units
            .into_iter()
            .filter(|u| u.level != registry::Level::Village)
            .map(|u| (u.code.clone(), format!("{} ({})", u.name, u.code)))
            .collect(),
        error,
    }
    .render();
    match html {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn users(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
) -> Response {
    page(&state, &ctx, actor, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    #[serde(default)]
    password: String,
    role: String,
    #[serde(default)]
    unit: String,
    /// An agency officer's agency.
    #[serde(default)]
    agency: String,
}

fn message(e: RegistryError) -> String {
    match e {
        RegistryError::Invalid(p) => p.join("; "),
        other => other.to_string(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(f): Form<NewUser>,
) -> Response {
    let Some(role) = Role::parse(&f.role) else {
        return page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(f.role)).await;
    };
    let unit = Some(f.unit.as_str()).filter(|u| !u.is_empty());
    let agency = f.agency.trim();
    if (role == Role::AgencyOfficer) == agency.is_empty() {
        let problem = if agency.is_empty() {
            "cơ quan: chọn cơ quan của cán bộ cơ quan"
        } else {
            "cơ quan: chỉ tài khoản cán bộ cơ quan thuộc một cơ quan"
        };
        return page(
            &state,
            &ctx,
            actor,
            StatusCode::BAD_REQUEST,
            Some(problem.into()),
        )
        .await;
    }
    if !agency.is_empty() && state.policies.agency(agency).is_none() {
        let problem = format!("cơ quan: \"{agency}\" không có trong danh mục");
        return page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(problem)).await;
    }
    let added = state
        .registry
        .add_user(actor, &f.username, &f.password, role, unit)
        .await;
    let added = match (added, agency) {
        (Ok(_), "") => Ok(()),
        (Ok(_), agency) => {
            state
                .registry
                .assign_agency(actor, &f.username, agency, &state.policies)
                .await
        }
        (Err(e), _) => Err(e),
    };
    match added {
        Ok(()) => redirect("/admin/users"),
        Err(e) => refused(&state, &ctx, actor, e).await,
    }
}

pub async fn assign(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(f): Form<NewUser>,
) -> Response {
    let Some(role) = Role::parse(&f.role) else {
        return page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(f.role)).await;
    };
    let unit = Some(f.unit.as_str()).filter(|u| !u.is_empty());
    if let Some(problem) = agency_problem(&state, role, f.agency.trim()) {
        return page(&state, &ctx, actor, StatusCode::BAD_REQUEST, Some(problem)).await;
    }
    let changed = state
        .registry
        .set_role(actor, &f.username, role, unit)
        .await;
    let changed = match (changed, f.agency.trim()) {
        (Ok(()), "") => Ok(()),
        (Ok(()), agency) => {
            state
                .registry
                .assign_agency(actor, &f.username, agency, &state.policies)
                .await
        }
        (Err(e), _) => Err(e),
    };
    match changed {
        Ok(()) => redirect("/admin/users"),
        Err(e) => refused(&state, &ctx, actor, e).await,
    }
}

/// Why a role and an agency do not go together: an agency officer needs
/// one of the catalogue's agencies, other roles none.
fn agency_problem(state: &AppState, role: Role, agency: &str) -> Option<String> {
    if (role == Role::AgencyOfficer) == agency.is_empty() {
        return Some(if agency.is_empty() {
            "cơ quan: chọn cơ quan của cán bộ cơ quan".into()
        } else {
            "cơ quan: chỉ tài khoản cán bộ cơ quan thuộc một cơ quan".into()
        });
    }
    (!agency.is_empty() && state.policies.agency(agency).is_none())
        .then(|| format!("cơ quan: \"{agency}\" không có trong danh mục"))
}

/// The accounts page again with why a change was refused (or forbidden).
async fn refused(state: &AppState, ctx: &Ctx, actor: &Actor, e: RegistryError) -> Response {
    match e {
        RegistryError::Forbidden(_) => crate::pages::forbidden(ctx),
        e => page(state, ctx, actor, StatusCode::BAD_REQUEST, Some(message(e))).await,
    }
}
