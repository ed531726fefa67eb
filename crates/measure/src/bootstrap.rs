//! Bootstrap standard errors, reproducible for a seed.
//!
//! With a design (strata and PSUs), the rescaling bootstrap of Rao and Wu:
//! each replicate draws n_h − 1 PSUs with replacement in every stratum and
//! scales their weights by n_h / (n_h − 1). Without one, the Poisson
//! bootstrap: each household gets a Poisson(1) multiplier per replicate,
//! drawn from a hash of the seed, its id and the replicate, so that the
//! replicates do not depend on the order of rows or on how the file is split
//! across cores.

use crate::variance::strata;
use crate::{Core, Psus, StandardErrors};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootstrap {
    pub replicates: u32,
    pub seed: u64,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Inverse of the Poisson(1) distribution function.
fn poisson1(u: f64) -> u32 {
    let mut k = 0;
    let mut p = (-1.0f64).exp();
    let mut cumulative = p;
    while u >= cumulative && k < 20 {
        k += 1;
        p /= f64::from(k);
        cumulative += p;
    }
    k
}

impl Bootstrap {
    /// The multipliers of one household in every replicate.
    pub(crate) fn poisson_multipliers(&self, key: u64) -> impl Iterator<Item = u32> + use<> {
        let base = splitmix64(self.seed ^ splitmix64(key));
        (0..u64::from(self.replicates)).map(move |r| {
            let bits = splitmix64(base ^ r.wrapping_mul(0xD6E8_FEB8_6659_FD93));
            poisson1((bits >> 11) as f64 / (1u64 << 53) as f64)
        })
    }

    /// Replicate totals of every group from the PSU totals: [group][replicate].
    pub(crate) fn design_replicates(&self, psus: &Psus, groups: usize) -> Vec<Vec<Core>> {
        let strata = strata(psus);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut out = vec![vec![Core::default(); self.replicates as usize]; groups];
        let mut multiplier = vec![0.0f64; psus.names.len()];
        // `r` indexes the inner (replicate) level of `out[group][r]`.
        #[allow(clippy::needless_range_loop)]
        for r in 0..self.replicates as usize {
            for s in &strata {
                let n = s.len();
                if n < 2 {
                    multiplier[s[0]] = 1.0;
                    continue;
                }
                for &j in s {
                    multiplier[j] = 0.0;
                }
                let scale = n as f64 / (n as f64 - 1.0);
                for _ in 0..n - 1 {
                    let pick = s[rng.random_range(0..n)];
                    multiplier[pick] += scale;
                }
            }
            for (j, groups) in psus.totals.iter().enumerate() {
                let m = multiplier[j];
                if m == 0.0 {
                    continue;
                }
                for (&g, core) in groups {
                    out[g as usize][r].add(Core {
                        w: m * core.w,
                        w_mpi: m * core.w_mpi,
                        w_points: m * core.w_points,
                    });
                }
            }
        }
        out
    }
}

fn sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// The spread of H, A and M0 over the replicates.
pub(crate) fn standard_errors(replicates: &[Core], denominator: f64) -> StandardErrors {
    let h: Vec<f64> = replicates
        .iter()
        .filter(|c| c.w > 0.0)
        .map(|c| c.w_mpi / c.w)
        .collect();
    let m0: Vec<f64> = replicates
        .iter()
        .filter(|c| c.w > 0.0)
        .map(|c| c.w_points / c.w / denominator)
        .collect();
    let a: Vec<f64> = replicates
        .iter()
        .filter(|c| c.w_mpi > 0.0)
        .map(|c| c.w_points / c.w_mpi / denominator)
        .collect();
    StandardErrors {
        h: sd(&h),
        a: sd(&a),
        m0: sd(&m0),
    }
}
