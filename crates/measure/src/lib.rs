//! Alkire–Foster measures over a batch of households: H, A, M0, censored and
//! uncensored headcount ratios, percentage contributions, the vulnerable and
//! severe shares and the legal poor / near-poor rates, by any grouping, with
//! standard errors.
//!
//! Pure: rows come in, one at a time, from whatever reads the file. An
//! [`Accumulator`] holds sums only, so memory does not grow with the number of
//! rows (only with the number of groups and sampling units), and two
//! accumulators over two parts of a file merge into the one over the whole:
//! that is how a file is measured on several cores.

mod bootstrap;
mod variance;

use rustc_hash::FxHashMap;
use standard::{Area, DeprivationSet, Ratio, Standard, Status};

pub use bootstrap::Bootstrap;

/// Whose poverty is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// Each row weighs its sampling weight.
    #[default]
    Household,
    /// Each row weighs its sampling weight × its number of members.
    Person,
}

/// How a batch is measured.
#[derive(Debug, Clone)]
pub struct Config {
    /// The poverty cut-off: a unit is MPI-poor when its score c ≥ k.
    pub k: Ratio<u64>,
    pub unit: Unit,
    /// Bootstrap standard errors, besides the analytical ones.
    pub bootstrap: Option<Bootstrap>,
}

impl Config {
    /// The defaults of formats.md: k is the standard's legal cut-off as a share
    /// of its indicators, so that H matches "deprived in 3 or more".
    pub fn for_standard(standard: &Standard) -> Config {
        Config {
            k: standard.default_k(),
            unit: Unit::Household,
            bootstrap: None,
        }
    }
}

/// One household as the measures need it.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub area: Area,
    pub income_per_capita: i64,
    pub deprivations: DeprivationSet,
    /// Sampling weight (> 0); 1 when the file has none.
    pub weight: f64,
    pub members: u32,
    /// A hash of the household's id: seeds its bootstrap draws, so that
    /// results do not depend on the order of rows.
    pub key: u64,
}

/// The survey design of a row: its stratum and primary sampling unit.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    pub stratum: &'a [u8],
    pub psu: &'a [u8],
}

/// Weighted totals of one group. Score sums are kept in integer points of the
/// standard (c = points / denominator), converted only at the end.
#[derive(Debug, Clone, Default, PartialEq)]
struct Totals {
    rows: u64,
    poor_rows: u64,
    near_poor_rows: u64,
    w: f64,
    w_poor: f64,
    w_near_poor: f64,
    /// Σ w·I(c ≥ k)
    w_mpi: f64,
    /// Σ w·points·I(c ≥ k)
    w_points: f64,
    w_vulnerable: f64,
    w_severe: f64,
    /// Σ w², Σ w²·I, Σ w²·points·I, Σ w²·points²·I: the analytical SEs under
    /// simple random sampling need nothing else.
    w2: f64,
    w2_mpi: f64,
    w2_points: f64,
    w2_points2: f64,
    censored: Vec<f64>,
    uncensored: Vec<f64>,
}

/// Rows counted alike (same status, score and deprivations): how many, Σw
/// and Σw².
#[derive(Debug, Clone, Copy)]
struct Alike {
    rows: u64,
    w: f64,
    w2: f64,
}

impl Totals {
    /// Adds rows of one status whose score is `points`, with what the score
    /// means (MPI-poor, vulnerable, severe).
    fn add(
        &mut self,
        n: Alike,
        status: Status,
        (mpi, vulnerable, severe): (bool, bool, bool),
        points: f64,
    ) {
        self.rows += n.rows;
        self.w += n.w;
        self.w2 += n.w2;
        match status {
            Status::Poor => {
                self.poor_rows += n.rows;
                self.w_poor += n.w;
            }
            Status::NearPoor => {
                self.near_poor_rows += n.rows;
                self.w_near_poor += n.w;
            }
            _ => {}
        }
        if vulnerable {
            self.w_vulnerable += n.w;
        }
        if severe {
            self.w_severe += n.w;
        }
        if mpi {
            self.w_mpi += n.w;
            self.w_points += n.w * points;
            self.w2_mpi += n.w2;
            self.w2_points += n.w2 * points;
            self.w2_points2 += n.w2 * points * points;
        }
    }

    /// Adds that rows already added were deprived in indicator `i`.
    fn add_deprived(&mut self, n: Alike, i: usize, mpi: bool) {
        self.uncensored[i] += n.w;
        if mpi {
            self.censored[i] += n.w;
        }
    }

