//! The Alkire–Foster measures: hand-computed cases, the identities as
//! properties, and the standard errors against their definitions.

use measure::{Accumulator, Bootstrap, Config, Design, GroupMeasures, Row, Unit};
use proptest::prelude::*;
use standard::{Area, Catalogue, DeprivationSet, Ratio, Standard};

fn catalogue() -> &'static Catalogue {
    static C: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalogue::builtin().unwrap())
}

fn s22() -> &'static Standard {
    catalogue().get("vn-2022-2025").unwrap()
}

fn s16() -> &'static Standard {
    catalogue().get("vn-2016-2020").unwrap()
}

fn row(income: i64, mask: u64, weight: f64, members: u32, key: u64) -> Row {
    Row {
        area: Area::Rural,
        income_per_capita: income,
        deprivations: DeprivationSet(mask),
        weight,
        members,
        key,
    }
}

fn first_n(n: usize) -> u64 {
    (1u64 << n) - 1
}

#[derive(Debug, Clone)]
struct Input {
    group: u8,
    row: Row,
    stratum: u8,
    psu: u8,
}

fn run(
    standard: &Standard,
    config: Config,
    rows: &[Input],
    by: bool,
    design: bool,
) -> Vec<GroupMeasures> {
    let mut acc = Accumulator::new(standard, config);
    for r in rows {
        let g = [b'g', b'0' + r.group];
        let (s, p) = ([r.stratum], [r.psu]);
        let d = design.then_some(Design {
            stratum: &s,
            psu: &p,
        });
        acc.add(by.then_some(&g[..]), &r.row, d);
    }
    acc.finish()
}

fn total(results: &[GroupMeasures]) -> &GroupMeasures {
    let t = results.last().unwrap();
    assert_eq!(t.group, "total");
    t
}

#[test]
fn hand_computed_example() {
    let s = s22();
    let rows = [
        // poor: income under the line, 3 of 12 → c = 1/4 = k exactly
        row(1_000_000, first_n(3), 1.0, 4, 1),
        // near-poor, c = 2/12
        row(1_400_000, first_n(2), 1.0, 2, 2),
        // not poor by income, but 6 of 12 → c = 1/2, MPI-poor and severe
        row(5_000_000, first_n(6), 2.0, 3, 3),
        // nothing
        row(2_000_000, 0, 1.0, 1, 4),
    ];
    let inputs: Vec<Input> = rows
        .iter()
        .map(|r| Input {
            group: 0,
            row: *r,
            stratum: 0,
            psu: 0,
        })
        .collect();
    let results = run(s, Config::for_standard(s), &inputs, false, false);
    assert_eq!(results.len(), 1);
    let t = total(&results);
    assert_eq!(t.households, 4);
    assert_eq!(t.weight_sum, 5.0);
    assert_eq!((t.poor, t.near_poor), (1, 1));
    assert_eq!(t.poor_rate, 0.2);
    assert_eq!(t.near_poor_rate, 0.2);
    // MPI-poor: rows 1 (w 1) and 3 (w 2) → H = 3/5; A = (1/4 + 2·1/2)/3
    assert!((t.h - 0.6).abs() < 1e-15);
    let a = (0.25 + 2.0 * 0.5) / 3.0;
    assert!((t.a.unwrap() - a).abs() < 1e-15);
    assert!((t.m0 - 0.6 * a).abs() < 1e-15);
    // vulnerable: c in [1/5, 1/3): row 1 (1/4) → 1/5; severe: row 3 → 2/5
    assert!((t.vulnerable - 0.2).abs() < 1e-15);
    assert!((t.severe - 0.4).abs() < 1e-15);
    // indicator 0 is deprived in rows 1, 2 and 3; censored drops row 2.
    assert!((t.uncensored[0] - 4.0 / 5.0).abs() < 1e-15);
    assert!((t.censored[0] - 3.0 / 5.0).abs() < 1e-15);
    assert!((t.censored[5] - 2.0 / 5.0).abs() < 1e-15);
    assert_eq!(t.censored[6], 0.0);
    assert_eq!(t.contribution[6], Some(0.0));

    // With k = 1/3 the tie row drops out.
    let mut config = Config::for_standard(s);
    config.k = Ratio::new(1, 3);
    let t = run(s, config, &inputs, false, false).pop().unwrap();
    assert!((t.h - 0.4).abs() < 1e-15);

    // By person: weights × members: 4, 2, 6, 1 → W = 13, MPI-poor 4 + 6.
    let mut config = Config::for_standard(s);
    config.unit = Unit::Person;
    let t = run(s, config, &inputs, false, false).pop().unwrap();
    assert_eq!(t.households, 4);
    assert_eq!(t.weight_sum, 13.0);
    assert!((t.h - 10.0 / 13.0).abs() < 1e-15);
}

