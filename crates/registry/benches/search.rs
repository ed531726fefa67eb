//! Search latency at a million households: `cargo bench -p registry --bench search`.
//!
//! Builds (once, then reuses) a SQLite registry of BENCH_HOUSEHOLDS households
//! (default 1,000,000) with Vietnamese names in 500 communes, then times 1,000
//! name searches as a user types them — family names, full-name prefixes,
//! given names, names without any match — and prints the percentiles. With
//! BENCH_DB=postgres://… it runs on that database instead.

use registry::{Actor, Db, NewHousehold, Registry, Role};
use std::time::{Duration, Instant};

const COMMUNES: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("BENCH_HOUSEHOLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let url = std::env::var("BENCH_DB").unwrap_or_else(|_| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
        format!("sqlite:{}/bench-search-{n}.db", dir.display())
    });
    let db = Db::connect(&url).await.expect("database");
    db.migrate().await.expect("migrations");
    let r = Registry::new(db);
    let admin = Actor::command_line();
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
        .fetch_one(r.db().pool())
        .await
        .unwrap();
    if have as usize != n {
        assert_eq!(have, 0, "{url} holds another data set; remove it");
        let start = Instant::now();
        let mut units =
            String::from("code,name,level,parent_code,area\n40,Tỉnh Nghệ An,province,,\n");
        for c in 0..COMMUNES {
            units.push_str(&format!("40{c:04},Xã {c},commune,40,rural\n"));
        }
        let file = std::env::temp_dir().join(format!("bench-units-{}.csv", std::process::id()));
        std::fs::write(&file, units).unwrap();
        r.import_units(&admin, &file, false).await.unwrap();
        let mut rng = synth::rng(7);
        let mut batch = Vec::with_capacity(50_000);
        for i in 0..n {
            use rand::Rng;
            let female = rng.random_bool(0.3);
            batch.push(NewHousehold {
                code: format!("H{i:08}"),
                commune_code: format!("40{:04}", i % COMMUNES),
                head_name: synth::person_name(&mut rng, female),
                ..NewHousehold::default()
            });
            if batch.len() == batch.capacity() || i + 1 == n {
                r.create_households(&admin, &batch).await.unwrap();
                batch.clear();
            }
        }
        eprintln!(
            "built {n} households in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }

    let queries = [
        "nguyen",
        "tran",
        "le",
        "pham",
        "hoang",
        "nguyen van",
        "nguyen thi",
        "tran van",
        "le thi h",
        "nguyen van an",
        "nguyen thi huong",
        "pham minh",
        "vo van",
        "dang",
        "bui thi",
        "binh",
        "huong",
        "tuan",
        "dung",
        "xuan",
        "ly",
        "duong van",
        "ngo thi yen",
        "ho huu",
        "an",
        "ng",
        "nguyen v",
        "xyz",
        "zzz",
        "qua",
    ];
    let commune_officer = {
        let unit = r.unit_by_code("400007").await.unwrap().unwrap();
        Actor {
            name: "cb".into(),
            role: Role::Officer,
            unit_id: Some(unit.id),
            agency: None,
        }
    };
    for (who, actor) in [
        ("administrator (all communes)", &admin),
        ("commune officer (one commune)", &commune_officer),
    ] {
        let mut times = Vec::new();
        for i in 0..1_000 {
            let q = queries[i % queries.len()];
            // As typed: every prefix of the query, the full query most often.
            let cut = if i % 3 == 0 {
                (q.len() / 2).max(1)
            } else {
                q.len()
            };
            let start = Instant::now();
            let found = r.search_households(actor, &q[..cut], 20).await.unwrap();
            times.push(start.elapsed());
            std::hint::black_box(found);
        }
        times.sort();
        println!(
            "search as {who}, {n} households, 1000 queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
        );
    }
}
