//! The flat household file end to end: CSV and Parquet give the same
//! numbers as measuring the households in memory, whatever the threads and
//! chunks; bad input names file, row and column and leaves no output.

use flatfile::{FileError, Input, ReadOptions, Texts, measure_file};
use measure::{Accumulator, Config, GroupMeasures, Row};
use standard::{Catalogue, Ratio, Standard};
use std::path::{Path, PathBuf};

fn standard() -> &'static Standard {
    static C: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalogue::builtin().unwrap())
        .get("vn-2022-2025")
        .unwrap()
}

fn households(n: u64, survey: bool) -> Vec<synth::Household> {
    synth::generate(
        standard(),
        synth::Params {
            households: n,
            seed: 11,
            survey,
        },
    )
    .collect()
}

fn write(dir: &Path, name: &str, hs: &[synth::Household]) -> PathBuf {
    let path = dir.join(name);
    flatfile::write_households(&path, standard(), hs.iter().cloned(), &|_| {}).unwrap();
    path
}

fn in_memory(hs: &[synth::Household], config: Config, by_commune: bool) -> Vec<GroupMeasures> {
    let mut acc = Accumulator::new(standard(), config);
    for h in hs {
        let row = Row {
            area: h.area,
            income_per_capita: h.income_per_capita,
            deprivations: h.deprivations,
            weight: h.weight,
            members: h.members,
            key: flatfile::hash_id(h.household_id.as_bytes()),
        };
        let design = h
            .stratum
            .as_ref()
            .zip(h.psu.as_ref())
            .map(|(s, p)| measure::Design {
                stratum: s.as_bytes(),
                psu: p.as_bytes(),
            });
        acc.add(
            by_commune.then_some(h.commune_code.as_bytes()),
            &row,
            design,
        );
    }
    acc.finish()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs())
}

fn assert_same(a: &[GroupMeasures], b: &[GroupMeasures]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.group, y.group);
        assert_eq!(
            (x.households, x.poor, x.near_poor),
            (y.households, y.poor, y.near_poor)
        );
        assert!(close(x.weight_sum, y.weight_sum));
        assert!(
            close(x.h, y.h) && close(x.m0, y.m0),
            "{} {} {}",
            x.group,
            x.h,
            y.h
        );
        assert!(
            x.censored
                .iter()
                .zip(&y.censored)
                .all(|(p, q)| close(*p, *q))
        );
        assert!(
            x.contribution
                .iter()
                .zip(&y.contribution)
                .all(|(p, q)| match (p, q) {
                    (Some(p), Some(q)) => close(*p, *q),
                    (None, None) => true,
                    _ => false,
                })
        );
        for (p, q) in [(x.se.h, y.se.h), (x.se.a, y.se.a), (x.se.m0, y.se.m0)] {
            assert!(
                p.zip(q).is_none_or(|(p, q)| (p - q).abs() < 1e-9),
                "{p:?} {q:?}"
            );
        }
    }
}

#[test]
fn csv_and_parquet_match_the_households_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough for several CSV chunks (4 MiB each) and Parquet row groups.
    let hs = households(120_000, false);
    let csv = write(dir.path(), "h.csv", &hs);
    let parquet = write(dir.path(), "h.parquet", &hs);
    assert!(std::fs::metadata(&csv).unwrap().len() > 8 << 20);
    let expected = in_memory(&hs, Config::for_standard(standard()), true);
    assert!(expected.len() > 40, "several communes");
    let options = ReadOptions {
        by: Some("commune_code".into()),
        ..ReadOptions::default()
    };
    for path in [&csv, &parquet] {
        let input = Input::open(path).unwrap();
        for threads in [1, 2, 3] {
            let got = measure_file(
                &input,
                standard(),
                Config::for_standard(standard()),
                &options,
                threads,
                &|_| {},
            )
            .unwrap();
            assert_same(&got, &expected);
        }
    }
    // Person unit and another k, through the file.
    let mut config = Config::for_standard(standard());
    config.unit = measure::Unit::Person;
    config.k = Ratio::new(1, 3);
    let expected = in_memory(&hs, config.clone(), false);
    let got = measure_file(
        &Input::open(&parquet).unwrap(),
        standard(),
        config,
        &ReadOptions::default(),
        2,
        &|_| {},
    )
    .unwrap();
    assert_same(&got, &expected);
}

