//! `giamngheo bench`: every page and API route a user opens, timed on
//! loopback. It starts a server on each database given (or uses one
//! already running on this machine), signs in as each user, and requests
//! each route N times, interleaved (one of every route, for every
//! database, per pass, after one warm-up pass), one request at a time;
//! then prints p50/p95/p99 per user and route, and with two databases the
//! ratio of their p99s (a registry of a million households against one of
//! ten thousand, say).

use crate::client::{Connection, Server, percentile};
use anyhow::{Context, Result, bail};
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Cơ sở dữ liệu (nhắc lại để so sánh, vd. 10 nghìn hộ với 1 triệu hộ);
    /// mỗi cơ sở dữ liệu một máy chủ trên máy này.
    #[arg(long, default_value = "sqlite:giamngheo-demo.db")]
    db: Vec<String>,
    /// Hoặc: một máy chủ đang chạy trên máy này (http://127.0.0.1:CỔNG).
    #[arg(long, conflicts_with = "db")]
    url: Option<String>,
    /// Các tài khoản, cách nhau bằng dấu phẩy (mặc định: của tỉnh tổng hợp).
    #[arg(long, value_delimiter = ',', default_value = "quantri,tinh,xa")]
    users: Vec<String>,
    /// Mật khẩu của các tài khoản.
    #[arg(long, default_value = registry::DEMO_PASSWORD)]
    password: String,
    /// Số lượt đo mỗi đường dẫn (sau một lượt khởi động).
    #[arg(long, default_value_t = 100)]
    passes: usize,
    /// Chỉ các đường dẫn này (như trong bảng, vd. "/households?status=poor"), cách nhau bằng dấu phẩy.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Không xin nén gzip (mặc định xin như trình duyệt: "Accept-Encoding: gzip, deflate, br").
    #[arg(long)]
    no_gzip: bool,
}

/// The routes, with `{id}` (a household), `{unit}` (a commune), `{round}`
/// (a review round) filled in for each user and database; `{province}` is
/// the province of `province-demo` (elsewhere those routes are not found).
const ROUTES: &[&str] = &[
    "/",
    "/households",
    "/households?status=poor",
    "/households?q=nguyen",
    "/households?q=nguyen+van",
    "/households?deprived=health_insurance",
    "/households?group=merit",
    "/households?movement=escaped",
    "/households?unit={unit}&status=poor",
    "/households/{id}",
    "/reviews",
    "/reviews/{round}",
    "/api/v1/households?per_page=50",
    "/api/v1/households?q=nguyen",
    "/api/v1/households?unit={unit}",
    "/api/v1/households/{id}",
    "/api/v1/units?q=xa",
    "/export?unit={unit}",
    "/support/gaps?unit={unit}",
    "/support/escape?unit={unit}",
    "/support/credit?unit={unit}",
    "/plans/reports?unit={province}",
    "/plans/reports/results?unit={province}&format=xlsx",
    "/plans/reports/movements?unit={province}&format=xlsx",
    "/plans/reports/deprivations?unit={province}&format=xlsx",
    "/plans/reports/groups?unit={province}&format=xlsx",
    "/plans/reports/causes?unit={province}&format=xlsx",
    "/plans/reports/children?unit={province}&format=xlsx",
    "/plans/reports/support?unit={province}&format=xlsx",
    "/plans/reports/all?unit={province}&format=xlsx",
    "/plans/reports/results?unit={province}",
    "/statistics?unit={province}",
    "/statistics?unit={province}&cpi=1",
];

/// One user signed in on one server, with the places their routes name.
struct Visitor {
    connection: Connection,
    token: String,
    household: i64,
    unit: String,
    round: Option<i64>,
    /// Whether the province demo's province is in the user's scope.
    province: bool,
}

impl Visitor {
    async fn sign_in(addr: &str, user: &str, password: &str) -> Result<Visitor> {
        let mut connection = Connection::new(addr);
        let token = connection.sign_in(user, password).await?;
        let list = connection
            .json("/api/v1/households?per_page=1", &token)
            .await?;
        let household = list["households"][0]["id"]
            .as_i64()
            .with_context(|| format!("{user}: không có hộ nào trong phạm vi"))?;
        let units = connection.json("/api/v1/units", &token).await?;
        let unit = units["units"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|u| u["level"] == "commune" && u["merged_into_id"].is_null())
            })
            .and_then(|u| u["code"].as_str())
            .with_context(|| format!("{user}: không có xã nào trong phạm vi"))?
            .to_string();
        let province = units["units"].as_array().is_some_and(|all| {
            all.iter()
                .any(|u| u["code"].as_str() == Some(registry::PROVINCE_CODE))
        });
        // A review is read only by roles that see names; others skip it.
        let round = match connection.json("/api/v1/reviews", &token).await {
            Ok(reviews) => reviews["reviews"][0]["round"]["id"].as_i64(),
            Err(_) => None,
        };
        Ok(Visitor {
            connection,
            token,
            household,
            unit,
            round,
            province,
        })
    }

    /// The route's path for this visitor, or None when it names a round
    /// the visitor has none of, or the province outside their scope (a
    /// commune officer's table shows "–" for the province's reports).
    fn path(&self, route: &str) -> Option<String> {
        if (route.contains("{round}") && self.round.is_none())
            || (route.contains("{province}") && !self.province)
        {
            return None;
        }
        Some(
            route
                .replace("{id}", &self.household.to_string())
                .replace("{unit}", &self.unit)
                .replace("{province}", registry::PROVINCE_CODE)
                .replace("{round}", &self.round.unwrap_or_default().to_string()),
        )
    }
}

