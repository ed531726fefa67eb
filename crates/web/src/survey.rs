//! The survey form: the household's and members' answers, the classification
//! shown as the form is filled (a small script asks `/api/v1/classify`), and
//! the server's own classification on submit, which is the one recorded.
//!
//! Every field is parsed the way Vietnamese people type (1.500.000, 25,5) or
//! refused with a message naming it; nothing is recorded with a problem. The
//! form starts from this year's survey if there is one, else from the latest
//! earlier one, with ages moved on by the years between.

use crate::i18n::Tr;
use crate::{AppState, Ctx, redirect};
use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use registry::{Actor, RegistryError};
use registry::{HouseholdId, ReviewYear};
use standard::{
    Diploma, Latrine, Livelihood, MemberAnswers, Sex, Standard, SurveyAnswers, WaterSource, Work,
};
use std::collections::HashMap;

/// Rows for members in the form (existing members first).
const MEMBER_ROWS: usize = 8;

/// The choices of a drop-down: (value in the form, answer, label key).
type Choices<T> = [(&'static str, T, &'static str)];

const DIPLOMAS: &Choices<Diploma> = &[
    ("none", Diploma::None, "diploma_none"),
    ("primary", Diploma::Primary, "diploma_primary"),
    (
        "lower_secondary",
        Diploma::LowerSecondary,
        "diploma_lower_secondary",
    ),
    (
        "upper_secondary",
        Diploma::UpperSecondary,
        "diploma_upper_secondary",
    ),
    ("vocational", Diploma::Vocational, "diploma_vocational"),
    ("higher", Diploma::Higher, "diploma_higher"),
];

/// What the household lives from; empty when not recorded.
const LIVELIHOODS: &Choices<Livelihood> = &[
    ("farm", Livelihood::Farm, "livelihood_farm"),
    ("non_farm", Livelihood::NonFarm, "livelihood_non_farm"),
];

/// A member's sex; empty when not recorded.
const SEXES: &Choices<Option<Sex>> = &[
    ("male", Some(Sex::Male), "sex_male"),
    ("female", Some(Sex::Female), "sex_female"),
];

const WORK: &Choices<Work> = &[
    ("not_in_labour_force", Work::NotInLabourForce, "work_none"),
    ("own_account", Work::OwnAccount, "work_own"),
    ("wage_contract", Work::WageWithContract, "work_contract"),
    (
        "wage_no_contract",
        Work::WageWithoutContract,
        "work_no_contract",
    ),
    ("unemployed", Work::Unemployed, "work_unemployed"),
];

const WATER: &Choices<WaterSource> = &[
    ("tap", WaterSource::Tap, "water_tap"),
    ("drilled_well", WaterSource::DrilledWell, "water_drilled"),
    (
        "protected_dug_well",
        WaterSource::ProtectedDugWell,
        "water_protected_well",
    ),
    (
        "protected_spring",
        WaterSource::ProtectedSpring,
        "water_protected_spring",
    ),
    ("rainwater", WaterSource::Rainwater, "water_rain"),
    ("bottled", WaterSource::Bottled, "water_bottled"),
    (
        "unprotected_dug_well",
        WaterSource::UnprotectedDugWell,
        "water_unprotected_well",
    ),
    (
        "unprotected_spring",
        WaterSource::UnprotectedSpring,
        "water_unprotected_spring",
    ),
    ("surface_water", WaterSource::SurfaceWater, "water_surface"),
    ("other", WaterSource::Other, "water_other"),
];

const LATRINES: &Choices<Latrine> = &[
    ("septic", Latrine::Septic, "latrine_septic"),
    ("semi_septic", Latrine::SemiSeptic, "latrine_semi"),
    ("pour_flush", Latrine::PourFlush, "latrine_flush"),
    (
        "ventilated_pit",
        Latrine::VentilatedPit,
        "latrine_ventilated",
    ),
    ("double_vault", Latrine::DoubleVault, "latrine_double_vault"),
    ("open_pit", Latrine::OpenPit, "latrine_open"),
    ("none", Latrine::None, "latrine_none"),
];

