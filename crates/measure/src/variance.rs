//! Analytical standard errors of the ratio estimators H = Σw·I / Σw,
//! M0 = Σw·c·I / Σw and A = Σw·c·I / Σw·I, by Taylor linearisation: the
//! variance of R = Y/X is that of the total of z = (y − R·x) / X.

use crate::{Core, Psus, StandardErrors, TOTAL, Totals};

/// The estimators, each as (y, x) picked from a unit's core totals.
const H: fn(&Core) -> (f64, f64) = |c| (c.w_mpi, c.w);
const M0: fn(&Core) -> (f64, f64) = |c| (c.w_points, c.w);
const A: fn(&Core) -> (f64, f64) = |c| (c.w_points, c.w_mpi);

fn root(variance: f64) -> f64 {
    // Cancellation can leave a tiny negative number where the truth is 0.
    variance.max(0.0).sqrt()
}

/// Under simple random sampling of households (each row its own PSU, one
/// stratum), from the running sums of squares alone. A group is a domain of
/// the whole sample of `sample_rows` rows: its z is 0 outside it, so the
/// variance is n/(n − 1) Σ z² over its rows with n the whole sample's size
/// — what the design formula gives with every row its own PSU in one
/// stratum.
pub(crate) fn srs(t: &Totals, denominator: f64, sample_rows: u64) -> StandardErrors {
    let n = sample_rows.max(t.rows) as f64;
    if t.rows < 2 || t.w <= 0.0 {
        return StandardErrors::default();
    }
    let f = n / (n - 1.0);
    // Σ (y − R x)² = Σy² − 2R Σxy + R² Σx²
    let var =
        |r: f64, yy: f64, xy: f64, xx: f64, x: f64| f * (yy - 2.0 * r * xy + r * r * xx) / (x * x);
    let r_h = t.w_mpi / t.w;
    let h = root(var(r_h, t.w2_mpi, t.w2_mpi, t.w2, t.w));
    let r_m = t.w_points / t.w;
    let m0 = root(var(r_m, t.w2_points2, t.w2_points, t.w2, t.w)) / denominator;
    let a = (t.w_mpi > 0.0).then(|| {
        let r_a = t.w_points / t.w_mpi;
        root(var(r_a, t.w2_points2, t.w2_points, t.w2_mpi, t.w_mpi)) / denominator
    });
    StandardErrors {
        h: Some(h),
        a,
        m0: Some(m0),
    }
}

/// The PSUs of each stratum, strata and PSUs sorted by name so that sums run
/// in one order whatever the order of the rows was.
pub(crate) fn strata(psus: &Psus) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..psus.names.len()).collect();
    order.sort_by(|&a, &b| psus.names[a].cmp(&psus.names[b]));
    let mut strata: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match strata.last_mut() {
            Some(s) if psus.names[s[0]].0 == psus.names[i].0 => s.push(i),
            _ => strata.push(vec![i]),
        }
    }
    strata
}

/// Linearised variance for a stratified cluster design: with z_hj the PSU
/// totals of z, V = Σ_h n_h/(n_h − 1) Σ_j (z_hj − z̄_h)². A group (domain)
/// takes zeros in the PSUs where it has no rows, and every PSU of the stratum
/// counts in n_h. Strata with one PSU give no degrees of freedom and are left
/// out of the sum.
pub(crate) struct DesignSums<'a> {
    psus: &'a Psus,
    strata: Vec<Vec<usize>>,
}

impl<'a> DesignSums<'a> {
    pub(crate) fn new(psus: &'a Psus) -> Self {
        DesignSums {
            psus,
            strata: strata(psus),
        }
    }

    fn core(&self, psu: usize, group: u32) -> Core {
        self.psus.totals[psu]
            .get(&group)
            .copied()
            .unwrap_or_default()
    }

    fn se(&self, group: u32, pick: fn(&Core) -> (f64, f64)) -> Option<f64> {
        let (mut y, mut x) = (0.0, 0.0);
        for s in &self.strata {
            for &j in s {
                let (yj, xj) = pick(&self.core(j, group));
                y += yj;
                x += xj;
            }
        }
        if x <= 0.0 {
            return None;
        }
        let r = y / x;
        let mut variance = 0.0;
        let mut usable = false;
        for s in self.strata.iter().filter(|s| s.len() >= 2) {
            usable = true;
            let z: Vec<f64> = s
                .iter()
                .map(|&j| {
                    let (yj, xj) = pick(&self.core(j, group));
                    (yj - r * xj) / x
                })
                .collect();
            let n = z.len() as f64;
            let mean = z.iter().sum::<f64>() / n;
            variance += n / (n - 1.0) * z.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        }
        usable.then(|| root(variance))
    }

    pub(crate) fn standard_errors(&self, group: u32, denominator: f64) -> StandardErrors {
        debug_assert!(group == TOTAL || !self.psus.is_empty());
        StandardErrors {
            h: self.se(group, H),
            a: self.se(group, A).map(|v| v / denominator),
            m0: self.se(group, M0).map(|v| v / denominator),
        }
    }
}