#[test]
fn survey_design_columns_are_found_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let hs = households(6_000, true);
    let csv = write(dir.path(), "s.csv", &hs);
    let input = Input::open(&csv).unwrap();
    assert!(input.header().iter().any(|h| h == "psu"));
    let expected = in_memory(&hs, Config::for_standard(standard()), true);
    let options = ReadOptions {
        by: Some("commune_code".into()),
        ..ReadOptions::default()
    };
    let got = measure_file(
        &input,
        standard(),
        Config::for_standard(standard()),
        &options,
        2,
        &|_| {},
    )
    .unwrap();
    assert_same(&got, &expected);
    // The design SE differs from the SRS one.
    let srs = in_memory(
        &hs.iter()
            .cloned()
            .map(|mut h| {
                h.stratum = None;
                h.psu = None;
                h
            })
            .collect::<Vec<_>>(),
        Config::for_standard(standard()),
        true,
    );
    assert_ne!(got.last().unwrap().se.h, srs.last().unwrap().se.h);
}

fn error_of(path: &Path, options: &ReadOptions) -> FileError {
    let input = match Input::open(path) {
        Ok(i) => i,
        Err(e) => return e,
    };
    measure_file(
        &input,
        standard(),
        Config::for_standard(standard()),
        options,
        2,
        &|_| {},
    )
    .unwrap_err()
}

