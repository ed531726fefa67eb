//! Synthetic households that look like a Vietnamese registry: several
//! provinces, districts and communes, urban wards and rural communes, incomes
//! that vary by province and commune, deprivations that go with low income,
//! and households of meritorious people and of social-protection
//! beneficiaries. Deterministic for a seed. Pure: no I/O.
//!
//! Each commune draws from its own random stream (seed × commune), so a
//! commune's households do not change when the total size changes the other
//! communes, and generation could be split across threads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use standard::{Area, DeprivationSet, Standard};

/// One household of the flat household file.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub household_id: String,
    pub province_code: String,
    pub district_code: String,
    pub commune_code: String,
    pub village: String,
    pub area: Area,
    pub weight: f64,
    pub members: u32,
    pub income_per_capita: i64,
    pub merit: bool,
    pub social_protection: bool,
    pub deprivations: DeprivationSet,
    /// Survey design, when the households are a sample.
    pub stratum: Option<String>,
    pub psu: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub households: u64,
    pub seed: u64,
    /// Draw a two-stage sample instead of a registry: strata (province ×
    /// area), villages as primary sampling units, unequal weights.
    pub survey: bool,
}

/// A province: its code, name and how much poorer than the country it is
/// (a shift of log income).
struct Province {
    code: &'static str,
    name: &'static str,
    shift: f64,
}

const PROVINCES: [Province; 8] = [
    Province {
        code: "42",
        name: "Hà Tĩnh",
        shift: -0.10,
    },
    Province {
        code: "40",
        name: "Nghệ An",
        shift: -0.15,
    },
    Province {
        code: "44",
        name: "Quảng Bình",
        shift: -0.10,
    },
    Province {
        code: "38",
        name: "Thanh Hóa",
        shift: -0.05,
    },
    Province {
        code: "11",
        name: "Điện Biên",
        shift: -0.45,
    },
    Province {
        code: "02",
        name: "Hà Giang",
        shift: -0.50,
    },
    Province {
        code: "94",
        name: "Sóc Trăng",
        shift: -0.20,
    },
    Province {
        code: "79",
        name: "Hồ Chí Minh",
        shift: 0.35,
    },
];

/// The provinces the generator uses, as (code, name).
pub fn provinces() -> impl Iterator<Item = (&'static str, &'static str)> {
    PROVINCES.iter().map(|p| (p.code, p.name))
}

/// How common a deprivation is (the logit of its rate for a household of
/// median welfare) and how strongly it follows poverty.
fn indicator_profile(code: &str) -> (f64, f64) {
    let (rate, slope): (f64, f64) = match code {
        "employment" => (0.08, 1.0),
        "dependents" => (0.10, 0.7),
        "nutrition" => (0.04, 1.0),
        "health_insurance" => (0.06, 0.9),
        "health_access" => (0.03, 0.8),
        "adult_education" => (0.06, 1.1),
        "child_schooling" => (0.02, 1.0),
        "housing_quality" => (0.04, 1.4),
        "housing_area" => (0.04, 1.1),
        "water" => (0.05, 1.2),
        "latrine" => (0.10, 1.3),
        "telecom" | "digital_services" => (0.08, 1.2),
        "information" | "information_assets" => (0.03, 1.3),
        "waste" => (0.12, 1.0),
        _ => (0.06, 1.0),
    };
    ((rate / (1.0 - rate)).ln(), slope)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Households per commune, on average.
const COMMUNE_SIZE: u64 = 2_000;
const DISTRICTS_PER_PROVINCE: u64 = 12;

/// The households, commune by commune.
pub fn generate<'a>(
    standard: &'a Standard,
    params: Params,
) -> impl Iterator<Item = Household> + 'a {
    // Registry-sized communes for large files; for small ones, still enough
    // communes to spread over several provinces.
    let communes = params
        .households
        .div_ceil(COMMUNE_SIZE)
        .max(params.households.div_ceil(100).min(40))
        .max(1);
    let base = params.households / communes;
    let extra = params.households % communes;
    let profiles: Vec<(f64, f64)> = standard
        .indicators
        .iter()
        .map(|i| indicator_profile(&i.code))
        .collect();
    (0..communes).flat_map(move |c| {
        let size = base + u64::from(c < extra);
        commune(c, size, communes, &profiles, params)
    })
}

