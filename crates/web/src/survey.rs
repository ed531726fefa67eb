//! The survey form: the household's and members' answers, the classification
//! shown as the form is filled (a small script asks `/api/v1/classify`), and
//! the server's own classification on submit, which is the one recorded.

use crate::i18n::Tr;
use crate::{AppState, Ctx, redirect};
use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::RegistryError;
use standard::{Diploma, Latrine, MemberAnswers, Standard, SurveyAnswers, WaterSource, Work};
use std::collections::HashMap;

/// Rows for members in the form (existing members first).
const MEMBER_ROWS: usize = 8;

fn flag(form: &HashMap<String, String>, key: &str) -> bool {
    form.get(key)
        .is_some_and(|v| v == "1" || v == "on" || v == "true")
}

fn number<T: std::str::FromStr>(form: &HashMap<String, String>, key: &str) -> Option<T> {
    form.get(key)
        .map(|v| v.trim().replace(['.', ' '], ""))
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse().ok())
}

/// The answers of the form's fields (the same names in the page and in the
/// API's JSON). A member row counts when its age is filled in.
pub fn answers_from(form: &HashMap<String, String>) -> SurveyAnswers {
    let pick = |key: &str| form.get(key).map(String::as_str).unwrap_or("");
    let members = (0..MEMBER_ROWS)
        .filter_map(|i| {
            let age: u32 = number(form, &format!("m{i}_age"))?;
            Some(MemberAnswers {
                age,
                birth_year: None,
                health_insurance: flag(form, &format!("m{i}_insurance")),
                needed_care: flag(form, &format!("m{i}_needed_care")),
                got_care: !flag(form, &format!("m{i}_no_care")),
                in_school: flag(form, &format!("m{i}_in_school")),
                right_school_level: flag(form, &format!("m{i}_in_school"))
                    && !flag(form, &format!("m{i}_behind")),
                diploma: match pick(&format!("m{i}_diploma")) {
                    "primary" => Diploma::Primary,
                    "lower_secondary" => Diploma::LowerSecondary,
                    "upper_secondary" => Diploma::UpperSecondary,
                    "vocational" => Diploma::Vocational,
                    "higher" => Diploma::Higher,
                    _ => Diploma::None,
                },
                work: match pick(&format!("m{i}_work")) {
                    "unemployed" => Work::Unemployed,
                    "own_account" => Work::OwnAccount,
                    "wage_contract" => Work::WageWithContract,
                    "wage_no_contract" => Work::WageWithoutContract,
                    _ => Work::NotInLabourForce,
                },
                undernourished: flag(form, &format!("m{i}_undernourished")),
                disabled_without_working_capacity: flag(form, &format!("m{i}_disabled")),
            })
        })
        .collect();
    SurveyAnswers {
        members,
        income_per_capita: number(form, "income").unwrap_or(0),
        durable_walls: flag(form, "durable_walls"),
        durable_columns: flag(form, "durable_columns"),
        durable_roof: flag(form, "durable_roof"),
        living_area_m2: number(form, "area_m2").unwrap_or(0.0),
        water: match pick("water") {
            "tap" => WaterSource::Tap,
            "drilled_well" => WaterSource::DrilledWell,
            "protected_dug_well" => WaterSource::ProtectedDugWell,
            "protected_spring" => WaterSource::ProtectedSpring,
            "rainwater" => WaterSource::Rainwater,
            "bottled" => WaterSource::Bottled,
            "unprotected_dug_well" => WaterSource::UnprotectedDugWell,
            "surface_water" => WaterSource::SurfaceWater,
            _ => WaterSource::Other,
        },
        latrine: match pick("latrine") {
            "septic" => Latrine::Septic,
            "semi_septic" => Latrine::SemiSeptic,
            "pour_flush" => Latrine::PourFlush,
            "ventilated_pit" => Latrine::VentilatedPit,
            "double_vault" => Latrine::DoubleVault,
            "open_pit" => Latrine::OpenPit,
            _ => Latrine::None,
        },
        internet: flag(form, "internet"),
        phone_subscription: flag(form, "internet") || flag(form, "phone"),
        tv: flag(form, "tv"),
        radio: flag(form, "radio"),
        computer: flag(form, "computer"),
        phone_or_tablet: flag(form, "phone"),
        loudspeaker: flag(form, "loudspeaker"),
        waste_treated: flag(form, "waste_treated"),
        ..SurveyAnswers::default()
    }
}

