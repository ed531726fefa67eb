//! The JSON API under `/api/v1`, with the same scope rules as the pages.
//! Sign in with `POST /auth/token` and send `Authorization: Bearer TOKEN`.

use crate::dto;
use crate::failure::{ApiError, Failure};
use crate::{AppState, Ctx};
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json};
use registry::{Capability, HouseholdQuery};
use registry::{HouseholdId, RoundId};
use serde::Deserialize;
use utoipa::OpenApi;

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
            .ok_or_else(|| Failure::Unauthorized.json())
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Out of scope is the same answer as absent: no existence leak.
fn no_household() -> ApiError {
    ApiError(Failure::NotFound("hộ".into()))
}

#[utoipa::path(post, path = "/auth/token", tag = "auth", request_body = dto::TokenRequest,
    responses(
        (status = 200, description = "Token", body = dto::TokenResponse),
        (status = 401, description = "Sai tên đăng nhập hoặc mật khẩu", body = dto::ErrorBody),
        (status = 429, description = "Quá nhiều lần sai", body = dto::ErrorBody)))]
async fn token(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(c): Json<dto::TokenRequest>,
) -> ApiResult<Json<dto::TokenResponse>> {
    match crate::auth::sign_in(&state, &ctx.client, &c.username, &c.password).await? {
        crate::auth::SignIn::Signed { token, actor } => Ok(Json(dto::TokenResponse {
            token,
            role: actor.role.code().to_string(),
        })),
        crate::auth::SignIn::Wrong => Err(ApiError(Failure::WrongCredentials)),
        crate::auth::SignIn::Limited => Err(ApiError(Failure::TooManyRequests(
            "đăng nhập sai quá nhiều lần; thử lại sau một phút".into(),
        ))),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UnitsParams {
    /// Chỉ các đơn vị (trên thôn) có mã bắt đầu bằng, hoặc tên chứa, chữ
    /// này (không cần dấu), tối đa 20: ô chọn đơn vị tìm khi gõ.
    q: Option<String>,
}

#[utoipa::path(get, path = "/units", tag = "units", security(("bearer" = [])),
    params(UnitsParams),
    responses((status = 200, description = "Các đơn vị trong phạm vi", body = dto::Units),
        (status = 401, description = "Chưa đăng nhập", body = dto::ErrorBody)))]
