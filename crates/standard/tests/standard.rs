//! Every boundary of every standard, checked against the law as
//! standards-facts.md states it, written out here independently of the TOML
//! files; and the validation of standard files.

use standard::{
    Area, Catalogue, DeprivationSet, KAgreement, Language, LoadError, Ratio, Standard, Status,
    parse, parse_ratio,
};

fn catalogue() -> Catalogue {
    Catalogue::builtin().expect("the shipped standards load")
}

fn set_of(n: usize) -> DeprivationSet {
    (0..n).fold(DeprivationSet::EMPTY, |s, i| s.with(i))
}

/// vn-2016-2020 as Decision 59/2015 states it.
fn law_2016(area: Area, income: i64, n: u32) -> Status {
    let (poverty, near, average) = match area {
        Area::Rural => (700_000, 1_000_000, 1_500_000),
        Area::Urban => (900_000, 1_300_000, 1_950_000),
    };
    if income <= poverty || (income <= near && n >= 3) {
        Status::Poor
    } else if income <= near {
        Status::NearPoor
    } else if income <= average {
        Status::Average
    } else {
        Status::NotPoor
    }
}

/// vn-2022-2025 as Decree 07/2021 states it: poor needs income AND deprivations.
fn law_2022(area: Area, income: i64, n: u32) -> Status {
    let (poverty, average) = match area {
        Area::Rural => (1_500_000, 2_250_000),
        Area::Urban => (2_000_000, 3_000_000),
    };
    if income <= poverty && n >= 3 {
        Status::Poor
    } else if income <= poverty {
        Status::NearPoor
    } else if income <= average {
        Status::Average
    } else {
        Status::NotPoor
    }
}

/// vn-2027-2030 as Decree 351/2025 is summarised (no average band known).
fn law_2027(area: Area, income: i64, n: u32) -> Status {
    let poverty = match area {
        Area::Rural => 2_200_000,
        Area::Urban => 2_800_000,
    };
    match (income <= poverty, n >= 3) {
        (true, true) => Status::Poor,
        (true, false) => Status::NearPoor,
        (false, _) => Status::NotPoor,
    }
}

