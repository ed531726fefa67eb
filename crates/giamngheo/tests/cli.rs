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

const UNITS: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
436,Huyện Nghi Xuân,district,42,,,,
420001,Xã Xuân Hội,commune,436,,,,
420002,Phường Xuân An,commune,436,,,,
";

/// A registry database with units for the synthetic communes of `n`
/// households, and the flat file of those households.
fn registry_fixture(dir: &Path, n: u64) -> (String, std::path::PathBuf) {
    let db = format!("sqlite:{}", dir.join("r.db").display());
    let data = dir.join("h.csv");
    ok(&[
        "synth",
        "--standard",
        "vn-2022-2025",
        "--households",
        &n.to_string(),
        "--seed",
        "3",
        "--out",
        s(&data),
    ]);
    // The communes and villages the synthetic file uses.
    let text = std::fs::read_to_string(&data).unwrap();
    let mut units = String::from(UNITS);
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (province, commune, village) = (cells[1], cells[3], cells[4]);
        if seen.insert(province.to_string()) && province != "42" {
            units.push_str(&format!("{province},Tỉnh {province},province,,,,,\n"));
        }
        if seen.insert(commune.to_string()) && !UNITS.contains(&format!("\n{commune},")) {
            units.push_str(&format!("{commune},Xã {commune},commune,{province},,,,\n"));
        }
        if seen.insert(format!("{commune}/{village}")) {
            units.push_str(&format!(
                "{commune}-{},{village},village,{commune},,,,\n",
                seen.len()
            ));
        }
    }
    let units_file = dir.join("units.csv");
    std::fs::write(&units_file, units).unwrap();
    ok(&["db", "migrate", "--db", &db]);
    ok(&["units", "import", "--db", &db, s(&units_file)]);
    (db, data)
}

#[test]
fn registry_commands_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let (db, data) = registry_fixture(dir.path(), 400);
    let e = fails(&[
        "import",
        "--db",
        &db,
        "--year",
        "2024",
        "--dry-run",
        s(&dir.path().join("none.csv")),
    ]);
    assert!(e.contains("none.csv"), "{e}");
    ok(&[
        "import",
        "--db",
        &db,
        "--year",
        "2024",
        "--dry-run",
        s(&data),
    ]);
    ok(&["import", "--db", &db, "--year", "2024", s(&data)]);
    ok(&[
        "import",
        "--db",
        &db,
        "--year",
        "2025",
        "--standard",
        "vn-2022-2025",
        s(&data),
    ]);
    let m = ok(&["movements", "--db", &db, "--unit", "42", "--year", "2025"]);
    assert!(
        m.contains("Hộ nghèo đầu kỳ:") && m.contains("tái nghèo: 0"),
        "{m}"
    );
    // The same report as CSV, a printable page and a workbook.
    let book = dir.path().join("movements.xlsx");
    let movements = |extra: &[&str]| {
        let mut args = vec!["movements", "--db", &db, "--unit", "42", "--year", "2025"];
        args.extend_from_slice(extra);
        ok(&args)
    };
    let csv = movements(&["--format", "csv"]);
    assert!(
        csv.starts_with("Chỉ tiêu,Số hộ\n") && csv.contains("\ntái nghèo,0\n"),
        "{csv}"
    );
    let page = movements(&["--format", "html"]);
    assert!(
        page.contains("Độc lập - Tự do - Hạnh phúc") && page.contains("BIẾN ĐỘNG"),
        "{page}"
    );
    movements(&["--format", "xlsx", "--out", s(&book)]);
    assert!(std::fs::read(&book).unwrap().starts_with(b"PK"));
    // --lang en: the same figures in English, no Vietnamese label left.
    let english = movements(&["--lang", "en", "--format", "csv"]);
    assert!(
        english.starts_with("Item,Households\n") && english.contains("\npoor again,0\n"),
        "{english}"
    );
    assert_eq!(
        english.lines().count(),
        csv.lines().count(),
        "{english}\n{csv}"
    );
    let page = movements(&["--lang", "en", "--format", "html"]);
    assert!(
        page.contains("Independence - Freedom - Happiness") && page.contains("MOVEMENTS OF POOR"),
        "{page}"
    );
    for word in ["Hộ nghèo", "Chỉ tiêu", "Độc lập", "kỳ"] {
        assert!(!page.contains(word), "{word} in {page}");
    }
    let xlsx = dir.path().join("list.xlsx");
    ok(&[
        "export",
        "--db",
        &db,
        "--unit",
        "420001",
        "--year",
        "2024",
        "--out",
        s(&xlsx),
    ]);
    assert!(
        std::fs::read(&xlsx).unwrap().starts_with(b"PK"),
        "an xlsx (zip) file"
    );
    // A year recognised on paper before the registry: recorded, then final
    // and locked against a new import.
    ok(&[
        "past-review",
        "--db",
        &db,
        "--commune",
        "420001",
        "--year",
        "2024",
        "--decision",
        "88/QĐ-UBND",
        "--date",
        "12/12/2024",
    ]);
    let e = fails(&["import", "--db", &db, "--year", "2024", s(&data)]);
    assert!(e.contains("đã đóng"), "{e}");
    // Users: the password comes on standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
        .args([
            "user",
            "add",
            "--db",
            &db,
            "--username",
            "cb.xuanhoi",
            "--password-stdin",
            "--role",
            "officer",
            "--unit",
            "420001",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("một mật khẩu dài\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = fails(&[
        "user",
        "add",
        "--db",
        &db,
        "--username",
        "x",
        "--password-stdin",
        "--role",
        "boss",
    ]);
    assert!(e.contains("vai trò \"boss\""), "{e}");
    // Backup while in use, restore over a damaged state.
    let backup = dir.path().join("backup.db");
    ok(&["backup", "--db", &db, "--out", s(&backup)]);
    let e = fails(&["backup", "--db", &db, "--out", s(&backup)]);
    assert!(e.contains("đã có"), "{e}");
    ok(&[
        "units",
        "import",
        "--db",
        &db,
        s(&write_units(dir.path(), "99,Tỉnh Mới,province,,,,,\n")),
    ]);
    assert!(ok(&["units", "list", "--db", &db]).contains("Tỉnh Mới"));
    // Replacing a database needs --force; a truncated or foreign file is
    // refused before anything is touched.
    let e = fails(&["restore", "--db", &db, "--from", s(&backup)]);
    assert!(e.contains("--force"), "{e}");
    let bytes = std::fs::read(&backup).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = fails(&["restore", "--db", &db, "--from", s(&truncated), "--force"]);
    assert!(e.contains("bị cắt cụt"), "{e}");
    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "not a database at all, but long enough to have a header of a hundred bytes, yes indeed, quite long").unwrap();
    let e = fails(&["restore", "--db", &db, "--from", s(&foreign), "--force"]);
    assert!(e.contains("không phải tệp sao lưu"), "{e}");
    assert!(
        ok(&["units", "list", "--db", &db]).contains("Tỉnh Mới"),
        "untouched"
    );
    ok(&["restore", "--db", &db, "--from", s(&backup), "--force"]);
    assert!(
        !ok(&["units", "list", "--db", &db]).contains("Tỉnh Mới"),
        "restored to the backup"
    );
}