    fn new(indicators: usize) -> Totals {
        Totals {
            censored: vec![0.0; indicators],
            uncensored: vec![0.0; indicators],
            ..Totals::default()
        }
    }

    fn merge(&mut self, other: &Totals) {
        self.rows += other.rows;
        self.poor_rows += other.poor_rows;
        self.near_poor_rows += other.near_poor_rows;
        self.w += other.w;
        self.w_poor += other.w_poor;
        self.w_near_poor += other.w_near_poor;
        self.w_mpi += other.w_mpi;
        self.w_points += other.w_points;
        self.w_vulnerable += other.w_vulnerable;
        self.w_severe += other.w_severe;
        self.w2 += other.w2;
        self.w2_mpi += other.w2_mpi;
        self.w2_points += other.w2_points;
        self.w2_points2 += other.w2_points2;
        for (a, b) in self.censored.iter_mut().zip(&other.censored) {
            *a += b;
        }
        for (a, b) in self.uncensored.iter_mut().zip(&other.uncensored) {
            *a += b;
        }
    }
}

/// The three totals an estimate of H, A and M0 is a ratio of, for one
/// sampling unit (or one bootstrap replicate): Σw, Σw·I, Σw·points·I.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Core {
    pub w: f64,
    pub w_mpi: f64,
    pub w_points: f64,
}

impl Core {
    fn add(&mut self, other: Core) {
        self.w += other.w;
        self.w_mpi += other.w_mpi;
        self.w_points += other.w_points;
    }
}

/// Index of the "all rows" group inside an accumulator.
const TOTAL: u32 = 0;

/// The name under which a group whose value is empty is kept.
const EMPTY_GROUP: &[u8] = b"\0(empty)";

/// A group of an accumulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupId(u32);

impl GroupId {
    /// The whole batch: rows added here belong to no group.
    pub const TOTAL: GroupId = GroupId(TOTAL);
}

/// Per-PSU totals of every group (group index → core totals).
pub(crate) type PsuTotals = FxHashMap<u32, Core>;

/// The primary sampling units seen, with their totals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Psus {
    /// (stratum, psu) names, in order of first appearance.
    pub names: Vec<(Vec<u8>, Vec<u8>)>,
    pub index: FxHashMap<(Vec<u8>, Vec<u8>), usize>,
    pub totals: Vec<PsuTotals>,
}

impl Psus {
    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The strata with a single PSU, by name.
    fn lonely(&self) -> Vec<String> {
        variance::strata(self)
            .into_iter()
            .filter(|s| s.len() == 1)
            .map(|s| String::from_utf8_lossy(&self.names[s[0]].0).into_owned())
            .collect()
    }

    fn slot(&mut self, stratum: &[u8], psu: &[u8]) -> usize {
        let key = (stratum.to_vec(), psu.to_vec());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.names.len();
        self.names.push(key.clone());
        self.index.insert(key, i);
        self.totals.push(PsuTotals::default());
        i
    }
}

/// Streaming sums for the Alkire–Foster measures. Feed rows with
/// [`Accumulator::add`], combine parts with [`Accumulator::merge`], and read
/// the measures with [`Accumulator::finish`].
#[derive(Debug, Clone)]
pub struct Accumulator<'s> {
    standard: &'s Standard,
    config: Config,
    /// Group names; index 0 is the total.
    names: Vec<Vec<u8>>,
    index: FxHashMap<Vec<u8>, u32>,
    totals: Vec<Totals>,
    last_group: Option<(Vec<u8>, GroupId)>,
    /// Design-based sums: per (stratum, psu), the totals of every group.
    psus: Psus,
    last_psu: Option<(Vec<u8>, Vec<u8>, usize)>,
    /// Bootstrap replicate totals per group, when there is no design.
    replicates: Vec<Vec<Core>>,
    /// Precomputed: what each score means against k and the 1/5, 1/3, 1/2 cut-offs.
    thresholds: Thresholds,
}

/// What a score of p points means, for every p from 0 to the denominator:
/// MPI-poor (c ≥ k), vulnerable (1/5 ≤ c < 1/3), severe (c ≥ 1/2). Computed
/// once, exactly, so the per-row work is a lookup.
#[derive(Debug, Clone)]
struct Thresholds {
    by_points: Vec<(bool, bool, bool)>,
}

impl Thresholds {
    fn new(standard: &Standard, k: Ratio<u64>) -> Thresholds {
        let d = standard.points_denominator;
        let by_points = (0..=d)
            .map(|points| {
                let score = standard::Score {
                    points,
                    denominator: d,
                };
                let (p, d) = (u64::from(points), u64::from(d));
                (score.at_least(k), 5 * p >= d && 3 * p < d, 2 * p >= d)
            })
            .collect();
        Thresholds { by_points }
    }
}