#[test]
fn vulnerable_and_severe_boundaries_are_exact() {
    // 2016–2020: each indicator weighs 1/10.
    let s = s16();
    let share = |n: usize| {
        let inputs = [Input {
            group: 0,
            row: row(5_000_000, first_n(n), 1.0, 1, 0),
            stratum: 0,
            psu: 0,
        }];
        let t = run(s, Config::for_standard(s), &inputs, false, false)
            .pop()
            .unwrap();
        (t.vulnerable, t.severe, t.h)
    };
    assert_eq!(share(1), (0.0, 0.0, 0.0));
    assert_eq!(share(2), (1.0, 0.0, 0.0)); // c = 1/5: vulnerable, boundary included
    assert_eq!(share(3), (1.0, 0.0, 1.0)); // c = 3/10 < 1/3, and = k
    assert_eq!(share(4), (0.0, 0.0, 1.0));
    assert_eq!(share(5), (0.0, 1.0, 1.0)); // c = 1/2: severe, boundary included
}

#[test]
fn ties_at_k_survive_every_cutoff_of_twelve() {
    // For each j, k = j/12 and exactly j deprivations: always MPI-poor.
    let s = s22();
    for j in 1..=12u64 {
        let mut config = Config::for_standard(s);
        config.k = Ratio::new(j, 12);
        let inputs = [
            Input {
                group: 0,
                row: row(0, first_n(j as usize), 1.0, 1, 0),
                stratum: 0,
                psu: 0,
            },
            Input {
                group: 0,
                row: row(0, first_n(j as usize - 1), 1.0, 1, 0),
                stratum: 0,
                psu: 0,
            },
        ];
        let t = run(s, config, &inputs, false, false).pop().unwrap();
        assert_eq!(t.h, 0.5, "k = {j}/12");
    }
}

#[test]
fn srs_standard_error_of_h_is_the_binomial_one() {
    // Unweighted: SE(H) = sqrt(H(1 − H)/(n − 1)).
    let s = s22();
    let inputs: Vec<Input> = (0..40)
        .map(|i| Input {
            group: 0,
            row: row(0, first_n(if i % 4 == 0 { 5 } else { 1 }), 1.0, 1, i),
            stratum: 0,
            psu: 0,
        })
        .collect();
    let t = run(s, Config::for_standard(s), &inputs, false, false)
        .pop()
        .unwrap();
    assert_eq!(t.h, 0.25);
    let expected = (0.25f64 * 0.75 / 39.0).sqrt();
    assert!((t.se.h.unwrap() - expected).abs() < 1e-12);
    // All MPI-poor have the same score: A is known without error.
    assert!(t.se.a.unwrap() < 1e-12);
    // M0 = H × 5/12 for every sample of this shape.
    assert!((t.se.m0.unwrap() - expected * 5.0 / 12.0).abs() < 1e-12);
}

/// The linearised variance of a ratio, computed directly from its definition.
fn design_se(rows: &[Input], y: impl Fn(&Input) -> f64, x: impl Fn(&Input) -> f64) -> f64 {
    use std::collections::BTreeMap;
    let (yt, xt): (f64, f64) = rows
        .iter()
        .fold((0.0, 0.0), |(a, b), r| (a + y(r), b + x(r)));
    let r = yt / xt;
    let mut psus: BTreeMap<u8, BTreeMap<u8, f64>> = BTreeMap::new();
    for i in rows {
        *psus.entry(i.stratum).or_default().entry(i.psu).or_default() += (y(i) - r * x(i)) / xt;
    }
    let mut v = 0.0;
    for z in psus.values().filter(|p| p.len() > 1) {
        let n = z.len() as f64;
        let mean = z.values().sum::<f64>() / n;
        v += n / (n - 1.0) * z.values().map(|v| (v - mean).powi(2)).sum::<f64>();
    }
    v.sqrt()
}