fn replace_line(path: &Path, line_number: usize, edit: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line_number {
                edit(l)
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn bad_cells_are_named_by_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let hs = households(80_000, false);
    let csv = write(dir.path(), "bad.csv", &hs);
    // A line far into the file, past the first 4 MiB chunk.
    let line = 70_000;
    replace_line(&csv, line, |l| {
        l.replacen(",rural,", ",nong-thon,", 1)
            .replacen(",urban,", ",nong-thon,", 1)
    });
    let e = error_of(&csv, &ReadOptions::default());
    match &e {
        FileError::Cell {
            file,
            row,
            column,
            problem,
        } => {
            assert_eq!(file, &csv);
            assert_eq!(*row, line as u64);
            assert_eq!(column, "area");
            assert!(problem.contains("nong-thon"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    let message = e.to_string();
    assert!(
        message.contains("bad.csv, dòng 70000, cột \"area\""),
        "{message}"
    );

    // The first bad row wins, even when a later chunk fails first.
    replace_line(&csv, 3, |l| {
        let mut cells: Vec<&str> = l.split(',').collect();
        cells[8] = "1.500.000";
        cells.join(",")
    });
    match error_of(&csv, &ReadOptions::default()) {
        FileError::Cell { row: 3, column, .. } => assert_eq!(column, "income_per_capita"),
        other => panic!("{other:?}"),
    }

    // A deprivation flag that is not 0/1, in a Parquet file's second row group.
    let mut broken = hs.clone();
    broken.truncate(1000);
    let small = write(dir.path(), "small.csv", &broken);
    replace_line(&small, 500, |l| {
        format!("{},2", l.rsplit_once(',').unwrap().0)
    });
    match error_of(&small, &ReadOptions::default()) {
        FileError::Cell {
            row: 500, column, ..
        } => assert_eq!(column, "d_information"),
        other => panic!("{other:?}"),
    }
    // A row with a missing cell.
    replace_line(&small, 10, |l| l.rsplit_once(',').unwrap().0.to_string());
    match error_of(&small, &ReadOptions::default()) {
        FileError::Row {
            row: 10, problem, ..
        } => assert!(problem.contains("cột")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_columns_and_unknown_formats_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    std::fs::write(
        &path,
        "household_id,commune_code,area,members,income_per_capita\nh1,c1,rural,3,100\n",
    )
    .unwrap();
    match error_of(&path, &ReadOptions::default()) {
        FileError::MissingColumn { column, needed, .. } => {
            assert_eq!(column, "d_employment");
            assert!(needed.contains("d_information"));
        }
        other => panic!("{other:?}"),
    }
    let hs = households(100, false);
    let csv = write(dir.path(), "ok.csv", &hs);
    let options = ReadOptions {
        by: Some("ward".into()),
        ..ReadOptions::default()
    };
    match error_of(&csv, &options) {
        FileError::MissingColumn { column, .. } => assert_eq!(column, "ward"),
        other => panic!("{other:?}"),
    }
    let e = error_of(&dir.path().join("x.xlsx"), &ReadOptions::default());
    assert!(matches!(e, FileError::UnknownFormat { .. }), "{e:?}");
    let e = error_of(&dir.path().join("absent.csv"), &ReadOptions::default());
    assert!(matches!(e, FileError::Io { .. }), "{e:?}");
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    let e = error_of(&dir.path().join("empty.csv"), &ReadOptions::default());
    assert!(matches!(e, FileError::Empty { .. }), "{e:?}");
    let garbage = dir.path().join("garbage.parquet");
    std::fs::write(&garbage, "not parquet").unwrap();
    assert!(matches!(
        error_of(&garbage, &ReadOptions::default()),
        FileError::Parquet { .. }
    ));
}

fn header() -> String {
    let mut h = vec![
        "household_id",
        "commune_code",
        "area",
        "weight",
        "members",
        "income_per_capita",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    h.extend(
        standard()
            .indicators
            .iter()
            .map(|i| format!("d_{}", i.code)),
    );
    h.join(",")
}

#[test]
fn quotes_blank_lines_crlf_and_bom_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.csv");
    let zeros = ",0".repeat(11);
    let text = format!(
        "\u{feff}{}\r\n\"h,1\",\"c1\",rural,1,2,1000000,1,1,1{zeros_9}\r\n\r\n\"h\"\"2\nx\",c2,urban,2.5,1,5000000{zeros},0\r\nh3,c1,rural,1,4,1200000,0{zeros}",
        header(),
        zeros_9 = ",0".repeat(9),
    );
    std::fs::write(&path, text).unwrap();
    let input = Input::open(&path).unwrap();
    let options = ReadOptions {
        by: Some("commune_code".into()),
        ..ReadOptions::default()
    };
    let r = measure_file(
        &input,
        standard(),
        Config::for_standard(standard()),
        &options,
        2,
        &|_| {},
    )
    .unwrap();
    let total = r.last().unwrap();
    assert_eq!(total.households, 3);
    assert_eq!(total.weight_sum, 4.5);
    assert_eq!(total.poor, 1);
    assert_eq!(r[0].group, "c1");
    assert_eq!(r[0].households, 2);

    // classify keeps quoted ids intact
    let out = dir.path().join("out.csv");
    let n = flatfile::classify_file(&input, &out, standard(), standard().default_k(), 2, &|_| {})
        .unwrap();
    assert_eq!(n, 3);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(&rows[0][0], "h,1");
    assert_eq!(&rows[0][2], "poor");
    assert_eq!(&rows[0][4], "employment;dependents;nutrition");
    assert_eq!(&rows[1][0], "h\"2\nx");
    assert_eq!(&rows[2][2], "near_poor");
    assert_eq!(&rows[2][7], "income_few_deprivations");
}

#[test]
fn classify_writes_what_the_standard_says_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hs = households(3_000, false);
    let s = standard();
    for name in ["h.csv", "h.parquet"] {
        let input = write(dir.path(), name, &hs);
        let out = dir.path().join(format!("out-{name}"));
        let n = flatfile::classify_file(
            &Input::open(&input).unwrap(),
            &out,
            s,
            s.default_k(),
            2,
            &|_| {},
        )
        .unwrap();
        assert_eq!(n, 3_000);
        // Read the output back through the classify columns.
        let (ids, statuses, scores) = read_classified(&out);
        for (i, h) in hs.iter().enumerate() {
            let c = s.classify(h.area, h.income_per_capita, h.deprivations);
            assert_eq!(ids.get(i), h.household_id.as_bytes());
            assert_eq!(statuses.get(i), c.status.code().as_bytes());
            assert_eq!(scores[i], c.score.as_f64());
        }
    }
    // A bad cell: no output file, and no temporary file left behind.
    let input = write(dir.path(), "bad.csv", &hs);
    replace_line(&input, 2_500, |l| l.replacen(",1,", ",x,", 1));
    let out = dir.path().join("never.csv");
    let e = flatfile::classify_file(
        &Input::open(&input).unwrap(),
        &out,
        s,
        s.default_k(),
        2,
        &|_| {},
    )
    .unwrap_err();
    assert!(matches!(e, FileError::Cell { row: 2_500, .. }), "{e:?}");
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".giamngheo"))
        .collect();
    assert!(leftovers.is_empty());
}

fn read_classified(path: &Path) -> (Texts, Texts, Vec<f64>) {
    let (mut ids, mut statuses, mut scores) = (Texts::default(), Texts::default(), Vec::new());
    if path.extension().unwrap() == "csv" {
        let mut r = csv::Reader::from_path(path).unwrap();
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "household_id",
                "commune_code",
                "status",
                "deprivation_count",
                "deprived",
                "score",
                "mpi_poor",
                "reason"
            ]
        );
        for rec in r.records() {
            let rec = rec.unwrap();
            ids.push(rec[0].as_bytes());
            statuses.push(rec[2].as_bytes());
            scores.push(rec[5].parse().unwrap());
        }
    } else {
        use arrow_array::cast::AsArray;
        let file = std::fs::File::open(path).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        for b in reader {
            let b = b.unwrap();
            for v in b
                .column_by_name("household_id")
                .unwrap()
                .as_string::<i32>()
                .iter()
            {
                ids.push(v.unwrap().as_bytes());
            }
            for v in b
                .column_by_name("status")
                .unwrap()
                .as_string::<i32>()
                .iter()
            {
                statuses.push(v.unwrap().as_bytes());
            }
            let s = b
                .column_by_name("score")
                .unwrap()
                .as_primitive::<arrow_array::types::Float64Type>();
            scores.extend(s.values().iter());
        }
    }
    (ids, statuses, scores)
}

/// An optional `livelihood` column: in the average-living band a non-farm
/// household is not poor (Decree 07/2021); empty is not recorded (counted as
/// farm); anything else is refused, naming the cell.
#[test]
fn a_livelihood_column_decides_the_average_band() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.csv");
    let zeros = ",0".repeat(12);
    let text = format!(
        "{},livelihood\nf,c1,rural,1,2,1800000{zeros},farm\nn,c1,rural,1,2,1800000{zeros},non_farm\nu,c1,rural,1,2,1800000{zeros},\np,c1,rural,1,2,1000000,1,1,1{z9},non_farm\n",
        header(),
        z9 = ",0".repeat(9),
    );
    std::fs::write(&path, &text).unwrap();
    let out = dir.path().join("out.csv");
    let s = standard();
    flatfile::classify_file(
        &Input::open(&path).unwrap(),
        &out,
        s,
        s.default_k(),
        1,
        &|_| {},
    )
    .unwrap();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].to_string(), r[7].to_string())
        })
        .collect();
    let expected = [
        ("f", "average", "income_average_band"),
        ("n", "not_poor", "average_band_not_farm"),
        ("u", "average", "income_average_band"),
        ("p", "poor", "income_and_deprivations"),
    ];
    for ((id, status, reason), (eid, estatus, ereason)) in rows.iter().zip(expected) {
        assert_eq!(
            (id.as_str(), status.as_str(), reason.as_str()),
            (eid, estatus, ereason)
        );
    }
    std::fs::write(&path, text.replace("non_farm\nu", "fisher\nu")).unwrap();
    let e = flatfile::classify_file(
        &Input::open(&path).unwrap(),
        &out,
        s,
        s.default_k(),
        1,
        &|_| {},
    )
    .unwrap_err();
    assert!(
        matches!(&e, FileError::Cell { row: 3, column, .. } if column == "livelihood"),
        "{e:?}"
    );
}

/// A stratum with a single PSU gives no variance within it: the file is
/// refused, naming the stratum.
#[test]
fn a_stratum_with_one_psu_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut hs = households(2_000, true);
    if let Some(last) = hs.last_mut() {
        last.stratum = Some("Xuan-Hoi-le".into());
        last.psu = Some("P-le".into());
    }
    let csv = write(dir.path(), "s.csv", &hs);
    let err = measure_file(
        &Input::open(&csv).unwrap(),
        standard(),
        Config::for_standard(standard()),
        &ReadOptions::default(),
        2,
        &|_| {},
    )
    .unwrap_err();
    assert!(matches!(err, FileError::SinglePsu { .. }), "{err}");
    assert!(err.to_string().contains("Xuan-Hoi-le"), "{err}");
}
