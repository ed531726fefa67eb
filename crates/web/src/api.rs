//! The JSON API under `/api/v1`, with the same scope rules as the pages.
//! Sign in with `POST /auth/token` and send `Authorization: Bearer TOKEN`.

use crate::{AppState, Ctx};
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json};
use registry::{Capability, HouseholdQuery, RegistryError};
use serde::Deserialize;
use serde_json::json;

/// The API's routes, one method each (see `crate::route_table`).
pub(crate) fn routes() -> Vec<(Method, &'static str, crate::Needs, MethodRouter<AppState>)> {
    vec![
        (
            Method::POST,
            "/api/v1/auth/token",
            crate::Needs::Session,
            post(token),
        ),
        (
            Method::GET,
            "/api/v1/units",
            crate::Needs::Session,
            get(units),
        ),
        (
            Method::GET,
            "/api/v1/households",
            crate::Needs::Can(Capability::SeeNames),
            get(households),
        ),
        (
            Method::POST,
            "/api/v1/households",
            crate::Needs::Can(Capability::Write),
            post(create_household),
        ),
        (
            Method::GET,
            "/api/v1/households/{id}",
            crate::Needs::Household(Capability::SeeNames),
            get(household),
        ),
        (
            Method::POST,
            "/api/v1/households/{id}/members",
            crate::Needs::Household(Capability::Write),
            post(add_member),
        ),
        (
            Method::POST,
            "/api/v1/households/{id}/surveys",
            crate::Needs::Household(Capability::Write),
            post(record_survey),
        ),
        (
            Method::POST,
            "/api/v1/classify",
            crate::Needs::Session,
            post(crate::survey::classify_api),
        ),
        (
            Method::GET,
            "/api/v1/reviews",
            crate::Needs::Can(Capability::SeeNames),
            get(reviews),
        ),
        (
            Method::GET,
            "/api/v1/reviews/{id}",
            crate::Needs::Round(Capability::SeeNames),
            get(review),
        ),
        (
            Method::GET,
            "/api/v1/openapi.json",
            crate::Needs::Session,
            get(openapi),
        ),
    ]
}

/// The signed-in actor of an API request (401 in JSON without a token).
pub(crate) struct ApiActor {
    pub ctx: Ctx,
    pub actor: registry::Actor,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiActor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Response> {
        crate::signed_in(parts)
            .map(|(ctx, actor)| ApiActor { ctx, actor })
            .ok_or_else(unauthorized)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "cần đăng nhập: gửi Authorization: Bearer TOKEN (POST /api/v1/auth/token)",
    )
}

pub(crate) fn registry_error(e: RegistryError) -> Response {
    match e {
        RegistryError::Forbidden(m) => error(StatusCode::FORBIDDEN, &m),
        RegistryError::NotFound(m) => error(StatusCode::NOT_FOUND, &format!("không tìm thấy {m}")),
        RegistryError::Invalid(p) => error(StatusCode::UNPROCESSABLE_ENTITY, &p.join("; ")),
        RegistryError::Conflict(m) => error(StatusCode::CONFLICT, &m),
        RegistryError::Busy => {
            tracing::warn!("database busy");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                &RegistryError::Busy.to_string(),
            )
        }
        e => {
            tracing::error!(error = %e, "registry error");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lỗi máy chủ; đã ghi lại để quản trị viên kiểm tra",
            )
        }
    }
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn token(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(c): Json<Credentials>,
) -> Response {
    match crate::auth::sign_in(&state, &ctx.client, &c.username, &c.password).await {
        Ok(crate::auth::SignIn::Signed { token, actor }) => {
            Json(json!({ "token": token, "role": actor.role.code() })).into_response()
        }
        Ok(crate::auth::SignIn::Wrong) => error(
            StatusCode::UNAUTHORIZED,
            "tên đăng nhập hoặc mật khẩu không đúng",
        ),
        Ok(crate::auth::SignIn::Limited) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "đăng nhập sai quá nhiều lần; thử lại sau một phút",
        ),
        Err(e) => registry_error(e),
    }
}