fn design_inputs() -> Vec<Input> {
    let mut out = Vec::new();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as u32
    };
    for stratum in 0..4u8 {
        for psu in 0..(3 + stratum) {
            for _ in 0..10 {
                let n = (next() % 8) as usize;
                let w = 1.0 + f64::from(next() % 5);
                out.push(Input {
                    group: (next() % 3) as u8,
                    row: row(1_000_000, first_n(n), w, 1, u64::from(next())),
                    stratum,
                    psu,
                });
            }
        }
    }
    // A stratum with one PSU: no degrees of freedom, left out.
    out.push(Input {
        group: 1,
        row: row(0, first_n(4), 3.0, 1, 1),
        stratum: 9,
        psu: 0,
    });
    out
}

#[test]
fn design_standard_errors_match_their_definition() {
    let s = s22();
    let inputs = design_inputs();
    let results = run(s, Config::for_standard(s), &inputs, true, true);
    let k_points = 3u32; // 3 of 12 with all weights 1/12
    let points = |i: &Input| i.row.deprivations.count();
    let mpi = |i: &Input| points(i) >= k_points;
    for g in results.iter() {
        let in_group = |i: &Input| g.group == "total" || g.group.as_bytes()[1] == b'0' + i.group;
        let w = |i: &Input| if in_group(i) { i.row.weight } else { 0.0 };
        let wi = |i: &Input| if mpi(i) { w(i) } else { 0.0 };
        let wc = |i: &Input| wi(i) * f64::from(points(i)) / 12.0;
        let h = design_se(&inputs, wi, w);
        let m0 = design_se(&inputs, wc, w);
        let a = design_se(&inputs, wc, wi);
        assert!((g.se.h.unwrap() - h).abs() < 1e-12, "{} H", g.group);
        assert!((g.se.m0.unwrap() - m0).abs() < 1e-12, "{} M0", g.group);
        assert!((g.se.a.unwrap() - a).abs() < 1e-12, "{} A", g.group);
        assert!(h > 0.0 && m0 > 0.0);
    }
}

#[test]
fn bootstrap_is_reproducible_and_close_to_the_analytical_se() {
    let s = s22();
    let inputs = design_inputs();
    let mut config = Config::for_standard(s);
    config.bootstrap = Some(Bootstrap {
        replicates: 400,
        seed: 42,
    });
    let a = run(s, config.clone(), &inputs, true, true);
    let b = run(s, config.clone(), &inputs, true, true);
    assert_eq!(a, b);
    let t = total(&a);
    let boot = t.bootstrap_se.unwrap();
    let ratio = boot.h.unwrap() / t.se.h.unwrap();
    assert!(
        (0.7..1.4).contains(&ratio),
        "design bootstrap / linearised = {ratio}"
    );

    // Without a design: the Poisson bootstrap, independent of row order.
    let mut reversed = inputs.clone();
    reversed.reverse();
    let c = run(s, config.clone(), &inputs, false, false);
    let d = run(s, config.clone(), &reversed, false, false);
    let (tc, td) = (total(&c), total(&d));
    let (bc, bd) = (tc.bootstrap_se.unwrap(), td.bootstrap_se.unwrap());
    assert!((bc.h.unwrap() - bd.h.unwrap()).abs() < 1e-12);
    let ratio = bc.h.unwrap() / tc.se.h.unwrap();
    assert!(
        (0.7..1.4).contains(&ratio),
        "Poisson bootstrap / SRS = {ratio}"
    );
    // Another seed gives other replicates.
    config.bootstrap = Some(Bootstrap {
        replicates: 400,
        seed: 43,
    });
    let e = run(s, config, &inputs, false, false);
    assert_ne!(total(&e).bootstrap_se, tc.bootstrap_se);
}

