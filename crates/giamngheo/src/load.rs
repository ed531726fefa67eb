//! `giamngheo load`: a bounded load on loopback. N signed-in sessions of the
//! demo's accounts — commune and district officers who read and save
//! surveys, a leader who reads — run for a fixed time against a server on
//! this machine (started on the given database, or already running on a
//! loopback address), then the figures are printed: requests, errors and
//! latency percentiles per route, reads and writes.

use crate::client::{Connection, percentile};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct LoadArgs {
    /// Cơ sở dữ liệu của huyện mẫu (giamngheo demo), để chạy máy chủ thử tải.
    #[arg(long, default_value = "sqlite:giamngheo-demo.db")]
    db: String,
    /// Hoặc: một máy chủ đang chạy trên máy này (http://127.0.0.1:CỔNG).
    #[arg(long)]
    url: Option<String>,
    /// Số phiên đăng nhập chạy cùng lúc.
    #[arg(long, default_value_t = 50)]
    sessions: usize,
    /// Thời gian chạy (giây).
    #[arg(long, default_value_t = 120)]
    seconds: u64,
    /// Thời gian nghỉ trung bình giữa hai yêu cầu của một phiên (ms); 0 là liên tục.
    #[arg(long, default_value_t = 250)]
    think_ms: u64,
    /// Phần trăm yêu cầu là ghi (lưu phiếu khảo sát).
    #[arg(long, default_value_t = 25)]
    write_percent: u32,
    /// Các tài khoản đọc và ghi, cách nhau bằng dấu phẩy (mặc định: cán bộ ba xã của huyện mẫu; tỉnh tổng hợp: xa,tinh).
    #[arg(long, value_delimiter = ',', default_values_t = WRITERS.map(String::from))]
    writers: Vec<String>,
    /// Các tài khoản chỉ đọc, cách nhau bằng dấu phẩy (mặc định: cán bộ tỉnh và lãnh đạo của huyện mẫu; tỉnh tổng hợp: lanhdao,thongke).
    #[arg(long, value_delimiter = ',', default_values_t = READERS.map(String::from))]
    readers: Vec<String>,
}

/// What one request measured.
struct Sample {
    route: &'static str,
    write: bool,
    millis: f64,
    ok: bool,
    /// The answer's status, 0 when the request failed on the connection.
    status: u16,
}

/// A small deterministic generator per session (xorshift), so runs repeat.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The demo's accounts the sessions take in turn unless others are named.
/// The writers are officers of communes whose 2026 review is still open
/// (the demo's Cổ Đạm has reported its year, which is locked); the
/// province's officer and the leader read across the whole province.
const WRITERS: [&str; 3] = ["xa.nghixuan", "xa.tiendien", "xa.danhai"];
const READERS: [&str; 2] = ["tinh.hatinh", "lanhdao"];

/// A survey's answers as the API takes them (varied by `k`).
fn survey(k: u64) -> String {
    let income = 900_000 + (k % 40) * 75_000;
    serde_json::json!({
        "income": vntext::format_vnd(income as i64),
        "area_m2": "32,5",
        "m0_age": (30 + k % 30).to_string(), "m0_insurance": "1", "m0_diploma": "upper_secondary", "m0_work": "own_account",
        "m1_age": (8 + k % 7).to_string(), "m1_insurance": "1", "m1_in_school": "1",
        "durable_walls": "1", "durable_columns": "1", "durable_roof": if k.is_multiple_of(3) { "" } else { "1" },
        "water": if k.is_multiple_of(4) { "surface_water" } else { "tap" },
        "latrine": if k.is_multiple_of(5) { "open_pit" } else { "septic" },
        "phone": "1", "tv": "1", "internet": if k.is_multiple_of(2) { "1" } else { "" }, "waste_treated": "1"
    })
    .to_string()
}