async fn units(State(state): State<AppState>, ApiActor { ref actor, .. }: ApiActor) -> Response {
    match state.registry.units_in_scope(actor).await {
        Ok(units) => Json(json!({
            "units": units.iter().map(|u| json!({
                "code": u.code, "name": u.name, "level": u.level, "area": u.area,
                "parent_id": u.parent_id, "id": u.id, "merged_into_id": u.merged_into_id,
                "valid_from": u.valid_from, "valid_to": u.valid_to,
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => registry_error(e),
    }
}

#[derive(Deserialize)]
struct ListParams {
    #[serde(default)]
    q: String,
    unit: Option<String>,
    status: Option<String>,
    deprived: Option<String>,
    group: Option<String>,
    movement: Option<String>,
    year: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn households(
    State(state): State<AppState>,
    ApiActor { ctx, ref actor }: ApiActor,
    Query(p): Query<ListParams>,
) -> Response {
    let tr = ctx.tr();
    let number = |label: &str, text: &Option<String>, range, default: Option<i64>| match text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Ok(default),
        Some(t) => crate::input::whole(tr, label, t, range).map(Some),
    };
    let parsed = (
        crate::input::query(tr, &p.q),
        number(
            tr.t("input_page"),
            &p.page,
            1..=crate::input::PAGE_MAX,
            Some(1),
        ),
        number("per_page", &p.per_page, 1..=500, Some(50)),
        number(tr.t("household_year"), &p.year, 1990..=2100, None),
    );
    let (q, page, per_page, year) = match parsed {
        (Ok(q), Ok(Some(page)), Ok(Some(per_page)), Ok(year)) => (q, page, per_page, year),
        (q, page, per_page, year) => {
            let problems: Vec<String> = [q.err(), page.err(), per_page.err(), year.err()]
                .into_iter()
                .flatten()
                .collect();
            return error(StatusCode::BAD_REQUEST, &problems.join("; "));
        }
    };
    let query = HouseholdQuery {
        q,
        unit: p.unit,
        status: p.status,
        deprived: p.deprived,
        group: p.group,
        movement: p.movement,
        year,
        page,
        per_page,
    };
    match state.registry.list_households(actor, &query).await {
        Ok((rows, total)) => Json(json!({
            "total": total,
            // A name search counts up to the cap: "at least" beyond it.
            "total_capped": !query.q.trim().is_empty() && total >= registry::SEARCH_COUNT_CAP,
            "page": query.page.max(1), "per_page": query.per_page.clamp(1, 500), "households": rows
        }))
        .into_response(),
        Err(e) => registry_error(e),
    }
}

#[derive(Deserialize)]
struct DetailParams {
    /// "full": identity numbers in full (roles whose work needs them; the
    /// view is recorded in the audit log).
    id_numbers: Option<String>,
}

async fn household(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<String>,
    Query(p): Query<DetailParams>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::NOT_FOUND, "không tìm thấy hộ");
    };
    let full = p.id_numbers.as_deref() == Some("full");
    match state
        .registry
        .household_detail_showing(actor, id, full)
        .await
    {
        Ok(Some(detail)) => Json(detail).into_response(),
        // Outside the scope is the same answer as absent: no existence leak.
        Ok(None) => error(StatusCode::NOT_FOUND, "không tìm thấy hộ"),
        Err(e) => registry_error(e),
    }
}

async fn create_household(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Json(f): Json<crate::edit::HouseholdFields>,
) -> Response {
    let new = crate::edit::new_household(&state, &f).await;
    match state.registry.create_household(actor, &new).await {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Err(e) => registry_error(e),
    }
}

async fn add_member(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<i64>,
    Json(f): Json<crate::edit::MemberFields>,
) -> Response {
    // Outside the scope: not found, as for reading.
    if !matches!(state.registry.household_visible(actor, id).await, Ok(true)) {
        return error(StatusCode::NOT_FOUND, "không tìm thấy hộ");
    }
    match state.registry.add_member(actor, id, &f.member()).await {
        Ok(member) => (StatusCode::CREATED, Json(json!({ "id": member }))).into_response(),
        Err(e) => registry_error(e),
    }
}

#[derive(Deserialize)]
struct YearParam {
    year: Option<String>,
}

async fn record_survey(
    State(state): State<AppState>,
    ApiActor { ctx, ref actor }: ApiActor,
    Path(id): Path<i64>,
    Query(p): Query<YearParam>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Response {
    if !matches!(state.registry.household_visible(actor, id).await, Ok(true)) {
        return error(StatusCode::NOT_FOUND, "không tìm thấy hộ");
    }
    let tr = ctx.tr();
    let Some(year) = p.year.as_deref().and_then(|y| y.trim().parse::<i64>().ok()) else {
        return error(StatusCode::BAD_REQUEST, tr.t("survey_bad_year"));
    };
    let Some(standard) = state
        .catalogue
        .for_review_year(u16::try_from(year).unwrap_or(0))
    else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, tr.t("survey_no_standard"));
    };
    let fields = match crate::survey::json_fields(&body) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let answers = match crate::survey::answers_from(tr, &fields) {
        Ok(a) => a,
        Err(problems) => return error(StatusCode::UNPROCESSABLE_ENTITY, &problems.join("; ")),
    };
    match state
        .registry
        .record_survey(actor, id, year, &answers, standard)
        .await
    {
        Ok(a) => (
            StatusCode::CREATED,
            Json(json!({ "status": a.status, "deprived": a.deprived, "standard": a.standard_id })),
        )
            .into_response(),
        Err(e) => registry_error(e),
    }
}

async fn reviews(State(state): State<AppState>, ApiActor { ref actor, .. }: ApiActor) -> Response {
    if !actor.may(Capability::SeeNames) {
        return error(
            StatusCode::FORBIDDEN,
            "vai trò này chỉ xem số liệu tổng hợp",
        );
    }
    match state.registry.rounds(actor).await {
        Ok(rounds) => Json(json!({
            "reviews": rounds.into_iter().map(|(r, commune)| json!({"round": r, "commune": commune})).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => registry_error(e),
    }
}

async fn review(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<i64>,
) -> Response {
    match state.registry.round(actor, id).await {
        Ok(Some((round, cases))) => Json(json!({ "round": round, "cases": cases })).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "không tìm thấy đợt rà soát"),
        Err(e) => registry_error(e),
    }
}

/// The OpenAPI 3.1 description of this API.
pub fn openapi_document() -> serde_json::Value {
    let bearer = json!([{ "bearer": [] }]);
    let error = json!({ "$ref": "#/components/schemas/Error" });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "giamngheo API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Sổ hộ nghèo, cận nghèo: đơn vị, hộ, thành viên, kết quả rà soát. Phạm vi dữ liệu theo đơn vị của tài khoản." },
        "servers": [{ "url": "/api/v1" }],
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "properties": { "error": { "type": "string" } }, "required": ["error"] },
                "Household": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "code": { "type": "string" }, "head_name": { "type": "string" },
                    "commune": { "type": "string" }, "village": { "type": ["string", "null"] },
                    "status": { "type": ["string", "null"], "enum": ["poor", "near_poor", "average", "not_poor", null] } } }
            }
        },
        "paths": {
            "/auth/token": { "post": {
                "summary": "Đăng nhập, nhận token",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "username": { "type": "string" }, "password": { "type": "string" } },
                    "required": ["username", "password"] } } } },
                "responses": {
                    "200": { "description": "Token", "content": { "application/json": { "schema": { "type": "object", "properties": { "token": { "type": "string" }, "role": { "type": "string" } } } } } },
                    "401": { "description": "Sai tên đăng nhập hoặc mật khẩu", "content": { "application/json": { "schema": error } } },
                    "429": { "description": "Quá nhiều lần sai", "content": { "application/json": { "schema": error } } } } } },
            "/units": { "get": { "summary": "Các đơn vị trong phạm vi", "security": bearer,
                "responses": { "200": { "description": "Đơn vị" }, "401": { "description": "Chưa đăng nhập" } } } },
            "/households": { "post": { "summary": "Thêm hộ (xã lấy theo thôn)", "security": bearer,
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object",
                    "properties": { "code": { "type": "string" }, "village": { "type": "string" }, "head_name": { "type": "string" }, "address": { "type": "string" }, "phone": { "type": "string" } },
                    "required": ["code", "village", "head_name"] } } } },
                "responses": { "201": { "description": "Đã thêm" }, "403": { "description": "Ngoài phạm vi hoặc chỉ được xem" } } },
              "get": { "summary": "Danh sách hộ (phân trang, lọc)", "security": bearer,
                "parameters": [
                    { "name": "unit", "in": "query", "schema": { "type": "string" }, "description": "Mã đơn vị" },
                    { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Tên, có dấu hoặc không" },
                    { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["poor", "near_poor", "average", "not_poor"] } },
                    { "name": "deprived", "in": "query", "schema": { "type": "string" }, "description": "Mã chỉ số thiếu hụt" },
                    { "name": "group", "in": "query", "schema": { "type": "string", "enum": ["merit", "social_protection", "ethnic_minority", "no_working_capacity"] } },
                    { "name": "movement", "in": "query", "schema": { "type": "string", "enum": ["escaped", "newly_poor", "re_poor"] } },
                    { "name": "year", "in": "query", "schema": { "type": "integer" } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } }
                ],
                "responses": { "200": { "description": "Một trang hộ", "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" },
                    "households": { "type": "array", "items": { "$ref": "#/components/schemas/Household" } } } } } } },
                    "401": { "description": "Chưa đăng nhập" }, "403": { "description": "Vai trò chỉ xem số liệu tổng hợp" } } } },
            "/households/{id}": { "get": { "summary": "Một hộ: thành viên, kết quả rà soát (số định danh được che, trừ khi id_numbers=full)", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
                    { "name": "id_numbers", "in": "query", "schema": { "type": "string", "enum": ["full"] }, "description": "Số định danh đầy đủ (chỉ cán bộ xã, cấp trên, quản trị; được ghi vào nhật ký)" }],
                "responses": { "200": { "description": "Hộ" }, "404": { "description": "Không có, hoặc ngoài phạm vi của tài khoản", "content": { "application/json": { "schema": error } } } } } },
            "/households/{id}/members": { "post": { "summary": "Thêm thành viên", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "201": { "description": "Đã thêm" }, "404": { "description": "Không có, hoặc ngoài phạm vi" }, "422": { "description": "Dữ liệu không hợp lệ" } } } },
            "/households/{id}/surveys": { "post": { "summary": "Ghi phiếu khảo sát và xếp loại chính thức của năm", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }, { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } }],
                "responses": { "201": { "description": "Phân loại" }, "404": { "description": "Không có, hoặc ngoài phạm vi" } } } },
            "/classify": { "post": { "summary": "Phân loại câu trả lời của phiếu khảo sát (không ghi gì)", "security": bearer,
                "responses": { "200": { "description": "Phân loại và các chỉ số thiếu hụt" } } } },
            "/reviews": { "get": { "summary": "Các đợt rà soát trong phạm vi", "security": bearer,
                "responses": { "200": { "description": "Đợt rà soát và bước hiện tại" } } } },
            "/reviews/{id}": { "get": { "summary": "Một đợt rà soát và các hộ trong đợt", "security": bearer,
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "responses": { "200": { "description": "Đợt" }, "404": { "description": "Không có, hoặc ngoài phạm vi" } } } },
            "/openapi.json": { "get": { "summary": "Tài liệu này", "responses": { "200": { "description": "OpenAPI" } } } }
        }
    })
}

async fn openapi() -> Response {
    Json(openapi_document()).into_response()
}