fn arb_inputs() -> impl Strategy<Value = Vec<Input>> {
    let one = (
        0u8..4,
        0i64..4_000_000,
        0u64..(1 << 12),
        1u32..50,
        1u32..9,
        0u8..3,
        0u8..4,
    )
        .prop_map(|(group, income, mask, w, members, stratum, psu)| Input {
            group,
            row: Row {
                area: if income % 2 == 0 {
                    Area::Rural
                } else {
                    Area::Urban
                },
                income_per_capita: income,
                deprivations: DeprivationSet(mask),
                weight: f64::from(w) / 4.0,
                members,
                key: mask ^ income as u64,
            },
            stratum,
            psu,
        });
    prop::collection::vec(one, 1..120)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn same(a: &GroupMeasures, b: &GroupMeasures) -> bool {
    a.group == b.group
        && a.households == b.households
        && a.poor == b.poor
        && a.near_poor == b.near_poor
        && close(a.weight_sum, b.weight_sum)
        && close(a.h, b.h)
        && close(a.m0, b.m0)
        && a.a.is_some() == b.a.is_some()
        && a.a.zip(b.a).is_none_or(|(x, y)| close(x, y))
        && a.censored
            .iter()
            .zip(&b.censored)
            .all(|(x, y)| close(*x, *y))
        && a.uncensored
            .iter()
            .zip(&b.uncensored)
            .all(|(x, y)| close(*x, *y))
        && a.se.h.zip(b.se.h).is_none_or(|(x, y)| close(x, y))
        && a.se.m0.zip(b.se.m0).is_none_or(|(x, y)| close(x, y))
}

proptest! {
    #[test]
    fn identities_hold(inputs in arb_inputs(), j in 1u64..=12, person in any::<bool>(), design in any::<bool>()) {
        let s = s22();
        let mut config = Config::for_standard(s);
        config.k = Ratio::new(j, 12);
        if person { config.unit = Unit::Person; }
        let results = run(s, config, &inputs, true, design);
        let t = total(&results);
        for g in &results {
            // M0 = H × A
            match g.a {
                Some(a) => prop_assert!(close(g.m0, g.h * a)),
                None => prop_assert_eq!(g.m0, 0.0),
            }
            // contributions sum to 1
            if g.m0 > 0.0 {
                let sum: f64 = g.contribution.iter().map(|c| c.unwrap()).sum();
                prop_assert!(close(sum, 1.0), "sum {}", sum);
            }
            prop_assert!(g.censored.iter().zip(&g.uncensored).all(|(c, u)| c <= u));
        }
        // population-share-weighted subgroup M0 equals the total M0
        let groups = &results[..results.len() - 1];
        let weighted: f64 = groups.iter().map(|g| g.weight_sum / t.weight_sum * g.m0).sum();
        prop_assert!(close(weighted, t.m0));
        let h: f64 = groups.iter().map(|g| g.weight_sum / t.weight_sum * g.h).sum();
        prop_assert!(close(h, t.h));
        prop_assert_eq!(groups.iter().map(|g| g.households).sum::<u64>(), t.households);
    }

    #[test]
    fn order_and_splitting_do_not_matter(inputs in arb_inputs(), seed in any::<u64>(), cut in 0usize..120, design in any::<bool>()) {
        let s = s22();
        let config = Config::for_standard(s);
        let a = run(s, config.clone(), &inputs, true, design);
        // shuffle deterministically
        let mut shuffled = inputs.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let b = run(s, config.clone(), &shuffled, true, design);
        prop_assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            prop_assert!(same(x, y), "{:?}\n{:?}", x, y);
        }
        // two halves measured apart and merged give the whole
        let cut = cut.min(inputs.len());
        let part = |rows: &[Input]| {
            let mut acc = Accumulator::new(s, config.clone());
            for r in rows {
                let g = [b'g', b'0' + r.group];
                let (st, p) = ([r.stratum], [r.psu]);
                acc.add(Some(&g[..]), &r.row, design.then_some(Design { stratum: &st, psu: &p }));
            }
            acc
        };
        let mut left = part(&inputs[..cut]);
        left.merge(part(&inputs[cut..]));
        let c = left.finish();
        for (x, y) in a.iter().zip(&c) {
            prop_assert!(same(x, y), "{:?}\n{:?}", x, y);
        }
    }
}

proptest! {
    /// What a registry keeps — households counted by group, status and
    /// score, and by the indicators they are deprived in — gives the same
    /// measures as the households added one by one (unweighted, no design),
    /// at any cut-off.
    #[test]
    fn households_counted_alike_measure_as_the_rows(inputs in arb_inputs(), j in 1u64..=12) {
        let s = s22();
        let mut config = Config::for_standard(s);
        config.k = Ratio::new(j, 12);
        let unweighted: Vec<Input> = inputs
            .into_iter()
            .map(|mut i| {
                i.row.weight = 1.0;
                i
            })
            .collect();
        let rows = run(s, config.clone(), &unweighted, true, false);
        let mut scored = std::collections::BTreeMap::new();
        let mut deprived = std::collections::BTreeMap::new();
        for i in &unweighted {
            let c = s.classify(i.row.area, i.row.income_per_capita, i.row.deprivations);
            *scored.entry((i.group, c.status.code(), c.score.points)).or_insert(0u64) += 1;
            for d in i.row.deprivations.iter() {
                *deprived.entry((i.group, d, c.score.points)).or_insert(0u64) += 1;
            }
        }
        let mut acc = Accumulator::new(s, config);
        for ((g, status, points), n) in scored {
            let group = acc.group(&[b'g', b'0' + g]);
            let status = standard::Status::parse(status).unwrap();
            prop_assert!(acc.add_counted(group, status, points, n).is_some());
        }
        for ((g, d, points), n) in deprived {
            let group = acc.group(&[b'g', b'0' + g]);
            prop_assert!(acc.add_counted_deprived(group, d, points, n).is_some());
        }
        let counted = acc.finish();
        prop_assert_eq!(rows.len(), counted.len());
        for (x, y) in rows.iter().zip(&counted) {
            prop_assert!(same(x, y), "{:?}\n{:?}", x, y);
            prop_assert!(x.se.a.zip(y.se.a).is_none_or(|(a, b)| close(a, b)));
            prop_assert!(close(x.vulnerable, y.vulnerable) && close(x.severe, y.severe));
            prop_assert!(close(x.poor_rate, y.poor_rate));
        }
    }
}