/// The classification of the answers, in words.
pub struct Outcome {
    pub status: String,
    pub deprived: Vec<String>,
}

pub fn classify(
    tr: Tr,
    standard: &Standard,
    area: standard::Area,
    year: i64,
    answers: &SurveyAnswers,
) -> Result<Outcome, String> {
    let set = answers
        .deprivations(standard, year as i32)
        .map_err(|e| e.to_string())?;
    let c = standard.classify(area, answers.income_per_capita, set);
    Ok(Outcome {
        status: tr.status(c.status.code()).to_string(),
        deprived: c
            .deprived_codes(standard)
            .map(|code| tr.indicator(standard, code))
            .collect(),
    })
}

pub struct MemberRow {
    pub index: usize,
    pub name: String,
    pub age: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    id: i64,
    head_name: String,
    year: i64,
    standard: String,
    area: String,
    rows: Vec<MemberRow>,
}

#[derive(serde::Deserialize)]
pub struct YearParam {
    pub year: Option<i64>,
}

fn standard_for(state: &AppState, year: i64) -> Option<&Standard> {
    state
        .catalogue
        .for_review_year(u16::try_from(year).unwrap_or(0))
}

pub async fn form(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Query(p): Query<YearParam>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    let tr = ctx.tr();
    let Ok(Some(detail)) = state.registry.household_detail(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let year = p.year.unwrap_or(2024);
    let Some(standard) = standard_for(&state, year) else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let area = state
        .registry
        .household_area(id)
        .await
        .unwrap_or(standard::Area::Rural);
    let rows = (0..MEMBER_ROWS)
        .map(|i| {
            let member = detail.members.get(i);
            let age = member
                .and_then(|m| m.birth_date.as_deref())
                .and_then(|b| b.get(..4)?.parse::<i64>().ok())
                .map(|y| (year - y).max(0).to_string())
                .unwrap_or_default();
            MemberRow {
                index: i,
                name: member.map(|m| m.full_name.clone()).unwrap_or_default(),
                age,
            }
        })
        .collect();
    let page = SurveyPage {
        tr,
        user: crate::pages::user_view(&ctx),
        id,
        head_name: detail.head_name,
        year,
        standard: standard
            .name
            .get(if tr.lang == crate::i18n::Lang::Vi {
                standard::Language::Vi
            } else {
                standard::Language::En
            })
            .to_string(),
        area: area.code().to_string(),
        rows,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
    Query(p): Query<YearParam>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let Some(actor) = ctx.actor.as_ref() else {
        return redirect("/login");
    };
    let year = p.year.or_else(|| number(&fields, "year")).unwrap_or(2024);
    let Some(standard) = standard_for(&state, year) else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let answers = answers_from(&fields);
    match state
        .registry
        .record_survey(actor, id, year, &answers, standard)
        .await
    {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(RegistryError::Invalid(problems)) => (
            StatusCode::BAD_REQUEST,
            Html(format!(
                "<p>{}</p>",
                problems.join("; ").replace('<', "&lt;")
            )),
        )
            .into_response(),
        // In scope but refused (a closed round, a read-only role): say why.
        Err(RegistryError::Forbidden(reason))
            if state
                .registry
                .household_detail(actor, id)
                .await
                .ok()
                .flatten()
                .is_some() =>
        {
            (
                StatusCode::FORBIDDEN,
                Html(format!("<p>{}</p>", reason.replace('<', "&lt;"))),
            )
                .into_response()
        }
        Err(RegistryError::Forbidden(_)) | Err(RegistryError::NotFound(_)) => {
            crate::pages::not_found(Extension(ctx.clone())).await
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `POST /api/v1/classify`: the classification of a form's answers, for the
/// live panel. Computes only; records nothing.
pub async fn classify_api(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(fields): Json<HashMap<String, String>>,
) -> Response {
    if ctx.actor.is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "cần đăng nhập"})),
        )
            .into_response();
    }
    let year = number(&fields, "year").unwrap_or(2024);
    let Some(standard) = standard_for(&state, year) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"error": "không có chuẩn cho năm này"})),
        )
            .into_response();
    };
    let area = if fields.get("area").map(String::as_str) == Some("urban") {
        standard::Area::Urban
    } else {
        standard::Area::Rural
    };
    match classify(ctx.tr(), standard, area, year, &answers_from(&fields)) {
        Ok(o) => {
            Json(serde_json::json!({"status": o.status, "deprived": o.deprived})).into_response()
        }
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"error": e})),
        )
            .into_response(),
    }
}