fn value_of<T: PartialEq + Copy>(choices: &Choices<T>, answer: T) -> &'static str {
    choices.iter().find(|c| c.1 == answer).map_or("", |c| c.0)
}

/// The fields of a submitted form, by name (the same names in the page and
/// in the API's JSON).
pub struct Fields<'a>(pub &'a HashMap<String, String>);

impl Fields<'_> {
    fn text(&self, key: &str) -> &str {
        self.0.get(key).map_or("", |v| v.trim())
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.text(key), "1" | "on" | "true" | "yes" | "có")
    }

    fn choice<T: Copy>(
        &self,
        tr: Tr,
        key: &str,
        label: &str,
        choices: &Choices<T>,
        default: T,
        problems: &mut Vec<String>,
    ) -> T {
        let value = self.text(key);
        if value.is_empty() {
            return default;
        }
        match choices.iter().find(|c| c.0 == value) {
            Some(c) => c.1,
            None => {
                problems.push(format!("{label}: {}", tr.t("input_unknown_choice")));
                default
            }
        }
    }
}

/// "Field: what is wrong", in the page's language.
fn number_problem(tr: Tr, label: &str, e: &vntext::NumberError) -> String {
    let key = match e {
        vntext::NumberError::Empty => "input_empty",
        vntext::NumberError::NotANumber => "input_not_a_number",
        vntext::NumberError::NotWhole => "input_not_whole",
        vntext::NumberError::Grouping => "input_grouping",
        vntext::NumberError::Negative => "input_negative",
    };
    format!("{label}: {}", tr.t(key))
}

/// A birth month written "MM/YYYY" (the form carries it from the registry
/// for the retirement ages); empty is unknown.
fn born_of(text: &str) -> Result<Option<(i32, u32)>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let (month, year) = text.split_once('/').ok_or(())?;
    let month: u32 = month.trim().parse().map_err(|_| ())?;
    let year: i32 = year.trim().parse().map_err(|_| ())?;
    if (1..=12).contains(&month) && (1880..=2200).contains(&year) {
        Ok(Some((year, month)))
    } else {
        Err(())
    }
}

fn born_text(year: Option<i32>, month: Option<u32>) -> String {
    match (year, month) {
        (Some(y), Some(m)) => format!("{m:02}/{y}"),
        _ => String::new(),
    }
}