async fn session(
    (user, writes): (String, bool),
    index: usize,
    addr: String,
    deadline: Instant,
    think: Duration,
    write_percent: u32,
    year: i64,
) -> Result<Vec<Sample>> {
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0x2545_F491));
    let mut c = Connection::new(&addr);
    let token = c.sign_in(&user, registry::DEMO_PASSWORD).await?;
    let (_, body) = c
        .send("GET", "/api/v1/households?per_page=500", Some(&token), None)
        .await?;
    let list: serde_json::Value = serde_json::from_slice(&body)?;
    let households: Vec<(i64, String)> = list["households"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| {
                    Some((
                        h["id"].as_i64()?,
                        h["head_name"].as_str()?.chars().take(4).collect(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if households.is_empty() {
        bail!("{user}: không có hộ nào trong phạm vi; tạo huyện mẫu trước (giamngheo demo)");
    }
    let mut samples = Vec::new();
    let mut k = index as u64 * 7919;
    while Instant::now() < deadline {
        k += 1;
        let (id, prefix) = &households[dice.below(households.len())];
        let write = writes && (dice.below(100) as u32) < write_percent;
        let (route, method, path, body): (&str, &str, String, Option<(&str, String)>) = if write {
            (
                "POST /api/v1/households/{id}/surveys",
                "POST",
                format!("/api/v1/households/{id}/surveys?year={year}"),
                Some(("application/json", survey(k))),
            )
        } else {
            match dice.below(4) {
                0 => ("GET /", "GET", "/".into(), None),
                1 => (
                    "GET /households",
                    "GET",
                    format!("/households?page={}", 1 + dice.below(5)),
                    None,
                ),
                2 => (
                    "GET /api/v1/households?q=",
                    "GET",
                    format!(
                        "/api/v1/households?per_page=20&q={}",
                        vntext::search_key(prefix).replace(' ', "+")
                    ),
                    None,
                ),
                _ => (
                    "GET /households/{id}",
                    "GET",
                    format!("/households/{id}"),
                    None,
                ),
            }
        };
        let start = Instant::now();
        let result = c.send(method, &path, Some(&token), body).await;
        let millis = start.elapsed().as_secs_f64() * 1000.0;
        let status = result.as_ref().map_or(0, |(s, _)| *s);
        samples.push(Sample {
            route,
            write,
            millis,
            ok: (1..400).contains(&status),
            status,
        });
        if !think.is_zero() {
            // Between 0 and twice the mean.
            let wait = think.as_millis() as u64 * 2 * (dice.below(1001) as u64) / 1000;
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
    }
    Ok(samples)
}

/// A line of the figures: requests, errors, p50, p95, p99, max.
fn figures(name: &str, samples: &[&Sample]) -> String {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.millis).collect();
    ms.sort_by(f64::total_cmp);
    let errors = samples.iter().filter(|s| !s.ok).count();
    format!(
        "| {name} | {} | {errors} | {:.1} | {:.1} | {:.1} | {:.1} |",
        samples.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 95.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(0.0),
    )
}

pub fn load(args: LoadArgs) -> Result<()> {
    let (addr, _server) = crate::client::server(&args.db, args.url.as_deref())?;
    let year = {
        use chrono::Datelike;
        i64::from((chrono::Utc::now() + chrono::Duration::hours(7)).year())
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    eprintln!(
        "Thử tải {addr}: {} phiên, {} giây, nghỉ trung bình {} ms, {}% ghi (phiếu năm {year})…",
        args.sessions, args.seconds, args.think_ms, args.write_percent
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let think = Duration::from_millis(args.think_ms);
    // The sessions take the accounts in turn, writers first.
    let accounts: Vec<(String, bool)> = (args.writers.iter().map(|u| (u.clone(), true)))
        .chain(args.readers.iter().map(|u| (u.clone(), false)))
        .collect();
    anyhow::ensure!(
        !accounts.is_empty(),
        "cần ít nhất một tài khoản (--writers, --readers)"
    );
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..args.sessions)
            .map(|i| {
                tokio::spawn(session(
                    accounts[i % accounts.len()].clone(),
                    i,
                    addr.clone(),
                    deadline,
                    think,
                    args.write_percent,
                    year,
                ))
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await?);
        }
        anyhow::Ok(all)
    })?;
    let mut samples = Vec::new();
    for r in results {
        samples.extend(r?);
    }
    let mut by_route: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in &samples {
        by_route.entry(s.route).or_default().push(s);
    }
    out!("| route | requests | errors | p50 ms | p95 ms | p99 ms | max ms |");
    out!("|---|---:|---:|---:|---:|---:|---:|");
    for (route, list) in &by_route {
        println!("{}", figures(route, list));
    }
    let reads: Vec<&Sample> = samples.iter().filter(|s| !s.write).collect();
    let writes: Vec<&Sample> = samples.iter().filter(|s| s.write).collect();
    out!("{}", figures("**all reads**", &reads));
    out!("{}", figures("**all writes**", &writes));
    let errors = samples.iter().filter(|s| !s.ok).count();
    let mut by_status: BTreeMap<(u16, &str), usize> = BTreeMap::new();
    for s in samples.iter().filter(|s| !s.ok) {
        *by_status.entry((s.status, s.route)).or_default() += 1;
    }
    for ((status, route), n) in by_status {
        out!("lỗi {status} ({route}): {n}");
    }
    out!(
        "\n{} yêu cầu trong {} giây ({:.0}/giây), {errors} lỗi.",
        samples.len(),
        args.seconds,
        samples.len() as f64 / args.seconds as f64
    );
    if errors > 0 {
        bail!("{errors} yêu cầu lỗi");
    }
    Ok(())
}