fn commune(
    index: u64,
    size: u64,
    communes: u64,
    profiles: &[(f64, f64)],
    params: Params,
) -> Vec<Household> {
    let mut rng =
        ChaCha8Rng::seed_from_u64(params.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Spread communes over provinces and districts in order, so codes nest.
    let per_province = communes.div_ceil(PROVINCES.len() as u64).max(1);
    let province = &PROVINCES[((index / per_province) as usize).min(PROVINCES.len() - 1)];
    let within = index % per_province;
    let district = within * DISTRICTS_PER_PROVINCE / per_province;
    let province_code = province.code.to_string();
    let district_code = format!("{}{:02}", province.code, district + 1);
    let commune_code = format!("{}{:04}", province.code, within + 1);
    // About one commune in six is an urban ward or town.
    let area = if rng.random_bool(1.0 / 6.0) {
        Area::Urban
    } else {
        Area::Rural
    };
    let commune_shift = Normal::new(0.0, 0.22).map_or(0.0, |n| n.sample(&mut rng));
    let median: f64 = match area {
        Area::Rural => 3_600_000.0,
        Area::Urban => 5_600_000.0,
    };
    let villages = (size / 150).clamp(3, 20);
    let noise = Normal::new(0.0, 0.55).unwrap_or_else(|_| unreachable!("constant parameters"));
    let survey_weight = if params.survey {
        80.0 + 40.0 * rng.random::<f64>()
    } else {
        1.0
    };

    (0..size)
        .map(|h| {
            let village_number = h * villages / size.max(1) + 1;
            let village = match area {
                Area::Rural => format!("Thôn {village_number}"),
                Area::Urban => format!("Tổ dân phố {village_number}"),
            };
            let welfare = province.shift + commune_shift + noise.sample(&mut rng);
            let members = draw_members(&mut rng, welfare);
            let income = (median * welfare.exp() / 1000.0).round() as i64 * 1000;
            let poverty = -welfare / 0.9;
            let mut deprivations = DeprivationSet::EMPTY;
            for (i, &(intercept, slope)) in profiles.iter().enumerate() {
                let rural = if area == Area::Rural { 0.3 } else { -0.3 };
                if rng.random_bool(sigmoid(intercept + slope * poverty + rural)) {
                    deprivations.insert(i);
                }
            }
            let merit = rng.random_bool(0.035);
            let social_protection = rng.random_bool(sigmoid(-2.9 + 0.6 * poverty));
            let (stratum, psu, weight) = if params.survey {
                (
                    Some(format!("{}-{}", province.code, area.code())),
                    Some(format!("{commune_code}-{village_number:02}")),
                    survey_weight,
                )
            } else {
                (None, None, 1.0)
            };
            Household {
                household_id: format!("{commune_code}-{:05}", h + 1),
                province_code: province_code.clone(),
                district_code: district_code.clone(),
                commune_code: commune_code.clone(),
                village,
                area,
                weight,
                members,
                income_per_capita: income,
                merit,
                social_protection,
                deprivations,
                stratum,
                psu,
            }
        })
        .collect()
}

/// Deprivations of a household whose poverty (a latent score: 0 is the
/// median, higher is poorer) is `poverty`, under `standard`: each indicator
/// is more likely the poorer the household, and in rural areas.
pub fn deprivations(
    standard: &Standard,
    rng: &mut impl Rng,
    poverty: f64,
    area: Area,
) -> DeprivationSet {
    let mut set = DeprivationSet::EMPTY;
    for (i, indicator) in standard.indicators.iter().enumerate() {
        let (intercept, slope) = indicator_profile(&indicator.code);
        let rural = if area == Area::Rural { 0.3 } else { -0.3 };
        if rng.random_bool(sigmoid(intercept + slope * poverty + rural)) {
            set.insert(i);
        }
    }
    set
}

/// Household size, larger in poorer households.
pub fn draw_members(rng: &mut impl Rng, welfare: f64) -> u32 {
    const SHARES: [f64; 8] = [0.10, 0.18, 0.20, 0.25, 0.15, 0.07, 0.03, 0.02];
    let mut u: f64 = rng.random();
    if welfare < -0.5 {
        u = u.powf(0.8);
    }
    let mut cumulative = 0.0;
    for (i, share) in SHARES.iter().enumerate() {
        cumulative += share;
        if u < cumulative {
            return i as u32 + 1;
        }
    }
    8
}

/// Family names with their rough shares in Vietnam.
const FAMILY_NAMES: [(&str, u32); 16] = [
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 1),
];
const MIDDLE_NAMES_MALE: [&str; 8] = [
    "Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Thanh", "Công",
];
const MIDDLE_NAMES_FEMALE: [&str; 6] = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim"];
const GIVEN_MALE: [&str; 24] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hải", "Hiếu", "Hòa", "Hùng", "Khánh", "Long",
    "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Đức",
];
const GIVEN_FEMALE: [&str; 20] = [
    "Anh", "Dung", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngọc", "Nhung", "Phương",
    "Tâm", "Thảo", "Thủy", "Trang", "Tú", "Xuân", "Yến", "Ánh",
];

/// A Vietnamese full name, with its sex: family name, middle name, given name.
pub fn person_name(rng: &mut impl Rng, female: bool) -> String {
    let total: u32 = FAMILY_NAMES.iter().map(|f| f.1).sum();
    let mut pick = rng.random_range(0..total);
    let family = FAMILY_NAMES
        .iter()
        .find(|(_, share)| {
            if pick < *share {
                true
            } else {
                pick -= share;
                false
            }
        })
        .map_or("Nguyễn", |f| f.0);
    let (middle, given) = if female {
        (
            MIDDLE_NAMES_FEMALE[rng.random_range(0..MIDDLE_NAMES_FEMALE.len())],
            GIVEN_FEMALE[rng.random_range(0..GIVEN_FEMALE.len())],
        )
    } else {
        (
            MIDDLE_NAMES_MALE[rng.random_range(0..MIDDLE_NAMES_MALE.len())],
            GIVEN_MALE[rng.random_range(0..GIVEN_MALE.len())],
        )
    };
    format!("{family} {middle} {given}")
}

/// A seeded random generator for callers that draw their own data.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}