/// Every line of the standard, one below, at, one above; and the extremes;
/// with every deprivation count from 0 to all indicators.
fn check_every_boundary(standard: &Standard, law: fn(Area, i64, u32) -> Status) -> usize {
    let mut checked = 0;
    for area in [Area::Rural, Area::Urban] {
        let mut incomes = vec![0, 1, i64::MAX / 2];
        for line in &standard.income_lines {
            let v = line.value(area);
            incomes.extend([v - 1, v, v + 1]);
        }
        for &income in &incomes {
            for n in 0..=standard.indicators.len() {
                let got = standard.classify(area, income, set_of(n));
                let want = law(area, income, n as u32);
                assert_eq!(
                    got.status, want,
                    "{} {:?} income {income} n {n}",
                    standard.id, area
                );
                assert_eq!(got.deprivation_count(), n as u32);
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn vn_2016_2020_every_boundary() {
    let c = catalogue();
    let s = c.get("vn-2016-2020").unwrap();
    assert!(check_every_boundary(s, law_2016) > 200);
}

#[test]
fn vn_2022_2025_every_boundary() {
    let c = catalogue();
    let s = c.get("vn-2022-2025").unwrap();
    assert!(check_every_boundary(s, law_2022) > 200);
}

#[test]
fn vn_2027_2030_every_boundary() {
    let c = catalogue();
    let s = c.get("vn-2027-2030").unwrap();
    assert!(s.provisional);
    assert!(check_every_boundary(s, law_2027) > 100);
}

#[test]
fn named_cases_and_traps() {
    let c = catalogue();
    let s16 = c.get("vn-2016-2020").unwrap();
    let s22 = c.get("vn-2022-2025").unwrap();
    let case = |s: &Standard, area, income, n| s.classify(area, income, set_of(n));

    // 2016–2020: poor by income alone, whatever n is.
    let c1 = case(s16, Area::Rural, 700_000, 0);
    assert_eq!(c1.status, Status::Poor);
    assert_eq!(c1.reason(s16).code, "income");
    // ... or in the band with 3 deprivations; 2 is not enough.
    let c2 = case(s16, Area::Rural, 700_001, 3);
    assert_eq!(c2.status, Status::Poor);
    assert_eq!(c2.reason(s16).code, "income_band_and_deprivations");
    assert_eq!(case(s16, Area::Rural, 700_001, 2).status, Status::NearPoor);
    assert_eq!(case(s16, Area::Urban, 1_300_000, 3).status, Status::Poor);
    assert_eq!(
        case(s16, Area::Urban, 1_300_000, 2).status,
        Status::NearPoor
    );
    // Above the near-poverty line, deprivations do not make a household poor.
    assert_eq!(
        case(s16, Area::Urban, 1_300_001, 10).status,
        Status::Average
    );
    assert_eq!(
        case(s16, Area::Rural, 1_500_001, 10).status,
        Status::NotPoor
    );

    // 2022–2025 is "and", not "or": low income with n = 0 is near-poor ...
    let c3 = case(s22, Area::Rural, 1_400_000, 0);
    assert_eq!(c3.status, Status::NearPoor);
    assert_eq!(c3.reason(s22).code, "income_few_deprivations");
    assert_eq!(case(s22, Area::Rural, 0, 0).status, Status::NearPoor);
    // ... and many deprivations above the line are not poor.
    assert_eq!(
        case(s22, Area::Rural, 1_500_001, 12).status,
        Status::Average
    );
    assert_eq!(case(s22, Area::Urban, 2_000_000, 3).status, Status::Poor);
    assert_eq!(
        case(s22, Area::Urban, 2_000_000, 2).status,
        Status::NearPoor
    );
    // The urban line applies to urban households only.
    assert_eq!(case(s22, Area::Rural, 2_000_000, 3).status, Status::Average);
    assert_eq!(case(s22, Area::Urban, 3_000_001, 0).status, Status::NotPoor);
}

#[test]
fn deprivations_and_exact_scores() {
    let c = catalogue();
    let s22 = c.get("vn-2022-2025").unwrap();
    let nutrition = s22.indicator_index("nutrition").unwrap();
    let water = s22.indicator_index("water").unwrap();
    let telecom = s22.indicator_index("telecom").unwrap();
    let set = DeprivationSet::from_codes(s22, ["nutrition", "water", "telecom"]).unwrap();
    assert_eq!(
        set,
        DeprivationSet::EMPTY
            .with(nutrition)
            .with(water)
            .with(telecom)
    );
    let result = s22.classify(Area::Rural, 1_000_000, set);
    assert_eq!(result.status, Status::Poor);
    let codes: Vec<_> = result.deprived_codes(s22).collect();
    assert_eq!(codes, ["nutrition", "water", "telecom"]);
    // 3 × 1/12 is exactly the legal k of 1/4: the tie is kept.
    assert_eq!(s22.default_k(), Ratio::new(1, 4));
    assert!(result.score.at_least(s22.default_k()));
    assert!(!s22.score(set_of(2)).at_least(s22.default_k()));
    assert_eq!(result.score.as_f64(), 0.25);
    assert_eq!(
        DeprivationSet::from_codes(s22, ["water", "no_such"]),
        Err("no_such".to_string())
    );

    // 2016–2020: 3 of 10 indicators, each 1/10.
    let s16 = c.get("vn-2016-2020").unwrap();
    assert_eq!(s16.default_k(), Ratio::new(3, 10));
    assert!(s16.score(set_of(3)).at_least(s16.default_k()));
    assert!(!s16.score(set_of(2)).at_least(s16.default_k()));
    assert!(s16.score(set_of(10)).at_least(Ratio::new(1, 1)));

    // 2027–2030: nested weights are unequal; the score follows them exactly.
    let s27 = c.get("vn-2027-2030").unwrap();
    let digital = s27.indicator_index("digital_services").unwrap();
    let waste = s27.indicator_index("waste").unwrap();
    let score = s27.score(DeprivationSet::EMPTY.with(digital).with(waste));
    assert_eq!(
        Ratio::new(u64::from(score.points), u64::from(score.denominator)),
        Ratio::new(1, 6) + Ratio::new(1, 18)
    );
    let full = s27.score(set_of(s27.indicators.len()));
    assert_eq!(full.points, full.denominator);
}

/// Decree 07/2021: the average-living status is for farm, forestry, fishery
/// and salt households only; others in the band are not poor, with their own
/// reason; below the poverty line the livelihood changes nothing (issue 10,
/// point 5).
#[test]
fn average_living_is_for_farm_households_only() {
    use standard::Livelihood::{Farm, NonFarm, Unknown};
    let c = catalogue();
    let s = c.get("vn-2022-2025").unwrap();
    let at = |area, income, n, livelihood| {
        let r = s.classify_household(area, income, set_of(n), livelihood);
        (r.status, r.reason(s).code.as_str())
    };
    for (area, line, upper) in [
        (Area::Rural, 1_500_000, 2_250_000),
        (Area::Urban, 2_000_000, 3_000_000),
    ] {
        for n in [0, 3] {
            for lv in [Farm, NonFarm, Unknown] {
                let expected = if n >= 3 {
                    Status::Poor
                } else {
                    Status::NearPoor
                };
                assert_eq!(at(area, line, n, lv).0, expected, "{area:?} {lv:?}");
            }
        }
        for income in [line + 1, upper] {
            assert_eq!(at(area, income, 0, Farm).0, Status::Average);
            assert_eq!(at(area, income, 5, Unknown).0, Status::Average);
            assert_eq!(
                at(area, income, 0, NonFarm),
                (Status::NotPoor, "average_band_not_farm"),
                "{area:?} {income}"
            );
        }
        for lv in [Farm, NonFarm, Unknown] {
            assert_eq!(at(area, upper + 1, 0, lv), (Status::NotPoor, "above_lines"));
        }
    }
    // classify() is the unknown livelihood.
    assert_eq!(
        s.classify(Area::Rural, 2_000_000, set_of(0)).status,
        Status::Average
    );
    assert!(
        s.describe(Language::Vi)
            .contains("hộ làm nông, lâm, ngư, diêm nghiệp")
    );
}

/// The default k of each standard is its file's, and says whether "score ≥ k"
/// is the legal "deprived in 3 or more" (issue 10, point 12).
#[test]
fn default_k_and_the_legal_count() {
    let c = catalogue();
    for id in ["vn-2016-2020", "vn-2022-2025"] {
        let s = c.get(id).unwrap();
        assert_eq!(s.k_agreement(s.default_k()), KAgreement::Exact, "{id}");
        assert_eq!(s.k_warning(s.default_k(), Language::Vi), None);
        // The global-MPI 1/3 is not the legal rule: 3 of 12 score 1/4 < 1/3.
        if id == "vn-2022-2025" {
            assert!(matches!(
                s.k_agreement(Ratio::new(1, 3)),
                KAgreement::Differs { ref counted_not_mpi_poor, ref mpi_poor_not_counted }
                    if counted_not_mpi_poor.len() == 3 && mpi_poor_not_counted.is_empty()
            ));
        }
    }
    let s27 = c.get("vn-2027-2030").unwrap();
    assert_eq!(s27.default_k(), Ratio::new(1, 4));
    let index = |code| s27.indicator_index(code).unwrap();
    let KAgreement::Differs {
        counted_not_mpi_poor,
        mpi_poor_not_counted,
    } = s27.k_agreement(s27.default_k())
    else {
        panic!("unequal weights cannot match the count rule at 1/4");
    };
    // Water, latrine and waste (1/18 each) are three deprivations scoring 1/6.
    let mut light = counted_not_mpi_poor.clone();
    light.sort();
    let mut expected = vec![index("water"), index("latrine"), index("waste")];
    expected.sort();
    assert_eq!(light, expected);
    let three = s27.classify(
        Area::Rural,
        1_000_000,
        DeprivationSet::from_codes(s27, ["water", "latrine", "waste"]).unwrap(),
    );
    assert_eq!(three.status, Status::Poor);
    assert!(!three.score.at_least(s27.default_k()));
    // Digital services (1/6) and one 1/12 indicator: two, scoring exactly 1/4.
    assert_eq!(mpi_poor_not_counted.len(), 2);
    assert!(mpi_poor_not_counted.contains(&index("digital_services")));
    let two = s27.classify(
        Area::Rural,
        1_000_000,
        DeprivationSet::from_codes(s27, ["digital_services", "employment"]).unwrap(),
    );
    assert_eq!(two.status, Status::NearPoor);
    assert!(two.score.at_least(s27.default_k()));
    // No k can match: the three lightest score less than the two heaviest.
    for k in [Ratio::new(1, 6), Ratio::new(1, 5), Ratio::new(1, 3)] {
        assert_ne!(s27.k_agreement(k), KAgreement::Exact, "k = {k}");
    }
    let warning = s27.k_warning(s27.default_k(), Language::Vi).unwrap();
    assert!(warning.contains("không trùng"), "{warning}");
    assert!(
        warning.contains("Nước thải") || warning.contains("rác"),
        "{warning}"
    );
    let english = s27.k_warning(s27.default_k(), Language::En).unwrap();
    assert!(english.contains("not the legal"), "{english}");
    assert!(s27.describe(Language::Vi).contains("không trùng"));
}

#[test]
fn score_form_2016_2020() {
    let c = catalogue();
    let s = c.get("vn-2016-2020").unwrap();
    let f = |area, a, b| s.classify_score_form(area, a, b).unwrap().status;
    // Rural: poor at B1 ≤ 120, or 120 < B1 ≤ 150 with B2 ≥ 30.
    assert_eq!(f(Area::Rural, 120, 0), Status::Poor);
    assert_eq!(f(Area::Rural, 121, 30), Status::Poor);
    assert_eq!(f(Area::Rural, 121, 20), Status::NearPoor);
    assert_eq!(f(Area::Rural, 150, 30), Status::Poor);
    assert_eq!(f(Area::Rural, 150, 20), Status::NearPoor);
    assert_eq!(f(Area::Rural, 151, 100), Status::NotPoor);
    // Urban: 140 and 175.
    assert_eq!(f(Area::Urban, 139, 0), Status::Poor);
    assert_eq!(f(Area::Urban, 140, 0), Status::Poor);
    assert_eq!(f(Area::Urban, 141, 30), Status::Poor);
    assert_eq!(f(Area::Urban, 141, 0), Status::NearPoor);
    assert_eq!(f(Area::Urban, 175, 20), Status::NearPoor);
    assert_eq!(f(Area::Urban, 176, 30), Status::NotPoor);
    assert!(s.classify_score_form(Area::Urban, 100, 25).is_err());
}

#[test]
fn score_form_2022_2025() {
    let c = catalogue();
    let s = c.get("vn-2022-2025").unwrap();
    let f = |area, a, b| s.classify_score_form(area, a, b).unwrap().status;
    for (area, cut) in [(Area::Rural, 140), (Area::Urban, 175)] {
        assert_eq!(f(area, cut - 1, 30), Status::Poor);
        assert_eq!(f(area, cut, 30), Status::Poor);
        assert_eq!(f(area, cut, 20), Status::NearPoor);
        assert_eq!(f(area, cut, 0), Status::NearPoor);
        assert_eq!(f(area, cut + 1, 30), Status::NotPoor);
        assert_eq!(f(area, cut + 1, 0), Status::NotPoor);
    }
    let s27 = c.get("vn-2027-2030").unwrap();
    assert!(s27.classify_score_form(Area::Rural, 100, 30).is_err());
}

#[test]
fn standard_for_each_review_year() {
    let c = catalogue();
    let id = |y| c.for_review_year(y).map(|s| s.id.as_str());
    assert_eq!(id(2015), None);
    for y in 2016..=2021 {
        assert_eq!(id(y), Some("vn-2016-2020"), "{y}");
    }
    for y in 2022..=2026 {
        assert_eq!(id(y), Some("vn-2022-2025"), "{y}");
    }
    for y in 2027..=2030 {
        assert_eq!(id(y), Some("vn-2027-2030"), "{y}");
    }
    assert_eq!(id(2031), None);
}

#[test]
fn confidence_marks_reach_the_model() {
    let c = catalogue();
    let s16 = c.get("vn-2016-2020").unwrap();
    assert_eq!(
        s16.income_line("average_upper").unwrap().confidence,
        standard::Confidence::Secondary
    );
    assert_eq!(s16.weakest_confidence(), standard::Confidence::Recollection);
    let form = s16.score_form.as_ref().unwrap();
    assert_eq!(form.lines[1].confidence, standard::Confidence::Recollection);
}

// ---- validation of standard files -------------------------------------

const GOOD: &str = include_str!("../../../standards/vn-2022-2025.toml");

fn broken(from: &str, to: &str) -> LoadError {
    assert!(GOOD.contains(from), "test edit not applicable: {from}");
    parse("test.toml", &GOOD.replacen(from, to, 1)).expect_err("the edit must be rejected")
}

fn field_of(error: &LoadError) -> &str {
    match error {
        LoadError::Invalid { field, .. } => field,
        LoadError::Syntax { .. } => "<syntax>",
    }
}

/// A standard of one dimension (weight 1) and one income line, poor at or
/// under the line with a deprivation; `indicators` are its indicators.
fn small_standard(id: &str, (rural, urban): (i64, i64), indicators: &str) -> String {
    format!(
        r#"
id = "{id}"
name = {{ vi = "Chuẩn thử", en = "Test standard" }}
legal_basis = {{ vi = "Không", en = "None", confidence = "R" }}
review_years = {{ from = 2031, to = 2035 }}
deprivation_cutoff = {{ count = 1 }}
[[income_lines]]
code = "line"
name = {{ vi = "Mức", en = "Line" }}
rural = {rural}
urban = {urban}
[[rules]]
status = "poor"
at_most = "line"
deprivations = "at_least_cutoff"
reason = {{ code = "r", vi = "Nghèo", en = "Poor" }}
[[rules]]
status = "not_poor"
reason = {{ code = "n", vi = "Không", en = "No" }}
[[dimensions]]
code = "d"
name = {{ vi = "Chiều", en = "Dimension" }}
weight = "1"
{indicators}"#
    )
}

#[test]
fn a_new_standard_is_a_new_file() {
    // A standard nobody shipped: one dimension, two indicators, its own lines.
    let text = small_standard(
        "test-standard",
        (10, 20),
        r#"
[[dimensions.indicators]]
code = "a"
name = { vi = "A", en = "A" }
deprived_when = { vi = "A", en = "A" }
weight = "0.75"
[[dimensions.indicators]]
code = "b"
name = { vi = "B", en = "B" }
deprived_when = { vi = "B", en = "B" }
weight = "1/4"
"#,
    );
    let s = parse("my.toml", &text).unwrap();
    assert_eq!(s.points_denominator, 4);
    assert_eq!(s.indicators[0].points, 3);
    assert_eq!(s.classify(Area::Urban, 20, set_of(1)).status, Status::Poor);
    assert_eq!(
        s.classify(Area::Rural, 20, set_of(1)).status,
        Status::NotPoor
    );
    assert_eq!(
        s.classify(Area::Urban, 20, set_of(0)).status,
        Status::NotPoor
    );
    let mut all: Vec<Standard> = catalogue().all().to_vec();
    all.push(s);
    let c = Catalogue::new(all).unwrap();
    assert_eq!(c.for_review_year(2033).unwrap().id, "test-standard");
}

#[test]
fn weights_must_sum_to_one() {
    let e = broken("weight = \"1/6\"", "weight = \"1/5\"");
    assert_eq!(field_of(&e), "dimensions[0].indicators");
    assert!(
        e.to_string()
            .starts_with("test.toml: trường `dimensions[0].indicators`"),
        "{e}"
    );
    let e = broken(
        "weight = \"1/6\"\n\n[[dimensions.indicators]]\ncode = \"employment\"",
        "weight = \"1/5\"\n\n[[dimensions.indicators]]\ncode = \"employment\"",
    );
    assert_eq!(field_of(&e), "dimensions[0].indicators");
    let e = broken("weight = \"1/12\"", "weight = \"zero\"");
    assert_eq!(field_of(&e), "dimensions[0].indicators[0].weight");
    let e = broken("weight = \"1/12\"", "weight = \"0/12\"");
    assert_eq!(field_of(&e), "dimensions[0].indicators[0].weight");
}

#[test]
fn codes_must_be_unique() {
    let e = broken("code = \"dependents\"", "code = \"employment\"");
    assert_eq!(field_of(&e), "dimensions[0].indicators[1].code");
    assert!(e.to_string().contains("bị trùng"));
    let e = broken("code = \"health\"", "code = \"employment\"");
    assert_eq!(field_of(&e), "dimensions[1].code");
    let e = broken("code = \"average_upper\"", "code = \"poverty\"");
    assert_eq!(field_of(&e), "income_lines[1].code");
}

#[test]
fn lines_must_be_ordered_and_rules_must_refer_to_them() {
    let e = broken("rural = 2_250_000", "rural = 1_500_000");
    assert_eq!(field_of(&e), "income_lines[1].rural");
    let e = broken("urban = 3_000_000", "urban = 1_000_000");
    assert_eq!(field_of(&e), "income_lines[1].urban");
    let e = broken("rural = 1_500_000", "rural = 0");
    assert_eq!(field_of(&e), "income_lines[0].rural");
    let e = broken("at_most = \"average_upper\"", "at_most = \"near_poverty\"");
    assert_eq!(field_of(&e), "rules[2].at_most");
    assert!(e.to_string().contains("near_poverty"));
    let e = broken(
        "above = \"poverty\"\nat_most = \"average_upper\"",
        "above = \"average_upper\"\nat_most = \"poverty\"",
    );
    assert_eq!(field_of(&e), "rules[2].at_most");
}

#[test]
fn rules_need_a_final_catch_all() {
    let e = broken(
        "status = \"not_poor\"\nreason = { code = \"above_lines\"",
        "status = \"not_poor\"\nabove = \"average_upper\"\nreason = { code = \"above_lines\"",
    );
    assert_eq!(field_of(&e), "rules[4]");
    let e = broken(
        "status = \"average\"\nabove = \"poverty\"\nat_most = \"average_upper\"\nlivelihood = \"farm\"\n",
        "status = \"average\"\n",
    );
    assert_eq!(field_of(&e), "rules[2]");
}

#[test]
fn unknown_fields_and_bad_values_are_syntax_errors_with_the_file_name() {
    let e = broken("provisional = false", "provisional = false\ncolour = 1");
    assert!(matches!(e, LoadError::Syntax { .. }));
    assert!(e.to_string().starts_with("test.toml: "), "{e}");
    assert!(e.to_string().contains("colour"), "{e}");
    let e = broken("status = \"poor\"", "status = \"rich\"");
    assert!(e.to_string().contains("rich"), "{e}");
    // A heading that would name two indicators.
    let e = broken("aliases = [\"BHYT\"", "aliases = [\"Việc làm\"");
    assert_eq!(field_of(&e), "dimensions.indicators.aliases", "{e}");
    for age in ["sixty", "60y13m", "60m3y"] {
        let e = broken("\"60y3m\"", &format!("\"{age}\""));
        assert!(e.to_string().contains(age), "{e}");
    }
    let e = broken(
        "deprivation_cutoff = { count = 3",
        "deprivation_cutoff = { count = 13",
    );
    assert_eq!(field_of(&e), "deprivation_cutoff.count");
    let e = broken(
        "deprivation_cutoff = { count = 3",
        "deprivation_cutoff = { count = 0",
    );
    assert_eq!(field_of(&e), "deprivation_cutoff.count");
    for k in ["0", "5/4", "một phần tư"] {
        let e = broken("mpi_k = \"1/4\"", &format!("mpi_k = \"{k}\""));
        assert_eq!(field_of(&e), "deprivation_cutoff.mpi_k", "{k}");
    }
    let e = broken("vi = \"Việc làm\"", "vi = \"  \"");
    assert_eq!(field_of(&e), "dimensions[0].name.vi");
    let e = broken("from = 2022, to = 2026", "from = 2026, to = 2022");
    assert_eq!(field_of(&e), "review_years.to");
    let e = broken("code = \"nutrition\"", "code = \"Dinh dưỡng\"");
    assert_eq!(field_of(&e), "dimensions[1].indicators[0].code");
}

#[test]
fn overlapping_years_and_duplicate_ids_are_refused() {
    let c = catalogue();
    let mut all = c.all().to_vec();
    all.push(c.get("vn-2022-2025").unwrap().clone());
    assert!(Catalogue::new(all).is_err());
    let moved = GOOD
        .replace("id = \"vn-2022-2025\"", "id = \"other\"")
        .replace("from = 2022, to = 2026", "from = 2026, to = 2027");
    let other = parse("other.toml", &moved).unwrap();
    let mut all = c.all().to_vec();
    all.push(other);
    let e = Catalogue::new(all).unwrap_err().to_string();
    assert!(e.contains("2026"), "{e}");
}

#[test]
fn ratios_parse_exactly() {
    assert_eq!(parse_ratio("1/12"), Some(Ratio::new(1, 12)));
    assert_eq!(parse_ratio(" 2 / 4 "), Some(Ratio::new(1, 2)));
    assert_eq!(parse_ratio("0.25"), Some(Ratio::new(1, 4)));
    assert_eq!(parse_ratio(".5"), Some(Ratio::new(1, 2)));
    assert_eq!(parse_ratio("1"), Some(Ratio::new(1, 1)));
    assert_eq!(
        parse_ratio("0.333333333"),
        Some(Ratio::new(333_333_333, 1_000_000_000))
    );
    assert_eq!(parse_ratio("1/0"), None);
    assert_eq!(parse_ratio("abc"), None);
    assert_eq!(parse_ratio("-1"), None);
    assert_eq!(parse_ratio(""), None);
    assert_eq!(parse_ratio("."), None);
}

// ---- from the answers of the review form to the indicators ------------

mod survey {
    use super::catalogue;
    use standard::{
        Diploma, HouseType, Latrine, MemberAnswers, Sex, SurveyAnswers, SurveyError, WaterSource,
        Work,
    };

    fn adult(age: u32) -> MemberAnswers {
        MemberAnswers {
            age,
            health_insurance: true,
            diploma: Diploma::UpperSecondary,
            work: Work::WageWithContract,
            ..MemberAnswers::default()
        }
    }

    fn child(age: u32) -> MemberAnswers {
        MemberAnswers {
            age,
            health_insurance: true,
            in_school: true,
            right_school_level: true,
            ..MemberAnswers::default()
        }
    }

    /// A household of four deprived in nothing.
    fn fine() -> SurveyAnswers {
        SurveyAnswers {
            members: vec![adult(40), adult(38), child(10), child(7)],
            income_per_capita: 3_000_000,
            durable_walls: true,
            durable_columns: true,
            durable_roof: true,
            living_area_m2: 40.0,
            water: WaterSource::Tap,
            latrine: Latrine::Septic,
            internet: true,
            phone_subscription: true,
            tv: true,
            phone_or_tablet: true,
            waste_treated: true,
            ..SurveyAnswers::default()
        }
    }

    fn deprived(id: &str, answers: &SurveyAnswers) -> Vec<String> {
        let c = catalogue();
        let s = c.get(id).unwrap();
        let set = answers.deprivations(s, 2024).unwrap();
        set.iter().map(|i| s.indicators[i].code.clone()).collect()
    }

    fn with(edit: impl FnOnce(&mut SurveyAnswers)) -> SurveyAnswers {
        let mut a = fine();
        edit(&mut a);
        a
    }

    /// A standard that exists only here: its own indicator codes, ages and
    /// thresholds, read from the survey with no code that names it.
    #[test]
    fn a_standard_written_in_a_test_classifies_a_survey() {
        let text = super::small_standard(
            "survey-test",
            (2_000_000, 2_500_000),
            r#"
[[dimensions.indicators]]
code = "youth_schooling"
name = { vi = "Thanh thiếu niên đi học", en = "Youth in school" }
deprived_when = { vi = "Có người từ 6 đến dưới 18 tuổi không đi học", en = "Someone aged 6 to under 18 is out of school" }
weight = "1/2"
survey = { rule = "children_not_in_school", from = 6, below = 18 }
[[dimensions.indicators]]
code = "crowding"
name = { vi = "Chật chội", en = "Crowding" }
deprived_when = { vi = "Dưới 12 m² mỗi người", en = "Under 12 m² a person" }
weight = "1/2"
survey = { rule = "living_area_below", m2_per_person = 12 }
"#,
        );
        let s = standard::parse("survey-test.toml", &text).unwrap();
        let codes = |a: &SurveyAnswers| -> Vec<String> {
            let set = a.deprivations(&s, 2032).unwrap();
            set.iter().map(|i| s.indicators[i].code.clone()).collect()
        };
        let roomy = |edit: fn(&mut SurveyAnswers)| {
            with(|a| {
                a.living_area_m2 = 48.0;
                edit(a);
            })
        };
        assert!(
            codes(&roomy(|_| {})).is_empty(),
            "48 m² for four, all in school"
        );
        // 17 and out of school: deprived here (6 to under 18), not in 2016
        // (5 to under 15).
        let teenager = roomy(|a| {
            a.members[2].age = 17;
            a.members[2].in_school = false;
        });
        assert_eq!(codes(&teenager), ["youth_schooling"]);
        assert!(!deprived("vn-2016-2020", &teenager).contains(&"child_schooling".to_string()));
        // 47,9 m² for four is under 12 m² a person; 48 m² is not.
        assert_eq!(codes(&roomy(|a| a.living_area_m2 = 47.9)), ["crowding"]);
        // Income at the line with one deprivation: poor, by this file's rules.
        let set = teenager.deprivations(&s, 2032).unwrap();
        assert_eq!(
            s.classify(standard::Area::Rural, 2_000_000, set).status,
            standard::Status::Poor
        );
        assert_eq!(
            s.classify(standard::Area::Rural, 2_000_001, set).status,
            standard::Status::NotPoor
        );
    }

    #[test]
    fn a_household_without_deprivations() {
        for id in ["vn-2016-2020", "vn-2022-2025", "vn-2027-2030"] {
            assert_eq!(deprived(id, &fine()), Vec::<String>::new(), "{id}");
        }
    }

    /// Working age ends at the Labour Code 2019 retirement age, by sex and
    /// birth month (Decree 135/2020's table), not at a fixed 60 (issue 10,
    /// point 11). Ages are taken in September of the review year.
    #[test]
    fn working_age_follows_the_retirement_schedule() {
        let c = catalogue();
        let s = c.get("vn-2022-2025").unwrap();
        let unemployed = |sex, birth: Option<(i32, u32)>, age| MemberAnswers {
            sex,
            birth_year: birth.map(|b| b.0),
            birth_month: birth.map(|b| b.1),
            work: Work::Unemployed,
            ..adult(age)
        };
        let employment = |m: MemberAnswers, year| {
            let a = with(|a| a.members[0] = m);
            let set = a.deprivations(s, year).unwrap();
            set.iter().any(|i| s.indicators[i].code == "employment")
        };
        let (man, woman) = (Some(Sex::Male), Some(Sex::Female));
        // 2025: men retire at 61y3m. Born 06/1964 he reaches it in 09/2025;
        // born 07/1964, in 10/2025, so he is still of working age.
        assert!(!employment(unemployed(man, Some((1964, 6)), 61), 2025));
        assert!(employment(unemployed(man, Some((1964, 7)), 61), 2025));
        // 2025: women retire at 56y8m: born 01/1969 in 09/2025, 02/1969 after.
        assert!(!employment(unemployed(woman, Some((1969, 1)), 56), 2025));
        assert!(employment(unemployed(woman, Some((1969, 2)), 56), 2025));
        // The same man of 61 was past the age the old fixed band used.
        assert!(employment(unemployed(man, None, 61), 2025));
        assert!(!employment(unemployed(man, None, 62), 2025));
        assert!(employment(unemployed(woman, None, 56), 2025));
        assert!(!employment(unemployed(woman, None, 57), 2025));
        // Without a recorded sex, the men's (later) age.
        assert!(employment(unemployed(None, None, 61), 2025));
        // From 15.
        assert!(!employment(unemployed(man, None, 14), 2025));
        assert!(employment(unemployed(man, None, 15), 2025));

        // The schedule itself, against Decree 135/2020's table.
        let Some(standard::SurveyRule::WorkingAgeWithoutSteadyWork { retirement, .. }) =
            &s.indicators[s.indicator_index("employment").unwrap()].survey
        else {
            panic!("the employment rule reads working age");
        };
        let month = |y: i64, m: i64| y * 12 + m - 1;
        // Men born 01/1961 retire at 60y3m in 04/2021 (60 in 01/2021 under
        // the old code was not yet reached before the new one began).
        assert_eq!(retirement.men.retires(month(1961, 1)), month(2021, 4));
        // Born 10/1961: 60y3m falls in 2022, when the age is 60y6m: 04/2022.
        assert_eq!(retirement.men.retires(month(1961, 10)), month(2022, 4));
        // 62 from 2028; women 55y4m in 2021 and 60 from 2035.
        assert_eq!(retirement.men.in_year(2028), 62 * 12);
        assert_eq!(retirement.men.in_year(2040), 62 * 12);
        assert_eq!(retirement.women.retires(month(1966, 1)), month(2021, 5));
        assert_eq!(retirement.women.in_year(2034), 59 * 12 + 8);
        assert_eq!(retirement.women.in_year(2035), 60 * 12);
        // Before 2021: 60 and 55.
        assert_eq!(retirement.men.in_year(2019), 60 * 12);
        assert_eq!(retirement.women.in_year(2019), 55 * 12);
    }

    /// Adult education: a member in school or training is not deprived, nor
    /// (2022–2025, the circular's exception) one disabled without working
    /// capacity.
    #[test]
    fn adult_education_keeps_its_exceptions() {
        let young = |in_school, disabled| {
            with(move |a| {
                a.members[1] = MemberAnswers {
                    diploma: Diploma::LowerSecondary,
                    in_school,
                    disabled_without_working_capacity: disabled,
                    ..adult(20)
                };
            })
        };
        let has =
            |id: &str, a: &SurveyAnswers| deprived(id, a).contains(&"adult_education".to_string());
        assert!(has("vn-2022-2025", &young(false, false)));
        assert!(!has("vn-2022-2025", &young(true, false)));
        assert!(!has("vn-2022-2025", &young(false, true)));
        assert!(!has("vn-2027-2030", &young(false, true)));
    }

    /// 2027–2030: the elderly and the disabled are dependents only with a
    /// monthly social allowance; 2022–2025 counts them all.
    #[test]
    fn dependents_with_an_allowance_from_2027() {
        let elderly_pair = |allowance| {
            with(|a| {
                for i in [0, 1] {
                    a.members[i] = MemberAnswers {
                        monthly_social_allowance: allowance,
                        ..adult(70)
                    };
                }
                a.members[3] = MemberAnswers {
                    monthly_social_allowance: allowance,
                    disabled_without_working_capacity: true,
                    ..adult(30)
                };
            })
        };
        let c = catalogue();
        let has = |id: &str, a: &SurveyAnswers| {
            let s = c.get(id).unwrap();
            let set = a.deprivations(s, 2027).unwrap();
            set.iter().any(|i| s.indicators[i].code == "dependents")
        };
        // Two elderly, a child and a disabled adult: 4 of 4 under 2022–2025.
        assert!(has("vn-2022-2025", &elderly_pair(false)));
        // 2027–2030: only the child counts without allowances (1 of 4) …
        assert!(!has("vn-2027-2030", &elderly_pair(false)));
        // … and all four with them.
        assert!(has("vn-2027-2030", &elderly_pair(true)));
    }

    #[test]
    fn every_2022_rule_at_its_boundary() {
        let s = "vn-2022-2025";
        let one = |a: &SurveyAnswers| deprived(s, a);
        // health insurance: from age 6
        assert_eq!(
            one(&with(|a| a.members[3] = MemberAnswers {
                health_insurance: false,
                ..child(6)
            })),
            ["health_insurance"]
        );
        assert!(
            one(&with(|a| a.members[3] = MemberAnswers {
                health_insurance: false,
                ..child(5)
            }))
            .is_empty()
        );
        // dependents: more than half; exactly half is not
        assert!(one(&fine()).is_empty());
        assert_eq!(one(&with(|a| a.members.push(child(12)))), ["dependents"]);
        assert_eq!(one(&with(|a| a.members[0] = adult(60))), ["dependents"]);
        // employment: working age, unemployed or without a contract
        assert_eq!(
            one(&with(|a| a.members[0].work = Work::Unemployed)),
            ["employment"]
        );
        assert_eq!(
            one(&with(|a| a.members[0].work = Work::WageWithoutContract)),
            ["employment"]
        );
        assert!(one(&with(|a| a.members[0].work = Work::OwnAccount)).is_empty());
        // nutrition: a child under 16
        assert_eq!(
            one(&with(|a| a.members[2].undernourished = true)),
            ["nutrition"]
        );
        // adult education: 16–17 need lower secondary, 18–30 upper secondary
        let young = |age, diploma, in_school| {
            with(move |a| {
                a.members[1] = MemberAnswers {
                    diploma,
                    in_school,
                    ..adult(age)
                }
            })
        };
        assert_eq!(
            one(&young(17, Diploma::Primary, false)),
            ["adult_education"]
        );
        assert!(one(&young(17, Diploma::LowerSecondary, false)).is_empty());
        assert_eq!(
            one(&young(18, Diploma::LowerSecondary, false)),
            ["adult_education"]
        );
        assert!(one(&young(18, Diploma::Vocational, false)).is_empty());
        assert_eq!(
            one(&young(30, Diploma::LowerSecondary, false)),
            ["adult_education"]
        );
        assert!(one(&young(31, Diploma::LowerSecondary, false)).is_empty());
        assert!(one(&young(20, Diploma::LowerSecondary, true)).is_empty());
        // child schooling: 3 to under 16, at the level for the age
        let kid = |age| {
            with(move |a| {
                a.members[3] = MemberAnswers {
                    right_school_level: false,
                    ..child(age)
                }
            })
        };
        assert_eq!(one(&kid(3)), ["child_schooling"]);
        assert_eq!(one(&kid(15)), ["child_schooling"]);
        assert!(one(&kid(2)).is_empty());
        // housing quality: 2 of 3 main parts not durable
        assert!(one(&with(|a| a.durable_roof = false)).is_empty());
        assert_eq!(
            one(&with(|a| {
                a.durable_roof = false;
                a.durable_walls = false;
            })),
            ["housing_quality"]
        );
        // housing area: under 8 m² per person
        assert!(one(&with(|a| a.living_area_m2 = 32.0)).is_empty());
        assert_eq!(one(&with(|a| a.living_area_m2 = 31.9)), ["housing_area"]);
        // water, latrine, telecom, information
        assert!(one(&with(|a| a.water = WaterSource::Rainwater)).is_empty());
        assert_eq!(
            one(&with(|a| a.water = WaterSource::UnprotectedDugWell)),
            ["water"]
        );
        assert_eq!(one(&with(|a| a.latrine = Latrine::OpenPit)), ["latrine"]);
        assert_eq!(one(&with(|a| a.internet = false)), ["telecom"]);
        assert!(one(&with(|a| a.tv = false)).is_empty(), "a phone is enough");
        assert_eq!(
            one(&with(|a| {
                a.tv = false;
                a.phone_or_tablet = false;
            })),
            ["information"]
        );
    }

    #[test]
    fn the_2016_rules_differ_where_the_law_did() {
        let s = "vn-2016-2020";
        let one = |a: &SurveyAnswers| deprived(s, a);
        // telecom: a phone subscription is enough in 2016
        assert!(one(&with(|a| a.internet = false)).is_empty());
        assert_eq!(
            one(&with(|a| {
                a.internet = false;
                a.phone_subscription = false;
            })),
            ["telecom"]
        );
        // information assets: the loudspeaker counts, a phone does not
        assert_eq!(one(&with(|a| a.tv = false)), ["information_assets"]);
        assert!(
            one(&with(|a| {
                a.tv = false;
                a.loudspeaker = true;
            }))
            .is_empty()
        );
        // adult education: born 1986 or later, without lower secondary
        let adult = |age, birth_year| {
            with(move |a| {
                a.members[1] = MemberAnswers {
                    diploma: Diploma::Primary,
                    birth_year: Some(birth_year),
                    ..adult(age)
                }
            })
        };
        assert_eq!(one(&adult(38, 1986)), ["adult_education"]);
        assert!(one(&adult(39, 1985)).is_empty());
        // child schooling: 5 to under 15, in school
        let kid = |age| {
            with(move |a| {
                a.members[3] = MemberAnswers {
                    in_school: false,
                    ..child(age)
                }
            })
        };
        assert_eq!(one(&kid(5)), ["child_schooling"]);
        assert_eq!(one(&kid(14)), ["child_schooling"]);
        // At 15 out of school without lower secondary it is adult education.
        assert_eq!(one(&kid(15)), ["adult_education"]);
        // housing: less-durable or makeshift
        assert_eq!(
            one(&with(|a| a.house_type = HouseType::Makeshift)),
            ["housing_quality"]
        );
        assert!(one(&with(|a| a.house_type = HouseType::SemiDurable)).is_empty());
        // health access
        assert_eq!(
            one(&with(|a| a.members[0].needed_care = true)),
            ["health_access"]
        );
    }

    #[test]
    fn the_2027_indicators_and_direct_answers() {
        assert_eq!(
            deprived("vn-2027-2030", &with(|a| a.waste_treated = false)),
            ["waste"]
        );
        assert_eq!(
            deprived("vn-2027-2030", &with(|a| a.internet = false)),
            ["digital_services"]
        );
        // A reviewer's direct answer wins over the rule.
        assert!(
            deprived(
                "vn-2022-2025",
                &with(|a| {
                    a.internet = false;
                    a.deprived.insert("telecom".into(), false);
                })
            )
            .is_empty()
        );
        let c = catalogue();
        // An indicator whose file gives no survey rule is answered directly.
        let mut text = include_str!("../../../standards/vn-2022-2025.toml")
            .replace("code = \"telecom\"", "code = \"mobile_money\"")
            .replace("survey = { rule = \"no_internet\" }\n", "");
        text = text.replace("id = \"vn-2022-2025\"", "id = \"custom\"");
        let custom = standard::parse("custom.toml", &text).unwrap();
        assert_eq!(
            fine().deprivations(&custom, 2024),
            Err(SurveyError::NoRule("mobile_money".into()))
        );
        let answered = with(|a| {
            a.deprived.insert("mobile_money".into(), true);
        });
        let set = answered.deprivations(&custom, 2024).unwrap();
        assert_eq!(set.count(), 1);
        assert_eq!(
            SurveyAnswers::default().deprivations(c.get("vn-2022-2025").unwrap(), 2024),
            Err(SurveyError::NoMembers)
        );
    }
}

/// The CPI series (data): a factor is the product of the years' changes
/// after the base year, worked by hand; a missing year gives none; a bad
/// year is named.
#[test]
fn the_cpi_factor_compounds_the_years_after_the_base() {
    use standard::cpi::Cpi;
    let cpi = Cpi::builtin();
    let f = cpi.factor(2021, 2023).unwrap();
    assert!((f - 1.0315 * 1.0325).abs() < 1e-12, "{f}");
    assert!((cpi.factor(2021, 2024).unwrap() - 1.10368411).abs() < 1e-6);
    assert_eq!(cpi.factor(2021, 2021), None);
    assert_eq!(cpi.factor(2024, 2031), None, "years not in the series");
    let err = Cpi::parse("x.toml", "[years]\nnăm = 3.0\n").unwrap_err();
    assert!(err.contains("x.toml") && err.contains("năm"), "{err}");
    let err = Cpi::parse("x.toml", "[years]\n2024 = 300.0\n").unwrap_err();
    assert!(err.contains("2024"), "{err}");
}