fn write_units(dir: &Path, rows: &str) -> std::path::PathBuf {
    let path = dir.join("more-units.csv");
    std::fs::write(
        &path,
        format!("code,name,level,parent_code,area,valid_from,merged_into,valid_to\n{rows}"),
    )
    .unwrap();
    path
}

#[test]
fn an_import_killed_at_any_point_leaves_a_sound_database_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let (db, data) = registry_fixture(dir.path(), 6_000);
    let households = |expect_sound: bool| -> i64 {
        let out = ok(&["db", "check", "--db", &db]);
        if expect_sound {
            assert!(out.lines().any(|l| l == "integrity: ok"), "{out}");
        }
        let line = out.lines().find(|l| l.starts_with("households: ")).unwrap();
        line["households: ".len()..].parse().unwrap()
    };
    let mut killed_midway = 0;
    for delay_ms in [30u64, 120, 250, 400, 700] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
            .args(["import", "--db", &db, "--year", "2024", s(&data)])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok(); // SIGKILL
        child.wait().unwrap();
        let n = households(true);
        if finished {
            assert_eq!(n, 6_000);
            break;
        }
        // Killed before its commit, none of it is kept; after (while it
        // refreshed the statistics), all of it.
        assert!(
            n == 0 || n == 6_000,
            "killed after {delay_ms} ms: {n} households kept, not none or all"
        );
        if n == 6_000 {
            break;
        }
        killed_midway += 1;
    }
    assert!(
        killed_midway >= 1,
        "the import was interrupted at least once"
    );
    // After the crashes, the import runs normally.
    ok(&["import", "--db", &db, "--year", "2024", s(&data)]);
    assert_eq!(households(true), 6_000);
}

// ---- the application in real headless Chromium --------------------------