impl<'s> Accumulator<'s> {
    pub fn new(standard: &'s Standard, config: Config) -> Accumulator<'s> {
        let thresholds = Thresholds::new(standard, config.k);
        let mut acc = Accumulator {
            standard,
            config,
            names: Vec::new(),
            index: FxHashMap::default(),
            totals: Vec::new(),
            last_group: None,
            psus: Psus::default(),
            last_psu: None,
            replicates: Vec::new(),
            thresholds,
        };
        acc.group_index(b"");
        acc
    }

    /// The strata of the design with a single primary sampling unit: no
    /// variance can be estimated within them, so a caller with design
    /// columns refuses the file naming them (they are left out of the
    /// standard errors otherwise). Empty without a design.
    pub fn single_psu_strata(&self) -> Vec<String> {
        self.psus.lonely()
    }

    pub fn standard(&self) -> &'s Standard {
        self.standard
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn group_index(&mut self, name: &[u8]) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_vec());
        self.index.insert(name.to_vec(), i);
        self.totals
            .push(Totals::new(self.standard.indicators.len()));
        if let Some(b) = &self.config.bootstrap {
            self.replicates
                .push(vec![Core::default(); b.replicates as usize]);
        }
        i
    }

    /// The group of a value of the grouping column (any bytes).
    pub fn group(&mut self, name: &[u8]) -> GroupId {
        // The total is index 0 and has the empty name; a real group with an
        // empty value gets a name of its own.
        let key: &[u8] = if name.is_empty() { EMPTY_GROUP } else { name };
        GroupId(self.group_index(key))
    }

    /// Adds one household. `group` is the value of the grouping column (pass
    /// `None` when measuring without `--by`); `design` its stratum and PSU
    /// when the file has them.
    pub fn add(&mut self, group: Option<&[u8]>, row: &Row, design: Option<Design<'_>>) -> Status {
        let group = match group {
            None => GroupId::TOTAL,
            Some(name) => match &self.last_group {
                Some((last, i)) if last.as_slice() == name => *i,
                _ => {
                    let i = self.group(name);
                    self.last_group = Some((name.to_vec(), i));
                    i
                }
            },
        };
        self.add_to(group, row, design)
    }

    /// Adds one household to a group from [`Accumulator::group`], or to
    /// [`GroupId::TOTAL`] for a row of no group.
    pub fn add_to(&mut self, group: GroupId, row: &Row, design: Option<Design<'_>>) -> Status {
        let classification =
            self.standard
                .classify(row.area, row.income_per_capita, row.deprivations);
        // A row is added to its group only; the total is the sum of the
        // groups, made once in `finish`.
        let group = group.0;

        let w = match self.config.unit {
            Unit::Household => row.weight,
            Unit::Person => row.weight * f64::from(row.members),
        };
        let score = classification.score;
        let (mpi, vulnerable, severe) = self.thresholds.by_points[score.points as usize];
        let points = f64::from(score.points);
        let core = Core {
            w,
            w_mpi: if mpi { w } else { 0.0 },
            w_points: if mpi { w * points } else { 0.0 },
        };
        let status = classification.status;
        let deprivations = row.deprivations;

        {
            let t = &mut self.totals[group as usize];
            let alike = Alike {
                rows: 1,
                w,
                w2: w * w,
            };
            t.add(alike, status, (mpi, vulnerable, severe), points);
            for i in deprivations.iter() {
                t.add_deprived(alike, i, mpi);
            }
        }

        if let Some(design) = design {
            let slot = match &self.last_psu {
                Some((s, p, i)) if s.as_slice() == design.stratum && p.as_slice() == design.psu => {
                    *i
                }
                _ => {
                    let i = self.psus.slot(design.stratum, design.psu);
                    self.last_psu = Some((design.stratum.to_vec(), design.psu.to_vec(), i));
                    i
                }
            };
            self.psus.totals[slot].entry(group).or_default().add(core);
        } else if let Some(b) = &self.config.bootstrap {
            let multipliers = b.poisson_multipliers(row.key);
            for (rep, m) in self.replicates[group as usize].iter_mut().zip(multipliers) {
                let m = f64::from(m);
                rep.add(Core {
                    w: m * core.w,
                    w_mpi: m * core.w_mpi,
                    w_points: m * core.w_points,
                });
            }
        }
        status
    }

    /// Adds `households` households counted alike, as a registry keeps
    /// them (a census of unweighted households, one row each, without a
    /// design or bootstrap draws): of `status`, with a score of `points`
    /// (over the standard's denominator). Their deprivations are added
    /// with [`Accumulator::add_counted_deprived`]. A score beyond the
    /// denominator is refused (None): it was not made under this standard.
    pub fn add_counted(
        &mut self,
        group: GroupId,
        status: Status,
        points: u32,
        households: u64,
    ) -> Option<()> {
        let meaning = *self.thresholds.by_points.get(points as usize)?;
        let n = households as f64;
        let alike = Alike {
            rows: households,
            w: n,
            w2: n,
        };
        self.totals[group.0 as usize].add(alike, status, meaning, f64::from(points));
        Some(())
    }

    /// Adds that `households` of those counted with a score of `points`
    /// were deprived in indicator `indicator` (its index in the standard).
    pub fn add_counted_deprived(
        &mut self,
        group: GroupId,
        indicator: usize,
        points: u32,
        households: u64,
    ) -> Option<()> {
        let (mpi, _, _) = *self.thresholds.by_points.get(points as usize)?;
        let t = &mut self.totals[group.0 as usize];
        if indicator >= t.uncensored.len() {
            return None;
        }
        let n = households as f64;
        t.add_deprived(
            Alike {
                rows: 0,
                w: n,
                w2: n,
            },
            indicator,
            mpi,
        );
        Some(())
    }

    /// Adds the sums of another accumulator over other rows of the same batch.
    pub fn merge(&mut self, other: Accumulator<'_>) {
        let mut map = Vec::with_capacity(other.names.len());
        for (name, totals) in other.names.iter().zip(&other.totals) {
            let i = self.group_index(name);
            self.totals[i as usize].merge(totals);
            map.push(i);
        }
        for (i, reps) in other.replicates.into_iter().enumerate() {
            let mine = &mut self.replicates[map[i] as usize];
            for (a, b) in mine.iter_mut().zip(reps) {
                a.add(b);
            }
        }
        for ((stratum, psu), groups) in other.psus.names.into_iter().zip(other.psus.totals) {
            let slot = self.psus.slot(&stratum, &psu);
            let mine = &mut self.psus.totals[slot];
            for (g, core) in groups {
                mine.entry(map[g as usize]).or_default().add(core);
            }
        }
    }

    /// The measures of every group, sorted by group name, then the total.
    pub fn finish(mut self) -> Vec<GroupMeasures> {
        let mut order: Vec<usize> = (1..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        // The total: rows added without a group, plus every group, in name
        // order so that the sums do not depend on the order of rows.
        let mut total = std::mem::take(&mut self.totals[TOTAL as usize]);
        for &g in &order {
            total.merge(&self.totals[g]);
        }
        self.totals[TOTAL as usize] = total;
        if !self.replicates.is_empty() {
            let mut total = std::mem::take(&mut self.replicates[TOTAL as usize]);
            for &g in &order {
                for (a, b) in total.iter_mut().zip(&self.replicates[g]) {
                    a.add(*b);
                }
            }
            self.replicates[TOTAL as usize] = total;
        }
        for psu in &mut self.psus.totals {
            let mut groups: Vec<(u32, Core)> = psu.iter().map(|(g, c)| (*g, *c)).collect();
            groups.sort_by(|a, b| self.names[a.0 as usize].cmp(&self.names[b.0 as usize]));
            let total = groups.iter().fold(Core::default(), |mut acc, (_, c)| {
                acc.add(*c);
                acc
            });
            psu.insert(TOTAL, total);
        }
        let denominator = f64::from(self.standard.points_denominator);
        let weights: Vec<f64> = self
            .standard
            .indicators
            .iter()
            .map(|i| f64::from(i.points) / denominator)
            .collect();
        let design = variance::DesignSums::new(&self.psus);
        let boot_design = self
            .config
            .bootstrap
            .as_ref()
            .filter(|_| !self.psus.is_empty())
            .map(|b| b.design_replicates(&self.psus, self.names.len()));

        order.push(TOTAL as usize);

        order
            .into_iter()
            .map(|g| {
                let t = &self.totals[g];
                let name = if g == TOTAL as usize {
                    "total".to_string()
                } else if self.names[g] == EMPTY_GROUP {
                    String::new()
                } else {
                    String::from_utf8_lossy(&self.names[g]).into_owned()
                };
                let share = |x: f64| if t.w > 0.0 { x / t.w } else { f64::NAN };
                let h = share(t.w_mpi);
                let m0 = share(t.w_points) / denominator;
                let a = (t.w_mpi > 0.0).then(|| t.w_points / t.w_mpi / denominator);
                let censored: Vec<f64> = t.censored.iter().map(|&c| share(c)).collect();
                let contribution = weights
                    .iter()
                    .zip(&censored)
                    .map(|(w, c)| (m0 > 0.0).then(|| w * c / m0))
                    .collect();
                let analytic = if self.psus.is_empty() {
                    variance::srs(t, denominator, self.totals[TOTAL as usize].rows)
                } else {
                    design.standard_errors(g as u32, denominator)
                };
                let bootstrap = match (&self.config.bootstrap, &boot_design) {
                    (None, _) => None,
                    (Some(_), Some(reps)) => {
                        Some(bootstrap::standard_errors(&reps[g], denominator))
                    }
                    (Some(_), None) => {
                        Some(bootstrap::standard_errors(&self.replicates[g], denominator))
                    }
                };
                GroupMeasures {
                    group: name,
                    households: t.rows,
                    weight_sum: t.w,
                    poor: t.poor_rows,
                    near_poor: t.near_poor_rows,
                    poor_rate: share(t.w_poor),
                    near_poor_rate: share(t.w_near_poor),
                    h,
                    a,
                    m0,
                    vulnerable: share(t.w_vulnerable),
                    severe: share(t.w_severe),
                    se: analytic,
                    bootstrap_se: bootstrap,
                    censored,
                    uncensored: t.uncensored.iter().map(|&u| share(u)).collect(),
                    contribution,
                }
            })
            .collect()
    }
}

