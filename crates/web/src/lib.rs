//! The web application: server-rendered pages in Vietnamese (English
//! switchable), usable without JavaScript, and a JSON API under `/api/v1`.
//!
//! Handlers are thin: they read the request, ask `registry::Registry` — the
//! one place that checks the actor's scope — and render. A household outside
//! the actor's scope is "not found" on every page and route.

mod account;
mod admin;
mod agency_lists_page;
mod api;
mod auth;
mod dashboard;
mod dto;
mod edge;
mod edit;
mod escape_page;
mod failure;
mod followup_page;
mod history;
mod households;
pub mod i18n;
mod input;
pub mod limits;
mod pages;
mod plans_page;
mod reports_page;
mod reviews;
mod statistics_page;
mod support_page;
mod survey;
mod tasks_page;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use i18n::{Lang, Tr};
use registry::{Actor, Capability, Registry};
use registry::{HouseholdId, RoundId};
use standard::Catalogue;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

pub const SESSION_COOKIE: &str = "gn_session";
pub const LANG_COOKIE: &str = "gn_lang";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub catalogue: Arc<Catalogue>,
    /// The programme's support policies.
    pub policies: Arc<support::Catalogue>,
    /// Failed sign-ins, by client address and by username.
    limits: Arc<limits::SignInLimits>,
    /// Served over TLS (directly or behind a proxy): cookies get `Secure`.
    pub secure: bool,
    /// The date the application takes as today (tests fix it); None: the
    /// clock's date in Vietnam (UTC+7).
    pub today: Option<chrono::NaiveDate>,
}

impl AppState {
    pub fn new(registry: Registry, secure: bool) -> AppState {
        AppState {
            registry,
            catalogue: Arc::new(
                Catalogue::builtin().unwrap_or_else(|e| panic!("shipped standards: {e}")),
            ),
            policies: Arc::new(
                Catalogue::builtin()
                    .map_err(|e| e.to_string())
                    .and_then(|c| support::Catalogue::builtin(&c).map_err(|e| e.to_string()))
                    .unwrap_or_else(|e| panic!("shipped policies: {e}")),
            ),
            limits: Arc::new(limits::SignInLimits::default()),
            secure,
            today: None,
        }
    }

    /// Today in Vietnam.
    pub fn today(&self) -> chrono::NaiveDate {
        self.today
            .unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive())
    }

    /// The review year under way today: the calendar year (a year's review
    /// runs from September to mid-December, and the regular review through
    /// the year).
    pub fn current_year(&self) -> i64 {
        use chrono::Datelike;
        i64::from(self.today().year())
    }
}

/// Who asks, in which language: resolved once per request.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub actor: Option<Actor>,
    /// The name of the actor's unit, for the page header.
    pub unit_name: Option<String>,
    pub token: Option<String>,
    /// The session came in a cookie (a browser): unsafe methods need a
    /// same-origin request.
    pub cookie_session: bool,
    pub client: String,
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr { lang: self.lang }
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn context(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let headers = request.headers();
    let lang = cookie(headers, LANG_COOKIE)
        .map(Lang::parse)
        .unwrap_or_default();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let from_cookie = cookie(headers, SESSION_COOKIE).map(str::to_string);
    let cookie_session = bearer.is_none() && from_cookie.is_some();
    let token = bearer.or(from_cookie);
    let (actor, unit_name) = match &token {
        Some(t) => match state.registry.session_actor(t).await.ok().flatten() {
            Some((actor, unit)) => (Some(actor), unit),
            None => (None, None),
        },
        None => (None, None),
    };
    if let Some(a) = &actor {
        let span = tracing::Span::current();
        span.record("actor", a.name.as_str());
        if let Some(unit) = a.unit_id {
            span.record("unit", unit.get());
        }
    }
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string());
    let ctx = Ctx {
        lang,
        actor,
        unit_name,
        token,
        cookie_session,
        client,
    };
    request.extensions_mut().insert(ctx);
    next.run(request).await
}

/// Refuses a state-changing request that a browser sent from another site:
/// its `Origin` (or `Sec-Fetch-Site`) must be this site's. API clients with a
/// Bearer token and no cookie send neither and are not browsers.
async fn same_origin(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(|o| {
            let without_scheme = o.split_once("://").map_or(o, |(_, rest)| rest);
            without_scheme == host
        });
    let fetch_site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(|v| v == "same-origin" || v == "none");
    let has_cookie = cookie(headers, SESSION_COOKIE).is_some();
    let allowed = match (origin_ok, fetch_site_ok) {
        (Some(ok), _) => ok,
        (None, Some(ok)) => ok,
        (None, None) => !has_cookie,
    };
    if allowed {
        next.run(request).await
    } else {
        let lang = cookie(request.headers(), LANG_COOKIE)
            .map(Lang::parse)
            .unwrap_or_default();
        pages::message(Tr { lang }, StatusCode::FORBIDDEN, "error_csrf")
    }
}