mod browser {
    use super::{ok, s};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// One HTTP/1.1 request to a local server; (status, body as text).
    pub fn http(
        port: u16,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let (status, bytes) = http_bytes(port, method, path, body, headers);
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// One HTTP/1.1 request to a local server; (status, body).
    pub fn http_bytes(
        port: u16,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("server answers");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let body = body.unwrap_or("");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        // Read the head, then exactly the body the head announces: servers
        // may keep the connection open whatever we asked.
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        let head_end = loop {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0 || !raw.is_empty(), "empty response");
            raw.extend_from_slice(&buf[..n]);
            if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if n == 0 {
                break raw.len();
            }
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let chunked = head.contains("transfer-encoding: chunked");
        loop {
            let have = raw.len() - head_end;
            let done = match (length, chunked) {
                (Some(n), _) => have >= n,
                (None, true) => raw.ends_with(b"0\r\n\r\n"),
                (None, false) => false,
            };
            if done {
                break;
            }
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
        let rest = &raw[head_end..];
        let body = if chunked {
            let mut out = Vec::new();
            let mut rest = rest;
            while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
                let size = String::from_utf8_lossy(&rest[..i]).trim().to_string();
                let n = usize::from_str_radix(&size, 16).unwrap_or(0);
                if n == 0 {
                    break;
                }
                let after = &rest[i + 2..];
                out.extend_from_slice(after.get(..n).unwrap_or(after));
                rest = after.get(n + 2..).unwrap_or(&[]);
            }
            out
        } else {
            rest.to_vec()
        };
        (status, body)
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    fn wait_for(port: u16, path: &str) {
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || http(port, "GET", path, None, &[]).0 == 0
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "port {port} did not open"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    struct Killed(Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A WebDriver session on chromedriver.
    struct Browser {
        port: u16,
        session: String,
    }

    impl Browser {
        fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
            let path = format!("/session/{}{path}", self.session);
            let body = body.to_string();
            let (status, text) = http(
                self.port,
                method,
                &path,
                (method != "GET").then_some(body.as_str()),
                &[("Content-Type", "application/json")],
            );
            let v: serde_json::Value =
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
            assert_eq!(status, 200, "{method} {path}: {text}");
            v["value"].clone()
        }

        fn go(&self, url: &str) {
            self.call("POST", "/url", serde_json::json!({ "url": url }));
        }

        fn find(&self, css: &str) -> String {
            let v = self.call(
                "POST",
                "/element",
                serde_json::json!({ "using": "css selector", "value": css }),
            );
            v.as_object()
                .and_then(|o| o.values().next())
                .and_then(|id| id.as_str())
                .unwrap()
                .to_string()
        }

        fn find_all(&self, css: &str) -> Vec<String> {
            let v = self.call(
                "POST",
                "/elements",
                serde_json::json!({ "using": "css selector", "value": css }),
            );
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_object()?.values().next()?.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        }

        fn type_into_element(&self, id: &str, text: &str) {
            self.call(
                "POST",
                &format!("/element/{id}/value"),
                serde_json::json!({ "text": text }),
            );
        }

        fn type_into(&self, css: &str, text: &str) {
            let id = self.find(css);
            self.call(
                "POST",
                &format!("/element/{id}/value"),
                serde_json::json!({ "text": text }),
            );
        }

        fn clear(&self, css: &str) {
            let id = self.find(css);
            self.call(
                "POST",
                &format!("/element/{id}/clear"),
                serde_json::json!({}),
            );
        }

        fn click(&self, css: &str) {
            let id = self.find(css);
            self.call(
                "POST",
                &format!("/element/{id}/click"),
                serde_json::json!({}),
            );
        }

        /// The text of an element; empty while it is missing or being
        /// replaced (search results are swapped in place as one types).
        fn text(&self, css: &str) -> String {
            let find = format!("/session/{}/element", self.session);
            let body = serde_json::json!({ "using": "css selector", "value": css }).to_string();
            let (status, found) = http(
                self.port,
                "POST",
                &find,
                Some(&body),
                &[("Content-Type", "application/json")],
            );
            if status != 200 {
                return String::new();
            }
            let v: serde_json::Value = serde_json::from_str(&found).unwrap_or_default();
            let Some(id) = v["value"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(|id| id.as_str())
            else {
                return String::new();
            };
            let path = format!("/session/{}/element/{id}/text", self.session);
            let (status, text) = http(self.port, "GET", &path, None, &[]);
            if status != 200 {
                return String::new();
            }
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default()["value"]
                .as_str()
                .unwrap_or("")
                .to_string()
        }

        fn source(&self) -> String {
            self.call("GET", "/source", serde_json::json!({}))
                .as_str()
                .unwrap_or("")
                .to_string()
        }

        /// Waits until the page holds `needle`.
        fn wait_for_text(&self, needle: &str) -> String {
            let start = Instant::now();
            loop {
                let page = self.source();
                if page.contains(needle) {
                    return page;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "page never showed {needle:?}:\n{page}"
                );
                std::thread::sleep(Duration::from_millis(150));
            }
        }
        /// Runs a script in the page and returns its value.
        fn script(&self, body: &str) -> serde_json::Value {
            self.call(
                "POST",
                "/execute/sync",
                serde_json::json!({ "script": body, "args": [] }),
            )
        }

        fn resize(&self, width: u32, height: u32) {
            self.call(
                "POST",
                "/window/rect",
                serde_json::json!({ "width": width, "height": height }),
            );
        }

        /// Keeps a screenshot when GIAMNGHEO_SCREENSHOTS names a folder (to
        /// look at by eye); the assertions do not depend on it.
        fn screenshot(&self, name: &str) {
            let Ok(dir) = std::env::var("GIAMNGHEO_SCREENSHOTS") else {
                return;
            };
            let v = self.call("GET", "/screenshot", serde_json::json!({}));
            let png = decode_base64(v.as_str().unwrap_or(""));
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png);
        }

        /// The page is no wider than the window: nothing to scroll sideways.
        fn fits_width(&self) -> bool {
            self.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;")
                .as_bool()
                .unwrap_or(false)
        }
    }

    fn decode_base64(text: &str) -> Vec<u8> {
        let value = |c: u8| match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        };
        let digits: Vec<u8> = text.bytes().filter_map(value).collect();
        digits
            .chunks(4)
            .flat_map(|c| {
                let n =
                    c.iter().fold(0u32, |acc, d| acc << 6 | u32::from(*d)) << (6 * (4 - c.len()));
                let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
                bytes[..c.len().saturating_sub(1)].to_vec()
            })
            .collect()
    }

    #[test]
    fn officers_survey_review_and_recognise_in_chromium_at_desktop_and_phone_widths() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite:{}", dir.path().join("demo.db").display());
        ok(&["demo", "--db", &db, "--households", "1500", "--no-serve"]);
        // The bounded load command signs in the demo's accounts and ends by
        // itself, without errors.
        let load = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
            .args(["load", "--db", &db, "--sessions", "5", "--seconds", "2"])
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&load.stdout).to_string()
            + &String::from_utf8_lossy(&load.stderr);
        assert!(load.status.success() && said.contains(", 0 lỗi."), "{said}");
        // The command line ends quietly when its reader goes away.
        let mut search = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
            .args(["search", "--db", &db, "--limit", "1500", "n"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        search
            .stdout
            .take()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        let searched = search.wait_with_output().unwrap();
        assert!(searched.status.success(), "{searched:?}");
        assert!(!String::from_utf8_lossy(&searched.stderr).contains("panicked"));

        let port = free_port();
        let _server = Killed(
            Command::new(env!("CARGO_BIN_EXE_giamngheo"))
                .args(["serve", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_for(port, "/login");
        // A restore onto the database in use is refused, whatever --force.
        let backup = dir.path().join("backup.db");
        ok(&["backup", "--db", &db, "--out", s(&backup)]);
        let output = Command::new(env!("CARGO_BIN_EXE_giamngheo"))
            .args(["restore", "--db", &db, "--from", s(&backup), "--force"])
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("đang được dùng"),
            "{output:?}"
        );

        let driver_port = free_port();
        let _driver = Killed(
            Command::new("chromedriver")
                .arg(format!("--port={driver_port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (Debian package chromium-driver) is installed; .ci/run installs it"),
        );
        wait_for(driver_port, "/status");
        let profile = dir.path().join("chromium");
        let capabilities = serde_json::json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", s(&profile)), "--window-size=1200,900"
            ] }
        } } });
        let (status, body) = http(
            driver_port,
            "POST",
            "/session",
            Some(&capabilities.to_string()),
            &[("Content-Type", "application/json")],
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let browser = Browser {
            port: driver_port,
            session: v["value"]["sessionId"].as_str().unwrap().to_string(),
        };
        let base = format!("http://127.0.0.1:{port}");

        // Sign in.
        browser.go(&format!("{base}/households"));
        browser.wait_for_text("Đăng nhập");
        let sign_in = |user: &str| {
            browser.type_into("input[name=username]", user);
            browser.type_into("input[name=password]", registry::DEMO_PASSWORD);
            browser.click("button[type=submit]");
            browser.wait_for_text("Tổng quan")
        };
        let dashboard = sign_in("xa.nghixuan");
        assert!(dashboard.contains("Xã Nghi Xuân"));
        assert!(
            dashboard.contains("Đang rà soát") && dashboard.contains("2026"),
            "the year under way is in progress, the closed ones have rates"
        );
        assert!(
            dashboard.contains("2019") && dashboard.contains("2024"),
            "a merged commune shows the years of the communes it absorbed"
        );
        assert!(
            dashboard.contains("Xã Xuân Hội (đến 30/06/2025)") && dashboard.contains("Minh họa"),
            "and says which they were"
        );
        assert!(
            dashboard.contains("id=\"trend\""),
            "the closed years' rates are drawn"
        );
        browser.screenshot("dashboard-desktop");

        // Find a household by typing its head's name without diacritics.
        browser.go(&format!("{base}/households"));
        browser.wait_for_text("Danh sách hộ");
        let name = browser.text("#households tbody tr:nth-child(7) td:nth-child(2)");
        assert!(!name.is_empty());
        let plain = vntext::search_key(&name);
        assert_ne!(
            plain,
            name.to_lowercase(),
            "the name has diacritics: {name}"
        );
        browser.type_into("input[name=q]", &plain);
        // Search as you type: the results change without pressing the button.
        let start = Instant::now();
        loop {
            let rows = browser
                .source()
                .matches("<tr><td><a href=\"/households/")
                .count();
            let first = browser.text("#households tbody tr:first-child td:nth-child(2)");
            if vntext::search_key(&first).starts_with(&plain) && rows < 50 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "results did not narrow to {plain}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(browser.source().contains(&name));
        browser.click("#households tbody tr:first-child td:nth-child(2) a");
        browser.wait_for_text("Thành viên");
        let page = browser.wait_for_text("Kết quả rà soát theo năm");
        assert!(
            page.contains("(nay thuộc Xã Nghi Xuân)"),
            "the household's commune, merged since, and where it is now"
        );

        // The survey of the year under way starts from what was recorded;
        // the classification changes as it is filled.
        browser.click("#survey-link");
        let form = browser.wait_for_text("Phiếu khảo sát hộ");
        assert!(
            form.contains("id=\"source\""),
            "started from a recorded survey"
        );
        let survey_year: String = browser
            .find_all("input[name=year]")
            .first()
            .map(|_| {
                browser
                    .script("return document.querySelector('input[name=year]').value;")
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        assert_eq!(survey_year.len(), 4, "{survey_year}");
        browser.clear("input[name=income]");
        browser.type_into("input[name=income]", "abc");
        browser.click("form#survey button[type=submit]");
        let refused = browser.wait_for_text("Phiếu chưa được lưu");
        assert!(
            refused.contains("Thu nhập bình quân đầu người"),
            "named field"
        );
        browser.clear("input[name=income]");
        browser.type_into("input[name=income]", "1.200.000");
        browser.clear("input[name=m0_age]");
        browser.type_into("input[name=m0_age]", "45");
        browser.click("select[name=water] option[value=surface_water]");
        browser.click("select[name=latrine] option[value=open_pit]");
        if browser
            .script("return document.querySelector('input[name=internet]').checked;")
            .as_bool()
            .unwrap_or(false)
        {
            browser.click("input[name=internet]");
        }
        let outcome = |expected: &str| {
            let start = Instant::now();
            loop {
                let text = browser.text("#outcome");
                if text.starts_with(expected) {
                    return text;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "outcome stayed {text:?}, expected {expected:?}"
                );
                std::thread::sleep(Duration::from_millis(150));
            }
        };
        let poor = outcome("Hộ nghèo");
        assert!(poor.contains("Nhà tiêu hợp vệ sinh"), "{poor}");
        browser.clear("input[name=income]");
        browser.type_into("input[name=income]", "9 triệu");
        outcome("Hộ không nghèo");
        browser.clear("input[name=income]");
        browser.type_into("input[name=income]", "1.200.000");
        outcome("Hộ nghèo");
        browser.screenshot("survey-desktop");
        // On a 360 px phone the form fits the screen: members are cards.
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the survey form is wider than a phone"
        );
        browser.screenshot("survey-phone");
        browser.resize(1200, 900);
        browser.click("form#survey button[type=submit]");
        browser.wait_for_text("Kết quả rà soát theo năm");
        assert!(
            browser
                .source()
                .contains(&format!("<td>{survey_year}</td><td>Hộ nghèo</td>")),
            "the server recorded the survey"
        );
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the household page is wider than a phone"
        );
        browser.screenshot("household-phone");
        browser.resize(1200, 900);

        // Poor now: the page shows its way out; support is recorded from the
        // page's form and listed by year; the commune's work list opens.
        assert!(
            browser.source().contains("id=\"way-out\""),
            "a poor household's way out"
        );
        browser.click("select[name=policy] option[value=clean_water_sanitation]");
        browser.type_into("input[name=delivered_on]", &format!("02/01/{survey_year}"));
        browser.type_into("#delivery-form input[name=amount]", "4.000.000");
        browser.click("#delivery-form button[type=submit]");
        browser.wait_for_text("<td class=\"num\">4.000.000</td>");
        browser.go(&format!(
            "{base}/support/gaps?unit=90001&year={survey_year}"
        ));
        let gaps = browser.wait_for_text("id=\"gap-counts\"");
        assert!(gaps.contains("việc chưa làm"), "the work list");
        browser.resize(360, 800);
        assert!(browser.fits_width(), "the work list is wider than a phone");
        browser.screenshot("gaps-phone");
        browser.resize(1200, 900);

        // The year's review round, to recognition, with a re-check that
        // changes one household's result.
        browser.go(&format!("{base}/reviews"));
        browser.wait_for_text("Mở đợt rà soát");
        // Kept only when the round opens outside 1/9–14/12.
        browser.type_into(
            "input[name=reason]",
            "Rà soát bổ sung theo chỉ đạo của tỉnh",
        );
        browser.click("form[action='/reviews'] button[type=submit]");
        browser.wait_for_text("Đã khảo sát xong");
        browser.click("#next");
        browser.wait_for_text("Ngày họp thôn");
        browser.type_into("input[name=date]", &format!("20/09/{survey_year}"));
        browser.type_into("input[name=chair]", "Trưởng thôn Nguyễn Văn Hải");
        browser.type_into("input[name=attendees]", "30");
        let votes = browser.find_all("input[name^=agree_]");
        assert!(!votes.is_empty(), "the round lists households");
        for vote in &votes {
            browser.type_into_element(vote, "20");
        }
        browser.type_into("textarea[name=minutes]", "Biên bản họp thôn: đa số đồng ý.");
        browser.click("#next");
        browser.wait_for_text("Ngày bắt đầu niêm yết");
        browser.type_into("input[name=start]", &format!("23/09/{survey_year}"));
        browser.click("#next");
        browser.wait_for_text("Nội dung khiếu nại");
        // The first case: the re-check finds it otherwise than the survey.
        let case_id: i64 = browser
            .script("return document.querySelector('select[name^=recheck_]').name.split('_')[1];")
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let proposed = browser.text("#cases tbody tr:first-child td:nth-child(5)");
        let (recheck, recheck_name) = if proposed == "Hộ nghèo" {
            ("near_poor", "Hộ cận nghèo")
        } else {
            ("poor", "Hộ nghèo")
        };
        browser.type_into(
            &format!("input[name=complaint_{case_id}]"),
            "Hộ khiếu nại kết quả khảo sát",
        );
        browser.click(&format!(
            "select[name=recheck_{case_id}] option[value={recheck}]"
        ));
        browser.click("#next");
        browser.wait_for_text("Số quyết định công nhận");
        browser.type_into("input[name=number]", "125/QĐ-UBND");
        browser.type_into("input[name=date]", &format!("10/10/{survey_year}"));
        browser.click("#next");
        // The step names are all listed on the page; wait for the current one.
        let reported = browser.wait_for_text("id=\"step\">Đã báo cáo cấp trên");
        assert!(
            reported.contains("/GCN-HN.HCN"),
            "certificates are numbered"
        );
        assert!(
            reported.contains("id=\"approver\">Tỉnh Hà Tĩnh")
                && !reported.contains("id=\"approve\""),
            "reported to the province, which alone approves"
        );
        let round_url = browser
            .script("return location.pathname;")
            .as_str()
            .unwrap()
            .to_string();
        // The province's officer approves it, on a phone.
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("tinh.hatinh");
        browser.resize(360, 800);
        browser.go(&format!("{base}{round_url}"));
        browser.wait_for_text("id=\"approve\"");
        assert!(browser.fits_width(), "the round page is wider than a phone");
        browser.screenshot("review-reported-phone");
        browser.click("#approve");
        browser.wait_for_text("id=\"step\">Đã phê duyệt, đóng");
        assert!(
            browser.source().contains("id=\"reopen\""),
            "and may reopen it"
        );
        browser.screenshot("review-approved-phone");
        browser.resize(1200, 900);
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("xa.nghixuan");
        // What was recognised is the official result everywhere: the
        // household page, the list filter and the export.
        browser.go(&format!("{base}/households/{case_id}"));
        let page = browser.wait_for_text("Kết quả rà soát theo năm");
        assert!(
            page.contains(&format!("<td>{survey_year}</td><td>{recheck_name}</td>")),
            "the household page shows the re-check's result"
        );
        browser.go(&format!(
            "{base}/households?status={recheck}&year={survey_year}&unit=90001"
        ));
        browser.wait_for_text("Danh sách hộ");
        assert!(
            browser
                .source()
                .contains(&format!("href=\"/households/{case_id}\"")),
            "the list filter finds it under the re-check's result"
        );
        let token = |user: &str| {
            let body = serde_json::json!({ "username": user, "password": registry::DEMO_PASSWORD })
                .to_string();
            let (status, text) = http(
                port,
                "POST",
                "/api/v1/auth/token",
                Some(&body),
                &[("Content-Type", "application/json")],
            );
            assert_eq!(status, 200, "{text}");
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["token"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let xuanhoi = token("xa.nghixuan");
        let (_, detail) = http(
            port,
            "GET",
            &format!("/api/v1/households/{case_id}"),
            None,
            &[("Authorization", &format!("Bearer {xuanhoi}"))],
        );
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        let code = detail["code"].as_str().unwrap().to_string();
        let (status, bytes) = http_bytes(
            port,
            "GET",
            &format!("/export?unit=90001&year={survey_year}"),
            None,
            &[("Authorization", &format!("Bearer {xuanhoi}"))],
        );
        assert_eq!(status, 200);
        let xlsx = dir.path().join("export.xlsx");
        std::fs::write(&xlsx, bytes).unwrap();
        let grids = registry::sheets::read_grids(&xlsx).unwrap();
        let t =
            registry::sheets::find_table(&grids[0], registry::sheets::HOUSEHOLD_FIELDS).unwrap();
        let row = t
            .rows
            .iter()
            .find(|(_, cells)| t.cell(cells, "household_code") == code)
            .map(|(_, cells)| format!("{cells:?}"))
            .unwrap();
        assert!(row.contains(recheck_name), "the export: {row}");

        // Another commune's household: not found by page, nor by API.
        let xuanan = token("xa.tiendien");
        let (_, list) = http(
            port,
            "GET",
            "/api/v1/households?per_page=1",
            None,
            &[("Authorization", &format!("Bearer {xuanan}"))],
        );
        let other: serde_json::Value = serde_json::from_str(&list).unwrap();
        let other_id = other["households"][0]["id"].as_i64().unwrap();
        browser.go(&format!("{base}/households/{other_id}"));
        browser.wait_for_text("Không tìm thấy trang hoặc hộ này.");
        let (status, _) = http(
            port,
            "GET",
            &format!("/api/v1/households/{other_id}"),
            None,
            &[("Authorization", &format!("Bearer {xuanhoi}"))],
        );
        assert_eq!(status, 404);
        let (status, _) = http(
            port,
            "GET",
            &format!("/api/v1/households/{other_id}"),
            None,
            &[("Authorization", &format!("Bearer {xuanan}"))],
        );
        assert_eq!(status, 200, "its own officer sees it");

        // The expected-escape list: a poor household of 2025 gets a cadre,
        // planned policies and a follow-up note, on a phone.
        let (_, poor) = http(
            port,
            "GET",
            &format!(
                "/api/v1/households?unit=90001&status=poor&year={}&per_page=1",
                survey_year.parse::<i64>().unwrap() - 1
            ),
            None,
            &[("Authorization", &format!("Bearer {xuanhoi}"))],
        );
        let poor: serde_json::Value = serde_json::from_str(&poor).unwrap();
        let poor_code = poor["households"][0]["code"].as_str().unwrap().to_string();
        let (_, well_off) = http(
            port,
            "GET",
            &format!(
                "/api/v1/households?unit=90001&status=not_poor&year={}&per_page=1",
                survey_year.parse::<i64>().unwrap() - 1
            ),
            None,
            &[("Authorization", &format!("Bearer {xuanhoi}"))],
        );
        let well_off: serde_json::Value = serde_json::from_str(&well_off).unwrap();
        let well_off = well_off["households"][0]["code"]
            .as_str()
            .unwrap()
            .to_string();
        browser.resize(360, 800);
        browser.go(&format!(
            "{base}/support/escape?unit=90001&year={survey_year}"
        ));
        browser.wait_for_text("Danh sách dự kiến hộ thoát nghèo");
        browser.script("document.querySelector('#escape-add').open = true; return 1;");
        browser.type_into("#escape-form input[name=household_code]", &poor_code);
        browser.type_into("#escape-form input[name=cadre_name]", "Nguyễn Thị Bích");
        browser.type_into(
            "#escape-form input[name=cadre_role]",
            "Hội Liên hiệp Phụ nữ",
        );
        browser.click("#escape-form input[name=policy_vocational_training]");
        browser.type_into(
            "#escape-form input[name=due_on]",
            &format!("30/11/{survey_year}"),
        );
        browser.click("#escape-form button[type=submit]");
        let escape = browser.wait_for_text("Nguyễn Thị Bích (Hội Liên hiệp Phụ nữ)");
        assert!(escape.contains(&poor_code) && escape.contains("Đào tạo nghề"));
        assert!(
            browser.fits_width(),
            "the escape list is wider than a phone"
        );
        browser.screenshot("escape-phone");
        // A household that is not poor is refused, in words.
        browser.script("document.querySelector('#escape-add').open = true; return 1;");
        browser.type_into("#escape-form input[name=household_code]", &well_off);
        browser.type_into("#escape-form input[name=cadre_name]", "Lê Văn Nam");
        browser.click("#escape-form button[type=submit]");
        let refused = browser.wait_for_text("id=\"escape-error\"");
        assert!(refused.contains("không phải hộ nghèo"), "{refused}");
        browser.resize(1200, 900);

        // The bank's officer imports the demo's loan list: the match report,
        // then the confirmation, then the bank's work list.
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("nhcsxh");
        browser.go(&format!("{base}/support/lists"));
        browser.wait_for_text("Nhập danh sách của cơ quan");
        let loans = std::fs::read_dir(dir.path().join("danh-sach-co-quan"))
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("nhcsxh"))
            })
            .expect("the demo writes the bank's list");
        browser.type_into("input[name=file]", loans.to_str().unwrap());
        browser.click("#lists-form button[type=submit]");
        let report = browser.wait_for_text("id=\"match-report\"");
        assert!(
            report.contains("Không tìm thấy trong sổ hộ") && report.contains("theo số CCCD"),
            "the match report names how each row matched, and the unknown borrower"
        );
        browser.screenshot("agency-list-report");
        browser.click("#confirm-form button[type=submit]");
        browser.wait_for_text("id=\"lists-written\"");
        browser.go(&format!(
            "{base}/support/gaps?unit=90001&year={survey_year}"
        ));
        let work = browser.wait_for_text("id=\"gap-counts\"");
        assert!(
            !work.contains("Phòng Giáo dục") && !work.contains("href=\"/households/"),
            "the bank's own work list, without links to pages it may not open"
        );
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the bank's work list, with its forms, is wider than a phone"
        );
        browser.screenshot("agency-work-list-phone");
        browser.resize(1200, 900);
        browser.go(&format!("{base}/support/credit?unit=90001"));
        browser.wait_for_text("Theo dõi vốn vay ưu đãi");
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the credit follow-up is wider than a phone"
        );
        browser.screenshot("credit-phone");
        browser.resize(1200, 900);

        // The district's 2019 plan: each target's progress and status, by
        // commune, and the agencies' overdue tasks.
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("huyen.nghixuan");
        browser.go(&format!("{base}/plans"));
        browser.wait_for_text(registry::DEMO_PLAN_2019);
        browser.click("#plans a");
        let plan = browser.wait_for_text("id=\"targets\"");
        assert!(
            plan.contains("Không đạt")
                && plan.contains("điểm %/năm")
                && plan.contains("class=\"target-missed\""),
            "the rate's fall in points a year; the jobs were not all created"
        );
        assert!(plan.contains("id=\"overdue-tasks\"") && plan.contains("Phòng Kinh tế – Hạ tầng"));
        browser.script("document.querySelectorAll('details.by-commune').forEach(d => d.open = true); return 1;");
        browser.screenshot("plan-2019-desktop");
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the plan's page is wider than a phone"
        );
        browser.screenshot("plan-2019-phone");
        browser.resize(1200, 900);

        // The commune's 2026 plan and the sign-off of its year's report.
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("xa.nghixuan");
        browser.go(&format!("{base}/plans"));
        browser.wait_for_text("08/KH-UBND");
        browser.click("#plans a");
        let plan = browser.wait_for_text("id=\"targets\"");
        assert!(
            plan.contains("Tỷ lệ hộ nghèo dưới 3 %") && plan.contains("class=\"target-"),
            "the commune's own plan, with its targets assessed"
        );
        browser.go(&format!(
            "{base}/plans/reports?unit=90001&year={survey_year}"
        ));
        browser.wait_for_text("id=\"signoffs\"");
        browser.click("tr[data-unit='90001'] .submit-form button");
        browser.wait_for_text("class=\"signoff-submitted\"");
        let sign_off = |decision: &str, comment: &str| {
            browser.go(&format!("{base}/plans/reports?unit=42&year={survey_year}"));
            browser.wait_for_text("id=\"signoffs\"");
            if !comment.is_empty() {
                browser.type_into("tr[data-unit='90001'] input[name=comment]", comment);
            }
            browser.click(&format!("tr[data-unit='90001'] button[value={decision}]"));
        };
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("tinh.hatinh");
        sign_off("return", "Thiếu biểu nguyên nhân nghèo");
        browser.wait_for_text("Thiếu biểu nguyên nhân nghèo");
        // Every report of the set downloads as a workbook; one prints.
        let fetched = browser.call(
            "POST",
            "/execute/async",
            serde_json::json!({ "script": format!(
                "const done = arguments[0]; Promise.all(['results','movements','deprivations','groups','causes','children','support','all'].map(k => fetch('/plans/reports/' + k + '?unit=42&year={survey_year}&format=xlsx').then(r => r.status + ' ' + r.headers.get('content-type')))).then(x => done(x.join('|')));"
            ), "args": [] }),
        );
        let fetched = fetched.as_str().unwrap_or("").to_string();
        assert_eq!(
            fetched
                .matches("200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .count(),
            8,
            "{fetched}"
        );
        browser.go(&format!(
            "{base}/plans/reports/results?unit=42&year={survey_year}"
        ));
        let printed = browser.wait_for_text("KẾT QUẢ RÀ SOÁT");
        assert!(printed.contains("A4 landscape") && printed.contains("Tổng cộng"));
        browser.screenshot("report-results-print");
        browser.go(&format!("{base}/plans"));
        browser.wait_for_text("Kế hoạch và chỉ tiêu");
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("xa.nghixuan");
        browser.go(&format!(
            "{base}/plans/reports?unit=90001&year={survey_year}"
        ));
        browser.wait_for_text("Bị trả lại");
        browser.click("tr[data-unit='90001'] .submit-form button");
        browser.wait_for_text("class=\"signoff-submitted\"");
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        sign_in("tinh.hatinh");
        sign_off("accept", "");
        let accepted = browser.wait_for_text("class=\"signoff-accepted\" data-unit=\"90001\"");
        assert!(accepted.contains("Đã chấp nhận (khoá)"));
        browser.resize(360, 800);
        assert!(
            browser.fits_width(),
            "the report page is wider than a phone"
        );
        browser.screenshot("reports-phone");
        // The year's multidimensional poverty index with its errors and
        // its change from the year before.
        browser.go(&format!("{base}/statistics?unit=42"));
        let statistics = browser.wait_for_text("id=\"mpi\"");
        assert!(statistics.contains("id=\"changes\"") && statistics.contains("(± "));
        assert!(
            browser.fits_width(),
            "the statistics page is wider than a phone"
        );
        browser.screenshot("statistics-phone");
        browser.resize(1200, 900);

        // Sign out.
        browser.click("header form button");
        browser.wait_for_text("Tên đăng nhập");
        let _ = http(
            driver_port,
            "DELETE",
            &format!("/session/{}", browser.session),
            None,
            &[],
        );
    }
}

