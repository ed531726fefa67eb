//! The shipped policy catalogue, every eligibility rule at its edges, the
//! file's checks, and the shortest way out against hand-worked households.

use standard::{Area, DeprivationSet, Livelihood, Status};
use support::{Catalogue, Group, Household, WayOut, at_risk, way_out};

fn standards() -> standard::Catalogue {
    standard::Catalogue::builtin().unwrap()
}

fn catalogue() -> Catalogue {
    Catalogue::builtin(&standards()).expect("the shipped catalogue loads")
}

fn household<'a>(
    status: Option<Status>,
    escaped_in: Option<i64>,
    groups: &'a [Group],
    member_ages: &'a [u32],
) -> Household<'a> {
    Household {
        year: 2025,
        status,
        escaped_in,
        groups,
        member_ages,
    }
}

#[test]
fn the_shipped_catalogue_has_the_plans_policies() {
    let c = catalogue();
    for code in [
        "production_support",
        "preferential_credit",
        "health_insurance_card",
        "tuition_support",
        "student_credit",
        "housing_support",
        "electricity_subsidy",
        "legal_aid",
        "vocational_training",
        "job_placement",
        "labour_export",
        "social_allowance",
        "nutrition_support",
        "grave_illness_fund",
    ] {
        let p = c.policy(code).unwrap_or_else(|| panic!("{code}"));
        assert!(c.agency(&p.agency).is_some(), "{code}");
    }
    let addressing = |i: &str| c.addressing(i).map(|p| p.code.clone()).collect::<Vec<_>>();
    assert_eq!(addressing("health_insurance"), ["health_insurance_card"]);
    assert!(addressing("housing_quality").contains(&"housing_support".to_string()));
    assert!(addressing("housing_area").contains(&"housing_support".to_string()));
    assert!(addressing("water").contains(&"clean_water_sanitation".to_string()));
    for p in ["vocational_training", "job_placement", "labour_export"] {
        assert!(addressing("employment").contains(&p.to_string()), "{p}");
    }
    assert!(addressing("child_schooling").contains(&"tuition_support".to_string()));
    assert!(c.years.contains(&2019) && c.years.contains(&2030));
}

#[test]
fn eligibility_at_each_edge() {
    let c = catalogue();
    let p = |code: &str| c.policy(code).unwrap();
    let ages = [40, 38, 10, 2];
    // A card for each member of a poor or near-poor household; none otherwise.
    let card = p("health_insurance_card");
    for (status, members) in [
        (Status::Poor, Some(vec![0, 1, 2, 3])),
        (Status::NearPoor, Some(vec![0, 1, 2, 3])),
        (Status::Average, None),
        (Status::NotPoor, None),
    ] {
        let e = card.eligibility(&household(Some(status), None, &[], &ages));
        assert_eq!(e.map(|e| e.members), members, "{status:?}");
    }
    assert_eq!(card.eligibility(&household(None, None, &[], &ages)), None);
    // Tuition: members aged 3 to under 31 — the child of 10, not the one of 2.
    let tuition = p("tuition_support");
    let e = tuition
        .eligibility(&household(Some(Status::Poor), None, &[], &ages))
        .unwrap();
    assert_eq!(e.members, [2]);
    let edges = [2, 3, 30, 31];
    let e = tuition
        .eligibility(&household(Some(Status::Poor), None, &[], &edges))
        .unwrap();
    assert_eq!(e.members, [1, 2], "3 and 30 are in, 2 and 31 out");
    // Nobody of the ages: not eligible at all.
    assert_eq!(
        tuition.eligibility(&household(Some(Status::Poor), None, &[], &[45, 70])),
        None
    );
    // Credit: poor, near-poor, or escaped within 3 years (2025: 2022–2025).
    let credit = p("preferential_credit");
    for (escaped, eligible) in [
        (Some(2025), true),
        (Some(2022), true),
        (Some(2021), false),
        (None, false),
    ] {
        let e = credit.eligibility(&household(Some(Status::NotPoor), escaped, &[], &ages));
        assert_eq!(e.is_some(), eligible, "{escaped:?}");
    }
    // Electricity: poor, or a social-protection household whatever its status.
    let power = p("electricity_subsidy");
    assert!(
        power
            .eligibility(&household(Some(Status::Poor), None, &[], &ages))
            .is_some()
    );
    assert!(
        power
            .eligibility(&household(Some(Status::NearPoor), None, &[], &ages))
            .is_none()
    );
    assert!(
        power
            .eligibility(&household(
                Some(Status::NotPoor),
                None,
                &[Group::SocialProtection],
                &ages
            ))
            .is_some()
    );
    // Housing: poor households, meritorious people's first.
    let housing = p("housing_support");
    let e = housing
        .eligibility(&household(Some(Status::Poor), None, &[Group::Merit], &ages))
        .unwrap();
    assert!(e.priority && e.members.is_empty());
    let e = housing
        .eligibility(&household(
            Some(Status::Poor),
            None,
            &[Group::EthnicMinority],
            &ages,
        ))
        .unwrap();
    assert!(!e.priority);
    // Social allowance: poor or near-poor and in one of its groups.
    let allowance = p("social_allowance");
    assert!(
        allowance
            .eligibility(&household(Some(Status::Poor), None, &[], &ages))
            .is_none()
    );
    assert!(
        allowance
            .eligibility(&household(
                Some(Status::Poor),
                None,
                &[Group::NoWorkingCapacity],
                &ages
            ))
            .is_some()
    );
}