/// What a route needs before its handler runs, and before its body is read:
/// the gate's answers, asked once here for every route of the table. The
/// registry asks again underneath; this keeps a refused request from
/// parsing anything, and makes every route answer alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    /// The handler decides (sign-in pages, the account's own pages).
    Session,
    /// A capability of the role (403 without it).
    Can(Capability),
    /// `{id}` is a household the actor may see (404 otherwise) and the
    /// role has the capability (403 without it).
    Household(Capability),
    /// `{id}` is a review round the actor may see, as for a household.
    Round(Capability),
}

/// Runs the gate for a route of the table (see [`Needs`]). Signed-out
/// requests go on to the handler, which sends them to sign in.
async fn guard(
    State((state, needs)): State<(AppState, Needs)>,
    params: axum::extract::RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let Some(ctx) = request.extensions().get::<Ctx>().cloned() else {
        return next.run(request).await;
    };
    let Some(actor) = ctx.actor.as_ref() else {
        return next.run(request).await;
    };
    let api = request.uri().path().starts_with("/api/");
    let refuse = |e: registry::RegistryError| {
        let failure = failure::Failure::from(e);
        if api {
            failure.json()
        } else {
            failure.page(&ctx)
        }
    };
    let capability = match needs {
        Needs::Session => return next.run(request).await,
        Needs::Can(c) | Needs::Household(c) | Needs::Round(c) => c,
    };
    if let Err(e) = actor.require(capability) {
        return refuse(e);
    }
    let id = params
        .iter()
        .find(|(name, _)| *name == "id")
        .and_then(|(_, value)| value.parse::<i64>().ok());
    let visible = match (needs, id) {
        (Needs::Can(_), _) => Ok(true),
        (_, None) => Ok(false),
        (Needs::Household(_), Some(id)) => {
            state
                .registry
                .household_visible(actor, HouseholdId::new(id))
                .await
        }
        (_, Some(id)) => state.registry.round_visible(actor, RoundId::new(id)).await,
    };
    match visible {
        Ok(true) => next.run(request).await,
        Ok(false) => refuse(registry::RegistryError::NotFound(String::new())),
        Err(e) => refuse(e),
    }
}