/// The answers of the form's fields, or every problem, each naming its
/// field. A member row counts when its age is filled in.
pub fn answers_from(tr: Tr, form: &HashMap<String, String>) -> Result<SurveyAnswers, Vec<String>> {
    let f = Fields(form);
    let mut problems = Vec::new();
    let mut members = Vec::new();
    for i in 0..MEMBER_ROWS {
        let age_text = f.text(&format!("m{i}_age"));
        if age_text.is_empty() {
            continue;
        }
        let label = format!(
            "{} {} ({})",
            tr.t("survey_member"),
            i + 1,
            tr.t("survey_age")
        );
        let age = match vntext::parse_whole(age_text) {
            Ok(a) if (0..=i64::from(standard::AGE_MAX)).contains(&a) => a as u32,
            Ok(_) => {
                problems.push(format!(
                    "{label}: {} 0–{}",
                    tr.t("input_range"),
                    standard::AGE_MAX
                ));
                continue;
            }
            Err(e) => {
                problems.push(number_problem(tr, &label, &e));
                continue;
            }
        };
        let key = |name: &str| format!("m{i}_{name}");
        let member_label =
            |what: &str| format!("{} {} ({})", tr.t("survey_member"), i + 1, tr.t(what));
        let sex = f.choice(
            tr,
            &key("sex"),
            &member_label("household_sex"),
            SEXES,
            None,
            &mut problems,
        );
        let born = match born_of(f.text(&key("born"))) {
            Ok(born) => born,
            Err(()) => {
                problems.push(format!(
                    "{}: {}",
                    member_label("survey_born"),
                    tr.t("survey_born_format")
                ));
                None
            }
        };
        members.push(MemberAnswers {
            age,
            birth_year: born.map(|b| b.0),
            birth_month: born.map(|b| b.1),
            sex,
            monthly_social_allowance: f.flag(&key("allowance")),
            health_insurance: f.flag(&key("insurance")),
            needed_care: f.flag(&key("needed_care")),
            got_care: !f.flag(&key("no_care")),
            in_school: f.flag(&key("in_school")),
            right_school_level: f.flag(&key("in_school")) && !f.flag(&key("behind")),
            diploma: f.choice(
                tr,
                &key("diploma"),
                &member_label("survey_diploma"),
                DIPLOMAS,
                Diploma::None,
                &mut problems,
            ),
            work: f.choice(
                tr,
                &key("work"),
                &member_label("survey_work"),
                WORK,
                Work::NotInLabourForce,
                &mut problems,
            ),
            undernourished: f.flag(&key("undernourished")),
            disabled_without_working_capacity: f.flag(&key("disabled")),
        });
    }
    if members.is_empty() {
        problems.push(format!(
            "{}: {}",
            tr.t("survey_members"),
            tr.t("survey_no_members")
        ));
    }
    let income_label = tr.t("survey_income_label");
    let income = match vntext::parse_whole(f.text("income")) {
        Ok(v) if (0..=standard::INCOME_MAX).contains(&v) => v,
        Ok(_) => {
            problems.push(format!(
                "{income_label}: {} 0–{}",
                tr.t("input_range"),
                vntext::format_vnd(standard::INCOME_MAX)
            ));
            0
        }
        Err(e) => {
            problems.push(number_problem(tr, income_label, &e));
            0
        }
    };
    let area_label = tr.t("survey_area");
    let area = match vntext::parse_decimal(f.text("area_m2")) {
        Ok(v) if (0.0..=standard::AREA_MAX_M2).contains(&v) => v,
        Ok(_) => {
            problems.push(format!(
                "{area_label}: {} 0–{}",
                tr.t("input_range"),
                vntext::format_vnd(standard::AREA_MAX_M2 as i64)
            ));
            0.0
        }
        Err(e) => {
            problems.push(number_problem(tr, area_label, &e));
            0.0
        }
    };
    let water = f.choice(
        tr,
        "water",
        tr.t("survey_water"),
        WATER,
        WaterSource::Other,
        &mut problems,
    );
    let latrine = f.choice(
        tr,
        "latrine",
        tr.t("survey_latrine"),
        LATRINES,
        Latrine::None,
        &mut problems,
    );
    let livelihood = f.choice(
        tr,
        "livelihood",
        tr.t("survey_livelihood"),
        LIVELIHOODS,
        Livelihood::Unknown,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(SurveyAnswers {
        members,
        income_per_capita: income,
        livelihood,
        durable_walls: f.flag("durable_walls"),
        durable_columns: f.flag("durable_columns"),
        durable_roof: f.flag("durable_roof"),
        living_area_m2: area,
        water,
        latrine,
        internet: f.flag("internet"),
        phone_subscription: f.flag("internet") || f.flag("phone"),
        tv: f.flag("tv"),
        radio: f.flag("radio"),
        computer: f.flag("computer"),
        phone_or_tablet: f.flag("phone"),
        loudspeaker: f.flag("loudspeaker"),
        waste_treated: f.flag("waste_treated"),
        ..SurveyAnswers::default()
    })
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
    year: ReviewYear,
    answers: &SurveyAnswers,
) -> Result<Outcome, String> {
    let set = answers
        .deprivations(standard, i32::from(year.get()))
        .map_err(|e| e.to_string())?;
    let c = standard.classify_household(area, answers.income_per_capita, set, answers.livelihood);
    Ok(Outcome {
        status: tr.status(c.status.code()).to_string(),
        deprived: c
            .deprived_codes(standard)
            .map(|code| tr.indicator(standard, code))
            .collect(),
    })
}

/// A drop-down as the template draws it: (value, label, selected).
type Options = Vec<(&'static str, String, bool)>;

fn options<T: Copy>(tr: Tr, choices: &Choices<T>, selected: &str) -> Options {
    choices
        .iter()
        .map(|c| (c.0, tr.t(c.2).to_string(), c.0 == selected))
        .collect()
}

/// One member's card in the form.
pub struct MemberRow {
    pub index: usize,
    pub name: String,
    pub age: String,
    pub sexes: Options,
    /// "MM/YYYY", carried in a hidden field.
    pub born: String,
    pub allowance: bool,
    pub insurance: bool,
    pub in_school: bool,
    pub behind: bool,
    pub undernourished: bool,
    pub disabled: bool,
    pub needed_care: bool,
    pub no_care: bool,
    pub diplomas: Options,
    pub works: Options,
}

/// What the form shows in each field.
pub struct Values {
    pub income: String,
    pub livelihoods: Options,
    pub area_m2: String,
    pub durable_walls: bool,
    pub durable_columns: bool,
    pub durable_roof: bool,
    pub waters: Options,
    pub latrines: Options,
    pub internet: bool,
    pub phone: bool,
    pub tv: bool,
    pub radio: bool,
    pub computer: bool,
    pub loudspeaker: bool,
    pub waste_treated: bool,
    pub members: Vec<MemberRow>,
}

impl Values {
    /// The values of a submitted form, as typed (to show it again with its
    /// problems).
    fn typed(tr: Tr, form: &HashMap<String, String>, names: &[String]) -> Values {
        let f = Fields(form);
        Values {
            income: f.text("income").to_string(),
            livelihoods: options(tr, LIVELIHOODS, f.text("livelihood")),
            area_m2: f.text("area_m2").to_string(),
            durable_walls: f.flag("durable_walls"),
            durable_columns: f.flag("durable_columns"),
            durable_roof: f.flag("durable_roof"),
            waters: options(tr, WATER, f.text("water")),
            latrines: options(tr, LATRINES, f.text("latrine")),
            internet: f.flag("internet"),
            phone: f.flag("phone"),
            tv: f.flag("tv"),
            radio: f.flag("radio"),
            computer: f.flag("computer"),
            loudspeaker: f.flag("loudspeaker"),
            waste_treated: f.flag("waste_treated"),
            members: (0..MEMBER_ROWS)
                .map(|i| {
                    let key = |name: &str| format!("m{i}_{name}");
                    MemberRow {
                        index: i,
                        name: names.get(i).cloned().unwrap_or_default(),
                        age: f.text(&key("age")).to_string(),
                        sexes: options(tr, SEXES, f.text(&key("sex"))),
                        born: f.text(&key("born")).to_string(),
                        allowance: f.flag(&key("allowance")),
                        insurance: f.flag(&key("insurance")),
                        in_school: f.flag(&key("in_school")),
                        behind: f.flag(&key("behind")),
                        undernourished: f.flag(&key("undernourished")),
                        disabled: f.flag(&key("disabled")),
                        needed_care: f.flag(&key("needed_care")),
                        no_care: f.flag(&key("no_care")),
                        diplomas: options(tr, DIPLOMAS, f.text(&key("diploma"))),
                        works: options(tr, WORK, f.text(&key("work"))),
                    }
                })
                .collect(),
        }
    }

    /// The values of recorded answers, ages moved on by `years_later`;
    /// members beyond the answers get their age from their birth date; sex
    /// and birth month come from the registry where it has them.
    fn recorded(
        tr: Tr,
        answers: Option<&SurveyAnswers>,
        years_later: u32,
        names: &[String],
        people: &[Person],
    ) -> Values {
        let fresh = SurveyAnswers {
            durable_walls: true,
            durable_columns: true,
            durable_roof: true,
            living_area_m2: 40.0,
            water: WaterSource::Tap,
            latrine: Latrine::Septic,
            internet: true,
            phone_or_tablet: true,
            tv: true,
            waste_treated: true,
            ..SurveyAnswers::default()
        };
        let a = answers.unwrap_or(&fresh);
        let area = if a.living_area_m2.fract() == 0.0 {
            format!("{}", a.living_area_m2 as i64)
        } else {
            format!("{}", a.living_area_m2).replace('.', ",")
        };
        Values {
            livelihoods: options(tr, LIVELIHOODS, value_of(LIVELIHOODS, a.livelihood)),
            income: if answers.is_some() {
                vntext::format_vnd(a.income_per_capita)
            } else {
                String::new()
            },
            area_m2: area,
            durable_walls: a.durable_walls,
            durable_columns: a.durable_columns,
            durable_roof: a.durable_roof,
            waters: options(tr, WATER, value_of(WATER, a.water)),
            latrines: options(tr, LATRINES, value_of(LATRINES, a.latrine)),
            internet: a.internet,
            phone: a.phone_or_tablet,
            tv: a.tv,
            radio: a.radio,
            computer: a.computer,
            loudspeaker: a.loudspeaker,
            waste_treated: a.waste_treated,
            members: (0..MEMBER_ROWS)
                .map(|i| {
                    let m = answers.and_then(|a| a.members.get(i));
                    let person = people.get(i).copied().unwrap_or_default();
                    let age = match m {
                        Some(m) => Some(m.age + years_later),
                        None => person.age,
                    };
                    let sex = person.sex.or(m.and_then(|m| m.sex));
                    let born = match person.born {
                        Some((y, month)) => born_text(Some(y), Some(month)),
                        None => {
                            born_text(m.and_then(|m| m.birth_year), m.and_then(|m| m.birth_month))
                        }
                    };
                    let d = m.cloned().unwrap_or(MemberAnswers {
                        health_insurance: true,
                        ..MemberAnswers::default()
                    });
                    MemberRow {
                        index: i,
                        name: names.get(i).cloned().unwrap_or_default(),
                        age: age.map(|a| a.to_string()).unwrap_or_default(),
                        sexes: options(tr, SEXES, value_of(SEXES, sex)),
                        born,
                        allowance: d.monthly_social_allowance,
                        insurance: d.health_insurance,
                        in_school: d.in_school,
                        behind: d.in_school && !d.right_school_level,
                        undernourished: d.undernourished,
                        disabled: d.disabled_without_working_capacity,
                        needed_care: d.needed_care,
                        no_care: d.needed_care && !d.got_care,
                        diplomas: options(tr, DIPLOMAS, value_of(DIPLOMAS, d.diploma)),
                        works: options(tr, WORK, value_of(WORK, d.work)),
                    }
                })
                .collect(),
        }
    }
}

/// What the registry knows of a member that the form starts from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Person {
    pub age: Option<u32>,
    pub sex: Option<Sex>,
    pub born: Option<(i32, u32)>,
}

impl Person {
    /// From the registry's birth date ("YYYY-MM-DD" or "YYYY") and sex.
    fn of(birth_date: Option<&str>, sex: Option<&str>, year: ReviewYear) -> Person {
        let birth_year = birth_date.and_then(|b| b.get(..4)?.parse::<i32>().ok());
        let birth_month = birth_date
            .and_then(|b| b.get(5..7)?.parse::<u32>().ok())
            .filter(|m| (1..=12).contains(m));
        Person {
            age: birth_year.map(|y| (year.as_i64() - i64::from(y)).max(0) as u32),
            sex: match sex {
                Some("male") => Some(Sex::Male),
                Some("female") => Some(Sex::Female),
                _ => None,
            },
            born: birth_year.zip(birth_month),
        }
    }
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    tr: Tr,
    user: Option<crate::pages::UserView>,
    id: HouseholdId,
    head_name: String,
    year: ReviewYear,
    standard: String,
    area: String,
    /// Where the form's values came from (this year's survey, an earlier
    /// one), if anywhere.
    source: Option<String>,
    /// The standard asks about care when ill (2016–2020).
    asks_care: bool,
    /// The standard asks about the village loudspeaker (2016–2020).
    asks_loudspeaker: bool,
    problems: Vec<String>,
    v: Values,
}

#[derive(serde::Deserialize)]
pub struct YearParam {
    pub year: Option<String>,
}

fn standard_for(state: &AppState, year: ReviewYear) -> Option<&Standard> {
    state.catalogue.for_review_year(year.get())
}

/// The review year a form is for: the one asked, else the current year.
fn year_of(state: &AppState, p: &YearParam) -> Option<ReviewYear> {
    match p.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => ReviewYear::parse(y).ok(),
        None => ReviewYear::new(state.current_year()).ok(),
    }
}