/// A score beyond the standard's denominator was not made under it: refused.
#[test]
fn a_count_beyond_the_standards_denominator_is_refused() {
    let s = s22();
    let mut acc = Accumulator::new(s, Config::for_standard(s));
    let g = acc.group(b"x");
    let d = s.points_denominator;
    assert!(acc.add_counted(g, standard::Status::Poor, d, 1).is_some());
    assert!(
        acc.add_counted(g, standard::Status::Poor, d + 1, 1)
            .is_none()
    );
    assert!(acc.add_counted_deprived(g, 0, d + 1, 1).is_none());
    assert!(
        acc.add_counted_deprived(g, s.indicators.len(), 0, 1)
            .is_none()
    );
}

/// A group is a domain of the whole sample: under simple random sampling
/// its standard errors are those of the design formula with every row its
/// own PSU in one stratum.
#[test]
fn a_groups_srs_errors_are_the_designs_with_one_row_per_psu() {
    let s = s22();
    let mut inputs: Vec<Input> = design_inputs()
        .into_iter()
        .filter(|i| i.stratum != 9)
        .take(200)
        .collect();
    for (i, input) in inputs.iter_mut().enumerate() {
        input.stratum = 0;
        input.psu = i as u8;
    }
    // PSU names are one byte: at most 256 rows.
    assert!(inputs.len() <= 256);
    let plain = run(s, Config::for_standard(s), &inputs, true, false);
    let designed = run(s, Config::for_standard(s), &inputs, true, true);
    for (a, b) in plain.iter().zip(&designed) {
        for (x, y) in [(a.se.h, b.se.h), (a.se.m0, b.se.m0), (a.se.a, b.se.a)] {
            assert!(
                (x.unwrap() - y.unwrap()).abs() < 1e-12,
                "{}: {x:?} vs {y:?}",
                a.group
            );
        }
    }
}

#[test]
fn a_stratum_with_a_single_psu_is_named() {
    let s = s22();
    let mut acc = Accumulator::new(s, Config::for_standard(s));
    for r in design_inputs() {
        let (st, p) = ([b'0' + r.stratum], [r.psu]);
        acc.add(
            None,
            &r.row,
            Some(Design {
                stratum: &st,
                psu: &p,
            }),
        );
    }
    assert_eq!(acc.single_psu_strata(), ["9"]);
}

/// Changes between two years, against numbers worked by hand: M0 from
/// 0,10 (SE 0,01) to 0,08 (SE 0,01) over 2 years.
#[test]
fn changes_between_years_carry_delta_method_errors() {
    let c = measure::change((0.10, Some(0.01)), (0.08, Some(0.01)), 2);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(c.absolute, -0.02));
    assert!(close(c.se_absolute.unwrap(), 0.0002f64.sqrt()));
    assert!(close(c.relative.unwrap(), -0.2));
    // sqrt((0.01/0.1)² + (0.8 × 0.01/0.1)²) = sqrt(0.01 + 0.0064)
    assert!(close(c.se_relative.unwrap(), 0.0164f64.sqrt()));
    assert!(close(c.annualised.unwrap(), 0.8f64.sqrt() - 1.0));
    // (1/2) × 0.8^(−1/2) × sqrt(0.0164)
    assert!(close(
        c.se_annualised.unwrap(),
        0.5 / 0.8f64.sqrt() * 0.0164f64.sqrt()
    ));
    let from_zero = measure::change((0.0, Some(0.0)), (0.01, Some(0.001)), 1);
    assert_eq!((from_zero.relative, from_zero.se_relative), (None, None));
}