/// Standard errors of H, A and M0 (None where the estimate does not exist or
/// the design gives no degrees of freedom).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct StandardErrors {
    #[serde(rename = "H")]
    pub h: Option<f64>,
    #[serde(rename = "A")]
    pub a: Option<f64>,
    #[serde(rename = "M0")]
    pub m0: Option<f64>,
}

/// The measures of one group (or of the whole batch, `group == "total"`).
/// Rates and ratios are fractions in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMeasures {
    pub group: String,
    /// Rows, unweighted.
    pub households: u64,
    pub weight_sum: f64,
    /// Rows with the legal status poor / near-poor, unweighted.
    pub poor: u64,
    pub near_poor: u64,
    pub poor_rate: f64,
    pub near_poor_rate: f64,
    /// Weighted share with score ≥ k.
    pub h: f64,
    /// Mean score among those with score ≥ k; None when H = 0.
    pub a: Option<f64>,
    pub m0: f64,
    /// Weighted share with 1/5 ≤ score < 1/3.
    pub vulnerable: f64,
    /// Weighted share with score ≥ 1/2.
    pub severe: f64,
    /// Analytical: linearised for a stratified cluster design when the batch
    /// has one, else under simple random sampling.
    pub se: StandardErrors,
    pub bootstrap_se: Option<StandardErrors>,
    /// Per indicator, in the standard's order.
    pub censored: Vec<f64>,
    pub uncensored: Vec<f64>,
    /// weight × censored / M0; None when M0 = 0.
    pub contribution: Vec<Option<f64>>,
}