async fn units(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Query(p): Query<UnitsParams>,
) -> ApiResult<Json<dto::Units>> {
    let units = match p.q.as_deref() {
        Some(text) => state.registry.find_units(actor, text, 20).await?,
        None => state.registry.units_in_scope(actor).await?,
    };
    Ok(Json(dto::Units {
        units: units.into_iter().map(dto::Unit::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Tên, có dấu hoặc không.
    #[serde(default)]
    q: String,
    /// Mã đơn vị.
    unit: Option<String>,
    /// poor, near_poor, average, not_poor.
    status: Option<String>,
    /// Mã chỉ số thiếu hụt.
    deprived: Option<String>,
    /// merit, social_protection, ethnic_minority, no_working_capacity.
    group: Option<String>,
    /// escaped, newly_poor, re_poor.
    movement: Option<String>,
    year: Option<String>,
    page: Option<String>,
    /// 1–500.
    per_page: Option<String>,
    /// Mã hộ: trang ngay sau hộ này theo thứ tự tên (đọc từ chỗ đó, trang
    /// sâu nhanh như trang đầu); không dùng cho tìm theo tên.
    after: Option<String>,
    /// Mã hộ: trang ngay trước hộ này.
    before: Option<String>,
}

#[utoipa::path(get, path = "/households", tag = "households", security(("bearer" = [])),
    params(ListParams),
    responses((status = 200, description = "Một trang hộ", body = dto::HouseholdPage),
        (status = 400, description = "Tham số sai", body = dto::ErrorBody),
        (status = 403, description = "Vai trò chỉ xem số liệu tổng hợp", body = dto::ErrorBody)))]
async fn households(
    State(state): State<AppState>,
    ApiActor { ctx, ref actor }: ApiActor,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<dto::HouseholdPage>> {
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
        crate::input::year_filter(tr, p.year.as_deref(), state.current_year() + 1),
        crate::input::list_filters(
            tr,
            p.status.as_deref(),
            p.group.as_deref(),
            p.movement.as_deref(),
        ),
    );
    let (q, page, per_page, year, filters) = match parsed {
        (Ok(q), Ok(Some(page)), Ok(Some(per_page)), Ok(year), Ok(filters)) => {
            (q, page, per_page, year, filters)
        }
        (q, page, per_page, year, filters) => {
            let mut problems: Vec<String> = [q.err(), page.err(), per_page.err(), year.err()]
                .into_iter()
                .flatten()
                .collect();
            problems.extend(filters.err().unwrap_or_default());
            return Err(ApiError(Failure::BadRequest(problems.join("; "))));
        }
    };
    let query = HouseholdQuery {
        q,
        unit: p.unit,
        status: filters.status,
        deprived: p.deprived,
        group: filters.group,
        movement: filters.movement,
        year,
        page,
        per_page,
        after: p.after.filter(|c| !c.trim().is_empty()),
        before: p.before.filter(|c| !c.trim().is_empty()),
    };
    let (rows, total) = state.registry.list_households(actor, &query).await?;
    Ok(Json(dto::HouseholdPage {
        total: total.count,
        total_capped: total.capped,
        page: query.page.max(1),
        per_page: query.per_page.clamp(1, 500),
        households: rows.into_iter().map(dto::HouseholdRow::from).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DetailParams {
    /// "full": identity numbers in full (roles whose work needs them; the
    /// view is recorded in the audit log).
    id_numbers: Option<String>,
}

#[utoipa::path(get, path = "/households/{id}", tag = "households", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Số của hộ"), DetailParams),
    responses((status = 200, description = "Hộ: thành viên, kết quả rà soát (số định danh được che, trừ khi id_numbers=full)", body = dto::Household),
        (status = 404, description = "Không có, hoặc ngoài phạm vi của tài khoản", body = dto::ErrorBody)))]
async fn household(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<String>,
    Query(p): Query<DetailParams>,
) -> ApiResult<Json<dto::Household>> {
    let id = id.parse::<HouseholdId>().map_err(|_| no_household())?;
    let full = p.id_numbers.as_deref() == Some("full");
    state
        .registry
        .household_detail_showing(actor, id, full)
        .await?
        .map(|d| Json(dto::Household::from(d)))
        .ok_or_else(no_household)
}

#[utoipa::path(post, path = "/households", tag = "households", security(("bearer" = [])),
    request_body = crate::edit::HouseholdFields,
    responses((status = 201, description = "Đã thêm (xã lấy theo thôn)", body = dto::Created),
        (status = 403, description = "Ngoài phạm vi hoặc chỉ được xem", body = dto::ErrorBody),
        (status = 422, description = "Dữ liệu không hợp lệ", body = dto::ErrorBody)))]
async fn create_household(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Json(f): Json<crate::edit::HouseholdFields>,
) -> ApiResult<(StatusCode, Json<dto::Created>)> {
    let new = crate::edit::new_household(&state, &f).await;
    let id = state.registry.create_household(actor, &new).await?;
    Ok((StatusCode::CREATED, Json(dto::Created { id: id.get() })))
}

#[utoipa::path(post, path = "/households/{id}/members", tag = "households", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Số của hộ")),
    request_body = crate::edit::MemberFields,
    responses((status = 201, description = "Đã thêm", body = dto::Created),
        (status = 404, description = "Không có, hoặc ngoài phạm vi", body = dto::ErrorBody),
        (status = 422, description = "Dữ liệu không hợp lệ", body = dto::ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<HouseholdId>,
    Json(f): Json<crate::edit::MemberFields>,
) -> ApiResult<(StatusCode, Json<dto::Created>)> {
    let member = state.registry.add_member(actor, id, &f.member()).await?;
    Ok((StatusCode::CREATED, Json(dto::Created { id: member.get() })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct YearParam {
    /// The review year.
    year: Option<String>,
}

#[utoipa::path(post, path = "/households/{id}/surveys", tag = "households", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Số của hộ"), YearParam),
    request_body(content = Object, description = "Câu trả lời của phiếu khảo sát, các trường như biểu mẫu"),
    responses((status = 201, description = "Ghi phiếu và xếp loại chính thức của năm", body = dto::SurveyRecorded),
        (status = 404, description = "Không có, hoặc ngoài phạm vi", body = dto::ErrorBody),
        (status = 422, description = "Câu trả lời không hợp lệ", body = dto::ErrorBody)))]
async fn record_survey(
    State(state): State<AppState>,
    ApiActor { ctx, ref actor }: ApiActor,
    Path(id): Path<HouseholdId>,
    Query(p): Query<YearParam>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<(StatusCode, Json<dto::SurveyRecorded>)> {
    let tr = ctx.tr();
    let year = crate::input::review_year(
        tr,
        p.year.as_deref().unwrap_or(""),
        state.current_year() + 1,
    )
    .map_err(|e| ApiError(Failure::BadRequest(e)))?;
    let standard = state
        .catalogue
        .for_review_year(year.get())
        .ok_or_else(|| ApiError(Failure::Invalid(vec![tr.t("survey_no_standard").into()])))?;
    let fields = crate::survey::json_fields(&body).map_err(|e| ApiError(Failure::BadRequest(e)))?;
    let answers =
        crate::survey::answers_from(tr, &fields).map_err(|p| ApiError(Failure::Invalid(p)))?;
    let recorded = state
        .registry
        .record_survey(actor, id, year, &answers, standard)
        .await?;
    Ok((StatusCode::CREATED, Json(recorded.into())))
}

#[utoipa::path(get, path = "/reviews", tag = "reviews", security(("bearer" = [])),
    responses((status = 200, description = "Các đợt rà soát trong phạm vi và bước hiện tại", body = dto::Reviews)))]
async fn reviews(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
) -> ApiResult<Json<dto::Reviews>> {
    actor.require(Capability::SeeNames)?;
    let rounds = state.registry.rounds(actor).await?;
    Ok(Json(dto::Reviews {
        reviews: rounds
            .into_iter()
            .map(|(round, commune)| dto::RoundInList {
                round: round.into(),
                commune,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/reviews/{id}", tag = "reviews", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Số của đợt")),
    responses((status = 200, description = "Một đợt rà soát và các hộ trong đợt", body = dto::Review),
        (status = 404, description = "Không có, hoặc ngoài phạm vi", body = dto::ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    ApiActor { ref actor, .. }: ApiActor,
    Path(id): Path<RoundId>,
) -> ApiResult<Json<dto::Review>> {
    let (round, cases) = state
        .registry
        .round(actor, id)
        .await?
        .ok_or_else(|| ApiError(Failure::NotFound("đợt rà soát".into())))?;
    Ok(Json(dto::Review {
        round: round.into(),
        cases: cases.into_iter().map(dto::Case::from).collect(),
    }))
}

#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "Tài liệu này")))]
async fn openapi() -> Response {
    Json(openapi_document()).into_response()
}

#[derive(OpenApi)]
#[openapi(
    info(title = "giamngheo API",
        description = "Sổ hộ nghèo, cận nghèo: đơn vị, hộ, thành viên, kết quả rà soát. Phạm vi dữ liệu theo đơn vị của tài khoản."),
    servers((url = "/api/v1")),
    paths(token, units, households, household, create_household, add_member, record_survey,
        crate::survey::classify_api, reviews, review, openapi),
    modifiers(&Bearer)
)]
struct ApiDoc;

/// The bearer-token scheme the paths refer to.
struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// The OpenAPI 3.1 description of this API, generated from its types and
/// routes.
pub fn openapi_document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}