async fn render_form(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: HouseholdId,
    year: ReviewYear,
    typed: Option<(&HashMap<String, String>, Vec<String>, StatusCode)>,
) -> Response {
    let tr = ctx.tr();
    let Ok(Some(detail)) = state.registry.household_detail(actor, id).await else {
        return crate::pages::not_found(Extension(ctx.clone())).await;
    };
    let Some(standard) = standard_for(state, year) else {
        return crate::pages::message_for(ctx, StatusCode::NOT_FOUND, "survey_no_standard");
    };
    let area = state
        .registry
        .household_area(id)
        .await
        .unwrap_or(standard::Area::Rural);
    let names: Vec<String> = detail.members.iter().map(|m| m.full_name.clone()).collect();
    let people: Vec<Person> = detail
        .members
        .iter()
        .map(|m| Person::of(m.birth_date.as_deref(), m.sex.as_deref(), year))
        .collect();
    let mut status = StatusCode::OK;
    let (v, source, problems) = match typed {
        Some((form, problems, refused)) => {
            status = refused;
            (Values::typed(tr, form, &names), None, problems)
        }
        None => {
            let earlier = state
                .registry
                .latest_survey_answers(actor, id, year)
                .await
                .ok()
                .flatten();
            match earlier {
                Some((from, answers)) => {
                    let later = u32::try_from(year.as_i64() - from).unwrap_or(0);
                    let source = if from == year.as_i64() {
                        tr.t("survey_from_this_year").to_string()
                    } else {
                        format!("{} {from}", tr.t("survey_from_year"))
                    };
                    (
                        Values::recorded(tr, Some(&answers), later, &names, &people),
                        Some(source),
                        Vec::new(),
                    )
                }
                None => (
                    Values::recorded(tr, None, 0, &names, &people),
                    None,
                    Vec::new(),
                ),
            }
        }
    };
    let has = |code: &str| standard.indicator_index(code).is_some();
    let page = SurveyPage {
        tr,
        user: crate::pages::user_view(ctx),
        id,
        head_name: detail.head_name,
        year,
        standard: standard.name.get(tr.language()).to_string(),
        area: area.code().to_string(),
        source,
        asks_care: has("health_access"),
        asks_loudspeaker: has("information_assets"),
        problems,
        v,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn form(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Query(p): Query<YearParam>,
) -> Response {
    let Some(year) = year_of(&state, &p) else {
        return crate::pages::message_for(&ctx, StatusCode::BAD_REQUEST, "survey_bad_year");
    };
    render_form(&state, &ctx, actor, id, year, None).await
}

pub async fn submit(
    State(state): State<AppState>,
    crate::SignedIn { ctx, ref actor }: crate::SignedIn,
    Path(id): Path<HouseholdId>,
    Query(p): Query<YearParam>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    let tr = ctx.tr();
    let Some(year) = year_of(&state, &p) else {
        return crate::pages::message_for(&ctx, StatusCode::BAD_REQUEST, "survey_bad_year");
    };
    let Some(standard) = standard_for(&state, year) else {
        return crate::pages::message_for(&ctx, StatusCode::NOT_FOUND, "survey_no_standard");
    };
    let answers = match answers_from(tr, &fields) {
        Ok(a) => a,
        Err(problems) => {
            return render_form(
                &state,
                &ctx,
                actor,
                id,
                year,
                Some((&fields, problems, StatusCode::BAD_REQUEST)),
            )
            .await;
        }
    };
    match state
        .registry
        .record_survey(actor, id, year, &answers, standard)
        .await
    {
        Ok(_) => redirect(&format!("/households/{id}")),
        Err(RegistryError::Invalid(problems)) => {
            render_form(
                &state,
                &ctx,
                actor,
                id,
                year,
                Some((&fields, problems, StatusCode::BAD_REQUEST)),
            )
            .await
        }
        // In scope but refused (a closed round, a read-only role): say why.
        Err(RegistryError::Forbidden(reason))
            if state
                .registry
                .household_visible(actor, id)
                .await
                .unwrap_or(false) =>
        {
            render_form(
                &state,
                &ctx,
                actor,
                id,
                year,
                Some((&fields, vec![reason], StatusCode::FORBIDDEN)),
            )
            .await
        }
        Err(RegistryError::Forbidden(_)) | Err(RegistryError::NotFound(_)) => {
            crate::pages::not_found(Extension(ctx.clone())).await
        }
        Err(e) => crate::failure::Failure::from(e).page(&ctx),
    }
}

/// A JSON object's values as the form's texts: API clients may send
/// numbers and booleans where the page sends text.
pub fn json_fields(
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<HashMap<String, String>, String> {
    body.iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if *b { "1" } else { "" }.to_string(),
                serde_json::Value::Null => String::new(),
                _ => return Err(format!("{k}: phải là chữ, số hoặc đúng/sai")),
            };
            Ok((k.clone(), text))
        })
        .collect()
}