#[test]
fn a_year_or_a_standard_given_to_a_sheet_import_is_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = registry_fixture(dir.path(), 10);
    let sheet = dir.path().join("ds.csv");
    std::fs::write(&sheet, "Mã hộ,Họ và tên chủ hộ\nH01,Nguyễn Văn An\n").unwrap();
    // A list without survey facts: a year has nothing to record.
    let e = fails(&["import", "--db", &db, "--year", "2024", s(&sheet)]);
    assert!(
        e.contains("không có cột thu nhập hay chỉ số thiếu hụt"),
        "{e}"
    );
    let e = fails(&[
        "import",
        "--db",
        &db,
        "--standard",
        "vn-2022-2025",
        s(&sheet),
    ]);
    assert!(e.contains("--standard cần --year"), "{e}");
    // With income and the twelve marks, the year's survey is recorded.
    let catalogue = standard::Catalogue::builtin().unwrap();
    let s22 = catalogue.get("vn-2022-2025").unwrap();
    let names: Vec<&str> = s22.indicators.iter().map(|i| i.name.vi.as_str()).collect();
    let marks: Vec<&str> = (0..names.len())
        .map(|i| if i < 3 { "x" } else { "" })
        .collect();
    let facts = dir.path().join("facts.csv");
    std::fs::write(
        &facts,
        format!(
            "Mã hộ,Họ và tên chủ hộ,Mã xã,Thu nhập bình quân,{}\nH900,Nguyễn Văn Chín,420001,1.200.000,{}\n",
            names.join(","),
            marks.join(",")
        ),
    )
    .unwrap();
    let out = giamngheo(&["import", "--db", &db, "--year", "2024", s(&facts)]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("ghi khảo sát và xếp loại năm 2024 theo vn-2022-2025 cho 1 hộ"),
        "{said}"
    );
}