#[test]
fn a_bad_catalogue_names_the_field() {
    let s = standards();
    let codes: Vec<&str> = s
        .all()
        .iter()
        .flat_map(|x| x.indicators.iter().map(|i| i.code.as_str()))
        .collect();
    let text = include_str!("../../../policies/ntp-2019-2030.toml");
    let broken = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        Catalogue::parse("t.toml", &text.replacen(from, to, 1), &codes)
            .unwrap_err()
            .to_string()
    };
    let e = broken("agency = \"agriculture\"", "agency = \"ministry\"");
    assert!(
        e.contains("policies[0] (production_support).agency") && e.contains("ministry"),
        "{e}"
    );
    let e = broken(
        "addresses = [\"health_insurance\"]",
        "addresses = [\"happiness\"]",
    );
    assert!(e.contains("happiness") && e.contains("addresses"), "{e}");
    let e = broken(", escaped_within = 3 }]", "}]");
    assert!(e.contains("escaped_within"), "{e}");
    let e = broken(
        "eligible = [{ statuses = [\"poor\"] }]\npriority",
        "eligible = [{ statuses = [\"poor\"], ages = { from = 0, below = 10 } }]\npriority",
    );
    assert!(e.contains("ages chỉ dùng"), "{e}");
    let e = broken("code = \"legal_aid\"", "code = \"production_support\"");
    assert!(e.contains("trùng"), "{e}");
    let e = broken(
        "statuses = [\"poor\", \"near_poor\"] }]",
        "statuses = [\"rich\"] }]",
    );
    assert!(e.contains("rich"), "{e}");
}

fn set(n: usize) -> DeprivationSet {
    (0..n).fold(DeprivationSet::EMPTY, |s, i| s.with(i))
}

#[test]
fn the_shortest_way_out_by_hand() {
    let s = standards();
    let c = catalogue();
    let s22 = s.get("vn-2022-2025").unwrap();
    let out = |income, n| way_out(s22, &c, Area::Rural, income, set(n), Livelihood::Unknown);
    // 2022–2025 rural line 1,500,000; poor with 3 or more deprivations.
    // Four deprivations: two must go (4 → 2 < 3); three: one.
    assert_eq!(out(1_200_000, 4).distance(), 2);
    assert_eq!(out(1_500_000, 3).distance(), 1);
    assert_eq!(out(1_500_000, 12).distance(), 10);
    // Near-poor, or above the line: not poor.
    assert_eq!(out(1_200_000, 2), WayOut::NotPoor);
    assert_eq!(out(1_500_001, 6), WayOut::NotPoor);
    // The deprived indicators, each with its policies.
    let WayOut::Deprivations { indicators, .. } = out(1_000_000, 4) else {
        panic!("poor by deprivations");
    };
    let codes: Vec<&str> = indicators
        .iter()
        .map(|(i, _)| s22.indicators[*i].code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["employment", "dependents", "nutrition", "health_insurance"]
    );
    let card = &indicators[3].1;
    assert_eq!(card, &["health_insurance_card".to_string()]);
    // 2016–2020: at or below the poverty line a household is poor whatever
    // its deprivations, so only income takes it out.
    let s16 = s.get("vn-2016-2020").unwrap();
    let poverty = s16.income_line("poverty").unwrap().rural;
    assert_eq!(
        way_out(s16, &c, Area::Rural, poverty, set(0), Livelihood::Unknown),
        WayOut::Income
    );
}

#[test]
fn near_poor_one_deprivation_from_poverty() {
    let s = standards();
    let c = catalogue();
    let s22 = s.get("vn-2022-2025").unwrap();
    let risk = |income, n| at_risk(s22, &c, Area::Rural, income, set(n), Livelihood::Unknown);
    // Two deprivations at or below the line: any of the other ten makes it poor.
    let r = risk(1_500_000, 2).unwrap();
    assert_eq!(r.indicators.len(), 10);
    assert!(r.indicators.iter().all(|(i, _)| *i >= 2));
    let water = s22.indicator_index("water").unwrap();
    let (_, policies) = r.indicators.iter().find(|(i, _)| *i == water).unwrap();
    assert!(policies.contains(&"clean_water_sanitation".to_string()));
    // One deprivation: two more needed. Above the line: never poor. Poor: not at risk.
    assert_eq!(risk(1_500_000, 1), None);
    assert_eq!(risk(1_500_001, 2), None);
    assert_eq!(risk(1_500_000, 3), None);
}