/// Times of one route for one user on one database, and its failures.
#[derive(Default)]
struct Timings {
    millis: Vec<f64>,
    failures: Vec<String>,
}

pub fn bench(args: BenchArgs) -> Result<()> {
    if args.passes == 0 {
        bail!("--passes: phải ít nhất 1");
    }
    let targets: Vec<(String, Option<Server>)> = match &args.url {
        Some(url) => vec![crate::client::server("", Some(url))?],
        None => args
            .db
            .iter()
            .map(|db| crate::client::server(db, None))
            .collect::<Result<_>>()?,
    };
    let names: Vec<String> = match &args.url {
        Some(url) => vec![url.clone()],
        None => args.db.clone(),
    };
    let routes: Vec<&str> = ROUTES
        .iter()
        .copied()
        .filter(|r| args.only.is_empty() || args.only.iter().any(|o| o == r))
        .collect();
    if routes.is_empty() {
        bail!(
            "--only: không có đường dẫn nào trong số đo được: {}",
            ROUTES.join(", ")
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    eprintln!(
        "Đo {} đường dẫn × {} tài khoản × {} cơ sở dữ liệu, {} lượt, {}…",
        routes.len(),
        args.users.len(),
        targets.len(),
        args.passes,
        if args.no_gzip {
            "không nén"
        } else {
            "nén gzip như trình duyệt"
        }
    );
    let mut header = "| user | route |".to_string();
    let mut rule = "|---|---|".to_string();
    for name in &names {
        header.push_str(&format!(" {name} p50 | p95 | p99 |"));
        rule.push_str("---:|---:|---:|");
    }
    if targets.len() == 2 {
        header.push_str(" p99 ratio |");
        rule.push_str("---:|");
    }
    out!("{header}");
    out!("{rule}");
    let mut failed = 0;
    for user in &args.users {
        let mut table = runtime.block_on(async {
            let mut visitors = Vec::new();
            for (addr, _) in &targets {
                let mut visitor = Visitor::sign_in(addr, user, &args.password).await?;
                // Measured as a browser receives the pages: compressed.
                visitor.connection.gzip = !args.no_gzip;
                visitors.push(visitor);
            }
            let mut table: Vec<Vec<Timings>> = routes
                .iter()
                .map(|_| targets.iter().map(|_| Timings::default()).collect())
                .collect();
            for pass in 0..=args.passes {
                for (r, route) in routes.iter().enumerate() {
                    for (t, visitor) in visitors.iter_mut().enumerate() {
                        let Some(path) = visitor.path(route) else {
                            continue;
                        };
                        let start = Instant::now();
                        let answer = visitor
                            .connection
                            .send("GET", &path, Some(&visitor.token), None)
                            .await;
                        let millis = start.elapsed().as_secs_f64() * 1000.0;
                        if pass == 0 {
                            continue;
                        }
                        let timing = &mut table[r][t];
                        match answer {
                            Ok((200, _)) => timing.millis.push(millis),
                            Ok((status, _)) => timing.failures.push(format!("{status}")),
                            Err(e) => timing.failures.push(e.to_string()),
                        }
                    }
                }
            }
            anyhow::Ok(table)
        })?;
        for (route, row) in routes.iter().zip(&mut table) {
            let mut line = format!("| {user} | `{route}` |");
            let mut p99s = Vec::new();
            for timing in row.iter_mut() {
                timing.millis.sort_by(f64::total_cmp);
                if timing.millis.is_empty() {
                    line.push_str(" – | – | – |");
                    continue;
                }
                let p99 = percentile(&timing.millis, 99.0);
                p99s.push(p99);
                line.push_str(&format!(
                    " {:.1} | {:.1} | {p99:.1} |",
                    percentile(&timing.millis, 50.0),
                    percentile(&timing.millis, 95.0),
                ));
            }
            if targets.len() == 2 {
                match p99s.as_slice() {
                    [a, b] if *a > 0.0 => line.push_str(&format!(" {:.2} |", b / a)),
                    _ => line.push_str(" – |"),
                }
            }
            out!("{line}");
            for (name, timing) in names.iter().zip(row.iter()) {
                if let Some(first) = timing.failures.first() {
                    failed += timing.failures.len();
                    eprintln!(
                        "{user} {route} ({name}): {} yêu cầu lỗi (lần đầu: {first})",
                        timing.failures.len()
                    );
                }
            }
        }
    }
    if failed > 0 {
        bail!("{failed} yêu cầu lỗi");
    }
    Ok(())
}