/// A change of an estimate between two years, with delta-method standard
/// errors for independent samples: absolute (b − a), relative (b / a − 1)
/// and annualised ((b / a)^(1/t) − 1 over t years).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    pub absolute: f64,
    pub relative: Option<f64>,
    pub annualised: Option<f64>,
    pub se_absolute: Option<f64>,
    pub se_relative: Option<f64>,
    pub se_annualised: Option<f64>,
}

/// The change from `a` (with its standard error) to `b`, `years` apart.
pub fn change(a: (f64, Option<f64>), b: (f64, Option<f64>), years: u32) -> Change {
    let ((a, sa), (b, sb)) = (a, b);
    let t = f64::from(years.max(1));
    let both = sa.zip(sb);
    let ratio = (a > 0.0).then(|| b / a);
    // d(b/a) = db/a − b da/a²; d(r^(1/t)) = (1/t) r^(1/t − 1) dr.
    let se_ratio = ratio
        .zip(both)
        .map(|(r, (sa, sb))| ((sb / a).powi(2) + (r * sa / a).powi(2)).sqrt());
    Change {
        absolute: b - a,
        relative: ratio.map(|r| r - 1.0),
        annualised: ratio.map(|r| r.powf(1.0 / t) - 1.0),
        se_absolute: both.map(|(sa, sb)| (sa * sa + sb * sb).sqrt()),
        se_relative: se_ratio,
        se_annualised: ratio
            .zip(se_ratio)
            .map(|(r, s)| (1.0 / t) * r.powf(1.0 / t - 1.0) * s),
    }
}