/// The gap finder by hand: a poor household of four deprived in health
/// insurance and water, nobody served: the card for each member and the
/// water programme; once the card reaches two members, only the other two.
#[test]
fn gaps_are_eligible_deprived_and_unserved() {
    let c = catalogue();
    let ages = [40, 38, 10, 2];
    let h = household(Some(Status::Poor), None, &[], &ages);
    let deprived = vec!["health_insurance".to_string(), "water".to_string()];
    let found = support::gaps(&c, &h, &deprived, &[]);
    let codes: Vec<(&str, Vec<usize>)> = found
        .iter()
        .map(|g| (g.policy.code.as_str(), g.members.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            ("health_insurance_card", vec![0, 1, 2, 3]),
            ("clean_water_sanitation", vec![])
        ]
    );
    assert_eq!(found[0].indicators, ["health_insurance"]);
    let served = [
        ("health_insurance_card", Some(0)),
        ("health_insurance_card", Some(2)),
        ("clean_water_sanitation", None),
    ];
    let found = support::gaps(&c, &h, &deprived, &served);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].members, [1, 3]);
    // Not deprived in anything a policy addresses: no gap, whatever it is
    // eligible for. Not eligible (above the lines): no gap either.
    assert!(support::gaps(&c, &h, &[], &[]).is_empty());
    let rich = household(Some(Status::NotPoor), None, &[], &ages);
    assert!(support::gaps(&c, &rich, &deprived, &[]).is_empty());
}

/// Causes and wishes are the catalogue's lists; the type suggested from the
/// members: nobody able to work, type 1; else type 2; type 3 never.
#[test]
fn causes_wishes_and_the_suggested_type() {
    use support::PovertyType;
    let c = catalogue();
    for code in ["grave_illness", "sudden_accident", "no_capital"] {
        assert!(c.causes.iter().any(|x| x.code == code), "{code}");
    }
    assert!(c.wishes.iter().any(|x| x.code == "credit"));
    assert_eq!(
        PovertyType::suggested(&[Group::NoWorkingCapacity, Group::Merit]),
        PovertyType::SocialAssistance
    );
    assert_eq!(PovertyType::suggested(&[]), PovertyType::HelpToEscape);
    assert_eq!(PovertyType::from_number(3), Some(PovertyType::Persuasion));
    assert_eq!(PovertyType::from_number(4), None);
}

/// The gap finder's first cut: only a standing some policy addressing the
/// deprivations admits can have a gap; it never drops one `gaps` would list.
#[test]
fn only_a_standing_some_policy_admits_may_have_gaps() {
    use standard::Status;
    let c = catalogue();
    let employment = ["employment".to_string()];
    let water = ["water".to_string()];
    // Not poor, never escaped: no policy with a deprivation admits it.
    assert!(!support::may_have_gaps(
        &c,
        2025,
        Some(Status::NotPoor),
        None,
        &employment
    ));
    // Escaped three years ago: production support and credit still admit it;
    // four years ago, not.
    assert!(support::may_have_gaps(
        &c,
        2025,
        Some(Status::NotPoor),
        Some(2022),
        &employment
    ));
    assert!(!support::may_have_gaps(
        &c,
        2025,
        Some(Status::NotPoor),
        Some(2021),
        &employment
    ));
    // Clean water serves the poor and near-poor, not the escaped.
    assert!(support::may_have_gaps(
        &c,
        2025,
        Some(Status::NearPoor),
        None,
        &water
    ));
    assert!(!support::may_have_gaps(
        &c,
        2025,
        Some(Status::NotPoor),
        Some(2024),
        &water
    ));
    // No deprivation, no gap.
    assert!(!support::may_have_gaps(
        &c,
        2025,
        Some(Status::Poor),
        None,
        &[]
    ));
    // Whatever `gaps` lists, the first cut keeps.
    let groups = [];
    let ages = [40, 12];
    for status in [
        Status::Poor,
        Status::NearPoor,
        Status::Average,
        Status::NotPoor,
    ] {
        for escaped_in in [None, Some(2023), Some(2020)] {
            for deprived in [&employment[..], &water[..]] {
                let h = support::Household {
                    year: 2025,
                    status: Some(status),
                    escaped_in,
                    groups: &groups,
                    member_ages: &ages,
                };
                if !support::gaps(&c, &h, deprived, &[]).is_empty() {
                    assert!(support::may_have_gaps(
                        &c,
                        2025,
                        Some(status),
                        escaped_in,
                        deprived
                    ));
                }
            }
        }
    }
}
