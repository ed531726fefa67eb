//! Creating and editing households and members.

use crate::i18n::Tr;
use crate::pages::{UserView, user_view};
use crate::{AppState, redirect};
use askama::Template;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::{Actor, Capability, NewHousehold, NewMember, RegistryError};
use registry::{HouseholdId, UnitId};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "household_form.html")]
struct HouseholdForm {
    tr: Tr,
    user: Option<UserView>,
    title: String,
    action: String,
    is_new: bool,
    code: String,
    villages: Vec<(String, String, bool)>,
    head_name: String,
    address: String,
    phone: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "member_form.html")]
struct MemberForm {
    tr: Tr,
    user: Option<UserView>,
    id: HouseholdId,
    head_name: String,
    error: Option<String>,
}

fn page(status: StatusCode, t: impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Villages in the actor's scope as "Commune – Village" options.
async fn villages(
    state: &AppState,
    actor: &Actor,
    selected: Option<UnitId>,
) -> Vec<(String, String, bool)> {
    let units = state
        .registry
        .units_in_scope(actor)
        .await
        .unwrap_or_default();
    let mut out: Vec<(String, String, bool)> = units
        .iter()
        .filter(|u| u.level == registry::Level::Village)
        .map(|v| {
            let commune = units
                .iter()
                .find(|c| Some(c.id) == v.parent_id)
                .map_or("", |c| c.name.as_str());
            (
                v.code.clone(),
                format!("{commune} – {}", v.name),
                Some(v.id) == selected,
            )
        })
        .collect();
    out.sort_by_cached_key(|v| vntext::natural_sort_key(&v.1));
    out
}

fn problem(e: &RegistryError) -> String {
    match e {
        RegistryError::Invalid(p) => p.join("; "),
        other => other.to_string(),
    }
}

/// A new household, from the form or the API (the commune is the
/// village's).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct HouseholdFields {
    #[serde(default)]
    pub code: String,
    pub village: String,
    pub head_name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
) -> Response {
    if !actor.may(Capability::Write) {
        return crate::pages::forbidden(&ctx);
    }
    let tr = ctx.tr();
    page(
        StatusCode::OK,
        HouseholdForm {
            tr,
            user: user_view(&ctx),
            title: tr.t("household_new").into(),
            action: "/households/new".into(),
            is_new: true,
            code: String::new(),
            villages: villages(&state, actor, None).await,
            head_name: String::new(),
            address: String::new(),
            phone: String::new(),
            error: None,
        },
    )
}

/// The household a form describes; its commune is its village's.
pub async fn new_household(state: &AppState, f: &HouseholdFields) -> NewHousehold {
    let commune = match state.registry.unit_by_code(&f.village).await {
        Ok(Some(v)) => match v.parent_id {
            Some(parent) => state.registry.unit(parent).await.ok().flatten(),
            None => None,
        },
        _ => None,
    };
    NewHousehold {
        code: f.code.trim().to_string(),
        commune_code: commune.map(|c| c.code).unwrap_or_default(),
        village_code: Some(f.village.clone()),
        address: f.address.clone(),
        head_name: f.head_name.clone(),
        phone: f.phone.clone(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Form(f): Form<HouseholdFields>,
) -> Response {
    let tr = ctx.tr();
    let new = new_household(&state, &f).await;
    match state.registry.create_household(actor, &new).await {
        Ok(id) => redirect(&format!("/households/{id}")),
        Err(RegistryError::Forbidden(_)) => crate::pages::forbidden(&ctx),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            HouseholdForm {
                tr,
                user: user_view(&ctx),
                title: tr.t("household_new").into(),
                action: "/households/new".into(),
                is_new: true,
                code: f.code,
                villages: villages(&state, actor, None).await,
                head_name: f.head_name,
                address: f.address,
                phone: f.phone,
                error: Some(problem(&e)),
            },
        ),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
) -> Response {
    let Ok(Some(h)) = state.registry.household_detail(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    if !actor.may(Capability::Write) {
        return crate::pages::forbidden(&ctx);
    }
    let tr = ctx.tr();
    let village_id = match &h.village {
        Some(name) => state
            .registry
            .units_in_scope(actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .find(|u| {
                &u.name == name && u.level == registry::Level::Village && u.parent_id.is_some()
            })
            .map(|u| u.id),
        None => None,
    };
    page(
        StatusCode::OK,
        HouseholdForm {
            tr,
            user: user_view(&ctx),
            title: tr.t("household_edit").into(),
            action: format!("/households/{id}/edit"),
            is_new: false,
            code: h.code,
            villages: villages(&state, actor, village_id).await,
            head_name: h.head_name,
            address: h.address,
            phone: h.phone,
            error: None,
        },
    )
}

pub async fn update(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Form(f): Form<HouseholdFields>,
) -> Response {
    let wanted = NewHousehold {
        code: String::new(),
        commune_code: String::new(),
        village_code: Some(f.village.clone()),
        address: f.address.clone(),
        head_name: f.head_name.clone(),
        phone: f.phone.clone(),
    };
    match state.registry.update_household(actor, id, &wanted).await {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(RegistryError::Forbidden(_)) => crate::pages::forbidden(&ctx),
        Err(RegistryError::NotFound(_))
            if !state
                .registry
                .household_visible(actor, id)
                .await
                .unwrap_or(false) =>
        {
            crate::pages::not_found(Extension(ctx.clone())).await
        }
        Err(e) => {
            let tr = ctx.tr();
            page(
                StatusCode::BAD_REQUEST,
                HouseholdForm {
                    tr,
                    user: user_view(&ctx),
                    title: tr.t("household_edit").into(),
                    action: format!("/households/{id}/edit"),
                    is_new: false,
                    code: String::new(),
                    villages: villages(&state, actor, None).await,
                    head_name: f.head_name,
                    address: f.address,
                    phone: f.phone,
                    error: Some(problem(&e)),
                },
            )
        }
    }
}

/// A new member, from the form or the API: dates dd/mm/yyyy, flags "on".
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberFields {
    pub full_name: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    ethnicity: String,
    disability: Option<String>,
    merit: Option<String>,
    social_protection: Option<String>,
}

impl MemberFields {
    pub fn member(&self) -> NewMember {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        NewMember {
            full_name: self.full_name.clone(),
            sex: some(&self.sex),
            birth_date: some(&self.birth_date),
            id_number: some(&self.id_number),
            relation: self.relation.clone(),
            ethnicity: self.ethnicity.clone(),
            disability: self.disability.is_some(),
            no_working_capacity: false,
            merit: self.merit.is_some(),
            social_protection: self.social_protection.is_some(),
        }
    }
}

pub async fn member_form(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
) -> Response {
    let Ok(Some(h)) = state.registry.household_detail(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    if !actor.may(Capability::Write) {
        return crate::pages::forbidden(&ctx);
    }
    page(
        StatusCode::OK,
        MemberForm {
            tr: ctx.tr(),
            user: user_view(&ctx),
            id,
            head_name: h.head_name,
            error: None,
        },
    )
}

pub async fn add_member(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Form(f): Form<MemberFields>,
) -> Response {
    let Ok(Some(h)) = state.registry.household_detail(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    match state.registry.add_member(actor, id, &f.member()).await {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(RegistryError::Forbidden(_)) => crate::pages::forbidden(&ctx),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            MemberForm {
                tr: ctx.tr(),
                user: user_view(&ctx),
                id,
                head_name: h.head_name,
                error: Some(problem(&e)),
            },
        ),
    }
}