/// Every route of the application, one method each: the router is built from
/// this table, and the access-control test walks it (a route without an
/// entry in the test's matrix fails it).
fn route_table() -> Vec<(Method, &'static str, Needs, MethodRouter<AppState>)> {
    let minutes_limit =
        axum::extract::DefaultBodyLimit::max(registry::MINUTES_MAX_BYTES + (64 << 10));
    // An agency's list: a workbook of some thousand rows, with the framing.
    let list_limit = axum::extract::DefaultBodyLimit::max((10 << 20) + (64 << 10));
    let mut table = vec![
        (Method::GET, "/", Needs::Session, get(dashboard::dashboard)),
        (
            Method::GET,
            "/login",
            Needs::Session,
            get(account::login_form),
        ),
        (Method::POST, "/login", Needs::Session, post(account::login)),
        (
            Method::POST,
            "/logout",
            Needs::Session,
            post(account::logout),
        ),
        (
            Method::GET,
            "/lang/{code}",
            Needs::Session,
            get(account::switch_lang),
        ),
        (
            Method::GET,
            "/password",
            Needs::Session,
            get(account::password_form),
        ),
        (
            Method::POST,
            "/password",
            Needs::Session,
            post(account::change_password),
        ),
        (
            Method::GET,
            "/admin/users",
            Needs::Can(Capability::Administer),
            get(admin::users),
        ),
        (
            Method::POST,
            "/admin/users",
            Needs::Can(Capability::Administer),
            post(admin::create),
        ),
        (
            Method::POST,
            "/admin/users/role",
            Needs::Can(Capability::Administer),
            post(admin::assign),
        ),
        (
            Method::GET,
            "/export",
            Needs::Can(Capability::SeeNames),
            get(households::export),
        ),
        (
            Method::GET,
            "/support",
            Needs::Can(Capability::SeeWorkLists),
            get(followup_page::hub),
        ),
        (
            Method::GET,
            "/plans/tasks",
            Needs::Can(Capability::SeeWorkLists),
            get(tasks_page::tasks_page),
        ),
        (
            Method::POST,
            "/plans/tasks",
            Needs::Can(Capability::Write),
            post(tasks_page::add),
        ),
        (
            Method::POST,
            "/plans/tasks/{task}/reports",
            Needs::Can(Capability::Support),
            post(tasks_page::report).layer(minutes_limit),
        ),
        (
            Method::GET,
            "/plans/tasks/{task}/files/{file}",
            Needs::Can(Capability::SeeWorkLists),
            get(tasks_page::file),
        ),
        (
            Method::GET,
            "/plans",
            Needs::Session,
            get(plans_page::plans_page),
        ),
        (
            Method::POST,
            "/plans",
            Needs::Can(Capability::Write),
            post(plans_page::add_plan),
        ),
        (
            Method::GET,
            "/plans/{plan}",
            Needs::Session,
            get(plans_page::plan),
        ),
        (
            Method::POST,
            "/plans/{plan}/targets",
            Needs::Can(Capability::Write),
            post(plans_page::add_target),
        ),
        (
            Method::GET,
            "/statistics",
            Needs::Session,
            get(statistics_page::statistics_page),
        ),
        (
            Method::GET,
            "/plans/reports",
            Needs::Session,
            get(reports_page::reports_page),
        ),
        (
            Method::POST,
            "/plans/reports/submit",
            Needs::Can(Capability::Write),
            post(reports_page::submit),
        ),
        (
            Method::POST,
            "/plans/reports/decide",
            Needs::Can(Capability::Approve),
            post(reports_page::decide),
        ),
        (
            Method::GET,
            "/plans/reports/{kind}",
            Needs::Session,
            get(reports_page::report),
        ),
        (
            Method::GET,
            "/support/gaps",
            Needs::Can(Capability::SeeWorkLists),
            get(support_page::gaps_page),
        ),
        (
            Method::GET,
            "/support/escape",
            Needs::Can(Capability::SeeNames),
            get(escape_page::escape_page),
        ),
        (
            Method::POST,
            "/support/escape",
            Needs::Can(Capability::Write),
            post(escape_page::plan),
        ),
        (
            Method::POST,
            "/support/escape/{plan}/notes",
            Needs::Can(Capability::Write),
            post(escape_page::note),
        ),
        (
            Method::POST,
            "/support/steering",
            Needs::Can(Capability::Write),
            post(escape_page::assign_member),
        ),
        (
            Method::POST,
            "/support/steering/{member}/visits",
            Needs::Can(Capability::Write),
            post(escape_page::visit),
        ),
        (
            Method::POST,
            "/support/deliveries",
            Needs::Can(Capability::Support),
            post(support_page::record_from_work_list),
        ),
        (
            Method::GET,
            "/support/served",
            Needs::Can(Capability::SeeWorkLists),
            get(followup_page::served_page),
        ),
        (
            Method::GET,
            "/support/credit",
            Needs::Can(Capability::SeeWorkLists),
            get(followup_page::credit_page),
        ),
        (
            Method::POST,
            "/support/credit/{loan}/checks",
            Needs::Can(Capability::Support),
            post(followup_page::check_use),
        ),
        (
            Method::GET,
            "/support/models",
            Needs::Can(Capability::SeeNames),
            get(followup_page::models_page),
        ),
        (
            Method::POST,
            "/support/models",
            Needs::Can(Capability::Write),
            post(followup_page::add_model),
        ),
        (
            Method::POST,
            "/support/models/{model}/households",
            Needs::Can(Capability::Write),
            post(followup_page::join_model),
        ),
        (
            Method::GET,
            "/support/lists",
            Needs::Can(Capability::Support),
            get(agency_lists_page::form),
        ),
        (
            Method::POST,
            "/support/lists",
            Needs::Can(Capability::Support),
            post(agency_lists_page::upload).layer(list_limit),
        ),
        (
            Method::POST,
            "/support/lists/{token}/confirm",
            Needs::Can(Capability::Support),
            post(agency_lists_page::confirm),
        ),
        (
            Method::GET,
            "/reviews",
            Needs::Can(Capability::SeeNames),
            get(reviews::list),
        ),
        (
            Method::POST,
            "/reviews",
            Needs::Can(Capability::Write),
            post(reviews::open),
        ),
        (
            Method::GET,
            "/reviews/{id}",
            Needs::Round(Capability::SeeNames),
            get(reviews::show),
        ),
        (
            Method::POST,
            "/reviews/{id}/minutes",
            Needs::Round(Capability::Write),
            post(reviews::upload_minutes).layer(minutes_limit),
        ),
        (
            Method::GET,
            "/reviews/{id}/minutes/{file}",
            Needs::Round(Capability::SeeNames),
            get(reviews::minutes),
        ),
        (
            Method::GET,
            "/reviews/{id}/{action}",
            Needs::Round(Capability::SeeNames),
            get(reviews::printable),
        ),
        // The level above's answers to a commune's report (static segments
        // win over `{action}`).
        (
            Method::POST,
            "/reviews/{id}/approve",
            Needs::Round(Capability::Approve),
            post(reviews::approve),
        ),
        (
            Method::POST,
            "/reviews/{id}/reopen",
            Needs::Round(Capability::Approve),
            post(reviews::reopen),
        ),
        (
            Method::POST,
            "/reviews/{id}/{action}",
            Needs::Round(Capability::Write),
            post(reviews::step),
        ),
        (
            Method::GET,
            "/households",
            Needs::Can(Capability::SeeNames),
            get(households::households),
        ),
        (
            Method::GET,
            "/households/new",
            Needs::Can(Capability::Write),
            get(edit::new_form),
        ),
        (
            Method::POST,
            "/households/new",
            Needs::Can(Capability::Write),
            post(edit::create),
        ),
        (
            Method::GET,
            "/households/{id}/edit",
            Needs::Household(Capability::Write),
            get(edit::edit_form),
        ),
        (
            Method::POST,
            "/households/{id}/edit",
            Needs::Household(Capability::Write),
            post(edit::update),
        ),
        (
            Method::GET,
            "/households/{id}/members/new",
            Needs::Household(Capability::Write),
            get(edit::member_form),
        ),
        (
            Method::POST,
            "/households/{id}/members/new",
            Needs::Household(Capability::Write),
            post(edit::add_member),
        ),
        (
            Method::POST,
            "/households/{id}/requests",
            Needs::Household(Capability::Write),
            post(households::submit_request),
        ),
        (
            Method::POST,
            "/households/{id}/requests/{request}",
            Needs::Household(Capability::Write),
            post(households::decide_request),
        ),
        (
            Method::POST,
            "/households/{id}/deliveries",
            Needs::Household(Capability::Write),
            post(support_page::record_delivery),
        ),
        (
            Method::POST,
            "/households/{id}/profile",
            Needs::Household(Capability::Write),
            post(support_page::record_profile),
        ),
        (
            Method::GET,
            "/households/{id}",
            Needs::Household(Capability::SeeNames),
            get(households::household),
        ),
        (
            Method::GET,
            "/households/{id}/survey",
            Needs::Household(Capability::SeeNames),
            get(survey::form),
        ),
        (
            Method::POST,
            "/households/{id}/survey",
            Needs::Household(Capability::Write),
            post(survey::submit),
        ),
        (
            Method::GET,
            "/static/{file}",
            Needs::Session,
            get(pages::static_file),
        ),
    ];
    table.extend(api::routes());
    table
}