/// `POST /api/v1/classify`: the classification of a form's answers, for the
/// live panel. Computes only; records nothing.
#[utoipa::path(post, path = "/classify", tag = "households", security(("bearer" = [])),
    request_body(content = Object, description = "Câu trả lời của phiếu khảo sát, các trường như biểu mẫu"),
    responses((status = 200, description = "Phân loại và các chỉ số thiếu hụt (không ghi gì)"),
        (status = 400, description = "Câu trả lời sai dạng", body = crate::dto::ErrorBody)))]
pub async fn classify_api(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Response {
    let error = |status: StatusCode, message: String| {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    };
    if ctx.actor.is_none() {
        return error(StatusCode::UNAUTHORIZED, ctx.tr().t("api_sign_in").into());
    }
    let tr = ctx.tr();
    let fields = match json_fields(&body) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let year = match fields.get("year").map(|y| y.trim()) {
        None | Some("") => ReviewYear::new(state.current_year()),
        Some(y) => ReviewYear::parse(y),
    };
    let Ok(year) = year else {
        return error(StatusCode::BAD_REQUEST, tr.t("survey_bad_year").into());
    };
    let Some(standard) = standard_for(&state, year) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            tr.t("survey_no_standard").into(),
        );
    };
    let area = if fields.get("area").map(String::as_str) == Some("urban") {
        standard::Area::Urban
    } else {
        standard::Area::Rural
    };
    let answers = match answers_from(tr, &fields) {
        Ok(a) => a,
        Err(problems) => return error(StatusCode::UNPROCESSABLE_ENTITY, problems.join("; ")),
    };
    match classify(tr, standard, area, year, &answers) {
        Ok(o) => {
            Json(serde_json::json!({"status": o.status, "deprived": o.deprived})).into_response()
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}
