//! The commands as a user runs them: the real binary, real files.

use std::path::Path;
use std::process::{Command, Output};

fn giamngheo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_giamngheo"))
        .args(args)
        .env_remove("GIAMNGHEO_LANG")
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = giamngheo(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn fails(args: &[&str]) -> String {
    let out = giamngheo(args);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
    String::from_utf8(out.stderr).expect("UTF-8 errors")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn standards_are_listed_and_shown_in_vietnamese_and_english() {
    let list = ok(&["standards", "list"]);
    for id in ["vn-2016-2020", "vn-2022-2025", "vn-2027-2030"] {
        assert!(list.contains(id), "{list}");
    }
    assert!(list.contains("Chuẩn nghèo đa chiều giai đoạn 2022–2025"));
    assert!(list.contains("2022–2026"));
    let english = ok(&["--lang", "en", "standards", "list"]);
    assert!(english.contains("Multidimensional poverty standard 2022–2025"));

    let show = ok(&["standards", "show", "vn-2016-2020"]);
    assert!(
        show.contains("700.000") && show.contains("1.950.000"),
        "{show}"
    );
    assert!(show.contains("[R: cần đối chiếu với Công báo]"));
    assert!(show.contains("hộ nghèo: thu nhập ≤ Chuẩn nghèo"));
    let provisional = ok(&["standards", "show", "vn-2027-2030"]);
    assert!(provisional.contains("TẠM THỜI"));
    let e = fails(&["standards", "show", "vn-1999"]);
    assert!(e.starts_with("Lỗi: không có chuẩn \"vn-1999\""), "{e}");
}

#[test]
fn synth_classify_measure_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("h.csv");
    let parquet = dir.path().join("h.parquet");
    for out in [&csv, &parquet] {
        ok(&[
            "synth",
            "--standard",
            "vn-2022-2025",
            "--households",
            "5000",
            "--seed",
            "9",
            "--out",
            s(out),
        ]);
    }
    // Deterministic for a seed, different for another.
    let again = dir.path().join("again.csv");
    ok(&[
        "synth",
        "--year",
        "2024",
        "--households",
        "5000",
        "--seed",
        "9",
        "--out",
        s(&again),
    ]);
    assert_eq!(std::fs::read(&csv).unwrap(), std::fs::read(&again).unwrap());
    ok(&[
        "synth",
        "--year",
        "2024",
        "--households",
        "5000",
        "--seed",
        "10",
        "--out",
        s(&again),
    ]);
    assert_ne!(std::fs::read(&csv).unwrap(), std::fs::read(&again).unwrap());

    let classified = dir.path().join("c.csv");
    ok(&[
        "classify",
        "--standard",
        "vn-2022-2025",
        s(&parquet),
        "--out",
        s(&classified),
    ]);
    let text = std::fs::read_to_string(&classified).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("household_id,commune_code,status,deprivation_count,deprived,score,mpi_poor,reason")
    );
    assert_eq!(lines.count(), 5000);

    let from_csv = dir.path().join("m1.csv");
    let from_parquet = dir.path().join("m2.csv");
    ok(&[
        "measure",
        "--standard",
        "vn-2022-2025",
        "--by",
        "commune_code",
        s(&csv),
        "--out",
        s(&from_csv),
    ]);
    ok(&[
        "measure",
        "--standard",
        "vn-2022-2025",
        "--by",
        "commune_code",
        s(&parquet),
        "--out",
        s(&from_parquet),
    ]);
    let a = std::fs::read_to_string(&from_csv).unwrap();
    assert_eq!(a, std::fs::read_to_string(&from_parquet).unwrap());
    assert!(a.starts_with(
        "group,households,weight_sum,poor,near_poor,poor_rate,near_poor_rate,H,A,M0,"
    ));
    assert!(a.lines().last().unwrap().starts_with("total,5000,5000,"));
    assert!(
        a.lines()
            .next()
            .unwrap()
            .contains("contribution_information")
    );

    // JSON, by person, with k = 1/3 and a bootstrap.
    let json = dir.path().join("m.json");
    ok(&[
        "measure",
        "--year",
        "2023",
        "--unit",
        "person",
        "--k",
        "1/3",
        "--bootstrap",
        "50",
        "--seed",
        "4",
        s(&parquet),
        "--out",
        s(&json),
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["standard"], "vn-2022-2025");
    assert_eq!(doc["k"], "1/3");
    assert_eq!(doc["unit"], "person");
    let total = &doc["rows"][0];
    assert_eq!(total["group"], "total");
    assert!(total["weight_sum"].as_f64().unwrap() > 5000.0);
    assert!(total["boot_se_H"].as_f64().unwrap() > 0.0);
}

#[test]
fn an_analyst_can_measure_with_a_standard_file_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("h.csv");
    ok(&[
        "synth",
        "--standard",
        "vn-2022-2025",
        "--households",
        "2000",
        "--out",
        s(&data),
    ]);
    let mine = dir.path().join("wash.toml");
    std::fs::write(
        &mine,
        r#"
id = "wash-only"
name = { vi = "Nước và vệ sinh", en = "Water and sanitation" }
legal_basis = { vi = "Phân tích riêng", en = "Own analysis", confidence = "R" }
review_years = { from = 2040, to = 2040 }
deprivation_cutoff = { count = 1 }
[[income_lines]]
code = "poverty"
name = { vi = "Chuẩn nghèo", en = "Poverty line" }
rural = 1500000
urban = 2000000
[[rules]]
status = "poor"
at_most = "poverty"
deprivations = "at_least_cutoff"
reason = { code = "r", vi = "Nghèo", en = "Poor" }
[[rules]]
status = "not_poor"
reason = { code = "n", vi = "Không nghèo", en = "Not poor" }
[[dimensions]]
code = "wash"
name = { vi = "Nước và vệ sinh", en = "WASH" }
weight = "1"
[[dimensions.indicators]]
code = "water"
name = { vi = "Nước", en = "Water" }
deprived_when = { vi = "Không có nước sạch", en = "No clean water" }
weight = "2/3"
[[dimensions.indicators]]
code = "latrine"
name = { vi = "Nhà tiêu", en = "Latrine" }
deprived_when = { vi = "Không có nhà tiêu hợp vệ sinh", en = "No hygienic latrine" }
weight = "1/3"
"#,
    )
    .unwrap();
    let out = dir.path().join("m.csv");
    ok(&[
        "measure",
        "--standard",
        s(&mine),
        s(&data),
        "--out",
        s(&out),
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with("contribution_water,contribution_latrine"),
        "{header}"
    );
    assert!(!header.contains("d_employment") && !header.contains("censored_employment"));
    let show = ok(&["standards", "show", s(&mine)]);
    assert!(show.contains("wash-only"));
    // A broken file names itself and the field.
    std::fs::write(
        &mine,
        std::fs::read_to_string(&mine)
            .unwrap()
            .replace("\"1/3\"", "\"1/4\""),
    )
    .unwrap();
    let e = fails(&[
        "measure",
        "--standard",
        s(&mine),
        s(&data),
        "--out",
        s(&out),
    ]);
    assert!(
        e.contains("wash.toml: trường `dimensions[0].indicators`"),
        "{e}"
    );
}

#[test]
fn bad_input_names_file_row_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("h.csv");
    ok(&[
        "synth",
        "--standard",
        "vn-2022-2025",
        "--households",
        "300",
        "--out",
        s(&data),
    ]);
    let text = std::fs::read_to_string(&data).unwrap();
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 41 {
                l.replacen(",1,", ",có,", 1).replacen(",0,", ",có,", 1)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&data, broken.join("\n")).unwrap();
    let out = dir.path().join("out.csv");
    for command in ["classify", "measure"] {
        let e = fails(&[
            command,
            "--standard",
            "vn-2022-2025",
            s(&data),
            "--out",
            s(&out),
        ]);
        assert!(e.contains("h.csv, dòng 42, cột"), "{e}");
        assert!(e.contains("\"có\""), "{e}");
        assert!(
            !e.contains('\r') && !e.contains('\u{1b}'),
            "no progress bar when not a terminal"
        );
        assert!(!out.exists(), "{command} left an output file");
    }
    let e = fails(&[
        "measure",
        "--standard",
        "vn-2022-2025",
        "--by",
        "ward",
        s(&data),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("thiếu cột \"ward\""), "{e}");
    let e = fails(&[
        "measure",
        "--standard",
        "vn-2030",
        s(&data),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("không có chuẩn \"vn-2030\""), "{e}");
    let e = fails(&["measure", "--year", "2015", s(&data), "--out", s(&out)]);
    assert!(e.contains("năm rà soát 2015"), "{e}");
    let e = fails(&[
        "measure",
        "--standard",
        "vn-2022-2025",
        "--k",
        "2",
        s(&data),
        "--out",
        s(&out),
    ]);
    assert!(e.contains("--k \"2\""), "{e}");
    let e = fails(&[
        "measure",
        "--standard",
        "vn-2022-2025",
        s(&data),
        "--out",
        s(&dir.path().join("m.xlsx")),
    ]);
    assert!(e.contains(".csv hoặc .json"), "{e}");
    assert!(!out.exists());
}