/// The routes as (method, path): what the access-control test walks.
pub fn routes() -> Vec<(Method, &'static str)> {
    route_table()
        .into_iter()
        .map(|(method, path, _, _)| (method, path))
        .collect()
}

/// The whole application; `main` and the tests build it the same way.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ];
    let mut router = Router::new();
    for (_, path, needs, handler) in route_table() {
        let handler = match needs {
            Needs::Session => handler,
            _ => handler.layer(middleware::from_fn_with_state(
                (state.clone(), needs),
                guard,
            )),
        };
        router = router.route(path, handler);
    }
    let mut router = router
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), context))
        .layer(middleware::from_fn(same_origin))
        .layer(axum::extract::DefaultBodyLimit::max(1 << 20))
        .layer(middleware::from_fn(edge::vietnamese_errors))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            edge::panicked,
        ));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    // Pages and exports hold names and identity numbers: no cache keeps
    // them (static files set their own policy).
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    // Workbooks are zip files already: gzip would spend tens of
    // milliseconds of a commune's export to save a tenth of its size.
    use tower_http::compression::Predicate;
    let compressible = tower_http::compression::DefaultPredicate::new().and(
        tower_http::compression::predicate::NotForContentType::const_new(
            "application/vnd.openxmlformats",
        ),
    );
    router
        .layer(tower_http::compression::CompressionLayer::new().compress_when(compressible))
        .layer(middleware::from_fn(edge::log_requests))
        .with_state(state)
}

/// Serves on `addr` until the process ends.
pub async fn serve(registry: Registry, addr: SocketAddr, secure: bool) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let app = app(AppState::new(registry, secure));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// A `Set-Cookie` value for the session.
pub(crate) fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        registry::SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    )
}

/// The signed-in actor of a page, with the request's context: a handler
/// that takes it never runs for a signed-out request, which is sent to sign
/// in (before any body is read).
pub(crate) struct SignedIn {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Response> {
        signed_in(parts)
            .map(|(ctx, actor)| SignedIn { ctx, actor })
            .ok_or_else(|| redirect("/login"))
    }
}

/// The request's context and its actor, when someone is signed in.
pub(crate) fn signed_in(parts: &axum::http::request::Parts) -> Option<(Ctx, Actor)> {
    let ctx = parts.extensions.get::<Ctx>()?;
    let actor = ctx.actor.clone()?;
    Some((ctx.clone(), actor))
}

pub(crate) fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
