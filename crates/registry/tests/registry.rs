//! The registry's suite, run on SQLite always and on PostgreSQL when
//! GIAMNGHEO_TEST_POSTGRES names a server (`.ci/run` sets it): every test
//! body runs once per engine, each on a fresh database.

use registry::{Actor, Db, Movement, NewHousehold, NewMember, Registry, RegistryError, Role};
use registry::{MemberId, RoundId, RoundPlan};
use standard::{Catalogue, Standard};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A review year of a test (always in range).
/// A periodic round, with a reason in case the test runs outside 1/9–14/12.
fn periodic() -> RoundPlan {
    RoundPlan::Periodic {
        reason: Some("Mở lại để kiểm tra".into()),
    }
}

fn y(year: i64) -> registry::ReviewYear {
    registry::ReviewYear::new(year).expect("a review year")
}

struct Engine {
    name: &'static str,
    registry: Registry,
    _dir: tempfile::TempDir,
    drop_pg: Option<(String, String)>,
}

impl Engine {
    async fn cleanup(self) {
        if let Some((admin, name)) = self.drop_pg {
            self.registry.db().pool().close().await;
            let admin = Db::connect(&admin).await.unwrap();
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(admin.pool())
                .await
                .unwrap();
        }
    }
}

/// A fresh, migrated registry on each available engine.
async fn engines() -> Vec<Engine> {
    engines_until(i64::MAX).await
}

/// A fresh registry on each available engine, migrated up to `last`.
async fn engines_until(last: i64) -> Vec<Engine> {
    let every = last == i64::MAX;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let db = Db::connect(&url).await.unwrap();
    let applied = db.migrate_until(last).await.unwrap();
    if every {
        assert_eq!(applied, registry::MIGRATIONS);
        assert_eq!(db.migrate().await.unwrap(), 0, "migrations apply once");
    }
    let mut out = vec![Engine {
        name: "sqlite",
        registry: Registry::new(db),
        _dir: dir,
        drop_pg: None,
    }];
    if let Ok(admin_url) = std::env::var("GIAMNGHEO_TEST_POSTGRES") {
        let admin = Db::connect(&admin_url)
            .await
            .expect("GIAMNGHEO_TEST_POSTGRES must be reachable");
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "giamngheo_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        // A database of this name is a stale one of an earlier process
        // with the same id, which stopped before dropping it. (One
        // statement at a time: neither runs inside a transaction.)
        for statement in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(admin.pool())
                .await
                .unwrap();
        }
        admin.pool().close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let db = Db::connect(&format!("{base}/{name}")).await.unwrap();
        let applied = db.migrate_until(last).await.unwrap();
        if every {
            assert_eq!(applied, registry::MIGRATIONS);
        }
        out.push(Engine {
            name: "postgres",
            registry: Registry::new(db),
            _dir: tempfile::tempdir().unwrap(),
            drop_pg: Some((admin_url.clone(), name)),
        });
    }
    out
}

fn standard() -> &'static Standard {
    static C: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalogue::builtin().unwrap())
        .get("vn-2022-2025")
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

const UNITS: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
436,Huyện Nghi Xuân,district,42,,,,
18652,Xã Xuân Hội,commune,436,,,,
18655,Thị trấn Xuân An,commune,436,,,,
18658,Xã Xuân Phổ,commune,436,,,18652,30/06/2025
1865201,Thôn 1,village,18652,,,,
1865202,Thôn 2,village,18652,,,,
1865501,Tổ dân phố 1,village,18655,,,,
1865801,Thôn Phổ Đông,village,18658,,,,
";

/// Two working adults; with `deprived`, no clean water, no latrine, no internet
/// (three deprivations under 2022–2025).
/// A new household of `commune`, its head named after its code.
async fn household_of(r: &Registry, code: &str, commune: &str) -> registry::HouseholdId {
    r.create_household(
        &admin(),
        &NewHousehold {
            code: code.into(),
            commune_code: commune.into(),
            head_name: format!("Chủ hộ {code}"),
            ..NewHousehold::default()
        },
    )
    .await
    .unwrap()
}

fn two_adults(income: i64, deprived: bool) -> standard::SurveyAnswers {
    use standard::{Diploma, Latrine, MemberAnswers, SurveyAnswers, WaterSource, Work};
    SurveyAnswers {
        members: vec![
            MemberAnswers {
                age: 40,
                health_insurance: true,
                diploma: Diploma::UpperSecondary,
                work: Work::OwnAccount,
                ..MemberAnswers::default()
            };
            2
        ],
        income_per_capita: income,
        durable_walls: true,
        durable_columns: true,
        durable_roof: true,
        living_area_m2: 40.0,
        water: if deprived {
            WaterSource::SurfaceWater
        } else {
            WaterSource::Tap
        },
        latrine: if deprived {
            Latrine::OpenPit
        } else {
            Latrine::Septic
        },
        internet: !deprived,
        tv: true,
        ..SurveyAnswers::default()
    }
}

async fn count(r: &Registry, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(r.db().pool())
        .await
        .unwrap()
}

fn admin() -> Actor {
    Actor::command_line()
}

async fn officer(r: &Registry, commune: &str) -> Actor {
    let unit = r.unit_by_code(commune).await.unwrap().unwrap();
    Actor {
        name: format!("cb-{commune}"),
        role: Role::Officer,
        unit_id: Some(unit.id),
        agency: None,
    }
}

#[tokio::test]
async fn units_import_with_tiers_areas_and_merges() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "units.csv", UNITS);
        let s = r.import_units(&admin(), &file, false).await.unwrap();
        assert_eq!((s.created, s.updated), (9, 0), "{}", e.name);
        let again = r.import_units(&admin(), &file, false).await.unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 9));
        let hoi = r.unit_by_code("18652").await.unwrap().unwrap();
        let an = r.unit_by_code("18655").await.unwrap().unwrap();
        let pho = r.unit_by_code("18658").await.unwrap().unwrap();
        assert_eq!(hoi.area.as_deref(), Some("rural"));
        assert_eq!(an.area.as_deref(), Some("urban"), "a thị trấn is urban");
        assert_eq!(pho.merged_into_id, Some(hoi.id));
        assert_eq!(pho.valid_to.as_deref(), Some("2025-06-30"));
        // The merged commune and its village roll up to Xuân Hội.
        let family = r.unit_family(hoi.id).await.unwrap();
        let pho_village = r.unit_by_code("1865801").await.unwrap().unwrap();
        assert!(family.contains(&pho.id) && family.contains(&pho_village.id));
        assert!(!family.contains(&an.id));
        // Audit: every unit created once, the merge recorded.
        let trail = r
            .audit_trail(registry::Entity::Unit, "18658")
            .await
            .unwrap();
        assert_eq!(
            trail.iter().map(|a| a.action.code()).collect::<Vec<_>>(),
            ["create", "merge"]
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn bad_unit_lists_write_nothing_and_name_row_and_column() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        let bad = UNITS
            .replace(
                "1865202,Thôn 2,village,18652",
                "1865202,Thôn 2,hamlet,18652",
            )
            .replace(
                "1865501,Tổ dân phố 1,village,18655",
                "1865501,Tổ dân phố 1,village,99999",
            )
            .replace(",,18652,30/06/2025", ",,18652,31/06/2025");
        let file = write(dir.path(), "bad.csv", &bad);
        let err = r.import_units(&admin(), &file, false).await.unwrap_err();
        let RegistryError::Invalid(problems) = &err else {
            panic!("{err}")
        };
        let text = err.to_string();
        assert!(text.contains("bad.csv, dòng 8, cột \"level\""), "{text}");
        assert!(text.contains("bad.csv, dòng 6, cột \"valid_to\""), "{text}");
        assert!(problems.len() >= 2);
        assert_eq!(count(r, "units").await, 0, "{}: nothing written", e.name);
        let file = write(
            dir.path(),
            "bad2.csv",
            &UNITS.replace(
                "1865501,Tổ dân phố 1,village,18655",
                "1865501,Tổ dân phố 1,village,99999",
            ),
        );
        let err = r
            .import_units(&admin(), &file, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dòng 9, cột \"parent_code\": không có đơn vị \"99999\""),
            "{err}"
        );
        assert_eq!(count(r, "units").await, 0);
        // A commune officer may not load units.
        let file = write(dir.path(), "ok.csv", UNITS);
        r.import_units(&admin(), &file, true).await.unwrap();
        assert_eq!(count(r, "units").await, 0, "dry run writes nothing");
        e.cleanup().await;
    }
}

/// Synthetic households and a unit list that holds their communes and villages.
fn flat_data(dir: &Path, seed: u64, households: u64) -> (PathBuf, PathBuf, Vec<synth::Household>) {
    let hs: Vec<synth::Household> = synth::generate(
        standard(),
        synth::Params {
            households,
            seed: 5,
            survey: false,
        },
    )
    .collect();
    // Same households, other incomes each year: vary the seed of incomes only.
    let yearly: Vec<synth::Household> = synth::generate(
        standard(),
        synth::Params {
            households,
            seed,
            survey: false,
        },
    )
    .collect();
    let hs: Vec<synth::Household> = hs
        .into_iter()
        .zip(yearly)
        .map(|(mut h, y)| {
            h.income_per_capita = y.income_per_capita;
            h.deprivations = y.deprivations;
            h
        })
        .collect();
    let mut units = String::from("code,name,level,parent_code,area\n");
    let mut seen = BTreeSet::new();
    let mut villages = std::collections::HashMap::<String, usize>::new();
    for h in &hs {
        if seen.insert(h.province_code.clone()) {
            units.push_str(&format!(
                "{},Tỉnh {},province,,\n",
                h.province_code, h.province_code
            ));
        }
        if seen.insert(h.commune_code.clone()) {
            units.push_str(&format!(
                "{},Xã {},commune,{},{}\n",
                h.commune_code,
                h.commune_code,
                h.province_code,
                h.area.code()
            ));
        }
        if seen.insert(format!("{}/{}", h.commune_code, h.village)) {
            let n = villages.entry(h.commune_code.clone()).or_default();
            *n += 1;
            units.push_str(&format!(
                "{}-{:03},{},village,{},\n",
                h.commune_code, n, h.village, h.commune_code
            ));
        }
    }
    let units_path = write(dir, "units.csv", &units);
    let data = dir.join(format!("households-{seed}.csv"));
    flatfile::write_households(&data, standard(), hs.iter().cloned(), &|_| {}).unwrap();
    (units_path, data, hs)
}

#[tokio::test]
async fn flat_import_creates_households_surveys_and_official_assessments() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        let (units, data, hs) = flat_data(dir.path(), 5, 300);
        r.import_units(&admin(), &units, false).await.unwrap();
        // Dry run: validated, nothing written.
        r.import_flat(&admin(), &data, standard(), y(2024), true)
            .await
            .unwrap();
        assert_eq!(count(r, "households").await, 0);
        let s = r
            .import_flat(&admin(), &data, standard(), y(2024), false)
            .await
            .unwrap();
        assert_eq!(s.created, 300, "{}", e.name);
        assert_eq!(count(r, "assessments").await, 300);
        let poor: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM assessments WHERE official = 1 AND year = $1 AND status = $2",
        )
        .bind(2024i64)
        .bind("poor")
        .fetch_one(r.db().pool())
        .await
        .unwrap();
        let expected = hs
            .iter()
            .filter(|h| {
                standard()
                    .classify(h.area, h.income_per_capita, h.deprivations)
                    .status
                    == standard::Status::Poor
            })
            .count();
        assert_eq!(poor as usize, expected);
        assert!(expected > 0);
        // Re-importing the year replaces the official assessments.
        let again = r
            .import_flat(&admin(), &data, standard(), y(2024), false)
            .await
            .unwrap();
        assert_eq!((again.created, again.unchanged), (0, 300));
        assert_eq!(count(r, "assessments").await, 300);
        assert_eq!(count(r, "surveys").await, 600);
        let trail = r
            .audit_trail(registry::Entity::Household, &hs[0].household_id)
            .await
            .unwrap();
        assert_eq!(
            trail.iter().map(|a| a.action.code()).collect::<Vec<_>>(),
            ["create", "assess", "assess"]
        );
        // A household that moved to another commune: its assessments count
        // there from now on.
        if let Some(other) = hs.iter().find(|h| h.commune_code != hs[0].commune_code) {
            let text = std::fs::read_to_string(&data).unwrap();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let header: Vec<&str> = lines[0].split(',').collect();
            let (c, v) = (
                header.iter().position(|h| *h == "commune_code").unwrap(),
                header.iter().position(|h| *h == "village").unwrap(),
            );
            let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
            cells[c] = other.commune_code.clone();
            cells[v] = other.village.clone();
            lines[1] = cells.join(",");
            let moved = write(dir.path(), "moved.csv", &(lines.join("\n") + "\n"));
            let s = r
                .import_flat(&admin(), &moved, standard(), y(2024), false)
                .await
                .unwrap();
            assert_eq!(s.updated, 1);
            assert_eq!(r.count_drift().await.unwrap(), Vec::new(), "{}", e.name);
        }

        // Unknown communes are an error listing them; nothing is written.
        let text = std::fs::read_to_string(&data)
            .unwrap()
            .replace(&hs[5].commune_code, "77777");
        let bad = write(dir.path(), "bad.csv", &text);
        let err = r
            .import_flat(&admin(), &bad, standard(), y(2025), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("không có xã \"77777\""), "{err}");
        // Row numbers are the file's lines, the header being line 1 (they
        // were off by two before).
        let line = text.lines().position(|l| l.contains("77777")).unwrap() + 1;
        assert!(
            err.contains(&format!("bad.csv, dòng {line}, cột \"commune_code\"")),
            "{err}"
        );
        let mut lines: Vec<String> = std::fs::read_to_string(&data)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        lines.push(lines[3].clone());
        let twice = write(dir.path(), "twice.csv", &(lines.join("\n") + "\n"));
        let err = r
            .import_flat(&admin(), &twice, standard(), y(2025), false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "twice.csv, dòng {}, cột \"household_id\"",
                lines.len()
            )) && err.contains("đã có ở dòng 4"),
            "{err}"
        );
        // Bytes that are not UTF-8 in a code: refused, not stored as "��".
        let mut bytes = std::fs::read(&data).unwrap();
        let at = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        bytes.insert(at, 0xE9);
        std::fs::write(dir.path().join("latin.csv"), &bytes).unwrap();
        let err = r
            .import_flat(
                &admin(),
                &dir.path().join("latin.csv"),
                standard(),
                y(2025),
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dòng 2, cột \"household_id\": không phải văn bản UTF-8"),
            "{err}"
        );
        assert_eq!(count(r, "assessments").await, 300);
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts agree with the assessments",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn movements_satisfy_the_identity_over_years() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        let mut provinces = BTreeSet::new();
        for (i, year) in [2022i64, 2023, 2024, 2025].into_iter().enumerate() {
            let (units, data, hs) = flat_data(dir.path(), 100 + i as u64, 1500);
            if i == 0 {
                r.import_units(&admin(), &units, false).await.unwrap();
                provinces = hs.iter().map(|h| h.province_code.clone()).collect();
            }
            r.import_flat(&admin(), &data, standard(), y(year), false)
                .await
                .unwrap();
        }
        let mut re_poor = 0;
        for year in [2023, 2024, 2025] {
            let mut moved = 0;
            for province in &provinces {
                let m = r.movements(&admin(), province, y(year)).await.unwrap();
                let c = |x| m.count(x);
                assert_eq!(
                    m.end_poor + m.escaped() + c(Movement::LeftPoorList),
                    m.start_poor + c(Movement::RePoor) + c(Movement::NewlyPoor),
                    "{} {province} {year}: {m:?}",
                    e.name
                );
                assert_eq!(
                    m.end_near_poor
                        + c(Movement::EscapedNearPoor)
                        + c(Movement::NearPoorToPoor)
                        + c(Movement::LeftNearPoorList),
                    m.start_near_poor + c(Movement::ReNearPoor) + c(Movement::NewlyNearPoor),
                );
                moved += m.escaped() + c(Movement::NewlyPoor);
                if year >= 2024 {
                    re_poor += c(Movement::RePoor);
                }
            }
            assert!(moved > 0, "{year}: the data moves");
        }
        assert!(re_poor > 0, "some households fall back into poverty");
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts agree with the assessments",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn search_finds_names_without_diacritics_in_official_order_within_scope() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let heads = [
            ("H1", "18652", "Nguyễn Văn An"),
            ("H2", "18652", "Nguyễn Thị Bình"),
            ("H3", "18652", "Đặng Đức"),
            ("H4", "18655", "Nguyễn Văn Ánh"),
            ("H5", "18658", "Lê Thị Ân"),
        ];
        for (code, commune, head) in heads {
            let h = NewHousehold {
                code: code.into(),
                commune_code: commune.into(),
                head_name: head.into(),
                ..NewHousehold::default()
            };
            r.create_household(&admin(), &h).await.unwrap();
        }
        let h1 = r
            .search_households(&admin(), "Nguyễn Văn An", 10)
            .await
            .unwrap()[0]
            .id;
        r.add_member(
            &admin(),
            h1,
            &NewMember {
                full_name: "Trần Thị Cúc".into(),
                sex: Some("female".into()),
                birth_date: Some("15/08/1992".into()),
                id_number: Some("042192001234".into()),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
        let names = |v: Vec<registry::HouseholdSummary>| {
            v.into_iter().map(|h| h.head_name).collect::<Vec<_>>()
        };
        let a = admin();
        assert_eq!(
            names(r.search_households(&a, "nguyen van a", 10).await.unwrap()),
            ["Nguyễn Văn An", "Nguyễn Văn Ánh"]
        );
        assert_eq!(
            names(r.search_households(&a, "duc", 10).await.unwrap()),
            ["Đặng Đức"]
        );
        assert_eq!(
            names(r.search_households(&a, "binh", 10).await.unwrap()),
            ["Nguyễn Thị Bình"]
        );
        assert_eq!(
            names(r.search_households(&a, "cuc", 10).await.unwrap()),
            ["Nguyễn Văn An"],
            "by a member"
        );
        // Official order: by given name (An < Ánh < Ân < Bình), then full name.
        assert_eq!(
            names(r.search_households(&a, "", 10).await.unwrap()),
            [
                "Nguyễn Văn An",
                "Nguyễn Văn Ánh",
                "Lê Thị Ân",
                "Nguyễn Thị Bình",
                "Đặng Đức"
            ]
        );
        // A commune officer of Xuân Hội sees Xuân Hội and the commune merged into it.
        let hoi = officer(r, "18652").await;
        assert_eq!(
            names(r.search_households(&hoi, "", 10).await.unwrap()),
            ["Nguyễn Văn An", "Lê Thị Ân", "Nguyễn Thị Bình", "Đặng Đức"]
        );
        let an = officer(r, "18655").await;
        assert_eq!(
            names(r.search_households(&an, "nguyen", 10).await.unwrap()),
            ["Nguyễn Văn Ánh"]
        );
        // ... and may not write outside it.
        let other = NewHousehold {
            code: "H9".into(),
            commune_code: "18652".into(),
            ..NewHousehold::default()
        };
        assert!(matches!(
            r.create_household(&an, &other).await,
            Err(RegistryError::Forbidden(_))
        ));
        let leader = Actor {
            role: Role::Leader,
            ..hoi.clone()
        };
        assert!(matches!(
            r.create_household(&leader, &other).await,
            Err(RegistryError::Forbidden(_))
        ));
        assert!(matches!(
            r.households_of(&an, "18652").await,
            Err(RegistryError::NotFound(_))
        ));
        assert_eq!(r.households_of(&hoi, "18652").await.unwrap().len(), 4);
        // A bad CCCD is refused with the reason.
        let err = r
            .add_member(
                &admin(),
                h1,
                &NewMember {
                    full_name: "X".into(),
                    id_number: Some("04219200123".into()),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("11 chữ số"), "{err}");
        e.cleanup().await;
    }
}

#[tokio::test]
async fn users_are_created_and_authenticated() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        r.add_user(
            &admin(),
            "canbo.xuanhoi",
            "mật khẩu dài",
            Role::Officer,
            Some("18652"),
        )
        .await
        .unwrap();
        let actor = r
            .authenticate("canbo.xuanhoi", "mật khẩu dài")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(actor.role, Role::Officer);
        assert!(
            r.authenticate("canbo.xuanhoi", "sai")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            r.authenticate("nobody", "mật khẩu dài")
                .await
                .unwrap()
                .is_none()
        );
        let err = r
            .add_user(&admin(), "x", "short", Role::Officer, Some("1865201"))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("8 ký tự") && err.contains("không thuộc thôn"),
            "{err}"
        );
        assert!(matches!(
            r.add_user(&actor, "y", "mật khẩu dài", Role::Admin, None)
                .await,
            Err(RegistryError::Forbidden(_))
        ));
        let stored: String =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE username = $1")
                .bind("canbo.xuanhoi")
                .fetch_one(r.db().pool())
                .await
                .unwrap();
        assert!(stored.starts_with("$argon2id$"));
        e.cleanup().await;
    }
}

#[tokio::test]
async fn surveys_assess_officially_and_what_if_leaves_the_official_alone() {
    use standard::{Diploma, Latrine, MemberAnswers, SurveyAnswers, WaterSource, Work};
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let h = NewHousehold {
            code: "S1".into(),
            commune_code: "18652".into(),
            head_name: "Hồ Văn Sơn".into(),
            ..NewHousehold::default()
        };
        let id = r.create_household(&admin(), &h).await.unwrap();
        let adult = |age| MemberAnswers {
            age,
            health_insurance: true,
            diploma: Diploma::UpperSecondary,
            work: Work::WageWithContract,
            ..MemberAnswers::default()
        };
        // Low income, three deprivations under 2022–2025 (water, latrine,
        // internet), but the 2016 telecom rule accepts a phone subscription.
        let answers = SurveyAnswers {
            members: vec![adult(40), adult(38)],
            income_per_capita: 1_200_000,
            durable_walls: true,
            durable_columns: true,
            durable_roof: true,
            living_area_m2: 30.0,
            water: WaterSource::SurfaceWater,
            latrine: Latrine::OpenPit,
            internet: false,
            phone_subscription: true,
            tv: true,
            waste_treated: true,
            ..SurveyAnswers::default()
        };
        let c = Catalogue::builtin().unwrap();
        let official = r
            .record_survey(
                &admin(),
                id,
                y(2024),
                &answers,
                c.get("vn-2022-2025").unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(official.status.code(), "poor", "{}", e.name);
        assert_eq!(official.deprived, ["water", "latrine", "telecom"]);
        let what_if = r
            .what_if(&admin(), id, 2024, c.get("vn-2027-2030").unwrap())
            .await
            .unwrap();
        assert_eq!(what_if.status.code(), "poor");
        let old = r
            .what_if(&admin(), id, 2024, c.get("vn-2016-2020").unwrap())
            .await
            .unwrap();
        assert_eq!(old.deprived, ["water", "latrine"]);
        assert_eq!(
            old.status.code(),
            "average",
            "1,200,000 is above 2016's rural near-poverty line of 1,000,000"
        );
        let all = r.assessments(id, 2024).await.unwrap();
        assert_eq!(all.len(), 3);
        assert!(
            all[0].official
                && all[0].standard_id == "vn-2022-2025"
                && all[0].status.code() == "poor"
        );
        assert!(all[1..].iter().all(|a| !a.official));
        // A commune officer elsewhere cannot survey this household: to
        // them it does not exist. A reader may not write it at all.
        let other = officer(r, "18655").await;
        assert!(matches!(
            r.record_survey(
                &other,
                id,
                y(2025),
                &answers,
                c.get("vn-2022-2025").unwrap()
            )
            .await,
            Err(RegistryError::NotFound(_))
        ));
        let reader = Actor {
            role: Role::Leader,
            ..officer(r, "18652").await
        };
        assert!(matches!(
            r.record_survey(
                &reader,
                id,
                y(2025),
                &answers,
                c.get("vn-2022-2025").unwrap()
            )
            .await,
            Err(RegistryError::Forbidden(_))
        ));

        // Groups come from the members.
        r.add_member(
            &admin(),
            id,
            &NewMember {
                full_name: "Hồ Văn Sơn".into(),
                birth_date: Some("01/01/1950".into()),
                merit: true,
                ethnicity: "Kinh".into(),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
        let g = r.groups(id, 2024).await.unwrap();
        assert!(g.merit && !g.social_protection && !g.ethnic_minority && g.no_working_capacity);
        r.add_member(
            &admin(),
            id,
            &NewMember {
                full_name: "Hồ Thị Mai".into(),
                birth_date: Some("01/01/1990".into()),
                ethnicity: "Thái".into(),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
        let g = r.groups(id, 2024).await.unwrap();
        assert!(g.ethnic_minority && !g.no_working_capacity);
        // A member who moves away is removed with a date and reason, not deleted.
        let mai: MemberId = sqlx::query_scalar("SELECT id FROM members WHERE full_name = $1")
            .bind("Hồ Thị Mai")
            .fetch_one(r.db().pool())
            .await
            .unwrap();
        r.remove_member(&admin(), mai, "01/06/2025", "Đi làm ăn xa")
            .await
            .unwrap();
        let g = r.groups(id, 2024).await.unwrap();
        assert!(!g.ethnic_minority && g.no_working_capacity);
        assert_eq!(count(r, "members").await, 2);

        // Removal is a dated status with a reason; the household stays.
        r.remove_household(&admin(), id, "15/03/2025", "Chuyển đi nơi khác")
            .await
            .unwrap();
        assert!(
            r.search_households(&admin(), "son", 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(count(r, "households").await, 1);
        let trail = r
            .audit_trail(registry::Entity::Household, "S1")
            .await
            .unwrap();
        let actions: Vec<_> = trail.iter().map(|a| a.action.code()).collect();
        assert_eq!(
            actions,
            ["create", "survey", "assess", "what_if", "what_if", "remove"]
        );
        e.cleanup().await;
    }
}

/// A district workbook: title rows, a two-row merged header with a numbering
/// row, a signature block; and a member sheet.
fn district_workbook(path: &Path, households: &[[&str; 4]], members: &[[&str; 5]]) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let merged = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("DS hộ").unwrap();
    sheet
        .write_string(0, 0, "ỦY BAN NHÂN DÂN XÃ XUÂN HỘI")
        .unwrap();
    sheet
        .write_string(1, 0, "DANH SÁCH HỘ GIA ĐÌNH NĂM 2024")
        .unwrap();
    sheet.write_string(3, 0, "STT").unwrap();
    sheet.write_string(3, 1, "Mã hộ").unwrap();
    sheet.merge_range(3, 2, 3, 3, "Chủ hộ", &merged).unwrap();
    sheet.write_string(4, 2, "Họ và tên").unwrap();
    sheet.write_string(4, 3, "Địa chỉ").unwrap();
    sheet.write_string(3, 4, "Thôn/Xóm").unwrap();
    for c in 0..5u16 {
        sheet.write_string(5, c, format!("({})", c + 1)).unwrap();
    }
    for (i, h) in households.iter().enumerate() {
        let r = 6 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64).unwrap();
        sheet.write_string(r, 1, h[0]).unwrap();
        sheet.write_string(r, 2, h[1]).unwrap();
        sheet.write_string(r, 3, h[2]).unwrap();
        sheet.write_string(r, 4, h[3]).unwrap();
    }
    let end = 6 + households.len() as u32 + 1;
    sheet.write_string(end, 1, "Người lập biểu").unwrap();
    sheet.write_string(end, 4, "TM. ỦY BAN NHÂN DÂN").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("Thành viên").unwrap();
    for (c, h) in ["Mã hộ", "Họ và tên", "Giới tính", "Ngày sinh", "Số CCCD"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (i, m) in members.iter().enumerate() {
        let r = 1 + i as u32;
        for (c, v) in m.iter().enumerate() {
            // A real date cell where the text is a date: sheets hold both.
            match (c, vntext::parse_date(v)) {
                (3, Some(d)) if i % 2 == 0 => {
                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .unwrap();
                    sheet
                        .write_datetime_with_format(r, c as u16, &dt, &date)
                        .unwrap();
                }
                _ => {
                    sheet.write_string(r, c as u16, *v).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

use chrono::Datelike;

/// Imports `book` into commune 18652 as the administrator.
async fn import_18652(
    r: &registry::Registry,
    book: &std::path::PathBuf,
    dry_run: bool,
) -> registry::ImportSummary {
    r.import_sheets(
        &admin(),
        std::slice::from_ref(book),
        Some("18652"),
        None,
        dry_run,
    )
    .await
    .unwrap()
}

/// A dry run of `book` into commune 18652: it writes no household, member
/// or audit row.
async fn dry_run_18652(
    r: &registry::Registry,
    book: &std::path::PathBuf,
) -> registry::ImportSummary {
    let tables = ["households", "members", "audit_log"];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(r, table).await);
    }
    let dry = import_18652(r, book, true).await;
    for (table, n) in tables.into_iter().zip(before) {
        assert_eq!(count(r, table).await, n, "{table}");
    }
    dry
}

#[tokio::test]
async fn district_sheets_import_whatever_sits_around_the_table() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let book = dir.path().join("xuanhoi.xlsx");
        let people = [
            [
                "XH-01",
                "Nguyễn Văn An",
                "Nam",
                "12/05/1980",
                "042080001234",
            ],
            ["XH-01", "Lê Thị Cúc", "Nữ", "03/09/1982", ""],
            ["XH-02", "Trần Thị Bình", "Nữ", "20/01/1975", "042175009876"],
        ];
        district_workbook(
            &book,
            &[
                ["XH-01", "Nguyễn Văn An", "Xóm Đông", "Thôn 1"],
                ["XH-02", "Trần Thị Bình", "", "thon 2"],
            ],
            &people,
        );
        // A dry run says what the import would do and writes nothing.
        let dry = dry_run_18652(r, &book).await;
        assert_eq!((dry.created, dry.updated, dry.unchanged), (2, 0, 0));
        assert_eq!(count(r, "households").await, 0);
        assert_eq!(count(r, "members").await, 0);
        let s = import_18652(r, &book, false).await;
        assert_eq!(s.created, 2, "{}", e.name);
        assert_eq!(dry.notes, s.notes);
        assert_eq!(count(r, "members").await, 3);
        let found = r.search_households(&admin(), "cuc", 10).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].head_name, "Nguyễn Văn An");
        assert_eq!(found[0].address, "Xóm Đông");
        // Re-importing the same sheets changes nothing and duplicates no one.
        let again = import_18652(r, &book, false).await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));
        assert_eq!(count(r, "members").await, 3);
        // One address changed (and one head's name only in another Unicode
        // form, which is no change): the dry run counts one update, as the
        // import does.
        let changed = dir.path().join("xuanhoi-changed.xlsx");
        district_workbook(
            &changed,
            &[
                ["XH-01", "Nguye\u{302}\u{303}n Văn An", "Xóm Tây", "Thôn 1"],
                ["XH-02", "Trần Thị Bình", "", "thon 2"],
            ],
            &people,
        );
        let dry = dry_run_18652(r, &changed).await;
        assert_eq!((dry.created, dry.updated, dry.unchanged), (0, 1, 1));
        let found = r.search_households(&admin(), "cuc", 10).await.unwrap();
        assert_eq!(found[0].address, "Xóm Đông");
        let done = import_18652(r, &changed, false).await;
        assert_eq!((done.created, done.updated, done.unchanged), (0, 1, 1));
        let found = r.search_households(&admin(), "cuc", 10).await.unwrap();
        assert_eq!(found[0].address, "Xóm Tây");
        // Back as it was, for what follows.
        import_18652(r, &book, false).await;
        // Each household and member created has its audit row, and the
        // kept spans count the households.
        assert_eq!(
            count(
                r,
                "audit_log WHERE action = 'create' AND entity IN ('household', 'member')"
            )
            .await,
            5
        );
        assert_eq!(r.count_drift().await.unwrap(), Vec::new());

        // The exported list reads back with the same headers.
        let out = dir.path().join("export.xlsx");
        let (bytes, n) = r
            .export_list(&admin(), "18652", y(2024), true)
            .await
            .unwrap();
        assert_eq!(n, 2);
        registry::write_file(&out, &bytes).unwrap();
        let grids = registry::sheets::read_grids(&out).unwrap();
        let t =
            registry::sheets::find_table(&grids[0], registry::sheets::HOUSEHOLD_FIELDS).unwrap();
        assert_eq!(t.rows.len(), 2);
        let m = registry::sheets::find_table(&grids[1], registry::sheets::MEMBER_FIELDS).unwrap();
        assert_eq!(m.rows.len(), 3);
        assert_eq!(m.cell(&m.rows[0].1, "birth_date"), "12/05/1980");
        let trail = r
            .audit_trail(registry::Entity::Unit, "18652")
            .await
            .unwrap();
        assert_eq!(trail.last().unwrap().action.code(), "export");
        // A member sheet alone adds to households already on the registry,
        // of the officer's own communes only.
        let extra = write(
            dir.path(),
            "tv.csv",
            "Mã hộ,Họ và tên,Giới tính,Ngày sinh\nXH-02,Trần Văn Dũng,Nam,02/02/2000\n",
        );
        let err = r
            .import_sheets(
                &officer(r, "18655").await,
                std::slice::from_ref(&extra),
                None,
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tv.csv, sheet \"tv\", dòng 2, cột A (Mã hộ): hộ \"XH-02\" thuộc xã nằm ngoài phạm vi"),
            "{err}"
        );
        assert_eq!(count(r, "members").await, 3);
        let added = r
            .import_sheets(&officer(r, "18652").await, &[extra], None, None, false)
            .await
            .unwrap();
        assert_eq!((added.created, added.unchanged), (0, 0));
        assert_eq!(count(r, "members").await, 4);
        let dung = r
            .search_households(&admin(), "tran van dung", 10)
            .await
            .unwrap();
        assert_eq!(dung.len(), 1, "{}", e.name);
        assert_eq!(dung[0].code, "XH-02");
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts and tallies",
            e.name
        );
        e.cleanup().await;
    }
}

/// The registry's households and people are read for what each sheet
/// names: those of the household sheet while the member sheet is still
/// being read, and then those only the member sheet names (a household and
/// its commune the household sheet does not mention).
#[tokio::test]
async fn sheets_are_checked_against_the_households_and_communes_either_sheet_names() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let households = "Mã hộ,Họ và tên chủ hộ,Mã xã\n";
        let members = "Mã hộ,Họ và tên,Giới tính,Ngày sinh\n";
        let import = |name: &str, h: &str, m: &str| {
            let files = [
                write(
                    dir.path(),
                    &format!("h{name}.csv"),
                    &format!("{households}{h}"),
                ),
                write(
                    dir.path(),
                    &format!("m{name}.csv"),
                    &format!("{members}{m}"),
                ),
            ];
            async move { r.import_sheets(&admin(), &files, None, None, false).await }
        };
        import(
            "1",
            "XH-01,Nguyễn Văn An,18652\nXH-02,Trần Văn Bình,18655\nXH-04,Võ Văn Phúc,18655\n",
            "XH-01,Nguyễn Văn An,Nam,01/01/1980\nXH-02,Trần Văn Bình,Nam,03/03/1985\nXH-02,Trần Thị Mai,Nữ,02/02/1990\n",
        )
        .await
        .unwrap();
        assert_eq!(count(r, "members").await, 4, "{}", e.name);
        // XH-02 and its commune are named by the member sheet alone: its
        // people already recorded are not added again, a new one is.
        let second = import(
            "2",
            "XH-03,Lê Văn Cường,18652\n",
            "XH-01,Nguyễn Văn An,Nam,01/01/1980\nXH-03,Lê Văn Cường,Nam,04/04/1970\nXH-02,Trần Thị Mai,Nữ,02/02/1990\nXH-02,Trần Văn Em,Nam,05/05/2010\n",
        )
        .await
        .unwrap();
        assert_eq!((second.created, second.updated), (1, 0), "{}", e.name);
        assert_eq!(count(r, "members").await, 6, "{}", e.name);
        // A person of the registry in the household sheet's commune and one
        // in a commune only the member sheet's household is in.
        let err = import(
            "3",
            "XH-05,Đỗ Văn Giang,18652\n",
            "XH-05,Đỗ Văn Giang,Nam,07/07/1975\nXH-05,Lê Văn Cường,Nam,04/04/1970\nXH-04,Trần Thị Mai,Nữ,02/02/1990\n",
        )
        .await
        .unwrap_err()
        .to_string();
        for expected in [
            "m3.csv, sheet \"m3\", dòng 3: \"Lê Văn Cường\" sinh 04/04/1970 trùng họ tên và ngày sinh với người ở hộ XH-03 trong cơ sở dữ liệu (hộ XH-03) cùng xã",
            "m3.csv, sheet \"m3\", dòng 4: \"Trần Thị Mai\" sinh 02/02/1990 trùng họ tên và ngày sinh với người ở hộ XH-02 trong cơ sở dữ liệu (hộ XH-02) cùng xã",
        ] {
            assert!(err.contains(expected), "{}: {err}", e.name);
        }
        assert_eq!(count(r, "members").await, 6, "{}", e.name);
        assert_eq!(count(r, "households").await, 4, "{}", e.name);
        e.cleanup().await;
    }
}

#[tokio::test]
async fn sheet_errors_are_listed_by_sheet_row_and_column_and_nothing_is_written() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let book = dir.path().join("bad.xlsx");
        district_workbook(
            &book,
            &[
                ["XH-01", "Nguyễn Văn An", "", "Thôn 9"],
                ["XH-02", "", "", "Thôn 1"],
                ["XH-03", "Phạm Văn Dũng", "", "Thôn 2"],
            ],
            &[
                ["XH-03", "Phạm Văn Dũng", "Nam", "31/02/1980", ""],
                ["XH-03", "Phạm Thị Em", "Nữ", "01/01/1990", "04219000123"],
                [
                    "XH-03",
                    "Phạm Văn Giang",
                    "Nam",
                    "01/01/1991",
                    "042091000001",
                ],
                ["XH-03", "Phạm Văn Hòa", "Nam", "01/01/1992", "042091000001"],
                ["XH-07", "Không Có Hộ", "Nam", "", ""],
            ],
        );
        let err = r
            .import_sheets(&admin(), &[book], Some("18652"), None, false)
            .await
            .unwrap_err();
        let text = err.to_string();
        for expected in [
            "sheet \"DS hộ\", dòng 7, cột E (Thôn/Xóm): xã Xã Xuân Hội không có thôn \"Thôn 9\"",
            "sheet \"DS hộ\", dòng 8, cột C (Chủ hộ / Họ và tên): ô trống",
            "sheet \"Thành viên\", dòng 2, cột D (Ngày sinh): \"31/02/1980\" không phải ngày",
            "sheet \"Thành viên\", dòng 3, cột E (Số CCCD)",
            "sheet \"Thành viên\", dòng 5, cột E (Số CCCD): số định danh 042091000001 trùng",
            "sheet \"Thành viên\", dòng 6, cột A (Mã hộ): không có hộ \"XH-07\"",
        ] {
            assert!(
                text.contains(expected),
                "{}: missing {expected:?} in\n{text}",
                e.name
            );
        }
        assert_eq!(count(r, "households").await, 0);
        assert_eq!(count(r, "members").await, 0);
        e.cleanup().await;
    }
}

#[tokio::test]
async fn the_score_form_scores_a_from_the_loaded_point_table() {
    use registry::ScoreFormAnswers;
    use standard::{MemberAnswers, SurveyAnswers, WaterSource};
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "B1".into(),
                    commune_code: "18652".into(),
                    head_name: "Võ Văn Tám".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let c = Catalogue::builtin().unwrap();
        let s = c.get("vn-2022-2025").unwrap();
        let table = write(
            dir.path(),
            "points.csv",
            "region,item,option,points\nbac_trung_bo,members,2,60\nbac_trung_bo,members,5,20\nbac_trung_bo,house,durable,80\nbac_trung_bo,house,makeshift,50\n",
        );
        // Not loaded yet: the error says how to load it.
        let form = |members: &str, house: &str, deprived: usize| ScoreFormAnswers {
            region: "bac_trung_bo".into(),
            items: [
                ("members".to_string(), members.to_string()),
                ("house".to_string(), house.to_string()),
            ]
            .into(),
            answers: SurveyAnswers {
                members: vec![
                    MemberAnswers {
                        age: 40,
                        health_insurance: deprived < 1,
                        ..MemberAnswers::default()
                    };
                    2
                ],
                durable_walls: true,
                durable_columns: true,
                durable_roof: true,
                living_area_m2: 50.0,
                water: if deprived >= 2 {
                    WaterSource::SurfaceWater
                } else {
                    WaterSource::Tap
                },
                latrine: if deprived >= 3 {
                    standard::Latrine::OpenPit
                } else {
                    standard::Latrine::Septic
                },
                internet: true,
                tv: true,
                // Everything the form does not ask in this test is not deprived.
                deprived: [
                    ("employment", false),
                    ("dependents", false),
                    ("adult_education", false),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
                ..SurveyAnswers::default()
            },
        };
        let err = r
            .record_score_form(&admin(), id, 2024, s, &form("2", "durable", 0))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("giamngheo points import"), "{err}");
        assert_eq!(r.load_point_table(&admin(), s, &table).await.unwrap(), 4);
        // A = 20 + 50 = 70 ≤ 140 (rural), B = 30: poor.
        let poor = r
            .record_score_form(&admin(), id, 2024, s, &form("5", "makeshift", 3))
            .await
            .unwrap();
        assert_eq!(
            (poor.score_a, poor.score_b, poor.status.code()),
            (70, 30, "poor"),
            "{}",
            e.name
        );
        // B = 20: near-poor.
        let near = r
            .record_score_form(&admin(), id, 2024, s, &form("5", "makeshift", 2))
            .await
            .unwrap();
        assert_eq!((near.score_b, near.status.code()), (20, "near_poor"));
        // A = 140: still at the cut-off; 60 + 80 = 140.
        let at = r
            .record_score_form(&admin(), id, 2024, s, &form("2", "durable", 3))
            .await
            .unwrap();
        assert_eq!((at.score_a, at.status.code()), (140, "poor"));
        // An option the table lacks is refused, naming it.
        let err = r
            .record_score_form(&admin(), id, 2024, s, &form("7", "durable", 0))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"members\"") && err.contains("\"7\""),
            "{err}"
        );
        let official = r.assessments(id, 2024).await.unwrap();
        assert_eq!(official.len(), 1, "one official assessment per year");
        assert_eq!(official[0].status.code(), "poor");
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts and tallies",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn a_review_round_goes_from_listing_to_recognition_and_locks() {
    use registry::{Complaint, Meeting, Vote};
    let meeting = |date: &str, chair: &str, minutes: &str| Meeting {
        date: date.into(),
        chair: chair.into(),
        attendees: 20,
        minutes: minutes.into(),
    };
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        r.import_units(
            &admin(),
            &write(
                dir.path(),
                "u10.csv",
                "code,name,level,parent_code\n1865210,Thôn 10,village,18652\n",
            ),
            false,
        )
        .await
        .unwrap();
        let c = Catalogue::builtin().unwrap();
        let s = c.get("vn-2022-2025").unwrap();
        let mut ids = Vec::new();
        // Villages chosen so that text order (Thôn 1, Thôn 10, Thôn 2)
        // and the printed order (Thôn 1, Thôn 2, Thôn 10) differ.
        for (code, head, village) in [
            ("R1", "Lê Văn Một", "1865210"),
            ("R2", "Lê Văn Hai", "1865202"),
            ("R3", "Lê Văn Ba", "1865201"),
            ("R4", "Lê Văn Bốn", "1865201"),
        ] {
            let h = NewHousehold {
                code: code.into(),
                commune_code: "18652".into(),
                head_name: head.into(),
                village_code: Some(village.into()),
                ..NewHousehold::default()
            };
            ids.push(r.create_household(&admin(), &h).await.unwrap());
        }
        // Last year: R1 poor, R2 near-poor, R3 and R4 not poor.
        for (id, income, deprived) in [
            (ids[0], 1_000_000, true),
            (ids[1], 1_000_000, false),
            (ids[2], 5_000_000, false),
            (ids[3], 5_000_000, false),
        ] {
            r.record_survey(&admin(), id, y(2023), &two_adults(income, deprived), s)
                .await
                .unwrap();
        }
        let clerk = officer(r, "18652").await;
        // R3 asks to be reviewed (form 01); R4's request is refused, with a reason.
        r.submit_request(&clerk, ids[2], "01", "05/09/2024")
            .await
            .unwrap();
        let refused = r
            .submit_request(&clerk, ids[3], "01", "06/09/2024")
            .await
            .unwrap();
        assert!(
            r.decide_request(&clerk, refused, false, " ").await.is_err(),
            "a refusal needs its reason"
        );
        r.decide_request(&clerk, refused, false, "Hộ đã được rà soát tháng trước")
            .await
            .unwrap();

        let round = r
            .open_round(&clerk, "18652", y(2024), &periodic())
            .await
            .unwrap();
        assert!(
            r.open_round(&clerk, "18652", y(2024), &periodic())
                .await
                .is_err(),
            "one open round at a time"
        );
        let (_, cases) = r.round(&clerk, round).await.unwrap().unwrap();
        let origins: Vec<(&str, &str)> = cases
            .iter()
            .map(|c| (c.code.as_str(), c.origin.as_str()))
            .collect();
        assert_eq!(origins.len(), 3, "{origins:?}");
        assert!(
            origins.contains(&("R1", "poor_list"))
                && origins.contains(&("R2", "near_poor_list"))
                && origins.contains(&("R3", "request"))
        );

        // Surveys: all cases first.
        let err = r
            .finish_surveys(&clerk, round)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("R1") && err.contains("chưa có phiếu"), "{err}");
        r.record_survey(&clerk, ids[0], y(2024), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        r.record_survey(&clerk, ids[1], y(2024), &two_adults(1_900_000, false), s)
            .await
            .unwrap();
        r.record_survey(&clerk, ids[2], y(2024), &two_adults(1_100_000, true), s)
            .await
            .unwrap();
        r.finish_surveys(&clerk, round).await.unwrap();
        // The meeting: R3 gets 9 of 20 (under half): back to survey.
        let votes = [
            Vote {
                household_id: ids[0],
                agreeing: 15,
            },
            Vote {
                household_id: ids[1],
                agreeing: 10,
            },
            Vote {
                household_id: ids[2],
                agreeing: 9,
            },
        ];
        assert!(
            r.record_meeting(
                &clerk,
                round,
                &meeting("20/09/2024", "", "Biên bản"),
                &votes
            )
            .await
            .is_err(),
            "a chair"
        );
        let back = r
            .record_meeting(
                &clerk,
                round,
                &meeting(
                    "20/09/2024",
                    "Trưởng thôn Lê Văn Năm",
                    "Biên bản họp thôn 1",
                ),
                &votes,
            )
            .await
            .unwrap();
        assert_eq!(
            back,
            vec![ids[2]],
            "exactly half (10 of 20) stands; 9 does not"
        );
        // The signed minutes are kept with the round.
        let scan = b"%PDF-1.4 bien ban".to_vec();
        let file = r
            .upload_minutes(&clerk, round, "biên bản họp thôn 1.pdf", &scan)
            .await
            .unwrap();
        assert_eq!(
            r.minutes_file(&clerk, round, file)
                .await
                .unwrap()
                .unwrap()
                .2,
            scan
        );
        assert!(
            r.upload_minutes(&clerk, round, "empty.pdf", b"")
                .await
                .is_err()
        );
        assert!(
            r.start_posting(&clerk, round, "25/09/2024", None)
                .await
                .is_err(),
            "back at surveys"
        );
        // The round cannot move on until R3, named, has a new survey…
        let err = r
            .finish_surveys(&clerk, round)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("R3") && err.contains("Lê Văn Ba") && err.contains("khảo sát lại"),
            "{err}"
        );
        let (_, cases) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(
            cases
                .iter()
                .filter(|c| c.resurvey() == registry::Resurvey::WaitingForSurvey)
                .map(|c| c.code.as_str())
                .collect::<Vec<_>>(),
            ["R3"]
        );
        r.record_survey(&clerk, ids[2], y(2024), &two_adults(1_100_000, true), s)
            .await
            .unwrap();
        r.finish_surveys(&clerk, round).await.unwrap();
        // … and a new vote: a meeting that skips it is refused, naming it.
        let err = r
            .record_meeting(
                &clerk,
                round,
                &meeting("27/09/2024", "Trưởng thôn Lê Văn Năm", "Biên bản họp lại"),
                &[Vote {
                    household_id: ids[0],
                    agreeing: 15,
                }],
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("R3") && !err.contains("R1"), "{err}");
        let votes = [
            Vote {
                household_id: ids[0],
                agreeing: 15,
            },
            Vote {
                household_id: ids[1],
                agreeing: 12,
            },
            Vote {
                household_id: ids[2],
                agreeing: 11,
            },
        ];
        assert!(
            r.record_meeting(
                &clerk,
                round,
                &meeting("27/09/2024", "Trưởng thôn Lê Văn Năm", "Biên bản họp lại"),
                &votes
            )
            .await
            .unwrap()
            .is_empty()
        );
        r.start_posting(&clerk, round, "30/09/2024", None)
            .await
            .unwrap();
        // A complaint: the re-check finds R2 poor.
        r.record_complaints(
            &clerk,
            round,
            &[Complaint {
                household_id: ids[1],
                complaint: "Hộ bị bỏ sót thiếu hụt".into(),
                recheck_status: "poor".into(),
            }],
        )
        .await
        .unwrap();
        // The posting ended on 02/10/2024: the round moved on; a complaint
        // arriving now is still recorded, late, before the recognition.
        let (moved, _) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(moved.step, registry::Step::Recognition);
        assert_eq!(
            moved.posting_end(),
            chrono::NaiveDate::from_ymd_opt(2024, 10, 2)
        );
        let late = r
            .record_complaints(
                &clerk,
                round,
                &[Complaint {
                    household_id: ids[1],
                    complaint: "Hộ bị bỏ sót thiếu hụt; bổ sung sau niêm yết".into(),
                    recheck_status: "poor".into(),
                }],
            )
            .await
            .unwrap();
        assert!(!late);
        let (_, cases) = r.round(&clerk, round).await.unwrap().unwrap();
        assert!(cases.iter().any(|c| {
            c.complaint
                .as_deref()
                .is_some_and(|t| t.ends_with("sau niêm yết"))
        }));
        let certificates = r
            .recognise(&clerk, round, "125/QĐ-UBND", "10/10/2024")
            .await
            .unwrap();
        // Recognised and reported to the level above of the decision's
        // day (the district, in 2024); locked until it answers.
        let (reported, _) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(reported.step, registry::Step::Reported);
        let district_id = r.unit_by_code("436").await.unwrap().map(|u| u.id);
        assert_eq!(reported.approver_id, district_id);
        let err = r
            .record_survey(&clerk, ids[0], y(2024), &two_adults(5_000_000, false), s)
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Forbidden(_)), "{err}");
        let err = r.approve_round(&clerk, round).await.unwrap_err();
        assert!(
            matches!(&err, RegistryError::Forbidden(m) if m.contains("Huyện Nghi Xuân")),
            "a commune does not approve its own review: {err}"
        );
        let district = Actor {
            name: "huyen".into(),
            role: Role::Officer,
            unit_id: district_id,
            agency: None,
        };
        r.approve_round(&district, round).await.unwrap();
        assert!(matches!(
            r.approve_round(&district, round).await,
            Err(RegistryError::Invalid(_))
        ));
        let (closed, cases) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(closed.step, registry::Step::Closed);
        assert_eq!(
            certificates, 3,
            "R1 and R3 poor, R2 poor after the re-check"
        );
        let finals: Vec<(&str, &str, &str)> = cases
            .iter()
            .map(|c| {
                (
                    c.code.as_str(),
                    c.final_status.unwrap().code(),
                    c.certificate.as_deref().unwrap_or(""),
                )
            })
            .collect();
        // Numbered in the printed order: Thôn 1 (R3), Thôn 2 (R2), Thôn 10 (R1).
        assert_eq!(
            finals,
            [
                ("R3", "poor", "1/GCN-HN.HCN"),
                ("R2", "poor", "2/GCN-HN.HCN"),
                ("R1", "poor", "3/GCN-HN.HCN")
            ],
            "{finals:?}"
        );
        // What the commune recognised is the official result everywhere:
        // the household, the list filters and the export.
        let detail = r.household_detail(&clerk, ids[1]).await.unwrap().unwrap();
        let official = detail
            .assessments
            .iter()
            .find(|a| a.year == 2024 && a.official == 1)
            .unwrap();
        assert_eq!(
            official.status.code(),
            "poor",
            "the re-check, not the survey"
        );
        let (rows, _) = r
            .list_households(
                &clerk,
                &registry::HouseholdQuery {
                    status: Some(standard::Status::Poor),
                    year: Some(2024),
                    page: 1,
                    per_page: 50,
                    ..registry::HouseholdQuery::default()
                },
            )
            .await
            .unwrap();
        assert!(rows.iter().any(|h| h.code == "R2"), "{rows:?}");
        let exported = r.household_list(&clerk, "18652", 2024).await.unwrap();
        assert_eq!(
            exported
                .iter()
                .find(|h| h.code == "R2")
                .and_then(|h| h.status.map(|s| s.code())),
            Some("poor")
        );
        let moved = r.movements(&clerk, "18652", y(2024)).await.unwrap();
        assert_eq!(moved.end_poor, 3, "R2 counts as poor in the movements");
        // Closed: the year's assessments are locked; a commune officer cannot reopen.
        let err = r
            .record_survey(&clerk, ids[0], y(2024), &two_adults(5_000_000, false), s)
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Forbidden(_)), "{err}");
        assert!(matches!(
            r.reopen_round(&clerk, round, "sai sót").await,
            Err(RegistryError::Forbidden(_))
        ));
        r.reopen_round(&district, round, "Sai sót số liệu hộ R1")
            .await
            .unwrap();
        r.record_survey(&clerk, ids[0], y(2024), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        let trail = r
            .audit_trail(registry::Entity::ReviewRound, &round.to_string())
            .await
            .unwrap();
        let steps: Vec<&str> = trail.iter().map(|a| a.action.code()).collect();
        assert_eq!(
            steps,
            [
                "open",
                "meeting",
                "surveys",
                "minutes",
                "meeting",
                "posting",
                "complaints",
                "recognition",
                "complaint",
                "reported",
                "closed",
                "recognition"
            ]
        );
        // Another commune's officer sees nothing of the round.
        let other = officer(r, "18655").await;
        assert!(r.round(&other, round).await.unwrap().is_none());
        assert!(r.minutes_file(&other, round, file).await.unwrap().is_none());
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts agree with the assessments",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn list_filters_by_status_deprivation_group_and_movement_on_both_engines() {
    use registry::HouseholdQuery;
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let c = Catalogue::builtin().unwrap();
        let s = c.get("vn-2022-2025").unwrap();
        let mut ids = Vec::new();
        for (code, head) in [
            ("F1", "Hà Văn Một"),
            ("F2", "Hà Văn Hai"),
            ("F3", "Hà Văn Ba"),
        ] {
            let h = NewHousehold {
                code: code.into(),
                commune_code: "18652".into(),
                head_name: head.into(),
                ..NewHousehold::default()
            };
            ids.push(r.create_household(&admin(), &h).await.unwrap());
        }
        // F1 poor → escaped; F2 poor in 2022, not in 2023, poor in 2024 → re-poor; F3 newly poor in 2024.
        for (year, statuses) in [
            (2022, [true, true, false]),
            (2023, [true, false, false]),
            (2024, [false, true, true]),
        ] {
            for (id, poor) in ids.iter().zip(statuses) {
                let income = if poor { 1_000_000 } else { 5_000_000 };
                r.record_survey(&admin(), *id, y(year), &two_adults(income, poor), s)
                    .await
                    .unwrap();
            }
        }
        r.add_member(
            &admin(),
            ids[1],
            &NewMember {
                full_name: "Hà Văn Hai".into(),
                merit: true,
                birth_date: Some("01/01/1940".into()),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
        r.add_member(
            &admin(),
            ids[2],
            &NewMember {
                full_name: "Hà Thị Ba".into(),
                ethnicity: "Mường".into(),
                birth_date: Some("01/01/1990".into()),
                ..NewMember::default()
            },
        )
        .await
        .unwrap();
        // Each filter both ways: counted exactly, and beyond a cap (the
        // page then found by walking the name order).
        let beyond_cap = r.clone().with_list_count_cap(0);
        let beyond_cap = &beyond_cap;
        let codes = |q: HouseholdQuery| async move {
            let (rows, total) = r.list_households(&admin(), &q).await.unwrap();
            assert_eq!((rows.len() as i64, false), (total.count, total.capped));
            let (capped, total) = beyond_cap.list_households(&admin(), &q).await.unwrap();
            // A status, an indicator, a group with a status and a movement
            // are counted from the kept counts, exactly however many; a
            // group alone (which lists households not assessed in the year
            // too) stops counting at the cap.
            let kept = matches!(
                (q.status, &q.deprived, q.group, q.movement),
                (Some(_), None, None, None)
                    | (_, Some(_), None, None)
                    | (Some(_), None, Some(_), None)
                    | (None, None, None, Some(_))
            );
            if kept {
                assert_eq!((total.count, total.capped), (rows.len() as i64, false));
            } else {
                assert_eq!(total.capped, !rows.is_empty());
            }
            let codes = rows.into_iter().map(|h| h.code).collect::<Vec<_>>();
            assert_eq!(
                capped.into_iter().map(|h| h.code).collect::<Vec<_>>(),
                codes,
                "beyond the cap, {q:?}"
            );
            codes
        };
        let q = |status: Option<&str>,
                 deprived: Option<&str>,
                 group: Option<&str>,
                 movement: Option<&str>| HouseholdQuery {
            status: status.map(|s| standard::Status::parse(s).expect("a status")),
            deprived: deprived.map(String::from),
            group: group.map(|g| registry::Group::parse(g).expect("a group")),
            movement: movement.map(|m| registry::MovementFilter::parse(m).expect("a movement")),
            year: Some(2024),
            page: 1,
            per_page: 50,
            ..HouseholdQuery::default()
        };
        assert_eq!(
            codes(q(Some("poor"), None, None, None)).await,
            ["F3", "F2"],
            "{}",
            e.name
        );
        assert_eq!(
            codes(q(None, Some("latrine"), None, None)).await,
            ["F3", "F2"]
        );
        assert_eq!(codes(q(None, None, None, Some("escaped"))).await, ["F1"]);
        assert_eq!(codes(q(None, None, None, Some("re_poor"))).await, ["F2"]);
        assert_eq!(codes(q(None, None, None, Some("newly_poor"))).await, ["F3"]);
        assert_eq!(codes(q(None, None, Some("merit"), None)).await, ["F2"]);
        assert_eq!(
            codes(q(Some("poor"), None, Some("merit"), None)).await,
            ["F2"]
        );
        assert_eq!(
            codes(q(Some("near_poor"), None, Some("merit"), None)).await,
            Vec::<String>::new()
        );
        assert_eq!(
            codes(q(Some("poor"), Some("latrine"), None, None)).await,
            ["F3", "F2"]
        );
        assert_eq!(
            codes(q(None, None, Some("ethnic_minority"), None)).await,
            ["F3"]
        );
        assert_eq!(
            codes(q(None, None, Some("no_working_capacity"), None)).await,
            ["F2"],
            "only an 84-year-old"
        );
        // Pages next to a household, read from its place in the name order,
        // counted exactly or beyond the cap, with or without a filter.
        for (registry, status) in [
            (r, None),
            (beyond_cap, None),
            (r, Some("poor")),
            (beyond_cap, Some("poor")),
        ] {
            let next_to = |after: Option<&str>, before: Option<&str>| HouseholdQuery {
                per_page: 1,
                after: after.map(String::from),
                before: before.map(String::from),
                ..q(status, None, None, None)
            };
            let page = |query: HouseholdQuery| async move {
                let (rows, _) = registry.list_households(&admin(), &query).await.unwrap();
                rows.into_iter().map(|h| h.code).collect::<Vec<_>>()
            };
            let all: &[&str] = if status.is_some() {
                &["F3", "F2"]
            } else {
                &["F3", "F2", "F1"]
            };
            assert_eq!(page(next_to(None, None)).await, [all[0]], "{status:?}");
            for pair in all.windows(2) {
                assert_eq!(
                    page(next_to(Some(pair[0]), None)).await,
                    [pair[1]],
                    "{status:?}"
                );
                assert_eq!(
                    page(next_to(None, Some(pair[1]))).await,
                    [pair[0]],
                    "{status:?}"
                );
            }
            assert!(page(next_to(all.last().copied(), None)).await.is_empty());
            assert!(page(next_to(None, Some(all[0]))).await.is_empty());
        }
        // Officers see the same through their scope: the district's holds
        // every household (its list walks the name order, testing each
        // commune), a town's none; a village is counted household by
        // household.
        let district = officer(r, "436").await;
        let town = officer(r, "18655").await;
        let poor = || q(Some("poor"), None, None, None);
        let seen = |actor: Actor, q: HouseholdQuery| async move {
            let (rows, total) = r.list_households(&actor, &q).await.unwrap();
            let (beyond, _) = beyond_cap.list_households(&actor, &q).await.unwrap();
            let codes: Vec<String> = rows.into_iter().map(|h| h.code).collect();
            assert_eq!(
                beyond.into_iter().map(|h| h.code).collect::<Vec<_>>(),
                codes
            );
            (codes, total.count)
        };
        assert_eq!(
            seen(district.clone(), poor()).await,
            (vec!["F3".to_string(), "F2".into()], 2)
        );
        assert_eq!(seen(town, poor()).await, (vec![], 0));
        let in_village = HouseholdQuery {
            unit: Some("1865201".into()),
            ..poor()
        };
        assert_eq!(seen(district.clone(), in_village).await, (vec![], 0));
        // A name search: matches of the head's full name in official
        // order, then a member's; an exact code first.
        let search = |text: &str| HouseholdQuery {
            q: text.into(),
            year: Some(2024),
            page: 1,
            per_page: 50,
            ..HouseholdQuery::default()
        };
        // Both ways of searching: household by household (a small scope)
        // and through the name indexes (a large one).
        for small_scope in [5_000, 0] {
            let r = r.clone().with_small_scope(small_scope);
            let codes = |q: HouseholdQuery| {
                let r = r.clone();
                async move {
                    let (rows, total) = r.list_households(&admin(), &q).await.unwrap();
                    assert_eq!(rows.len() as i64, total.count);
                    rows.into_iter().map(|h| h.code).collect::<Vec<_>>()
                }
            };
            let case = format!("{}, small scope {small_scope}", e.name);
            assert_eq!(codes(search("ha van")).await, ["F3", "F2", "F1"], "{case}");
            assert_eq!(
                codes(search("Hà Thị")).await,
                ["F3"],
                "a member's name, {case}"
            );
            assert_eq!(
                codes(search("F2")).await,
                ["F2"],
                "a household code, {case}"
            );
            assert_eq!(codes(search("xyz")).await, Vec::<String>::new(), "{case}");
        }
        // A new head's name moves the household in the list's name order,
        // walked from the assessments too (they carry the sort key).
        let renamed = NewHousehold {
            code: "F3".into(),
            commune_code: "18652".into(),
            head_name: "Hà Văn Xuân".into(),
            ..NewHousehold::default()
        };
        assert!(
            r.update_household(&admin(), ids[2], &renamed)
                .await
                .unwrap()
        );
        assert_eq!(codes(poor()).await, ["F2", "F3"], "{}", e.name);
        assert_eq!(codes(q(None, None, None, Some("newly_poor"))).await, ["F3"]);
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: the assessments' sort keys follow the head's name",
            e.name
        );
        // A removed household leaves the list and its kept total.
        r.remove_household(&admin(), ids[2], "01/03/2025", "Chuyển đi nơi khác")
            .await
            .unwrap();
        assert_eq!(codes(poor()).await, ["F2"], "{}", e.name);
        assert_eq!(seen(district, poor()).await, (vec!["F2".to_string()], 1));
        // A unit lists the households of its communes, those merged into it
        // included; a district, of all its communes.
        let merged = NewHousehold {
            code: "F4".into(),
            commune_code: "18658".into(),
            head_name: "Hà Văn Bốn".into(),
            ..NewHousehold::default()
        };
        r.create_household(&admin(), &merged).await.unwrap();
        let of_unit = |unit: &str| HouseholdQuery {
            unit: Some(unit.into()),
            ..q(None, None, None, None)
        };
        assert_eq!(
            seen(admin(), of_unit("18652")).await,
            (vec!["F4".to_string(), "F2".into(), "F1".into()], 3),
            "{}",
            e.name
        );
        assert_eq!(seen(admin(), of_unit("436")).await.1, 3);
        assert_eq!(
            seen(admin(), of_unit("18658")).await,
            (vec!["F4".to_string()], 1)
        );
        assert_eq!(seen(admin(), of_unit("1865201")).await.1, 0);
        e.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_writes_all_succeed_without_waiting_on_each_other() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        // Two communes: their sheets are written apart, while the first
        // surveys of the year name the same new measures at once.
        let communes = ["18652", "18655"];
        let mut ids = Vec::new();
        for i in 0..12 {
            let commune = communes[i % 2];
            let h = NewHousehold {
                code: format!("C{i}"),
                commune_code: commune.into(),
                head_name: format!("Phan Văn {i}"),
                ..NewHousehold::default()
            };
            ids.push((
                r.create_household(&admin(), &h).await.unwrap(),
                officer(r, commune).await,
            ));
        }
        // Twelve survey saves at once, each a transaction that reads and
        // writes: before the writer connection, those beyond the pool's size
        // waited out the busy timeout and failed.
        let started = std::time::Instant::now();
        let tasks: Vec<_> = ids
            .iter()
            .map(|(id, clerk)| {
                let (r, clerk, id) = (r.clone(), clerk.clone(), *id);
                tokio::spawn(async move {
                    r.record_survey(
                        &clerk,
                        id,
                        y(2024),
                        &two_adults(1_000_000, true),
                        standard(),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "{}: writes queued, not timed out",
            e.name
        );
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessments WHERE official = 1")
            .fetch_one(r.db().pool())
            .await
            .unwrap();
        assert_eq!(n, 12, "{}", e.name);
        // Each measure numbered once, and both communes' sheets (read
        // through those numbers) agree with their households.
        let numbered: (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT measure) FROM tally_measures")
                .fetch_one(r.db().pool())
                .await
                .unwrap();
        assert!(numbered.0 > 0 && numbered.0 == numbered.1, "{numbered:?}");
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts and sheets agree with the assessments",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_imports_at_once_take_turns() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        let (units, data, _) = flat_data(dir.path(), 9, 200);
        r.import_units(&admin(), &units, false).await.unwrap();
        let waited = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = waited.clone();
        let r = r.clone().on_import_wait(std::sync::Arc::new(move || {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }));
        let who = admin();
        let (a, b) = tokio::join!(
            r.import_flat(&who, &data, standard(), y(2024), false),
            r.import_flat(&who, &data, standard(), y(2024), false)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.created + b.created, 200, "{}: created once", e.name);
        assert_eq!(a.unchanged + b.unchanged, 200, "the second finds them");
        assert_eq!(count(&r, "households").await, 200);
        assert_eq!(
            waited.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the second was told it waits"
        );
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts agree with the assessments",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn a_years_rate_is_over_the_registry_and_only_once_its_review_is_closed() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            let h = NewHousehold {
                code: format!("Y{i}"),
                commune_code: "18652".into(),
                head_name: format!("Đỗ Văn {i}"),
                ..NewHousehold::default()
            };
            ids.push(r.create_household(&admin(), &h).await.unwrap());
        }
        // 2023: four of them surveyed, one poor; the fifth joined the
        // registry only today.
        for (i, id) in ids.iter().take(4).enumerate() {
            let poor = i == 0;
            let income = if poor { 1_000_000 } else { 5_000_000 };
            r.record_survey(
                &admin(),
                *id,
                y(2023),
                &two_adults(income, poor),
                standard(),
            )
            .await
            .unwrap();
        }
        let clerk = officer(r, "18652").await;
        let years = r.year_counts(&clerk, None).await.unwrap();
        assert_eq!(years.len(), 1);
        assert!(!years[0].closed(), "{}: not recognised yet", e.name);
        assert_eq!(r.default_list_year(&clerk).await.unwrap(), Some(2023));
        // 2024: one household moved away in June; one survey so far.
        r.remove_household(&clerk, ids[3], "01/06/2024", "Chuyển đi nơi khác")
            .await
            .unwrap();
        r.record_survey(
            &clerk,
            ids[1],
            y(2024),
            &two_adults(1_000_000, true),
            standard(),
        )
        .await
        .unwrap();
        // No year closed: the latest with results, counted again after
        // the survey (the default year is kept only while nothing is
        // written).
        assert_eq!(r.default_list_year(&clerk).await.unwrap(), Some(2024));
        assert_eq!(r.default_list_year(&admin()).await.unwrap(), Some(2024));
        r.record_past_review(&clerk, "18652", y(2023), "35/QĐ-UBND", "12/12/2023")
            .await
            .unwrap();
        let years = r.year_counts(&clerk, None).await.unwrap();
        let (y2023, y2024) = (years[0], years[1]);
        assert!(y2023.closed(), "{}", e.name);
        assert_eq!(
            (y2023.households, y2023.assessed, y2023.poor),
            (4, 4, 1),
            "the fifth household was not on the registry in 2023"
        );
        assert!(!y2024.closed(), "one survey of three is a year in progress");
        assert_eq!(
            (y2024.households, y2024.assessed, y2024.poor),
            (3, 1, 1),
            "over the households there in 2024 — not 1 of 1 surveyed"
        );
        assert_eq!((y2024.communes, y2024.communes_closed), (1, 0));
        assert_eq!(r.default_list_year(&clerk).await.unwrap(), Some(2023));
        // The closed year is locked like any recognised round.
        let err = r
            .record_survey(
                &clerk,
                ids[0],
                y(2023),
                &two_adults(5_000_000, false),
                standard(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Forbidden(_)), "{err}");
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: kept counts agree with the assessments",
            e.name
        );
        // The years' counts are kept while nothing is written: a change
        // made behind the registry (no audit row) is not seen, nor after
        // reads that are audited (identity numbers shown); the next write
        // counts again.
        let kept = r.year_counts(&clerk, None).await.unwrap();
        sqlx::query("UPDATE official_counts SET households = households + 10 WHERE year = 2024")
            .execute(r.db().pool())
            .await
            .unwrap();
        r.household_detail_with_id_numbers(&admin(), ids[0])
            .await
            .unwrap();
        assert_eq!(
            r.year_counts(&clerk, None).await.unwrap(),
            kept,
            "{}",
            e.name
        );
        r.record_survey(
            &clerk,
            ids[2],
            y(2024),
            &two_adults(5_000_000, false),
            standard(),
        )
        .await
        .unwrap();
        let counted = r.year_counts(&clerk, None).await.unwrap();
        assert_eq!(counted[1].assessed, kept[1].assessed + 10 + 1, "{}", e.name);
        e.cleanup().await;
    }
}

#[tokio::test]
async fn sheets_in_legacy_encodings_are_converted_or_refused_naming_the_file() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let households = "Mã hộ,Họ và tên chủ hộ,Thôn/Xóm\nW1,Nguyễn Văn Ánh,Thôn 1\n";
        let members = "Mã hộ,Họ và tên,Giới tính,Ngày sinh\nW1,Nguyễn Văn Ánh,Nam,01/02/1980\nW1,Trần Thị Ngọc,Nữ,03/04/1982\n";
        // Vietnamese Windows (Windows-1258) writes tones as separate marks.
        let encode_1258 = |text: &str| {
            use unicode_normalization::UnicodeNormalization;
            // Letters keep their vowel marks (â, ê, ơ, …); tones go after.
            let mut split = String::new();
            for c in text.chars() {
                let d: String = c.to_string().nfd().collect();
                let tone: String = d
                    .chars()
                    .filter(|m| {
                        matches!(m, '\u{300}' | '\u{301}' | '\u{303}' | '\u{309}' | '\u{323}')
                    })
                    .collect();
                let base: String = d.chars().filter(|m| !tone.contains(*m)).collect();
                split.push_str(&base.nfc().collect::<String>());
                split.push_str(&tone);
            }
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&split);
            assert!(!unmappable, "{text}");
            bytes.into_owned()
        };
        let h = dir.path().join("ho.csv");
        std::fs::write(&h, encode_1258(households)).unwrap();
        let m = dir.path().join("thanh-vien.csv");
        std::fs::write(&m, encode_1258(members)).unwrap();
        assert!(std::str::from_utf8(&std::fs::read(&m).unwrap()).is_err());
        r.import_sheets(&admin(), &[h.clone(), m], Some("18652"), None, false)
            .await
            .unwrap();
        let names: Vec<String> =
            sqlx::query_scalar("SELECT full_name FROM members ORDER BY full_name")
                .fetch_all(r.db().pool())
                .await
                .unwrap();
        assert_eq!(names, ["Nguyễn Văn Ánh", "Trần Thị Ngọc"], "{}", e.name);
        // TCVN3 ("ABC" fonts), read from a CSV of its bytes.
        let tcvn3 = dir.path().join("tcvn3.csv");
        let mut bytes = "Mã hộ,Họ và tên\nW1,Nguy".as_bytes().to_vec();
        bytes.extend_from_slice(&[0xD4]); // ễ
        bytes.extend_from_slice(b"n Th\xe9 B\xb8\n"); // Thộ Bá
        std::fs::write(&tcvn3, &bytes[..]).unwrap();
        let grids = registry::sheets::read_grids(&tcvn3);
        // The header is UTF-8 and the rest TCVN3: not one encoding, refused.
        assert!(grids.is_err(), "{grids:?}");
        let only_tcvn3: Vec<u8> =
            b"M\xb7 h\xe9,H\xe4 v\xb5 t\xaan\nW1,Nguy\xd4n Th\xe9 B\xb8\n".to_vec();
        std::fs::write(&tcvn3, &only_tcvn3).unwrap();
        let grid = &registry::sheets::read_grids(&tcvn3).unwrap()[0];
        assert_eq!(grid.rows[0][..2], ["Mã hộ", "Họ và tên"], "{:?}", grid.rows);
        assert_eq!(grid.rows[1][1], "Nguyễn Thộ Bá");
        // Western Latin-1 cannot hold Vietnamese: refused, naming the file.
        let latin1 = dir.path().join("latin1.csv");
        std::fs::write(
            &latin1,
            b"M\xe3 h\xf4,H\xf4 t\xean\nW2,Jos\xe9 M\xfcller\n".as_slice(),
        )
        .unwrap();
        let err = r
            .import_sheets(&admin(), &[latin1], Some("18652"), None, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("latin1.csv") && err.contains("UTF-8"), "{err}");
        // A truncated workbook: said in Vietnamese, not "Could not find EOCD".
        let book = dir.path().join("ds.xlsx");
        district_workbook(&book, &[["W3", "Lê Văn Ba", "", "Thôn 1"]], &[]);
        let bytes = std::fs::read(&book).unwrap();
        std::fs::write(&book, &bytes[..bytes.len() / 2]).unwrap();
        let err = r
            .import_sheets(&admin(), &[book], Some("18652"), None, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ds.xlsx") && err.contains("bị cắt cụt"),
            "{err}"
        );
        assert!(!err.contains("EOCD"), "{err}");
        e.cleanup().await;
    }
}

/// Two tiers from 1 July 2025: the district ends, Xuân Hội stays under the
/// province, Xuân Phổ merges into a new commune.
const TWO_TIERS: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
436,Huyện Nghi Xuân,district,42,,,,30/06/2025
18652,Xã Xuân Hội,commune,436,,,,
18658,Xã Xuân Phổ,commune,436,,,90001,30/06/2025
90001,Xã Đan Hải,commune,42,rural,01/07/2025,,
1865201,Thôn 1,village,18652,,,,
1865801,Thôn Phổ Đông,village,18658,,,,
";

/// Takes a round with its listed households from the survey to the report
/// (every attendee agrees, no complaint); returns the certificates.
async fn report(r: &Registry, clerk: &Actor, round: RoundId, year: i64) -> usize {
    r.finish_surveys(clerk, round).await.unwrap();
    let (_, cases) = r.round(clerk, round).await.unwrap().unwrap();
    let votes: Vec<registry::Vote> = cases
        .iter()
        .map(|c| registry::Vote {
            household_id: c.household_id,
            agreeing: 10,
        })
        .collect();
    let meeting = registry::Meeting {
        date: format!("20/09/{year}"),
        chair: "Trưởng thôn".into(),
        attendees: 10,
        minutes: "Biên bản".into(),
    };
    r.record_meeting(clerk, round, &meeting, &votes)
        .await
        .unwrap();
    r.start_posting(clerk, round, &format!("25/09/{year}"), None)
        .await
        .unwrap();
    r.record_complaints(clerk, round, &[]).await.unwrap();
    r.recognise(clerk, round, "12/QĐ-UBND", &format!("10/12/{year}"))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_level_above_on_the_reviews_date_approves_it_and_may_reopen_it() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_TIERS), false)
            .await
            .unwrap();
        let s = standard();
        let mut households = Vec::new();
        for (code, commune, village) in [("H1", "18652", "1865201"), ("P1", "18658", "1865801")] {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.into(),
                        commune_code: commune.into(),
                        village_code: Some(village.into()),
                        head_name: format!("Chủ hộ {code}"),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            for year in [2023, 2024, 2025] {
                r.record_survey(&admin(), id, y(year), &two_adults(1_000_000, true), s)
                    .await
                    .unwrap();
            }
            households.push(id);
        }
        let unit = |code: &'static str| async move { r.unit_by_code(code).await.unwrap().unwrap() };
        let at = |role: Role, code: &'static str| async move {
            Actor {
                name: format!("{role:?}@{code}"),
                role,
                unit_id: Some(unit(code).await.id),
                agency: None,
            }
        };
        let xuanhoi = officer(r, "18652").await;
        let district = at(Role::Officer, "436").await;
        let province = at(Role::Officer, "42").await;
        let approver = at(Role::Approver, "42").await;

        // 2024, three tiers: Xuân Hội reports to the district.
        let round = r
            .open_round(&xuanhoi, "18652", y(2024), &periodic())
            .await
            .unwrap();
        assert_eq!(report(r, &xuanhoi, round, 2024).await, 1);
        let (reported, _) = r.round(&xuanhoi, round).await.unwrap().unwrap();
        assert_eq!(reported.approver_id, Some(unit("436").await.id));
        r.approve_round(&district, round).await.unwrap();

        // 2025, two tiers: the same commune reports to the province; the
        // district's account no longer approves.
        let round = r
            .open_round(&xuanhoi, "18652", y(2025), &periodic())
            .await
            .unwrap();
        report(r, &xuanhoi, round, 2025).await;
        let (reported, _) = r.round(&xuanhoi, round).await.unwrap().unwrap();
        assert_eq!(reported.step, registry::Step::Reported);
        assert_eq!(reported.approver_id, Some(unit("42").await.id));
        assert!(!r.may_approve(&xuanhoi, &reported).await.unwrap());
        assert!(!r.may_approve(&district, &reported).await.unwrap());
        assert!(r.may_approve(&province, &reported).await.unwrap());
        let err = r.approve_round(&district, round).await.unwrap_err();
        assert!(
            matches!(&err, RegistryError::Forbidden(m) if m.contains("Tỉnh Hà Tĩnh")),
            "{err}"
        );
        // The approver reads and answers, but writes no data.
        assert!(matches!(
            r.record_survey(
                &approver,
                households[0],
                y(2025),
                &two_adults(1_000_000, true),
                s
            )
            .await,
            Err(RegistryError::Forbidden(_))
        ));
        r.reopen_round(&approver, round, "Thiếu biên bản họp thôn")
            .await
            .unwrap();
        let (back, _) = r.round(&xuanhoi, round).await.unwrap().unwrap();
        assert_eq!(back.step, registry::Step::Recognition, "sent back");
        r.recognise(&xuanhoi, round, "13/QĐ-UBND", "15/12/2025")
            .await
            .unwrap();
        r.approve_round(&province, round).await.unwrap();
        let years = r.year_counts(&province, Some("18652")).await.unwrap();
        assert_eq!(
            years
                .iter()
                .map(|y| (y.year, y.closed()))
                .collect::<Vec<_>>(),
            [(2023, false), (2024, true), (2025, true)],
            "2023 was never reviewed"
        );
        r.reopen_round(&province, round, "Phúc tra theo đơn")
            .await
            .unwrap();

        // The merged commune: Đan Hải's 2025 review lists Xuân Phổ's
        // household, and its report locks that household's year.
        let danhai = officer(r, "90001").await;
        let round = r
            .open_round(&danhai, "90001", y(2025), &periodic())
            .await
            .unwrap();
        report(r, &danhai, round, 2025).await;
        let (_, cases) = r.round(&danhai, round).await.unwrap().unwrap();
        assert_eq!(
            cases.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
            ["P1"]
        );
        // Villages of merged communes share names: the printed lists say
        // whose village it was.
        assert_eq!(
            cases[0].village.as_deref(),
            Some("Thôn Phổ Đông (Xã Xuân Phổ)")
        );
        assert!(matches!(
            r.record_survey(
                &danhai,
                households[1],
                y(2025),
                &two_adults(9_000_000, false),
                s
            )
            .await,
            Err(RegistryError::Forbidden(_))
        ));
        r.approve_round(&approver, round).await.unwrap();
        let history = r.year_counts(&danhai, Some("90001")).await.unwrap();
        assert_eq!(
            history.iter().map(|y| y.year).collect::<Vec<_>>(),
            [2023, 2024, 2025],
            "the merged commune shows its predecessor's years"
        );
        e.cleanup().await;
    }
}

/// The province demo writes through the bulk path in one transaction: the
/// rows, the kept counts and the indexes come out as the row-by-row path
/// leaves them, and the registry answers as usual.
#[tokio::test]
async fn a_province_demo_is_written_in_bulk_and_reads_like_any_registry() {
    for e in engines().await {
        let r = &e.registry;
        let indexes = |r: &Registry| {
            let pool = r.db().pool().clone();
            let sqlite = r.db().backend() == registry::Backend::Sqlite;
            async move {
                // PostgreSQL: the tables' own, not their partitions'
                // (the province's partition comes with its units).
                let sql = if sqlite {
                    "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
                } else {
                    "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                     AND tablename NOT IN (SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid) ORDER BY indexname"
                };
                sqlx::query_scalar::<_, String>(sql)
                    .fetch_all(&pool)
                    .await
                    .unwrap()
            }
        };
        let before = indexes(r).await;
        let c = Catalogue::builtin().unwrap();
        let years = [y(2024), y(2025), y(2026)];
        let done = std::sync::atomic::AtomicUsize::new(0);
        // Two full communes and a part of a third.
        let s = r
            .seed_province(&c, 4_100, &years, 7, &|n| {
                done.store(n, std::sync::atomic::Ordering::SeqCst)
            })
            .await
            .unwrap();
        assert_eq!(
            (s.communes, s.households, s.assessments),
            (3, 4_100, 12_300),
            "{}",
            e.name
        );
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 4_100);
        assert!(s.members > 4_100, "every household has at least its head");
        assert_eq!(
            indexes(r).await,
            before,
            "{}: every index is built again",
            e.name
        );
        if r.db().backend() == registry::Backend::Postgres {
            // Built on every partition too, and valid (an index made on a
            // partitioned table "ON ONLY" it would be neither).
            let invalid: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM pg_index WHERE NOT indisvalid")
                    .fetch_one(r.db().pool())
                    .await
                    .unwrap();
            assert_eq!(invalid, 0);
            let per_table: Vec<(String, i64)> = sqlx::query_as(
                "SELECT tablename::text, COUNT(*) FROM pg_indexes WHERE tablename IN ('households', 'households_default', \
                 (SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                  WHERE i.inhparent = 'households'::regclass AND c.relname <> 'households_default')) \
                 GROUP BY tablename ORDER BY tablename",
            )
            .fetch_all(r.db().pool())
            .await
            .unwrap();
            assert_eq!(per_table.len(), 3, "{per_table:?}");
            assert!(
                per_table.iter().all(|(_, n)| *n == per_table[0].1),
                "{per_table:?}"
            );
        }
        let count = |sql: &'static str| {
            let pool = r.db().pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM households").await, 4_100);
        assert_eq!(
            count("SELECT COUNT(*) FROM members").await,
            s.members as i64
        );
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM audit_log WHERE entity = 'household' AND action = 'create'"
            )
            .await,
            4_100,
            "one audit row per household"
        );
        // Past years closed by each commune; the last one under way.
        assert_eq!(
            count("SELECT COUNT(*) FROM review_rounds WHERE step = 'closed'").await,
            6
        );
        assert_eq!(r.count_drift().await.unwrap(), Vec::new(), "{}", e.name);
        let years = r.year_counts(&admin(), None).await.unwrap();
        assert_eq!(
            years
                .iter()
                .map(|y| (y.year, y.households, y.assessed))
                .collect::<Vec<_>>(),
            [
                (2024, 4_100, 4_100),
                (2025, 4_100, 4_100),
                (2026, 4_100, 4_100)
            ]
        );
        assert!(years[0].closed() && years[1].closed() && !years[2].closed());
        // The province asked for by its code counts the same years as the
        // whole registry: its communes, not its own roll-up row as one more.
        assert_eq!(
            r.year_counts(&admin(), Some(registry::PROVINCE_CODE))
                .await
                .unwrap(),
            years,
            "{}",
            e.name
        );
        // The ids continue after the load, on both engines.
        let new = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "MOI-1".into(),
                    commune_code: registry::PROVINCE_COMMUNE.into(),
                    village_code: None,
                    address: String::new(),
                    head_name: "Lê Văn Mới".into(),
                    phone: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(new.get(), 4_101, "{}", e.name);
        // A commune officer finds names of their commune only.
        let xa = officer(r, registry::PROVINCE_COMMUNE).await;
        let found = r.search_households(&xa, "nguyen", 20).await.unwrap();
        assert!(!found.is_empty());
        assert!(
            found
                .iter()
                .all(|h| h.code.starts_with(registry::PROVINCE_COMMUNE))
        );
        // An export holds every household of its unit once, in the list's
        // order, each with its own members: a commune read in several
        // chunks (a whole commune of 2,000; the third's 100 households in
        // chunks of 7, and of 100 and 50, which end at a chunk's end), and
        // the whole province (walked in name order).
        let dir = tempfile::tempdir().unwrap();
        for (unit, chunk) in [
            (registry::PROVINCE_COMMUNE, None),
            ("990003", Some(7)),
            ("990003", Some(100)),
            ("990003", Some(50)),
            ("990003", Some(1)),
            (registry::PROVINCE_CODE, None),
        ] {
            let chunked = match chunk {
                Some(n) => r.clone().with_export_chunk(n),
                None => r.clone(),
            };
            let (bytes, n) = chunked
                .export_list(&admin(), unit, y(2025), false)
                .await
                .unwrap();
            let order: Vec<String> = r
                .household_list(&admin(), unit, 2025)
                .await
                .unwrap()
                .into_iter()
                .map(|h| h.code)
                .collect();
            assert_eq!(n, order.len(), "{} {unit} {chunk:?}", e.name);
            let out = dir.path().join(format!("{unit}-{chunk:?}.xlsx"));
            registry::write_file(&out, &bytes).unwrap();
            let grids = registry::sheets::read_grids(&out).unwrap();
            let t = registry::sheets::find_table(&grids[0], registry::sheets::HOUSEHOLD_FIELDS)
                .unwrap();
            let written: Vec<&str> = t
                .rows
                .iter()
                .map(|(_, row)| t.cell(row, "household_code"))
                .collect();
            assert_eq!(written, order, "{} {unit} {chunk:?}", e.name);
            // The members in the list's order of households, then their own.
            let place: std::collections::HashMap<&str, usize> = order
                .iter()
                .enumerate()
                .map(|(i, code)| (code.as_str(), i))
                .collect();
            let mut members: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT h.code, m.full_name, m.id FROM members m JOIN households h ON h.id = m.household_id \
                 WHERE m.removed_on IS NULL AND h.removed_on IS NULL",
            )
            .fetch_all(r.db().pool())
            .await
            .unwrap();
            members.retain(|(code, _, _)| place.contains_key(code.as_str()));
            members.sort_by_key(|(code, _, id)| (place[code.as_str()], *id));
            let m =
                registry::sheets::find_table(&grids[1], registry::sheets::MEMBER_FIELDS).unwrap();
            let written: Vec<(&str, &str)> = m
                .rows
                .iter()
                .map(|(_, row)| (m.cell(row, "household_code"), m.cell(row, "full_name")))
                .collect();
            let expected: Vec<(&str, &str)> = members
                .iter()
                .map(|(code, name, _)| (code.as_str(), name.as_str()))
                .collect();
            assert_eq!(written, expected, "{} {unit} {chunk:?}", e.name);
        }
        // A second demo into the same database is refused, nothing written.
        assert!(matches!(
            r.seed_province(&c, 10, &[y(2026)], 1, &|_| {}).await,
            Err(RegistryError::Invalid(_))
        ));
        assert_eq!(count("SELECT COUNT(*) FROM households").await, 4_101);
        e.cleanup().await;
    }
}

/// Households on a year's registry are kept counts: created, moved,
/// assessed earlier and removed, the kept spans agree with a recount.
#[tokio::test]
async fn household_spans_follow_creation_moves_first_years_and_removals() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "H1".into(),
                    commune_code: "18652".into(),
                    village_code: None,
                    address: String::new(),
                    head_name: "Trần Thị Bình".into(),
                    phone: String::new(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: created",
            e.name
        );
        let c = Catalogue::builtin().unwrap();
        let s = c.get("vn-2022-2025").unwrap();
        r.record_survey(&admin(), id, y(2023), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        r.record_survey(&admin(), id, y(2022), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: first year earlier",
            e.name
        );
        let years = r.year_counts(&admin(), None).await.unwrap();
        assert_eq!(
            years
                .iter()
                .map(|y| (y.year, y.households))
                .collect::<Vec<_>>(),
            [(2022, 1), (2023, 1)]
        );
        r.remove_household(&admin(), id, "15/06/2023", "Chuyển đi nơi khác")
            .await
            .unwrap();
        assert_eq!(
            r.count_drift().await.unwrap(),
            Vec::new(),
            "{}: removed",
            e.name
        );
        e.cleanup().await;
    }
}

#[tokio::test]
async fn kept_tallies_follow_every_kind_of_write() {
    use registry::{Group, Measure, Movement};
    use standard::Status::{NotPoor, Poor};
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let s = standard();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "T1".into(),
                    commune_code: "18652".into(),
                    head_name: "Lê Văn Tâm".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let tally = |unit: &'static str, year: i64, m: Measure| async move {
            r.tallies(&admin(), Some(unit), y(year), std::slice::from_ref(&m))
                .await
                .unwrap()
                .expect("a commune's tallies")
                .get(&m)
        };
        let agree = |step: &'static str| async move {
            assert_eq!(
                r.count_drift().await.unwrap(),
                Vec::new(),
                "{}: kept counts and tallies agree after {step}",
                e.name
            );
        };
        // Poor in 2023, deprived in water, latrine and internet.
        r.record_survey(&admin(), id, y(2023), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        agree("a survey").await;
        assert_eq!(
            tally("18652", 2023, Measure::Deprived("water".into(), Poor)).await,
            1
        );
        assert_eq!(
            tally("18652", 2023, Measure::Movement(Movement::NewlyPoor)).await,
            1
        );
        assert_eq!(
            tally("18652", 2024, Measure::Movement(Movement::LeftPoorList)).await,
            1
        );
        // A meritorious member born in 1950: the household is in two groups.
        let added = r
            .add_member(
                &admin(),
                id,
                &NewMember {
                    full_name: "Lê Văn Cường".into(),
                    birth_date: Some("01/01/1950".into()),
                    merit: true,
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
        agree("a member added").await;
        assert_eq!(
            tally("18652", 2023, Measure::Group(Group::Merit, Poor)).await,
            1
        );
        assert_eq!(
            tally(
                "18652",
                2023,
                Measure::Group(Group::NoWorkingCapacity, Poor)
            )
            .await,
            1
        );
        // Out of poverty in 2024, above the near-poor line.
        r.record_survey(&admin(), id, y(2024), &two_adults(5_000_000, false), s)
            .await
            .unwrap();
        agree("a second year").await;
        assert_eq!(
            tally(
                "18652",
                2024,
                Measure::Movement(Movement::EscapedAboveNearPoor)
            )
            .await,
            1
        );
        assert_eq!(
            tally("18652", 2024, Measure::Movement(Movement::LeftPoorList)).await,
            0
        );
        assert_eq!(
            tally("18652", 2024, Measure::Group(Group::Merit, NotPoor)).await,
            1
        );
        // Surveyed again, the same year replaces its tallies.
        r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        agree("a year surveyed again").await;
        assert_eq!(
            tally(
                "18652",
                2024,
                Measure::Movement(Movement::EscapedAboveNearPoor)
            )
            .await,
            0
        );
        assert_eq!(
            tally("18652", 2024, Measure::Group(Group::Merit, Poor)).await,
            1
        );
        // Poor and deprived in water: missing the water programme until it
        // is delivered that year.
        let water = || Measure::Missing("clean_water_sanitation".into());
        assert_eq!(tally("18652", 2024, water()).await, 1);
        let policies =
            support::Catalogue::builtin(&standard::Catalogue::builtin().unwrap()).unwrap();
        r.record_delivery(
            &admin(),
            id,
            &policies,
            &registry::NewDelivery {
                policy: "clean_water_sanitation".into(),
                delivered_on: "10/06/2024".into(),
                ..registry::NewDelivery::default()
            },
        )
        .await
        .unwrap();
        agree("a delivery").await;
        assert_eq!(tally("18652", 2024, water()).await, 0);
        assert_eq!(tally("42", 2024, water()).await, 0);
        r.remove_member(&admin(), added, "01/06/2024", "Mất")
            .await
            .unwrap();
        agree("a member removed").await;
        assert_eq!(
            tally("18652", 2023, Measure::Group(Group::Merit, Poor)).await,
            0
        );
        assert_eq!(
            tally(
                "18652",
                2023,
                Measure::Group(Group::NoWorkingCapacity, Poor)
            )
            .await,
            0,
            "no member left"
        );
        // A member sheet adds a child: nobody in the household can work.
        let sheet = write(
            dir.path(),
            "tv.csv",
            "Mã hộ,Họ và tên,Giới tính,Ngày sinh\nT1,Lê Thị Hoa,Nữ,01/01/2015\n",
        );
        r.import_sheets(&admin(), &[sheet], None, None, false)
            .await
            .unwrap();
        agree("a member sheet").await;
        assert_eq!(
            tally(
                "18652",
                2023,
                Measure::Group(Group::NoWorkingCapacity, Poor)
            )
            .await,
            1
        );
        // Moved to another commune by a household sheet: its tallies go
        // with it.
        let moved = write(
            dir.path(),
            "ho.csv",
            "Mã hộ,Họ và tên chủ hộ,Mã xã\nT1,Lê Văn Tâm,18655\n",
        );
        let summary = r
            .import_sheets(&admin(), &[moved], None, None, false)
            .await
            .unwrap();
        assert_eq!(summary.updated, 1, "{}", e.name);
        agree("a move").await;
        assert_eq!(
            tally("18652", 2023, Measure::Deprived("water".into(), Poor)).await,
            0
        );
        assert_eq!(
            tally("18655", 2023, Measure::Deprived("water".into(), Poor)).await,
            1
        );
        r.remove_household(&admin(), id, "15/03/2025", "Chuyển đi nơi khác")
            .await
            .unwrap();
        agree("a removal").await;
        // New households from a flat file, in bulk.
        let (units, data, _) = flat_data(dir.path(), 11, 120);
        r.import_units(&admin(), &units, false).await.unwrap();
        r.import_flat(&admin(), &data, s, y(2024), false)
            .await
            .unwrap();
        agree("a flat import").await;
        r.import_flat(&admin(), &data, s, y(2025), false)
            .await
            .unwrap();
        agree("a flat import of a second year").await;
        // The kept movements are what the movements report counts.
        for unit in ["18652", "18655"] {
            for year in [2023, 2024, 2025] {
                let moved = r.movements(&admin(), unit, y(year)).await.unwrap();
                for m in Movement::ALL {
                    assert_eq!(
                        tally(unit, year, Measure::Movement(m)).await,
                        moved.count(m) as i64,
                        "{}: {unit} {year} {m:?}",
                        e.name
                    );
                }
            }
        }
        // A commune's sheet (its tallies of a year as one text) that no
        // longer says what its tallies do is drift, named.
        // (A sheet names its measures by number, `tally_measures`.)
        for statement in [
            "INSERT INTO tally_measures (measure) SELECT 'movement/newly_poor' WHERE true ON CONFLICT (measure) DO NOTHING",
            "UPDATE tally_sheets SET body = body || ';' || (SELECT id FROM tally_measures WHERE measure = 'movement/newly_poor') || '=70000' \
             WHERE band = 'counts' AND year = 2024 AND commune_id = (SELECT id FROM units WHERE code = '18652')",
        ] {
            sqlx::query(statement).execute(r.db().pool()).await.unwrap();
        }
        let drift = r.count_drift().await.unwrap();
        assert_eq!(drift.len(), 1, "{}: {drift:?}", e.name);
        assert_eq!(drift[0].0.1, 2024);
        assert_eq!(drift[0].0.2, "sheet movement/newly_poor");
        assert_eq!(drift[0].1.0, 70000, "{}: the sheet's number", e.name);
        // A number that names no measure is drift too, under its number.
        sqlx::query(
            "UPDATE tally_sheets SET body = '999999=5' WHERE band = 'counts' AND year = 2023 \
             AND commune_id = (SELECT id FROM units WHERE code = '18655')",
        )
        .execute(r.db().pool())
        .await
        .unwrap();
        let drift = r.count_drift().await.unwrap();
        assert!(
            drift
                .iter()
                .any(|d| d.0.1 == 2023 && d.0.2 == "sheet #999999" && d.1.0 == 5),
            "{}: {drift:?}",
            e.name
        );
        e.cleanup().await;
    }
}

const TWO_PROVINCES: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
18652,Xã Xuân Hội,commune,42,,,,
40,Tỉnh Nghệ An,province,,,,,
16891,Xã Nghi Thiết,commune,40,,,,
";

async fn provinces_of(r: &Registry, table: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT province_id FROM {table} ORDER BY province_id"
    )))
    .fetch_all(r.db().pool())
    .await
    .unwrap()
}

/// The rows of a province's partition of a table (PostgreSQL).
async fn in_partition(r: &Registry, table: &str, province: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {table}_p{province}"
    )))
    .fetch_one(r.db().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_microdata_is_kept_by_province_and_moves_with_its_household() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_PROVINCES), false)
            .await
            .unwrap();
        let ha_tinh = r.unit_by_code("42").await.unwrap().unwrap().id.get();
        let nghe_an = r.unit_by_code("40").await.unwrap().unwrap().id.get();
        let s = standard();
        let mut ids = Vec::new();
        for (code, commune) in [("P1", "18652"), ("P2", "16891")] {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.into(),
                        commune_code: commune.into(),
                        head_name: "Phạm Văn Nam".into(),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            r.add_member(
                &admin(),
                id,
                &NewMember {
                    full_name: "Phạm Văn Nam".into(),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
            r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, true), s)
                .await
                .unwrap();
            ids.push(id);
        }
        let mut both = vec![ha_tinh, nghe_an];
        both.sort_unstable();
        for table in ["households", "members", "surveys", "assessments"] {
            assert_eq!(provinces_of(r, table).await, both, "{}: {table}", e.name);
        }
        if r.db().backend() == registry::Backend::Postgres {
            let partitioned: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid \
                 WHERE c.relname IN ('households', 'members', 'surveys', 'assessments')",
            )
            .fetch_one(r.db().pool())
            .await
            .unwrap();
            assert_eq!(partitioned, 4);
            for table in ["households", "members", "surveys", "assessments"] {
                assert_eq!(in_partition(r, table, ha_tinh).await, 1, "{table}");
                assert_eq!(in_partition(r, table, nghe_an).await, 1, "{table}");
            }
        }
        // A household sheet moves P1 to Nghệ An: it and all it holds.
        let moved = write(
            dir.path(),
            "ho.csv",
            "Mã hộ,Họ và tên chủ hộ,Mã xã\nP1,Phạm Văn Nam,16891\n",
        );
        r.import_sheets(&admin(), &[moved], None, None, false)
            .await
            .unwrap();
        for table in ["households", "members", "surveys", "assessments"] {
            assert_eq!(
                provinces_of(r, table).await,
                vec![nghe_an],
                "{}: {table}",
                e.name
            );
        }
        if r.db().backend() == registry::Backend::Postgres {
            assert_eq!(in_partition(r, "assessments", ha_tinh).await, 0);
            assert_eq!(in_partition(r, "assessments", nghe_an).await, 2);
        }
        // The units file puts Nghi Thiết under a new province: its
        // households (both, now) follow.
        let regrouped = TWO_PROVINCES
            .replace(
                "40,Tỉnh Nghệ An,province,,,,,",
                "40,Tỉnh Nghệ An,province,,,,,\n38,Tỉnh Thanh Hóa,province,,,,,",
            )
            .replace(
                "16891,Xã Nghi Thiết,commune,40",
                "16891,Xã Nghi Thiết,commune,38",
            );
        r.import_units(&admin(), &write(dir.path(), "u2.csv", &regrouped), false)
            .await
            .unwrap();
        let thanh_hoa = r.unit_by_code("38").await.unwrap().unwrap().id.get();
        for table in ["households", "members", "surveys", "assessments"] {
            assert_eq!(
                provinces_of(r, table).await,
                vec![thanh_hoa],
                "{}: {table}",
                e.name
            );
        }
        if r.db().backend() == registry::Backend::Postgres {
            assert_eq!(in_partition(r, "members", thanh_hoa).await, 2);
        }
        assert_eq!(r.count_drift().await.unwrap(), Vec::new(), "{}", e.name);
        e.cleanup().await;
    }
}

#[tokio::test]
async fn a_registry_of_before_the_provinces_gets_them_from_its_units() {
    for e in engines_until(10).await {
        let r = &e.registry;
        let sql = [
            "INSERT INTO units (id, code, name, name_search, level, parent_id) VALUES (1, '42', 'Tỉnh Hà Tĩnh', 'tinh ha tinh', 'province', NULL)",
            "INSERT INTO units (id, code, name, name_search, level, parent_id) VALUES (2, '436', 'Huyện Nghi Xuân', 'huyen nghi xuan', 'district', 1)",
            "INSERT INTO units (id, code, name, name_search, level, parent_id) VALUES (3, '18652', 'Xã Xuân Hội', 'xa xuan hoi', 'commune', 2)",
            "INSERT INTO units (id, code, name, name_search, level, parent_id) VALUES (4, '40', 'Tỉnh Nghệ An', 'tinh nghe an', 'province', NULL)",
            "INSERT INTO units (id, code, name, name_search, level, parent_id) VALUES (5, '16891', 'Xã Nghi Thiết', 'xa nghi thiet', 'commune', 4)",
            "INSERT INTO households (id, code, commune_id, head_name, created_at, updated_at) VALUES (7, 'H7', 3, 'An', 'x', 'x')",
            "INSERT INTO households (id, code, commune_id, head_name, head_sort, created_at, updated_at) VALUES (8, 'H8', 5, 'Bình', 'binh', 'x', 'x')",
            "INSERT INTO members (id, household_id, full_name, name_search, given_search, name_sort) VALUES (9, 7, 'An', 'an', 'an', 'an')",
            "INSERT INTO surveys (id, household_id, year, answers, created_at, created_by) VALUES (10, 8, 2024, '{}', 'x', 'x')",
            "INSERT INTO assessments (id, household_id, year, standard_id, official, status, deprivation_count, deprived, score_points, score_denominator, reason, inputs, survey_id, created_at) \
             VALUES (11, 8, 2024, 'vn-2022-2025', 1, 'poor', 0, '', 0, 1, 'r', '{}', 10, 'x')",
        ];
        for statement in sql {
            sqlx::query(statement).execute(r.db().pool()).await.unwrap();
        }
        assert_eq!(r.db().migrate().await.unwrap(), registry::MIGRATIONS - 10);
        let province = |table: &'static str, id: i64| async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT province_id FROM {table} WHERE id = {id}"
            )))
            .fetch_one(r.db().pool())
            .await
            .unwrap()
        };
        assert_eq!(province("households", 7).await, 1, "{}", e.name);
        assert_eq!(province("members", 9).await, 1);
        assert_eq!(province("households", 8).await, 4);
        assert_eq!(province("surveys", 10).await, 4);
        assert_eq!(province("assessments", 11).await, 4);
        // The assessment carries its head's sort key (migration 28).
        let sort: String = sqlx::query_scalar("SELECT head_sort FROM assessments WHERE id = 11")
            .fetch_one(r.db().pool())
            .await
            .unwrap();
        assert_eq!(sort, "binh", "{}", e.name);
        // New rows continue the ids after the copied ones.
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "H12".into(),
                    commune_code: "18652".into(),
                    head_name: "Cúc".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        assert!(id.get() > 8, "{id}");
        e.cleanup().await;
    }
}

#[tokio::test]
async fn dashboards_and_reports_read_from_the_replica_when_one_is_given() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "R1".into(),
                    commune_code: "18652".into(),
                    head_name: "Đỗ Văn Hải".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let s = standard();
        r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        let poor = |r: Registry| async move {
            let years = r.year_counts(&admin(), None).await.unwrap();
            years.iter().find(|c| c.year == 2024).map(|c| c.poor)
        };
        let replica_url = match r.db().backend() {
            // A copy of the file stands for a replica that has not yet
            // received the change below.
            registry::Backend::Sqlite => {
                let copy = dir.path().join("replica.db");
                r.db().backup(&copy).await.unwrap();
                format!("sqlite:{}", copy.display())
            }
            // The database itself, through read-only connections.
            registry::Backend::Postgres => {
                let (admin_url, name) = e.drop_pg.clone().unwrap();
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b)
                    .to_string();
                format!("{base}/{name}")
            }
        };
        // Out of poverty now, on the primary.
        r.record_survey(&admin(), id, y(2024), &two_adults(5_000_000, false), s)
            .await
            .unwrap();
        let with_replica = Registry::new(r.db().clone().with_reports(&replica_url).await.unwrap());
        assert_eq!(poor(r.clone()).await, Some(0), "{}: the primary", e.name);
        let seen = poor(with_replica.clone()).await;
        let tallied = with_replica
            .tallies(
                &admin(),
                None,
                y(2024),
                &[registry::Measure::Movement(registry::Movement::NewlyPoor)],
            )
            .await
            .unwrap()
            .unwrap();
        let moved = with_replica
            .movements(&admin(), "18652", y(2024))
            .await
            .unwrap();
        if r.db().backend() == registry::Backend::Sqlite {
            assert_eq!(seen, Some(1), "the dashboard reads the replica's copy");
            assert_eq!(
                tallied.get(&registry::Measure::Movement(registry::Movement::NewlyPoor)),
                1
            );
            assert_eq!(moved.end_poor, 1);
        } else {
            assert_eq!(seen, Some(0));
            assert_eq!(moved.end_poor, 0);
        }
        // Lists and households stay on the primary (they are read back
        // right after a write).
        let (rows, _) = with_replica
            .list_households(
                &admin(),
                &registry::HouseholdQuery {
                    status: Some(standard::Status::Poor),
                    year: Some(2024),
                    page: 1,
                    per_page: 10,
                    ..registry::HouseholdQuery::default()
                },
            )
            .await
            .unwrap();
        assert!(rows.is_empty(), "{}", e.name);
        // Nothing is written through the replica's connections.
        let refused = sqlx::query("DELETE FROM sessions")
            .execute(with_replica.db().reports_pool())
            .await;
        assert!(refused.is_err(), "{}: read-only", e.name);
        e.cleanup().await;
    }
}

/// A commune's list as districts keep it: titles, a header block of
/// `header` rows (merged group labels over sub-labels, a blank spacer
/// row), a row numbering the columns, then the households.
fn list_workbook(path: &Path, sheet_name: &str, header: &[&[&str]], rows: &[&[&str]]) {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).unwrap();
    sheet
        .write_string(0, 0, "DANH SÁCH HỘ NGHÈO NĂM 2025")
        .unwrap();
    let mut r = 2u32;
    for labels in header {
        // A label followed by "" cells is a group merged over them.
        let mut c = 0usize;
        while c < labels.len() {
            let mut end = c;
            while !labels[c].is_empty()
                && end + 1 < labels.len()
                && labels[end + 1].is_empty()
                && r == 2
            {
                end += 1;
            }
            if end > c && header.len() > 1 {
                sheet
                    .merge_range(r, c as u16, r, end as u16, labels[c], &bold)
                    .unwrap();
            } else if !labels[c].is_empty() {
                sheet.write_string(r, c as u16, labels[c]).unwrap();
            }
            c = if end > c && header.len() > 1 {
                end + 1
            } else {
                c + 1
            };
        }
        r += 1;
    }
    let width = header[0].len();
    for c in 0..width {
        sheet
            .write_string(r, c as u16, format!("({})", c + 1))
            .unwrap();
    }
    for row in rows {
        r += 1;
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r, c as u16, *v).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[tokio::test]
async fn district_lists_with_merged_headers_import_the_head_or_name_what_they_cannot() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();

        // Deprivation marks under a merged heading: the sub-labels are the
        // header's second row, not a household without a code; the marks
        // are refused by column, and the message says where the header was.
        let marks = dir.path().join("marks.xlsx");
        list_workbook(
            &marks,
            "DS hộ nghèo",
            &[
                &[
                    "STT",
                    "Mã hộ",
                    "Họ và tên chủ hộ",
                    "Thôn",
                    "Các chỉ số thiếu hụt",
                    "",
                    "",
                ],
                &["", "", "", "", "Việc làm", "Dinh dưỡng", "Bảo hiểm y tế"],
            ],
            &[&["1", "XH-11", "Nguyễn Văn Tư", "Thôn 1", "x", "", "x"]],
        );
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&marks),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tiêu đề ở dòng 3–4, dữ liệu từ dòng 6"),
            "{err}"
        );
        assert!(!err.contains("mỗi hộ cần một mã hộ"), "{err}");
        for column in ["cột E (Các chỉ số thiếu hụt / Việc làm)", "cột F", "cột G"]
        {
            assert!(err.contains(column), "{column}: {err}");
        }
        assert!(err.contains("chạy với --year"), "{err}");
        assert_eq!(count(r, "households").await, 0);

        // The head's person columns under "Chủ hộ", a blank spacer row in
        // the header block, a note column and a column nobody knows.
        let unknown = dir.path().join("unknown.xlsx");
        list_workbook(
            &unknown,
            "DS",
            &[
                &["Mã hộ", "Chủ hộ", "", "", "", "Thôn", "Hạng đất"],
                &["", "", "", "", "", "", ""],
                &["", "Họ và tên", "Ngày sinh", "Số CCCD", "Giới tính", "", ""],
            ],
            &[&[
                "XH-12",
                "Lê Văn Năm",
                "02/03/1970",
                "042070001111",
                "Nam",
                "Thôn 1",
                "3",
            ]],
        );
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&unknown),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tiêu đề ở dòng 3–5, dữ liệu từ dòng 7"),
            "{err}"
        );
        assert!(
            err.contains("cột G (Hạng đất): không biết cột này ghi gì"),
            "{err}"
        );

        let book = dir.path().join("heads.xlsx");
        list_workbook(
            &book,
            "DS",
            &[
                &[
                    "Mã hộ",
                    "Chủ hộ",
                    "",
                    "",
                    "",
                    "Dân tộc",
                    "Số nhân khẩu",
                    "Thôn",
                    "Ghi chú",
                ],
                &["", "", "", "", "", "", "", "", ""],
                &[
                    "",
                    "Họ và tên",
                    "Ngày sinh",
                    "Số CCCD",
                    "Giới tính",
                    "",
                    "",
                    "",
                    "",
                ],
            ],
            &[
                &[
                    "XH-12",
                    "Lê Văn Năm",
                    "02/03/1970",
                    "042070001111",
                    "Nam",
                    "Kinh",
                    "1",
                    "Thôn 1",
                    "",
                ],
                &[
                    "XH-13",
                    "Phạm Thị Sáu",
                    "04/05/1985",
                    "042185002222",
                    "Nữ",
                    "Kinh",
                    "4",
                    "Thôn 2",
                    "mới tách hộ",
                ],
            ],
        );
        let s = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&book),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap();
        assert_eq!(s.created, 2, "{}", e.name);
        assert_eq!(count(r, "members").await, 2, "each head is a member");
        assert_eq!(
            count(
                r,
                "members WHERE id_number = '042185002222' AND birth_date = '1985-05-04' AND sex = 'female' AND relation = 'Chủ hộ' AND ethnicity = 'Kinh'"
            )
            .await,
            1
        );
        assert!(
            s.notes.iter().any(|n| n.contains("cột I (Ghi chú)")),
            "{:?}",
            s.notes
        );
        assert!(
            s.notes.iter().any(|n| n.starts_with("1 hộ có số nhân khẩu")
                && n.contains("hộ XH-13")
                && n.contains("ghi 4 nhân khẩu, có 1")),
            "{:?}",
            s.notes
        );
        // The ethnic-minority mark agrees with the head's ethnicity, or the
        // row is refused.
        let minority = dir.path().join("minority.xlsx");
        list_workbook(
            &minority,
            "DS",
            &[&["Mã hộ", "Họ và tên chủ hộ", "Dân tộc", "DTTS", "Thôn"]],
            &[
                &["XH-31", "Lò Văn Pọm", "Thái", "x", "Thôn 1"],
                &["XH-32", "Trần Văn Một", "Kinh", "x", "Thôn 1"],
                &["XH-33", "Hà Thị Hai", "", "x", "Thôn 1"],
            ],
        );
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&minority),
                Some("18652"),
                None,
                true,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(!err.contains("dòng 5,"), "{err}");
        assert!(
            err.contains(
                "dòng 6, cột D (DTTS): đánh dấu dân tộc thiểu số nhưng chủ hộ là dân tộc \"Kinh\""
            ),
            "{err}"
        );
        assert!(
            err.contains("dòng 7, cột D (DTTS): hộ dân tộc thiểu số; ghi dân tộc của chủ hộ"),
            "{err}"
        );
        // Again: nobody is created twice.
        let again = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&book),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap();
        assert_eq!((again.created, again.unchanged), (0, 2));
        assert_eq!(count(r, "members").await, 2);
        assert_eq!(r.count_drift().await.unwrap(), Vec::new());
    }
}

#[tokio::test]
async fn tcvn3_lists_fold_capitals_and_name_their_sheets_in_unicode() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        // "Danh sách hộ nghèo", and "Lê Thị Ánh" whose capital Á is
        // written "Aá" (TCVN3 has no capital with a tone).
        let book = dir.path().join("tcvn3.xlsx");
        list_workbook(
            &book,
            "Danh s\u{b8}ch h\u{e9} ngh\u{cc}o",
            &[&["M\u{b7} h\u{e9}", "Hä vµ tªn chñ h\u{e9}", "Th«n"]],
            &[
                &["XH-21", "Lª ThÞ A\u{b8}nh", "Th«n 1"],
                &["XH-22", "NguyÔn V¨n £\u{d4}nh", ""],
            ],
        );
        r.import_sheets(
            &admin(),
            std::slice::from_ref(&book),
            Some("18652"),
            None,
            false,
        )
        .await
        .unwrap();
        for name in ["Lê Thị Ánh", "Nguyễn Văn Ễnh"] {
            let sql = format!("households WHERE head_name = '{name}'");
            assert_eq!(count(r, &sql).await, 1, "{name} ({})", e.name);
        }
        // A problem names the sheet in Unicode.
        let bad = dir.path().join("bad.xlsx");
        list_workbook(
            &bad,
            "Danh s\u{b8}ch h\u{e9} ngh\u{cc}o",
            &[&["M\u{b7} h\u{e9}", "Hä vµ tªn chñ h\u{e9}", "Th«n"]],
            &[&["XH-23", "", "Th«n 1"]],
        );
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&bad),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("sheet \"Danh sách hộ nghèo\""), "{err}");
    }
}

#[tokio::test]
async fn lists_without_codes_get_codes_once_and_are_recognised_again() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let book = dir.path().join("nocodes.xlsx");
        let header: &[&[&str]] = &[&["STT", "Họ và tên chủ hộ", "Ngày sinh", "Số CCCD", "Thôn"]];
        list_workbook(
            &book,
            "DS",
            header,
            &[
                &["1", "Hoàng Văn Bảy", "01/01/1960", "042060003333", "Thôn 1"],
                &["2", "Đỗ Thị Tám", "02/02/1962", "", "Thôn 2"],
            ],
        );
        let s = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&book),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap();
        assert_eq!(s.created, 2, "{}", e.name);
        assert_eq!(
            count(r, "households WHERE code IN ('18652-00001', '18652-00002')").await,
            2
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("0 hộ nhận ra trong sổ theo số CCCD")
                    && n.contains("2 hộ mới được đặt mã")
                    && n.contains("18652-00001 … 18652-00002")),
            "{:?}",
            s.notes
        );
        // The same list again, one row now with a CCCD, and a new row: the
        // first by its number, the second by name, birth date and village,
        // the third new with the next code.
        list_workbook(
            &book,
            "DS",
            header,
            &[
                &["1", "Hoàng Văn Bảy", "01/01/1960", "042060003333", "Thôn 1"],
                &["2", "Đỗ Thị Tám", "02/02/1962", "", "Thôn 2"],
                &["3", "Vũ Văn Chín", "03/03/1963", "", "Thôn 1"],
            ],
        );
        let again = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&book),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap();
        assert_eq!(
            (again.created, again.unchanged),
            (1, 2),
            "{:?}",
            again.notes
        );
        assert!(
            again
                .notes
                .iter()
                .any(|n| n.contains("1 hộ nhận ra trong sổ theo số CCCD")
                    && n.contains("1 theo họ tên")
                    && n.contains("1 hộ mới được đặt mã")
                    && n.contains("18652-00003")),
            "{:?}",
            again.notes
        );
        assert_eq!(count(r, "households").await, 3);
        assert_eq!(count(r, "members").await, 3);
        // Without codes the head's name is the key: "Họ và tên" under a
        // merged "Chủ hộ" is the header's second row, not a household.
        let merged = dir.path().join("merged.xlsx");
        list_workbook(
            &merged,
            "DS",
            &[
                &["STT", "Chủ hộ", "", "", "Thôn"],
                &["", "Họ và tên", "Ngày sinh", "Số CCCD", ""],
            ],
            &[&["1", "Hoàng Văn Bảy", "01/01/1960", "042060003333", "Thôn 1"]],
        );
        let s = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&merged),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap();
        assert_eq!((s.created, s.unchanged), (0, 1), "{:?}", s.notes);
        assert_eq!(count(r, "households").await, 3);
        // A row whose head is missing is named as such, not as a missing code.
        list_workbook(
            &book,
            "DS",
            header,
            &[
                &["1", "", "", "", "Thôn 1"],
                &["2", "Mai Văn Mười", "", "", ""],
            ],
        );
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&book),
                Some("18652"),
                None,
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ô trống; ghi họ và tên chủ hộ"), "{err}");
        assert!(!err.contains("mỗi hộ cần một mã hộ"), "{err}");
    }
}

#[tokio::test]
async fn a_rounds_list_is_this_years_and_certificates_run_on_across_its_rounds() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_TIERS), false)
            .await
            .unwrap();
        let s = standard();
        let mut ids = Vec::new();
        for code in ["L1", "A1", "OLD"] {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.into(),
                        commune_code: "18652".into(),
                        village_code: Some("1865201".into()),
                        head_name: format!("Chủ hộ {code}"),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            ids.push(id);
        }
        // L1 is on the 2024 poor list; A1 applies in 2025; OLD applied in
        // 2023 and is no business of 2025's rounds.
        for year in [2024, 2025] {
            r.record_survey(&admin(), ids[0], y(year), &two_adults(1_000_000, true), s)
                .await
                .unwrap();
        }
        r.record_survey(&admin(), ids[1], y(2025), &two_adults(1_000_000, true), s)
            .await
            .unwrap();
        let xuanhoi = officer(r, "18652").await;
        r.submit_request(&xuanhoi, ids[2], "01", "10/03/2023")
            .await
            .unwrap();
        let province = Actor {
            name: "tinh".into(),
            role: Role::Officer,
            unit_id: Some(r.unit_by_code("42").await.unwrap().unwrap().id),
            agency: None,
        };
        let reader = &xuanhoi;
        let certificates = |round: RoundId| async move {
            let (_, cases) = r.round(reader, round).await.unwrap().unwrap();
            let mut c: Vec<(registry::HouseholdId, String)> = cases
                .iter()
                .filter_map(|c| Some((c.household_id, c.certificate.clone()?)))
                .collect();
            c.sort();
            c
        };

        let periodic = r
            .open_round(&xuanhoi, "18652", y(2025), &periodic())
            .await
            .unwrap();
        let (_, cases) = r.round(&xuanhoi, periodic).await.unwrap().unwrap();
        let listed: Vec<registry::HouseholdId> = cases.iter().map(|c| c.household_id).collect();
        assert_eq!(listed, [ids[0]], "{}: last year's list only", e.name);
        assert_eq!(report(r, &xuanhoi, periodic, 2025).await, 1);
        assert_eq!(
            certificates(periodic).await,
            [(ids[0], "1/GCN-HN.HCN".to_string())]
        );
        r.approve_round(&province, periodic).await.unwrap();

        // A regular round later in the year, on A1's request.
        r.submit_request(&xuanhoi, ids[1], "01", "20/12/2025")
            .await
            .unwrap();
        let regular = r
            .open_round(
                &xuanhoi,
                "18652",
                y(2025),
                &RoundPlan::Regular { month: 12 },
            )
            .await
            .unwrap();
        // A regular round reviews the requests only: A1, not L1 (reviewed
        // by the periodic round, no request) nor OLD.
        let (round, cases) = r.round(&xuanhoi, regular).await.unwrap().unwrap();
        assert_eq!(
            (round.kind, round.month),
            (registry::RoundKind::Regular, Some(12))
        );
        let listed: Vec<registry::HouseholdId> = cases.iter().map(|c| c.household_id).collect();
        assert_eq!(listed, [ids[1]], "{}: the request only", e.name);
        assert_eq!(report(r, &xuanhoi, regular, 2025).await, 1);
        let numbers: Vec<String> = certificates(regular)
            .await
            .into_iter()
            .map(|c| c.1)
            .collect();
        assert_eq!(numbers, ["2/GCN-HN.HCN"], "{}", e.name);
        r.approve_round(&province, regular).await.unwrap();
        // One regular round a month; months are 1–12.
        for (month, says) in [
            (12, "đã có đợt rà soát thường xuyên tháng 12/2025"),
            (13, "từ 1 đến 12"),
        ] {
            let err = r
                .open_round(&xuanhoi, "18652", y(2025), &RoundPlan::Regular { month })
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }
}

/// The periodic review's window is 1/9–14/12; outside it a round needs a
/// recorded reason. Regular rounds open from the 15th of their month
/// (issue 10, point 10).
#[tokio::test]
async fn a_periodic_round_outside_its_window_needs_a_reason() {
    use chrono::NaiveDate;
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let (from, to) = registry::periodic_window(2025).unwrap();
    assert_eq!((from, to), (d(2025, 9, 1), d(2025, 12, 14)));
    assert_eq!(registry::regular_opens(2025, 3), Some(d(2025, 3, 15)));
    assert_eq!(registry::regular_opens(2025, 13), None);
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_TIERS), false)
            .await
            .unwrap();
        let clerk = officer(r, "18652").await;
        // 2024's window is long past: no reason, no round.
        for reason in [None, Some("   ".to_string())] {
            let err = r
                .open_round(&clerk, "18652", y(2024), &RoundPlan::Periodic { reason })
                .await
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("01/09 đến 14/12/2024") && err.contains("lý do"),
                "{err}"
            );
        }
        let round = r
            .open_round(
                &clerk,
                "18652",
                y(2024),
                &RoundPlan::Periodic {
                    reason: Some("Rà soát bổ sung sau lũ".into()),
                },
            )
            .await
            .unwrap();
        let (opened, _) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(opened.kind, registry::RoundKind::Periodic);
        assert_eq!(
            opened.outside_window_reason.as_deref(),
            Some("Rà soát bổ sung sau lũ"),
            "{}",
            e.name
        );
        let trail = r
            .audit_trail(registry::Entity::ReviewRound, &round.to_string())
            .await
            .unwrap();
        assert!(trail[0].changes.contains("Rà soát bổ sung sau lũ"));
    }
}

/// Posting lasts the calendar file's 3 working days; complaints are
/// recorded during it without moving the round, and after it, also late at
/// the recognition; a request's deadline comes from the same file (issue
/// 10, point 8).
#[tokio::test]
async fn posting_lasts_three_working_days_and_complaints_come_during_and_after() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_TIERS), false)
            .await
            .unwrap();
        let s = standard();
        let mut ids = Vec::new();
        for code in ["P1", "P2"] {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.into(),
                        commune_code: "18652".into(),
                        village_code: Some("1865201".into()),
                        head_name: format!("Chủ hộ {code}"),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            for year in [2025, 2026] {
                r.record_survey(&admin(), id, y(year), &two_adults(1_000_000, true), s)
                    .await
                    .unwrap();
            }
            ids.push(id);
        }
        let clerk = officer(r, "18652").await;
        // The request's deadline: 15 calendar days, as the file says.
        let request = r
            .submit_request(&clerk, ids[1], "01", "01/10/2025")
            .await
            .unwrap();
        let requests = r.requests(&clerk, ids[1]).await.unwrap();
        let asked = requests.iter().find(|q| q.id == request).unwrap();
        assert_eq!(asked.deadline, "2025-10-16", "{}", e.name);

        let round = r
            .open_round(&clerk, "18652", y(2026), &periodic())
            .await
            .unwrap();
        r.finish_surveys(&clerk, round).await.unwrap();
        let votes: Vec<registry::Vote> = ids
            .iter()
            .map(|&household_id| registry::Vote {
                household_id,
                agreeing: 10,
            })
            .collect();
        let meeting = registry::Meeting {
            date: "20/09/2026".into(),
            chair: "Trưởng thôn".into(),
            attendees: 10,
            minutes: "Biên bản".into(),
        };
        r.record_meeting(&clerk, round, &meeting, &votes)
            .await
            .unwrap();
        // Any other length than the law's is refused.
        let err = r
            .start_posting(&clerk, round, "01/10/2026", Some(5))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("3 ngày làm việc"), "{err}");
        // Posted from today: complaints are recorded, the round stays.
        let today = vntext::format_date(chrono::Utc::now().date_naive());
        r.start_posting(&clerk, round, &today, None).await.unwrap();
        let (posted, _) = r.round(&clerk, round).await.unwrap().unwrap();
        assert!(posted.posting_end().unwrap() >= chrono::Utc::now().date_naive());
        let complaint = |household_id, text: &str| registry::Complaint {
            household_id,
            complaint: text.into(),
            recheck_status: "poor".into(),
        };
        let moved = r
            .record_complaints(&clerk, round, &[complaint(ids[0], "Trong niêm yết")])
            .await
            .unwrap();
        assert!(!moved, "{}: still posting", e.name);
        let (during, cases) = r.round(&clerk, round).await.unwrap().unwrap();
        assert_eq!(during.step, registry::Step::Complaints);
        assert!(
            cases
                .iter()
                .any(|c| c.complaint.as_deref() == Some("Trong niêm yết"))
        );
        assert!(
            r.recognise(&clerk, round, "1/QĐ-UBND", &today)
                .await
                .is_err(),
            "no recognition while the list is posted"
        );
    }
}

/// A district list with a two-row merged header, the head's CCCD and birth
/// date, income, the number of members, twelve deprivation marks and the
/// commune's own classification, in Unicode and in TCVN3: with a year, the
/// marks and income become that year's survey, classified by its standard,
/// and where the commune wrote otherwise it is said (issue 10, point 2).
#[tokio::test]
async fn a_district_list_with_survey_facts_is_classified_and_compared() {
    let c = standard::Catalogue::builtin().unwrap();
    let s22 = c.get("vn-2022-2025").unwrap();
    let names: Vec<&str> = s22.indicators.iter().map(|i| i.name.vi.as_str()).collect();
    let group = "Các chỉ số thiếu hụt dịch vụ xã hội cơ bản";
    let mut top: Vec<&str> = vec![
        "STT",
        "Họ và tên chủ hộ",
        "Số CCCD",
        "Ngày sinh",
        "Thôn",
        "Số nhân khẩu",
        "Thu nhập bình quân đầu người/tháng",
        group,
    ];
    top.extend(std::iter::repeat_n("", names.len() - 1));
    top.push("Phân loại");
    let mut second: Vec<&str> = vec![""; 7];
    // Short forms as lists write them for two of the twelve.
    second.extend(names.iter().map(|n| match *n {
        "Bảo hiểm y tế" => "BHYT",
        "Trình độ giáo dục của người lớn" => "Giáo dục người lớn",
        other => other,
    }));
    second.push("");
    let marks =
        |n: usize| -> Vec<&'static str> { (0..12).map(|i| if i < n { "x" } else { "" }).collect() };
    let row = |stt: &'static str,
               name: &'static str,
               id: &'static str,
               born: &'static str,
               income: &'static str,
               n: usize,
               written: &'static str| {
        let mut r = vec![stt, name, id, born, "Thôn 1", "1", income];
        r.extend(marks(n));
        r.push(written);
        r
    };
    let rows = [
        // Poor, as written.
        row(
            "1",
            "Trần Văn Một",
            "042070000101",
            "01/01/1970",
            "1.200.000",
            3,
            "Hộ nghèo",
        ),
        // Written poor, but one deprivation: near-poor by the standard.
        row(
            "2",
            "Lê Thị Hai",
            "042175000202",
            "02/02/1975",
            "1.400.000",
            1,
            "Hộ nghèo",
        ),
        // In the average band.
        row(
            "3",
            "Phạm Văn Ánh",
            "",
            "03/03/1980",
            "2.000.000",
            0,
            "Hộ có mức sống trung bình",
        ),
    ];
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        for (tcvn3, file) in [(false, "unicode.xlsx"), (true, "tcvn3.xlsx")] {
            let enc = |t: &str| {
                if tcvn3 {
                    vntext::legacy::to_tcvn3(t)
                } else {
                    t.to_string()
                }
            };
            let header: Vec<Vec<String>> = [&top, &second]
                .iter()
                .map(|labels| labels.iter().map(|l| enc(l)).collect())
                .collect();
            let body: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| enc(c)).collect())
                .collect();
            let header_refs: Vec<Vec<&str>> = header
                .iter()
                .map(|r| r.iter().map(String::as_str).collect())
                .collect();
            let header_slices: Vec<&[&str]> = header_refs.iter().map(Vec::as_slice).collect();
            let body_refs: Vec<Vec<&str>> = body
                .iter()
                .map(|r| r.iter().map(String::as_str).collect())
                .collect();
            let body_slices: Vec<&[&str]> = body_refs.iter().map(Vec::as_slice).collect();
            let book = dir.path().join(file);
            list_workbook(&book, &enc("DS hộ nghèo"), &header_slices, &body_slices);

            // Without a year the facts are refused by column, naming --year.
            let err = r
                .import_sheets(
                    &admin(),
                    std::slice::from_ref(&book),
                    Some("18652"),
                    None,
                    false,
                )
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("--year") && err.contains("Thu nhập"), "{err}");
            assert_eq!(count(r, "households").await, if tcvn3 { 3 } else { 0 });

            let survey = registry::SheetSurvey {
                year: y(2024),
                standard: s22,
            };
            let s = r
                .import_sheets(
                    &admin(),
                    std::slice::from_ref(&book),
                    Some("18652"),
                    Some(&survey),
                    false,
                )
                .await
                .unwrap();
            let notes = s.notes.join("\n");
            assert!(
                notes.contains("năm 2024 theo vn-2022-2025 cho 3 hộ"),
                "{notes}"
            );
            assert!(
                notes.contains("1 hộ có phân loại xã ghi khác")
                    && notes.contains("xã ghi \"Hộ nghèo\", theo chuẩn là \"Hộ cận nghèo\"")
                    && notes.contains("1 chỉ số thiếu hụt"),
                "{notes}"
            );
            let status = |name: &'static str| async move {
                let (status, count): (String, i64) = sqlx::query_as(
                    "SELECT a.status, (SELECT COUNT(*) FROM surveys v WHERE v.household_id = h.id AND v.year = 2024) \
                     FROM assessments a JOIN households h ON h.id = a.household_id \
                     WHERE a.official = 1 AND a.year = 2024 AND h.head_name = $1",
                )
                .bind(name)
                .fetch_one(r.db().pool())
                .await
                .unwrap();
                (status, count)
            };
            // Each import records the year's survey (history), one official
            // assessment replacing the other.
            let surveys = if tcvn3 { 2 } else { 1 };
            assert_eq!(
                status("Trần Văn Một").await,
                ("poor".to_string(), surveys),
                "{}",
                e.name
            );
            assert_eq!(status("Lê Thị Hai").await.0, "near_poor");
            // The head is the first member, with CCCD and birth date; a
            // capital with a tone ("Ánh", "Aá" in TCVN3) reads back whole.
            assert_eq!(
                count(
                    r,
                    "members WHERE id_number = '042070000101' AND birth_date = '1970-01-01' AND full_name = 'Trần Văn Một'"
                )
                .await,
                1,
                "{} {file}",
                e.name
            );
            assert_eq!(
                count(r, "households WHERE head_name = 'Phạm Văn Ánh'").await,
                1
            );
            assert_eq!(status("Phạm Văn Ánh").await.0, "average");
            // Imported again (the TCVN3 copy of the same list, found by CCCD
            // or name and birth date): the year's survey is recorded again,
            // no household twice.
            assert_eq!(count(r, "households").await, 3, "{}", e.name);
        }
        // A list that lacks indicators is refused with the missing ones.
        let short = dir.path().join("short.xlsx");
        list_workbook(
            &short,
            "DS",
            &[&["Họ và tên chủ hộ", "Thôn", "Thu nhập", "Việc làm", "BHYT"]],
            &[&["Võ Văn Bốn", "Thôn 1", "1.000.000", "x", ""]],
        );
        let survey = registry::SheetSurvey {
            year: y(2024),
            standard: s22,
        };
        let err = r
            .import_sheets(
                &admin(),
                std::slice::from_ref(&short),
                Some("18652"),
                Some(&survey),
                false,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cần đủ thu nhập và 12 chỉ số") && err.contains("Dinh dưỡng"),
            "{err}"
        );
        assert!(!err.contains("thiếu cột: thu nhập"), "{err}");
    }
}

/// Applicants are screened with form A before form B: one criterion met
/// screens a household out (not poor, no form B), the criteria recorded as
/// the reason; households on the lists are not screened (issue 10, point 7).
#[tokio::test]
async fn applicants_are_screened_with_form_a_before_form_b() {
    let c = standard::Catalogue::builtin().unwrap();
    let s22 = c.get("vn-2022-2025").unwrap();
    assert!(
        s22.screening
            .as_ref()
            .is_some_and(|sc| sc.criteria.len() >= 5)
    );
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_TIERS), false)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for code in ["L1", "A1", "A2"] {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.into(),
                        commune_code: "18652".into(),
                        village_code: Some("1865201".into()),
                        head_name: format!("Chủ hộ {code}"),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            ids.push(id);
        }
        r.record_survey(&admin(), ids[0], y(2024), &two_adults(1_000_000, true), s22)
            .await
            .unwrap();
        let clerk = officer(r, "18652").await;
        for &applicant in &ids[1..] {
            r.submit_request(&clerk, applicant, "01", "05/03/2025")
                .await
                .unwrap();
        }
        let round = r
            .open_round(&clerk, "18652", y(2025), &periodic())
            .await
            .unwrap();
        let clerk = &clerk;
        let screen = |household, met: &[&str]| {
            let met: Vec<String> = met.iter().map(|m| m.to_string()).collect();
            async move { r.screen_applicant(clerk, round, household, s22, &met).await }
        };
        // A household on last year's list is scored with form B.
        let err = screen(ids[0], &["car"]).await.unwrap_err().to_string();
        assert!(err.contains("chỉ hộ nộp đơn"), "{err}");
        let err = screen(ids[1], &["yacht"]).await.unwrap_err().to_string();
        assert!(err.contains("\"yacht\""), "{err}");
        // A1 has a car: screened out, the reason kept.
        screen(ids[1], &["car"]).await.unwrap();
        let (_, cases) = r.round(clerk, round).await.unwrap().unwrap();
        let a1 = cases.iter().find(|c| c.household_id == ids[1]).unwrap();
        assert_eq!(a1.screened_out.as_deref(), Some("car"));
        // A2 meets none: it needs form B before the surveys are done.
        screen(ids[2], &[]).await.unwrap();
        let err = r
            .finish_surveys(clerk, round)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("A2") && !err.contains("A1"), "{err}");
        for id in [ids[0], ids[2]] {
            r.record_survey(clerk, id, y(2025), &two_adults(1_000_000, true), s22)
                .await
                .unwrap();
        }
        r.finish_surveys(clerk, round).await.unwrap();
        let (_, cases) = r.round(clerk, round).await.unwrap().unwrap();
        let a1 = cases.iter().find(|c| c.household_id == ids[1]).unwrap();
        assert_eq!(
            a1.proposed_status,
            Some(standard::Status::NotPoor),
            "{}",
            e.name
        );
        // Past the survey step, no more screening.
        let err = screen(ids[2], &["car"]).await.unwrap_err().to_string();
        assert!(err.contains("khảo sát"), "{err}");
        let trail = r
            .audit_trail(registry::Entity::Household, "A1")
            .await
            .unwrap();
        assert!(
            trail
                .iter()
                .any(|a| a.action.code() == "screen" && a.changes.contains("Có ô tô")),
            "{}",
            e.name
        );
    }
}

/// Support delivered to a household or a member: recorded within scope with
/// the policy's fields, every problem named, audited, read back newest first
/// (issue 11).
#[tokio::test]
async fn deliveries_are_recorded_within_scope_and_named_when_wrong() {
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "D1".into(),
                    commune_code: "18652".into(),
                    head_name: "Hồ Văn Mười".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let member = r
            .add_member(
                &admin(),
                id,
                &NewMember {
                    full_name: "Hồ Văn Mười".into(),
                    ..NewMember::default()
                },
            )
            .await
            .unwrap();
        let clerk = officer(r, "18652").await;
        let credit = registry::NewDelivery {
            policy: "preferential_credit".into(),
            delivered_on: "15/03/2025".into(),
            amount: "50.000.000".into(),
            details: [
                ("programme".to_string(), "Cho vay hộ nghèo".to_string()),
                ("term_months".to_string(), "36".to_string()),
            ]
            .into(),
            ..registry::NewDelivery::default()
        };
        r.record_delivery(&clerk, id, &policies, &credit)
            .await
            .unwrap();
        let card = registry::NewDelivery {
            policy: "health_insurance_card".into(),
            member_id: Some(member),
            delivered_on: "02/01/2026".into(),
            details: [("card_number".to_string(), "HN4424212345678".to_string())].into(),
            ..registry::NewDelivery::default()
        };
        r.record_delivery(&clerk, id, &policies, &card)
            .await
            .unwrap();
        let got = r.deliveries(&clerk, id).await.unwrap();
        assert_eq!(got.len(), 2, "{}", e.name);
        assert_eq!(
            (got[0].year, got[0].policy.as_str()),
            (2026, "health_insurance_card")
        );
        assert_eq!(got[0].member_name.as_deref(), Some("Hồ Văn Mười"));
        assert_eq!((got[1].year, got[1].amount), (2025, Some(50_000_000)));
        assert!(got[1].details.contains("Cho vay hộ nghèo"));
        // Each problem named; nothing written.
        for (bad, says) in [
            (
                registry::NewDelivery {
                    policy: "yacht".into(),
                    ..credit.clone()
                },
                "chính sách: \"yacht\"",
            ),
            (
                registry::NewDelivery {
                    delivered_on: "31/02/2025".into(),
                    ..credit.clone()
                },
                "ngày hỗ trợ",
            ),
            (
                registry::NewDelivery {
                    amount: "năm triệu".into(),
                    ..credit.clone()
                },
                "số tiền",
            ),
            (
                registry::NewDelivery {
                    member_id: None,
                    ..card.clone()
                },
                "chọn người nhận",
            ),
            (
                registry::NewDelivery {
                    member_id: Some(member),
                    ..credit.clone()
                },
                "hỗ trợ cả hộ",
            ),
            (
                registry::NewDelivery {
                    details: [("country".to_string(), "Nhật Bản".to_string())].into(),
                    ..credit.clone()
                },
                "country",
            ),
        ] {
            let err = r
                .record_delivery(&clerk, id, &policies, &bad)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{says}: {err}");
        }
        assert_eq!(r.deliveries(&clerk, id).await.unwrap().len(), 2);
        // Another commune's officer neither writes nor reads them.
        let other = officer(r, "18655").await;
        assert!(
            r.record_delivery(&other, id, &policies, &credit)
                .await
                .is_err()
        );
        assert!(r.deliveries(&other, id).await.unwrap().is_empty());
        let trail = r
            .audit_trail(registry::Entity::Household, "D1")
            .await
            .unwrap();
        assert_eq!(
            trail
                .iter()
                .filter(|a| a.action.code() == "deliver")
                .count(),
            2
        );
    }
}

/// The gap finder by hand (issue 11): a poor household deprived in water,
/// latrine and telecom, eligible for the water programme and information
/// access and served by neither; once the water programme is delivered that
/// year, only information access is left. A household without those
/// deprivations has no gap; a province is refused.
#[tokio::test]
async fn the_gap_finder_lists_eligible_deprived_unserved_households() {
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    let s22 = standards.get("vn-2022-2025").unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (code, deprived) in [("G1", true), ("G2", false)] {
            let id = household_of(r, code, "18652").await;
            r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, deprived), s22)
                .await
                .unwrap();
            ids.push(id);
        }
        let clerk = officer(r, "18652").await;
        let list = |found: Vec<registry::HouseholdGaps>| -> Vec<(String, Vec<String>)> {
            found
                .into_iter()
                .map(|h| (h.code, h.gaps.into_iter().map(|g| g.policy).collect()))
                .collect()
        };
        let found = r.gaps(&clerk, "18652", 2024, &policies).await.unwrap();
        assert_eq!(
            found[0].gaps[0].indicators,
            ["water", "latrine"],
            "{}",
            e.name
        );
        assert_eq!(
            list(found),
            [(
                "G1".to_string(),
                vec![
                    "clean_water_sanitation".to_string(),
                    "information_access".to_string()
                ]
            )]
        );
        // Counted for the report set, from the commune up to the province.
        let counts = |found: std::collections::BTreeMap<String, registry::Missing>| {
            found
                .into_iter()
                .map(|(p, m)| (p, m.households, m.members))
                .collect::<Vec<_>>()
        };
        let both = vec![
            ("clean_water_sanitation".to_string(), 1, 0),
            ("information_access".to_string(), 1, 0),
        ];
        for (who, unit) in [(&clerk, "18652"), (&admin(), "436"), (&admin(), "42")] {
            assert_eq!(
                counts(r.gap_counts(who, unit, y(2024), &policies).await.unwrap()),
                both,
                "{unit}"
            );
        }
        let water = registry::NewDelivery {
            policy: "clean_water_sanitation".into(),
            delivered_on: "10/06/2024".into(),
            amount: "4.000.000".into(),
            ..registry::NewDelivery::default()
        };
        r.record_delivery(&clerk, ids[0], &policies, &water)
            .await
            .unwrap();
        // A delivery of another year does not close this year's gap.
        let later = registry::NewDelivery {
            policy: "information_access".into(),
            delivered_on: "10/06/2025".into(),
            ..registry::NewDelivery::default()
        };
        r.record_delivery(&clerk, ids[0], &policies, &later)
            .await
            .unwrap();
        assert_eq!(
            list(r.gaps(&clerk, "18652", 2024, &policies).await.unwrap()),
            [("G1".to_string(), vec!["information_access".to_string()])]
        );
        assert_eq!(
            counts(
                r.gap_counts(&admin(), "42", y(2024), &policies)
                    .await
                    .unwrap()
            ),
            [("information_access".to_string(), 1, 0)]
        );
        assert_eq!(r.count_drift().await.unwrap(), Vec::new(), "{}", e.name);
        let err = r
            .gaps(&admin(), "42", 2024, &policies)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("chọn một xã"), "{err}");
        // Outside the scope: nothing.
        let other = officer(r, "18655").await;
        assert!(r.gaps(&other, "18652", 2024, &policies).await.is_err());
        assert!(
            r.gap_counts(&other, "18652", y(2024), &policies)
                .await
                .is_err()
        );
        assert!(
            r.gap_counts(&other, "18655", y(2024), &policies)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Causes, wishes and the plan's type (issue 11): codes from the catalogue,
/// type 3 only with a reason, and seen — in the profile and in the history —
/// by commune officers and approvers only.
#[tokio::test]
async fn a_type_three_household_is_seen_by_its_commune_and_approvers_only() {
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let id = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "T3".into(),
                    commune_code: "18652".into(),
                    head_name: "Lò Văn Ba".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let clerk = officer(r, "18652").await;
        let mut profile = registry::NewProfile {
            causes: vec!["no_capital".into(), "grave_illness".into()],
            wishes: vec!["credit".into()],
            poverty_type: Some(3),
            reason: String::new(),
        };
        let err = r
            .record_profile(&clerk, id, 2025, &policies, &profile)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("phải ghi lý do"), "{err}");
        for (bad, says) in [
            (
                registry::NewProfile {
                    causes: vec!["bad_luck".into()],
                    ..profile.clone()
                },
                "\"bad_luck\"",
            ),
            (
                registry::NewProfile {
                    poverty_type: Some(4),
                    reason: "x".into(),
                    ..profile.clone()
                },
                "chọn 1, 2 hoặc 3",
            ),
        ] {
            let err = r
                .record_profile(&clerk, id, 2025, &policies, &bad)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
        profile.reason = "Có lao động nhưng không chịu làm".into();
        r.record_profile(&clerk, id, 2025, &policies, &profile)
            .await
            .unwrap();
        let seen = r.profile(&clerk, id).await.unwrap().unwrap();
        assert_eq!(seen.poverty_type, Some(support::PovertyType::Persuasion));
        assert_eq!(seen.causes, ["no_capital", "grave_illness"]);
        let approver = Actor {
            name: "pheduyet".into(),
            role: Role::Approver,
            unit_id: Some(r.unit_by_code("436").await.unwrap().unwrap().id),
            agency: None,
        };
        assert!(
            r.profile(&approver, id)
                .await
                .unwrap()
                .unwrap()
                .poverty_type
                .is_some()
        );
        // The district's officer sees the causes, not the type nor its reason,
        // in the profile or in the history.
        let district = officer(r, "436").await;
        let hidden = r.profile(&district, id).await.unwrap().unwrap();
        assert_eq!(
            (hidden.poverty_type, hidden.reason),
            (None, None),
            "{}",
            e.name
        );
        assert_eq!(hidden.wishes, ["credit"]);
        let detail = r.household_detail(&district, id).await.unwrap().unwrap();
        let entry = detail
            .audit
            .iter()
            .find(|a| a.action.code() == "profile")
            .unwrap();
        assert!(
            !entry.changes.contains("poverty_type") && !entry.changes.contains("không chịu làm"),
            "{}",
            entry.changes
        );
        let detail = r.household_detail(&clerk, id).await.unwrap().unwrap();
        assert!(
            detail
                .audit
                .iter()
                .any(|a| a.action.code() == "profile" && a.changes.contains("không chịu làm"))
        );
        // Type 2 is no secret.
        r.record_profile(
            &clerk,
            id,
            2025,
            &policies,
            &registry::NewProfile {
                poverty_type: Some(2),
                reason: String::new(),
                ..profile.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            r.profile(&district, id)
                .await
                .unwrap()
                .unwrap()
                .poverty_type,
            Some(support::PovertyType::HelpToEscape)
        );
    }
}

/// An agency's list matched to the registry (issue 11): by CCCD (an
/// 11-digit one as Excel leaves it), by household code and name, by name
/// and birth date; ambiguous, not found, outside the scope, wrong cells,
/// twice in the list; nothing written before the confirmation, all matched
/// rows after it, and a second import finds them recorded.
#[tokio::test]
async fn an_agency_list_is_matched_reported_and_written_only_when_confirmed() {
    use registry::{MatchKey, RowOutcome};
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let household = |code: &str, commune: &str, head: &str| NewHousehold {
            code: code.into(),
            commune_code: commune.into(),
            head_name: head.into(),
            ..NewHousehold::default()
        };
        let person = |name: &str, birth: &str, id: Option<&str>| NewMember {
            full_name: name.into(),
            birth_date: Some(birth.into()),
            id_number: id.map(String::from),
            ..NewMember::default()
        };
        let mut ids = Vec::new();
        for (code, commune, name, birth, id) in [
            (
                "H1",
                "18652",
                "Hồ Văn Mười",
                "12/05/1980",
                Some("042080123456"),
            ),
            ("H2", "18652", "Nguyễn Văn An", "01/01/1970", None),
            ("H3", "18655", "Nguyễn Văn An", "01/01/1970", None),
            (
                "H4",
                "18655",
                "Lê Thị Hoa",
                "02/02/1990",
                Some("042190000777"),
            ),
        ] {
            let h = r
                .create_household(&admin(), &household(code, commune, name))
                .await
                .unwrap();
            r.add_member(&admin(), h, &person(name, birth, id))
                .await
                .unwrap();
            ids.push(h);
        }
        let lan = r
            .add_member(&admin(), ids[0], &person("Hồ Thị Lan", "03/04/1985", None))
            .await
            .unwrap();
        let clerk = officer(r, "18652").await;
        let header = "STT,Họ và tên người vay,Ngày sinh,Số CCCD,Mã hộ,Số tiền vay,Ngày giải ngân,Chương trình,Dư nợ,Nợ quá hạn,Tổ chức hội nhận ủy thác\n";
        let good = [
            "1,Hồ Văn Mười,12/05/1980,42080123456,,50.000.000,05/03/2025,Cho vay hộ nghèo,45.000.000,0,Hội Nông dân",
            "2,Hồ Thị Lan,03/04/1985,,H1,50.000.000,05/03/2025,Cho vay hộ nghèo,45.000.000,0,Hội Nông dân",
            "3,Nguyễn Văn An,01/01/1970,,,30000000,06/03/2025,Cho vay hộ nghèo,30000000,0,Hội Phụ nữ",
            "4,Lê Thị Hoa,02/02/1990,042190000777,,20.000.000,07/03/2025,Cho vay hộ cận nghèo,20.000.000,0,Hội Phụ nữ",
            "5,Trần Không Có,01/01/1960,,,10.000.000,08/03/2025,Cho vay hộ nghèo,10.000.000,0,Hội Nông dân",
        ];
        let bad = "6,Hồ Văn Mười,12/05/1980,042080123456,,năm triệu,31/02/2025,Cho vay hộ nghèo,0,0,Hội Nông dân";
        let csv = |rows: &[&str]| format!("{header}{}\n", rows.join("\n")).into_bytes();
        let mut with_bad = good.to_vec();
        with_bad.push(bad);
        let report = r
            .match_agency_list(
                &clerk,
                &policies,
                "preferential_credit",
                "vay.csv",
                csv(&with_bad),
                None,
            )
            .await
            .unwrap();
        let outcomes: Vec<&RowOutcome> = report.rows.iter().map(|row| &row.outcome).collect();
        assert_eq!(
            outcomes[0],
            &RowOutcome::Matched {
                by: MatchKey::IdNumber,
                household_code: "H1".into()
            },
            "{}",
            e.name
        );
        // The same household on the same day, for a household's policy.
        assert_eq!(
            outcomes[1],
            &RowOutcome::AlreadyRecorded {
                household_code: "H1".into()
            }
        );
        assert_eq!(outcomes[2], &RowOutcome::Ambiguous(2));
        assert_eq!(outcomes[3], &RowOutcome::OutsideScope);
        assert_eq!(outcomes[4], &RowOutcome::NotFound);
        let RowOutcome::Invalid(problems) = outcomes[5] else {
            panic!("{:?}", outcomes[5]);
        };
        let problems = problems.join("; ");
        assert!(
            problems.contains("G (Ngày giải ngân)") && problems.contains("F (Số tiền vay)"),
            "{problems}"
        );
        assert_eq!(report.rows[5].row, 7, "spreadsheet row numbers");
        assert!(!report.confirmable());
        assert_eq!(count(r, "deliveries").await, 0, "nothing before confirming");
        let err = r
            .confirm_agency_list(&clerk, &policies, &report.token)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("vay.csv, dòng 7"), "{err}");
        assert_eq!(count(r, "deliveries").await, 0);

        // Without the wrong row: confirmed, by its maker only.
        let report = r
            .match_agency_list(
                &clerk,
                &policies,
                "preferential_credit",
                "vay.csv",
                csv(&good),
                None,
            )
            .await
            .unwrap();
        assert!(report.confirmable());
        let stranger = officer(r, "18655").await;
        assert!(matches!(
            r.confirm_agency_list(&stranger, &policies, &report.token)
                .await,
            Err(RegistryError::NotFound(_))
        ));
        assert_eq!(
            r.confirm_agency_list(&clerk, &policies, &report.token)
                .await
                .unwrap(),
            1,
            "{}",
            e.name
        );
        let got = r.deliveries(&clerk, ids[0]).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].year, got[0].amount), (2025, Some(50_000_000)));
        assert!(
            got[0].details.contains("\"outstanding\":\"45000000\"")
                && got[0].details.contains("Hội Nông dân"),
            "{}",
            got[0].details
        );
        assert!(
            r.audit_trail(registry::Entity::Household, "H1")
                .await
                .unwrap()
                .iter()
                .any(|a| a.action.code() == "deliver" && a.changes.contains("vay.csv"))
        );
        // The draft is gone: a second confirmation (a double click) writes
        // nothing more; a second import finds the loan recorded.
        assert!(matches!(
            r.confirm_agency_list(&clerk, &policies, &report.token)
                .await,
            Err(RegistryError::NotFound(_))
        ));
        assert_eq!(count(r, "deliveries").await, 1);
        let again = r
            .match_agency_list(
                &clerk,
                &policies,
                "preferential_credit",
                "vay.csv",
                csv(&good[..1]),
                None,
            )
            .await
            .unwrap();
        assert!(matches!(
            again.rows[0].outcome,
            RowOutcome::AlreadyRecorded { .. }
        ));
        // The bank's next list: the same loan, its outstanding amount down
        // and now overdue — an update of the loan recorded, not a second one.
        let next = "1,Hồ Văn Mười,12/05/1980,42080123456,,50.000.000,05/03/2025,Cho vay hộ nghèo,30.000.000,2.000.000,Hội Nông dân";
        let update = r
            .match_agency_list(
                &clerk,
                &policies,
                "preferential_credit",
                "vay-thang-6.csv",
                csv(&[next]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            update.rows[0].outcome,
            RowOutcome::Updated {
                household_code: "H1".into()
            }
        );
        assert_eq!(
            r.confirm_agency_list(&clerk, &policies, &update.token)
                .await
                .unwrap(),
            1
        );
        assert_eq!(count(r, "deliveries").await, 1);
        // The gap tallies followed the list's deliveries.
        assert_eq!(r.count_drift().await.unwrap(), Vec::new(), "{}", e.name);
        let got = r.deliveries(&clerk, ids[0]).await.unwrap();
        assert!(
            got[0].details.contains("\"outstanding\":\"30000000\"")
                && got[0].details.contains("\"overdue\":\"2000000\""),
            "{}",
            got[0].details
        );
        // A total row under the table names nobody: not a delivery, not an error.
        let with_total = format!("{header}{}\n,,,,,50.000.000,,,,,\n", good[4]).into_bytes();
        let total = r
            .match_agency_list(
                &clerk,
                &policies,
                "preferential_credit",
                "vay.csv",
                with_total,
                None,
            )
            .await
            .unwrap();
        assert_eq!(total.rows.len(), 1);

        // The bank's officer at the province: H4 is in scope; the social
        // insurance office's officer may not import loans.
        let province = r.unit_by_code("42").await.unwrap().unwrap();
        let agency = |code: &str| Actor {
            name: format!("agency-{code}"),
            role: Role::AgencyOfficer,
            unit_id: Some(province.id),
            agency: Some(code.into()),
        };
        let bank = r
            .match_agency_list(
                &agency("policy_bank"),
                &policies,
                "preferential_credit",
                "vay.csv",
                csv(&good[3..4]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            bank.rows[0].outcome,
            RowOutcome::Matched {
                by: MatchKey::IdNumber,
                household_code: "H4".into()
            }
        );
        assert!(matches!(
            r.match_agency_list(
                &agency("social_insurance"),
                &policies,
                "preferential_credit",
                "vay.csv",
                csv(&good),
                None
            )
            .await,
            Err(RegistryError::Forbidden(_))
        ));

        // A member's policy: the card goes to the person named within the
        // household; no date column needs the default date.
        let cards = "Họ và tên,Mã hộ,Mã thẻ BHYT,Nguồn đóng\nHồ Thị Lan,H1,HN4424200000001,Ngân sách nhà nước\n".as_bytes().to_vec();
        let err = r
            .match_agency_list(
                &clerk,
                &policies,
                "health_insurance_card",
                "the.csv",
                cards.clone(),
                None,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ngày mặc định"), "{err}");
        let report = r
            .match_agency_list(
                &clerk,
                &policies,
                "health_insurance_card",
                "the.csv",
                cards,
                Some("01/01/2025"),
            )
            .await
            .unwrap();
        r.confirm_agency_list(&clerk, &policies, &report.token)
            .await
            .unwrap();
        let card: (Option<i64>, String) = sqlx::query_as(
            "SELECT member_id, details FROM deliveries WHERE policy = 'health_insurance_card'",
        )
        .fetch_one(r.db().pool())
        .await
        .unwrap();
        assert_eq!(card.0, Some(lan.get()));
        assert!(card.1.contains("HN4424200000001"), "{}", card.1);
        e.cleanup().await;
    }
}

/// The expected-escape list (issue 11): only poor households, a named cadre
/// each, policies of the catalogue, a due date within the year; one entry
/// per household and year; follow-up notes; the year's outcome from the
/// official result, tallied by cadre and by commune (a merged commune's
/// households under the commune it merged into by the year's end). The
/// steering committee's members watch communes and record visits.
#[tokio::test]
async fn the_expected_escape_list_tallies_plans_against_the_official_result() {
    use registry::{EscapeOutcome, NewEscapePlan};
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    let s22 = standards.get("vn-2022-2025").unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        // (code, commune, 2024 deprived, 2025 income and deprived or none)
        let mut ids = Vec::new();
        for (code, commune, poor, after) in [
            ("E1", "18652", true, Some((3_000_000, false))),
            ("E2", "18652", true, Some((1_000_000, true))),
            ("E3", "18652", true, None),
            ("E4", "18658", true, Some((3_000_000, false))),
            ("E5", "18652", false, Some((1_000_000, false))),
        ] {
            let id = household_of(r, code, commune).await;
            r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, poor), s22)
                .await
                .unwrap();
            if let Some((income, deprived)) = after {
                r.record_survey(&admin(), id, y(2025), &two_adults(income, deprived), s22)
                    .await
                    .unwrap();
            }
            ids.push(id);
        }
        let clerk = officer(r, "18652").await;
        let plan = |code: &str, cadre: &str, role: &str| NewEscapePlan {
            household_code: code.into(),
            cadre_name: cadre.into(),
            cadre_role: role.into(),
            policies: vec!["preferential_credit".into(), "vocational_training".into()],
            due_on: "30/09/2025".into(),
        };
        r.plan_escape(
            &clerk,
            y(2025),
            &plan("E1", "Nguyễn Văn Tạm", ""),
            &policies,
        )
        .await
        .unwrap();
        // A second entry for the same household and year replaces the first.
        let e1 = r
            .plan_escape(
                &clerk,
                y(2025),
                &plan("E1", "Nguyễn Thị Hoa", "Trưởng thôn"),
                &policies,
            )
            .await
            .unwrap();
        r.plan_escape(
            &clerk,
            y(2025),
            &plan("E2", "Nguyễn Thị Hoa", "Trưởng thôn"),
            &policies,
        )
        .await
        .unwrap();
        for code in ["E3", "E4"] {
            r.plan_escape(
                &clerk,
                y(2025),
                &plan(code, "Lê Văn Nam", "Hội Nông dân"),
                &policies,
            )
            .await
            .unwrap();
        }
        let err = r
            .plan_escape(&clerk, y(2025), &plan("E5", "Lê Văn Nam", ""), &policies)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("không phải hộ nghèo"), "{err}");
        let mut wrong = plan("E2", "", "");
        wrong.policies.push("no_such_policy".into());
        wrong.due_on = "15/01/2026".into();
        let err = r
            .plan_escape(&clerk, y(2025), &wrong, &policies)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cán bộ phụ trách: không được để trống")
                && err.contains("no_such_policy")
                && err.contains("phải trong năm 2025"),
            "{err}"
        );
        let other = officer(r, "18655").await;
        assert!(matches!(
            r.plan_escape(&other, y(2025), &plan("E1", "X", ""), &policies)
                .await,
            Err(RegistryError::NotFound(_))
        ));
        assert!(r.escape_list(&other, "18652", 2025).await.is_err());
        r.note_escape(&clerk, e1, "Đã giải ngân 50 triệu, mua 2 con bò")
            .await
            .unwrap();
        assert!(r.note_escape(&clerk, e1, "  ").await.is_err());

        let list = r.escape_list(&clerk, "18652", 2025).await.unwrap();
        let outcomes: Vec<(&str, EscapeOutcome)> = list
            .iter()
            .map(|p| (p.household_code.as_str(), p.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("E3", EscapeOutcome::Pending),
                ("E4", EscapeOutcome::Escaped),
                ("E1", EscapeOutcome::Escaped),
                ("E2", EscapeOutcome::StillPoor),
            ],
            "{}",
            e.name
        );
        let plans = r.household_plans(&clerk, ids[0]).await.unwrap();
        assert_eq!(
            plans.escapes,
            [(
                2025,
                "Nguyễn Thị Hoa (Trưởng thôn)".to_string(),
                Some("2025-09-30".to_string())
            )]
        );
        assert!(
            r.household_plans(&other, ids[0])
                .await
                .unwrap()
                .escapes
                .is_empty()
        );
        let e1_row = list.iter().find(|p| p.household_code == "E1").unwrap();
        assert_eq!(e1_row.cadre_name, "Nguyễn Thị Hoa");
        assert_eq!(e1_row.notes.len(), 1);
        assert_eq!(e1_row.due_on.as_deref(), Some("2025-09-30"));
        let tally: Vec<(String, usize, usize, usize, usize)> = registry::by_cadre(&list)
            .into_iter()
            .map(|t| (t.name, t.planned, t.escaped, t.still_poor, t.pending))
            .collect();
        assert_eq!(
            tally,
            [
                ("Lê Văn Nam (Hội Nông dân)".to_string(), 2, 1, 0, 1),
                ("Nguyễn Thị Hoa (Trưởng thôn)".to_string(), 2, 1, 1, 0),
            ]
        );
        let by_commune: Vec<(String, usize, usize, usize, usize)> = r
            .escape_by_commune(&admin(), "436", 2025)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.planned, t.escaped, t.still_poor, t.pending))
            .collect();
        // Xuân Phổ merged into Xuân Hội on 1 July 2025: by the year's end its
        // households are Xuân Hội's; in 2024's terms it stood apart.
        assert_eq!(by_commune, [("Xã Xuân Hội".to_string(), 4, 2, 1, 1)]);

        // The steering committee.
        let member = r
            .assign_steering_member(
                &admin(),
                "18652",
                y(2025),
                "Trần Văn Chỉ",
                "Phó Chủ tịch UBND huyện",
            )
            .await
            .unwrap();
        let err = r
            .assign_steering_member(&admin(), "436", y(2025), "Trần Văn Chỉ", "Phó Chủ tịch")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("chọn một xã"), "{err}");
        r.record_visit(
            &admin(),
            member,
            "12/05/2025",
            "Hộ E2 chưa dùng vốn đúng mục đích",
        )
        .await
        .unwrap();
        assert!(
            r.record_visit(&admin(), member, "12/05/2099", "x")
                .await
                .unwrap_err()
                .to_string()
                .contains("ở tương lai")
        );
        assert!(matches!(
            r.record_visit(&other, member, "12/05/2025", "x").await,
            Err(RegistryError::NotFound(_))
        ));
        let steering = r.steering(&clerk, "18652", 2025).await.unwrap();
        assert_eq!(steering.len(), 1);
        assert_eq!(steering[0].visits[0].0, "2025-05-12");
        assert!(r.steering(&clerk, "18652", 2024).await.unwrap().is_empty());
        e.cleanup().await;
    }
}

/// A loan is due a use check 3 months after its disbursement when never
/// checked, and 12 months after its last check (both limits included).
#[test]
fn a_loan_is_due_a_check_at_its_limits() {
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let today = d("2026-06-06");
    assert!(registry::needs_check(d("2026-03-06"), None, today));
    assert!(!registry::needs_check(d("2026-03-07"), None, today));
    assert!(registry::needs_check(
        d("2020-01-01"),
        Some(d("2025-06-06")),
        today
    ));
    assert!(!registry::needs_check(
        d("2020-01-01"),
        Some(d("2025-06-07")),
        today
    ));
}

/// Credit follow-up (issue 11): loans with their overdue amounts and use
/// checks, tallied by organisation and commune; checks by those who record
/// credit, within scope, never before the disbursement. Livelihood models:
/// households of the model's commune, once each, their status year by year
/// from the year before the start.
#[tokio::test]
async fn loans_are_followed_up_and_models_show_who_escaped() {
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    let s22 = standards.get("vn-2022-2025").unwrap();
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (code, commune, after) in [
            ("L1", "18652", (3_000_000, false)),
            ("L2", "18652", (1_000_000, true)),
            ("L3", "18655", (1_000_000, true)),
        ] {
            let id = household_of(r, code, commune).await;
            r.record_survey(&admin(), id, y(2024), &two_adults(1_000_000, true), s22)
                .await
                .unwrap();
            r.record_survey(&admin(), id, y(2025), &two_adults(after.0, after.1), s22)
                .await
                .unwrap();
            ids.push(id);
        }
        let clerk = officer(r, "18652").await;
        let loan = |day: &str, overdue: &str, org: &str| registry::NewDelivery {
            policy: "preferential_credit".into(),
            delivered_on: day.into(),
            amount: "50.000.000".into(),
            details: [
                ("outstanding".to_string(), "40000000".to_string()),
                ("overdue".to_string(), overdue.to_string()),
                ("entrusted_to".to_string(), org.to_string()),
            ]
            .into(),
            ..registry::NewDelivery::default()
        };
        let first = r
            .record_delivery(
                &clerk,
                ids[0],
                &policies,
                &loan("10/01/2025", "0", "Hội Nông dân"),
            )
            .await
            .unwrap();
        r.record_delivery(
            &clerk,
            ids[1],
            &policies,
            &loan("10/02/2025", "5000000", "Hội Nông dân"),
        )
        .await
        .unwrap();
        r.record_delivery(
            &clerk,
            ids[1],
            &policies,
            &loan("10/03/2025", "0", "Hội Phụ nữ"),
        )
        .await
        .unwrap();
        // A commune merged into Xuân Phổ in 2020, itself merged into Xuân
        // Hội in 2025: both mergers are followed.
        let older = "code,name,level,parent_code,area,valid_from,merged_into,valid_to\n18659,Xã Xuân Cổ,commune,436,,,18658,31/12/2019\n";
        r.import_units(&admin(), &write(dir.path(), "u2.csv", older), false)
            .await
            .unwrap();
        let co = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "L5".into(),
                    commune_code: "18659".into(),
                    head_name: "Chủ hộ L5".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        r.record_delivery(
            &clerk,
            co,
            &policies,
            &loan("11/09/2025", "0", "Hội Cựu chiến binh"),
        )
        .await
        .unwrap();
        // Xuân Phổ merged into Xuân Hội on 1 July 2025: its loan counts there.
        let pho = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "L4".into(),
                    commune_code: "18658".into(),
                    head_name: "Chủ hộ L4".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        r.record_delivery(
            &clerk,
            pho,
            &policies,
            &loan("10/09/2025", "0", "Hội Cựu chiến binh"),
        )
        .await
        .unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        r.check_loan_use(&clerk, &policies, first, "01/06/2025", true, "Đã mua bò")
            .await
            .unwrap();
        let err = r
            .check_loan_use(&clerk, &policies, first, "01/01/2025", true, "")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("trước ngày giải ngân"), "{err}");
        let province = r.unit_by_code("42").await.unwrap().unwrap();
        let agency = |code: &str| Actor {
            name: format!("agency-{code}"),
            role: Role::AgencyOfficer,
            unit_id: Some(province.id),
            agency: Some(code.into()),
        };
        assert!(matches!(
            r.check_loan_use(
                &agency("social_insurance"),
                &policies,
                first,
                "01/07/2025",
                true,
                ""
            )
            .await,
            Err(RegistryError::Forbidden(_))
        ));
        r.check_loan_use(
            &agency("policy_bank"),
            &policies,
            first,
            "01/07/2025",
            false,
            "Dùng trả nợ cũ",
        )
        .await
        .unwrap();
        let loans = r.loans(&clerk, "18652", &policies, today).await.unwrap();
        assert_eq!(loans.len(), 5, "{}", e.name);
        // The first was checked in July; the next two never, and more than
        // three months ago; Xuân Phổ's and Xuân Cổ's were lent less than
        // three months ago.
        let due: Vec<bool> = loans.iter().map(|l| l.needs_check).collect();
        assert_eq!(due, [false, true, true, false, false]);
        assert!(loans.iter().all(|l| l.commune == "Xã Xuân Hội"));
        assert_eq!(loans[0].last_check.as_ref().map(|c| c.1), Some(false));
        let tally: Vec<(String, usize, i64, usize, i64, usize)> = registry::credit_tally(&loans)
            .into_iter()
            .map(|t| {
                (
                    t.organisation,
                    t.loans,
                    t.outstanding,
                    t.overdue_loans,
                    t.overdue,
                    t.needs_check,
                )
            })
            .collect();
        assert_eq!(
            tally,
            [
                ("Hội Cựu chiến binh".to_string(), 2, 80_000_000, 0, 0, 0),
                ("Hội Nông dân".to_string(), 2, 80_000_000, 1, 5_000_000, 1),
                ("Hội Phụ nữ".to_string(), 1, 40_000_000, 0, 0, 1),
            ]
        );
        assert!(
            r.loans(&agency("social_insurance"), "18652", &policies, today)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            r.loans(&agency("policy_bank"), "436", &policies, today)
                .await
                .unwrap()
                .len(),
            5
        );

        // A model of Xuân Hội begun in 2025.
        let model = r
            .add_model(
                &clerk,
                &registry::NewModel {
                    commune_code: "18652".into(),
                    name: "Nuôi bò sinh sản".into(),
                    sector: "Chăn nuôi".into(),
                    started_on: "01/03/2025".into(),
                    funding: "200.000.000".into(),
                    funding_source: "Chương trình MTQG".into(),
                },
            )
            .await
            .unwrap();
        let err = r
            .add_model(
                &clerk,
                &registry::NewModel {
                    commune_code: "18652".into(),
                    started_on: "31/02/2025".into(),
                    funding: "hai trăm".into(),
                    ..registry::NewModel::default()
                },
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tên mô hình: không được để trống")
                && err.contains("ngày bắt đầu")
                && err.contains("kinh phí"),
            "{err}"
        );
        for code in ["L1", "L2"] {
            r.join_model(&clerk, model, code, "15/03/2025")
                .await
                .unwrap();
        }
        assert!(matches!(
            r.join_model(&clerk, model, "L1", "15/03/2025").await,
            Err(RegistryError::Conflict(_))
        ));
        assert!(
            r.join_model(&admin(), model, "L3", "15/03/2025")
                .await
                .is_err()
        );
        assert_eq!(
            r.household_plans(&clerk, ids[0]).await.unwrap().models,
            [("Nuôi bò sinh sản".to_string(), "2025-03-15".to_string())]
        );
        let models = r.models(&clerk, "18652").await.unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(models[0].years, [2024, 2025]);
        assert_eq!(models[0].funding, Some(200_000_000));
        assert_eq!(models[0].escaped(), (2, 1), "{}", e.name);
        e.cleanup().await;
    }
}

/// The plan's tasks (issue 12): set for an agency of the catalogue with
/// its cooperating agencies and a due date; reported on by the responsible
/// agency only (50 % in progress, 100 % done); overdue the day after its
/// date unless done; an agency officer sees the tasks its agency leads or
/// cooperates on, and no other.
#[tokio::test]
async fn tasks_are_set_reported_by_their_agency_and_overdue_after_their_date() {
    use registry::{NewTask, TaskStatus};
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert!(!registry::overdue(
        d("2025-06-30"),
        TaskStatus::Open,
        d("2025-06-30")
    ));
    assert!(registry::overdue(
        d("2025-06-30"),
        TaskStatus::InProgress,
        d("2025-07-01")
    ));
    assert!(!registry::overdue(
        d("2025-06-30"),
        TaskStatus::Done,
        d("2025-07-01")
    ));
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let district = r.unit_by_code("436").await.unwrap().unwrap();
        let district_officer = Actor {
            name: "huyen".into(),
            role: Role::Officer,
            unit_id: Some(district.id),
            agency: None,
        };
        let task = |title: &str, agency: &str, cooperating: &[&str], due: &str| NewTask {
            unit_code: "436".into(),
            title: title.into(),
            agency: agency.into(),
            cooperating: cooperating.iter().map(|c| c.to_string()).collect(),
            due_on: due.into(),
            target: None,
        };
        let credit = r
            .add_task(
                &district_officer,
                &task(
                    "Giải ngân vốn vay cho hộ nghèo",
                    "policy_bank",
                    &["fatherland_front"],
                    "30/06/2025",
                ),
                &policies,
            )
            .await
            .unwrap();
        r.add_task(
            &district_officer,
            &task("Cấp thẻ BHYT", "social_insurance", &[], "31/03/2025"),
            &policies,
        )
        .await
        .unwrap();
        let err = r
            .add_task(
                &district_officer,
                &task("", "no_such", &["no_such"], "31/02/2025"),
                &policies,
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("nhiệm vụ: không được để trống")
                && err.contains("\"no_such\" không có")
                && err.contains("không gồm cơ quan chủ trì")
                && err.contains("hạn hoàn thành"),
            "{err}"
        );
        // A commune writes no task for its district.
        let clerk = officer(r, "18652").await;
        assert!(
            r.add_task(&clerk, &task("X", "labour", &[], "01/01/2025"), &policies)
                .await
                .is_err()
        );
        let province = r.unit_by_code("42").await.unwrap().unwrap();
        let agency = |code: &str| Actor {
            name: format!("agency-{code}"),
            role: Role::AgencyOfficer,
            unit_id: Some(province.id),
            agency: Some(code.into()),
        };
        // The cooperating agency sees it and may not report; the bank reports.
        assert!(matches!(
            r.report_task(&agency("fatherland_front"), credit, "50", "", None)
                .await,
            Err(RegistryError::Forbidden(_))
        ));
        let err = r
            .report_task(&agency("policy_bank"), credit, "120", "", None)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 đến 100"), "{err}");
        r.report_task(
            &agency("policy_bank"),
            credit,
            "50 %",
            "Đã giải ngân 20 hộ",
            Some(("bien-ban giai ngan.pdf", b"%PDF-1.4\n%%EOF\n")),
        )
        .await
        .unwrap();
        let today = d("2025-07-15");
        let all = r.tasks(&district_officer, "436", today).await.unwrap();
        let got: Vec<(&str, TaskStatus, bool)> = all
            .iter()
            .map(|t| (t.title.as_str(), t.status, t.overdue))
            .collect();
        assert_eq!(
            got,
            [
                ("Cấp thẻ BHYT", TaskStatus::Open, true),
                (
                    "Giải ngân vốn vay cho hộ nghèo",
                    TaskStatus::InProgress,
                    true
                ),
            ],
            "{}",
            e.name
        );
        assert_eq!(all[1].reports[0].1, 50);
        // A file of another kind is refused, naming what it must be.
        let err = r
            .report_task(
                &agency("policy_bank"),
                credit,
                "100",
                "Xong",
                Some(("bang.xlsx", b"PK\x03\x04")),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("PDF, JPEG hoặc PNG"), "{err}");
        let tasks = r.tasks(&agency("policy_bank"), "436", today).await.unwrap();
        let files = &tasks
            .iter()
            .find(|t| t.id == credit)
            .expect("the bank's task")
            .files;
        assert_eq!(files.len(), 1, "{}", e.name);
        let (name, kind, data) = r
            .task_file(&agency("policy_bank"), credit, files[0].0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (name.as_str(), kind.as_str()),
            ("bien-ban giai ngan.pdf", "application/pdf")
        );
        assert!(data.starts_with(b"%PDF"));
        assert!(
            r.task_file(&agency("health"), credit, files[0].0)
                .await
                .unwrap()
                .is_none(),
            "another agency does not see it"
        );
        r.report_task(&agency("policy_bank"), credit, "100", "Xong", None)
            .await
            .unwrap();
        let front = r
            .tasks(&agency("fatherland_front"), "436", today)
            .await
            .unwrap();
        assert_eq!(front.len(), 1);
        assert_eq!(
            (front[0].status, front[0].overdue),
            (TaskStatus::Done, false)
        );
        assert!(
            r.tasks(&agency("health"), "436", today)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(r.tasks(&clerk, "436", today).await.is_err());
        e.cleanup().await;
    }
}

/// Sign-off of reports (issue 12): a period's report goes up the hierarchy
/// of its last day; each transition, and each refusal: submitting twice,
/// returning without a reason, accepting from below or before every unit
/// under has been accepted, submitting once locked; on time or late
/// against the reporting calendar (the year's by 15 December, a month's by
/// the 5th of the next).
#[tokio::test]
async fn reports_are_signed_off_bottom_up_and_locked_once_accepted() {
    use registry::{ReportPeriod, SignOffState};
    assert_eq!(
        ReportPeriod::parse("03/2025"),
        Ok(ReportPeriod::Month(2025, 3))
    );
    assert_eq!(
        ReportPeriod::parse("2025-12"),
        Ok(ReportPeriod::Month(2025, 12))
    );
    assert!(ReportPeriod::parse("2025-13").is_err());
    let calendar = registry::calendar::Calendar::builtin();
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    assert_eq!(
        ReportPeriod::Month(2025, 12).due(calendar),
        Some(d("2026-01-05"))
    );
    assert_eq!(
        ReportPeriod::Year(2024).due(calendar),
        Some(d("2024-12-15"))
    );
    assert_eq!(ReportPeriod::Month(2025, 2).last_day(), "2025-02-28");
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        let year = ReportPeriod::Year(2024);
        let clerk = officer(r, "18652").await;
        let unit_actor = |code: &str, role: Role| {
            let r = r.clone();
            let code = code.to_string();
            async move {
                let unit = r.unit_by_code(&code).await.unwrap().unwrap();
                Actor {
                    name: format!("{}-{code}", role.code()),
                    role,
                    unit_id: Some(unit.id),
                    agency: None,
                }
            }
        };
        let district = unit_actor("436", Role::Officer).await;
        let province = unit_actor("42", Role::Approver).await;
        r.submit_report(&clerk, "18652", year, d("2024-12-10"))
            .await
            .unwrap();
        let err = r
            .submit_report(&clerk, "18652", year, d("2024-12-11"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("đang chờ cấp trên"), "{err}");
        // The commune does not decide its own report.
        assert!(matches!(
            r.decide_report(&clerk, "18652", year, true, "").await,
            Err(RegistryError::Forbidden(_))
        ));
        let err = r
            .decide_report(&district, "18652", year, false, " ")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("cần ghi lý do"), "{err}");
        r.decide_report(&district, "18652", year, false, "Thiếu số liệu thôn 2")
            .await
            .unwrap();
        // Submitted again after the 15th (late), twice at once: one
        // submission is taken, the other refused, one audit row.
        let (a, b) = tokio::join!(
            r.submit_report(&clerk, "18652", year, d("2024-12-20")),
            r.submit_report(&clerk, "18652", year, d("2024-12-20")),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        // Two officers of the district decide at once, one to accept, one
        // to return: only one decision is taken and audited.
        let (a, b) = tokio::join!(
            r.decide_report(&district, "18652", year, true, ""),
            r.decide_report(&district, "18652", year, false, "Trả lại"),
        );
        assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
        if b.is_ok() {
            r.submit_report(&clerk, "18652", year, d("2024-12-20"))
                .await
                .unwrap();
            r.decide_report(&district, "18652", year, true, "")
                .await
                .unwrap();
        }
        let audited = |action: &'static str| {
            let pool = r.db().pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND entity_id = '18652'",
                )
                .bind(action)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        let decisions = audited("accept_report").await + audited("return_report").await;
        assert_eq!(
            (audited("submit_report").await, decisions),
            (if b.is_ok() { 3 } else { 2 }, if b.is_ok() { 3 } else { 2 })
        );
        // The district's own report waits for every commune under it.
        r.submit_report(&district, "436", year, d("2024-12-14"))
            .await
            .unwrap();
        let err = r
            .decide_report(&province, "436", year, true, "")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Thị trấn Xuân An")
                && err.contains("Xã Xuân Phổ")
                && !err.contains("Xã Xuân Hội"),
            "{err}"
        );
        for code in ["18655", "18658"] {
            r.submit_report(&admin(), code, year, d("2024-12-15"))
                .await
                .unwrap();
            r.decide_report(&district, code, year, true, "")
                .await
                .unwrap();
        }
        r.decide_report(&province, "436", year, true, "")
            .await
            .unwrap();
        let err = r
            .submit_report(&district, "436", year, d("2024-12-30"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("khoá"), "{err}");
        let err = r
            .decide_report(&admin(), "42", year, true, "")
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("không có cấp trên"), "{err}");
        let err = r
            .submit_report(&admin(), "42", year, d("2024-12-10"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("không có cấp trên"), "{err}");
        let states: Vec<(String, Option<SignOffState>, Option<bool>)> = r
            .signoffs(&district, "436", year)
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.unit_code, s.state, s.on_time))
            .collect();
        assert_eq!(
            states,
            [
                ("436".to_string(), Some(SignOffState::Accepted), Some(true)),
                (
                    "18652".to_string(),
                    Some(SignOffState::Accepted),
                    Some(false)
                ),
                (
                    "18655".to_string(),
                    Some(SignOffState::Accepted),
                    Some(true)
                ),
                (
                    "18658".to_string(),
                    Some(SignOffState::Accepted),
                    Some(true)
                ),
            ],
            "{}",
            e.name
        );
        // A month of 2026: Xuân Phổ no longer exists and does not report.
        let units: Vec<String> = r
            .signoffs(&district, "436", ReportPeriod::Month(2026, 1))
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.unit_code)
            .collect();
        assert_eq!(units, ["436", "18652", "18655"]);
        e.cleanup().await;
    }
}

/// The report set (issue 12) against a small case computed by hand.
/// 2024, three communes (Xuân Phổ merges into Xuân Hội only in 2025):
///
/// | household | commune       | 2023      | 2024      |
/// |-----------|---------------|-----------|-----------|
/// | H1        | Xuân Hội (R)  | poor      | near-poor |
/// | H2        | Xuân Hội (R)  | poor      | poor      |
/// | H3        | Xuân Hội (R)  | not poor  | poor      |
/// | H4        | Xuân Hội (R)  | near-poor | not poor  |
/// | H5        | Xuân Hội (R)  | —         | average   |
/// | P1        | Xuân Phổ (R)  | poor      | poor      |
/// | A1        | Xuân An (U)   | poor      | poor      |
/// | A2        | Xuân An (U)   | not poor  | not poor  |
///
/// Results 2024: urban 2 households, 1 poor (50 %); rural 6, 3 poor
/// (50 %), 1 near-poor and 1 average (16,67 % each); total 8, 4 poor
/// (50 %), 1 near-poor and 1 average (12,5 %). Movements of Xuân Hội:
/// poor 2 − 1 escaped + 1 newly = 2; near-poor 1 − 1 escaped + 1 new
/// (from poor) = 1. In 2025 P1 counts under Xuân Hội.
#[tokio::test]
async fn the_report_set_matches_a_case_computed_by_hand() {
    use registry::{Area, ReportKind, report_of};
    use report::Cell;
    use standard::Language;
    const AREAS: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
436,Huyện Nghi Xuân,district,42,,,,
18652,Xã Xuân Hội,commune,436,rural,,,
18655,Thị trấn Xuân An,commune,436,urban,,,
18658,Xã Xuân Phổ,commune,436,rural,,18652,30/06/2025
";
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    let (poor, near, average, not_poor) = (
        two_adults(1_000_000, true),
        two_adults(1_000_000, false),
        two_adults(1_800_000, false),
        two_adults(5_000_000, false),
    );
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", AREAS), false)
            .await
            .unwrap();
        type Case<'a> = (&'a str, &'a str, Vec<(i64, &'a standard::SurveyAnswers)>);
        let cases: [Case; 8] = [
            ("H1", "18652", vec![(2023, &poor), (2024, &near)]),
            ("H2", "18652", vec![(2023, &poor), (2024, &poor)]),
            ("H3", "18652", vec![(2023, &not_poor), (2024, &poor)]),
            ("H4", "18652", vec![(2023, &near), (2024, &not_poor)]),
            ("H5", "18652", vec![(2024, &average)]),
            (
                "P1",
                "18658",
                vec![(2023, &poor), (2024, &poor), (2025, &poor)],
            ),
            ("A1", "18655", vec![(2023, &poor), (2024, &poor)]),
            ("A2", "18655", vec![(2023, &not_poor), (2024, &not_poor)]),
        ];
        let mut ids = std::collections::BTreeMap::new();
        for (code, commune, years) in &cases {
            let id = r
                .create_household(
                    &admin(),
                    &NewHousehold {
                        code: code.to_string(),
                        commune_code: commune.to_string(),
                        head_name: format!("Hộ {code}"),
                        ..NewHousehold::default()
                    },
                )
                .await
                .unwrap();
            // H2 has a child (10 in 2024); H1 a grown-up son (24).
            for (who, born) in [("H2", "01/06/2014"), ("H1", "01/01/2000")] {
                if *code == who {
                    r.add_member(
                        &admin(),
                        id,
                        &NewMember {
                            full_name: format!("Con hộ {code}"),
                            birth_date: Some(born.into()),
                            ..NewMember::default()
                        },
                    )
                    .await
                    .unwrap();
                }
            }
            for (year, answers) in years {
                r.record_survey(&admin(), id, y(*year), answers, standard())
                    .await
                    .unwrap();
            }
            ids.insert(*code, id);
        }
        for (code, causes, kind) in [
            ("H2", vec!["no_capital", "grave_illness"], 2),
            ("H3", vec!["no_capital"], 1),
        ] {
            let profile = registry::NewProfile {
                causes: causes.into_iter().map(String::from).collect(),
                wishes: Vec::new(),
                poverty_type: Some(kind),
                reason: String::new(),
            };
            r.record_profile(&admin(), ids[code], 2024, &policies, &profile)
                .await
                .unwrap();
        }
        for (code, amount) in [("H2", "5.000.000"), ("H3", "3.000.000")] {
            let delivery = registry::NewDelivery {
                policy: "production_support".into(),
                delivered_on: "10/05/2024".into(),
                amount: amount.into(),
                ..registry::NewDelivery::default()
            };
            r.record_delivery(&admin(), ids[code], &policies, &delivery)
                .await
                .unwrap();
        }
        let f = r.report_figures(&admin(), "436", y(2024)).await.unwrap();
        let rows: Vec<(&str, Area, i64)> = f
            .communes
            .iter()
            .map(|c| (c.name.as_str(), c.area, c.households))
            .collect();
        assert_eq!(
            rows,
            [
                ("Xã Xuân Hội", Area::Rural, 5),
                ("Thị trấn Xuân An", Area::Urban, 2),
                ("Xã Xuân Phổ", Area::Rural, 1),
            ],
            "{}",
            e.name
        );
        assert_eq!((f.communes_reviewing, f.communes_closed), (3, 0));
        // The set's page reads the communes' households, statuses and
        // rounds as the reports do, without their tallies, causes and
        // deliveries.
        let overview = r.report_overview(&admin(), "436", y(2024)).await.unwrap();
        let shown = |f: &registry::ReportFigures| {
            f.communes
                .iter()
                .map(|c| {
                    (
                        c.code.clone(),
                        c.households,
                        c.statuses.clone(),
                        c.statuses_before.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(&overview), shown(&f), "{}", e.name);
        assert_eq!(
            (overview.communes_reviewing, overview.communes_closed),
            (3, 0)
        );
        assert!(!f.causes.is_empty() && !f.delivered.is_empty() && f.households_served == 2);
        assert!(overview.causes.is_empty() && overview.delivered.is_empty());
        assert!(
            overview
                .communes
                .iter()
                .all(|c| c.tallies == Default::default())
        );
        let pct = |p: f64| Cell::Percent(p);
        let results = registry::results_report(&f, Language::Vi);
        // The results alone read what they show, the same report.
        let alone = r
            .figures_for(&admin(), "436", y(2024), &[registry::ReportKind::Results])
            .await
            .unwrap();
        assert_eq!(registry::results_report(&alone, Language::Vi), results);
        // Each report alone reads what it shows: the same report as from
        // everything read, and the reads it does not need left out.
        for kind in ReportKind::ALL {
            let alone = r
                .figures_for(&admin(), "436", y(2024), &[kind])
                .await
                .unwrap();
            let report = |f: &registry::ReportFigures| {
                report_of(kind, f, Some(standard()), &policies, Language::Vi)
            };
            assert_eq!(report(&alone), report(&f), "{kind:?}");
            assert!(report(&f).is_some(), "{kind:?}");
            // The tallies' measures read, by family.
            let families: BTreeSet<&str> = alone
                .communes
                .iter()
                .flat_map(|c| c.tallies.iter())
                .map(|(m, _)| match m {
                    registry::Measure::Movement(_) => "movements",
                    registry::Measure::Deprived(..) => "deprived",
                    registry::Measure::WithChildren(_) | registry::Measure::ChildDeprived(..) => {
                        "children"
                    }
                    registry::Measure::Group(..) => "groups",
                    _ => "other",
                })
                .collect();
            let (families_read, causes, delivered): (&[&str], bool, bool) = match kind {
                ReportKind::Movements => (&["movements"], false, false),
                ReportKind::Deprivations => (&["deprived"], false, false),
                ReportKind::Children => (&["children"], false, false),
                ReportKind::Groups => (&["groups"], true, false),
                ReportKind::Causes => (&[], true, false),
                ReportKind::Support => (&[], false, true),
                ReportKind::Results => (&[], false, false),
            };
            assert_eq!(
                families.into_iter().collect::<Vec<_>>(),
                families_read,
                "{kind:?}"
            );
            assert_eq!(
                (!alone.causes.is_empty(), !alone.delivered.is_empty()),
                (causes, delivered),
                "{kind:?}"
            );
        }
        let n = Cell::Number;
        let t = |s: &str| Cell::text(s);
        assert_eq!(results.sections.len(), 2);
        assert_eq!(results.sections[0].heading.as_deref(), Some("Thành thị"));
        assert_eq!(
            results.sections[0].rows,
            [vec![
                t("Thị trấn Xuân An"),
                n(2),
                n(1),
                pct(50.0),
                n(0),
                pct(0.0),
                n(0),
                pct(0.0)
            ]]
        );
        let third = 100.0 / 6.0;
        assert_eq!(
            results.sections[1].subtotal,
            Some(vec![
                t("Cộng Nông thôn"),
                n(6),
                n(3),
                pct(50.0),
                n(1),
                pct(third),
                n(1),
                pct(third)
            ])
        );
        assert_eq!(
            results.total,
            Some(vec![
                t("Tổng cộng"),
                n(8),
                n(4),
                pct(50.0),
                n(1),
                pct(12.5),
                n(1),
                pct(12.5)
            ])
        );
        assert!(
            results.notes[0].contains("đang rà soát (0/3 xã"),
            "{:?}",
            results.notes
        );

        let movements = registry::movements_report(&f, Language::Vi);
        let hoi = &movements.sections[1].rows[0];
        assert_eq!(hoi[0], t("Xã Xuân Hội"));
        // Poor: start, escaped, left, newly, again, from near-poor, end, check.
        assert_eq!(
            hoi[1..9],
            [n(2), n(1), n(0), n(1), n(0), n(0), n(2), t("Khớp")]
        );
        // Near-poor: start, escaped, became poor, left, newly, again, from poor, end, check.
        assert_eq!(
            hoi[9..],
            [n(1), n(1), n(0), n(0), n(1), n(0), n(1), n(1), t("Khớp")]
        );

        let deprivations = report_of(
            ReportKind::Deprivations,
            &f,
            Some(standard()),
            &policies,
            Language::Vi,
        )
        .unwrap();
        let water = deprivations
            .sections
            .iter()
            .flat_map(|s| &s.rows)
            .find(|row| row[0] == t("Nguồn nước sinh hoạt"))
            .unwrap();
        assert_eq!(water[1..], [n(4), pct(100.0), n(0), pct(0.0)]);

        // Children: one poor household with a child (H2), deprived in
        // water; no near-poor household with a child.
        let children = registry::children_report(&f, standard(), Language::Vi);
        let water = children
            .sections
            .iter()
            .flat_map(|s| &s.rows)
            .find(|row| row[0] == t("Nguồn nước sinh hoạt"))
            .unwrap();
        assert_eq!(water[1..], [n(1), pct(100.0), n(0), Cell::Empty]);
        assert!(
            children
                .notes
                .iter()
                .any(|n| n.contains("trên 1 hộ nghèo và 0 hộ cận nghèo"))
        );
        let groups = registry::groups_report(&f, Language::Vi);
        assert_eq!(
            groups.sections[1].rows,
            [
                vec![t("Nhóm 1"), n(1), pct(25.0), n(0), pct(0.0)],
                vec![t("Nhóm 2"), n(1), pct(25.0), n(0), pct(0.0)],
                vec![t("Nhóm 3"), n(0), pct(0.0), n(0), pct(0.0)],
            ]
        );
        let causes = registry::causes_report(&f, &policies.causes, Language::Vi);
        let capital = causes.sections[0]
            .rows
            .iter()
            .find(|row| row[0] == t("Thiếu vốn sản xuất, kinh doanh"))
            .unwrap();
        assert_eq!(capital[1..3], [n(2), pct(50.0)]);

        let support = registry::support_report(&f, &policies, Language::Vi);
        let production = support
            .sections
            .iter()
            .flat_map(|s| &s.rows)
            .find(|row| row[0] == t("Hỗ trợ phát triển sản xuất, khuyến nông"))
            .unwrap();
        assert_eq!(production[1..], [n(2), n(2), n(8_000_000)]);
        // With the gap finder's counts: households still missing each
        // policy, and for a policy to members the people.
        let mut with_gaps = f.clone();
        with_gaps.missing = Some(std::collections::BTreeMap::from([
            (
                "production_support".to_string(),
                registry::Missing {
                    households: 3,
                    members: 0,
                },
            ),
            (
                "health_insurance_card".to_string(),
                registry::Missing {
                    households: 2,
                    members: 5,
                },
            ),
        ]));
        let support = registry::support_report(&with_gaps, &policies, Language::Vi);
        let row = |name: &str| {
            support
                .sections
                .iter()
                .flat_map(|s| &s.rows)
                .find(|row| row[0] == t(name))
                .unwrap()
                .clone()
        };
        assert_eq!(
            row("Hỗ trợ phát triển sản xuất, khuyến nông")[1..],
            [n(2), n(2), n(8_000_000), n(3), Cell::Empty]
        );
        assert_eq!(row("Thẻ bảo hiểm y tế")[4..], [n(2), n(5)]);
        assert_eq!(
            row("Miễn, giảm học phí và hỗ trợ chi phí học tập")[4..],
            [n(0), n(0)]
        );
        assert_eq!(support.columns.len(), 6);
        support.check().unwrap();
        for kind in ReportKind::ALL {
            let report = report_of(kind, &f, Some(standard()), &policies, Language::Vi).unwrap();
            report.check().unwrap();
            report::xlsx(&[report]).unwrap();
        }

        // Closed in one commune of three.
        let clerk = officer(r, "18652").await;
        r.record_past_review(&clerk, "18652", y(2024), "35/QĐ-UBND", "12/12/2024")
            .await
            .unwrap();
        let f = r.report_figures(&admin(), "436", y(2024)).await.unwrap();
        assert_eq!((f.communes_reviewing, f.communes_closed), (3, 1));
        // 2025: Xuân Phổ's household counts under Xuân Hội.
        let f = r.report_figures(&admin(), "436", y(2025)).await.unwrap();
        let rows: Vec<(&str, i64)> = f
            .communes
            .iter()
            .map(|c| (c.name.as_str(), c.households))
            .collect();
        assert_eq!(
            rows,
            [("Xã Xuân Hội", 6), ("Thị trấn Xuân An", 2)],
            "{}",
            e.name
        );
        // Outside the scope: not found.
        let other = officer(r, "18655").await;
        assert!(matches!(
            r.report_figures(&other, "18652", y(2024)).await,
            Err(RegistryError::NotFound(_))
        ));
        e.cleanup().await;
    }
}

/// A target's progress and status (issue 12) against cases computed by
/// hand. Two communes, base year 2019 and year measured 2021:
///
/// | commune | households | poor 2019 | poor 2021 | left out | served | eligible |
/// |---------|-----------:|----------:|----------:|---------:|-------:|---------:|
/// | A       | 100        | 10        | 8         | 3        | 30 / 9 | 10       |
/// | B       | 50         | 2         | 2         | 0        | 10 / 5 | 5        |
///
/// The rate falls from 12/150 = 8 % to 10/150 = 6,67 %: 0,67 points a
/// year (A 1, B 0). Without those left out, A is at 5 %, B at 4 %.
#[test]
fn a_targets_progress_and_status_follow_the_plans_time() {
    use registry::{
        Area, CommuneFigures, ReportFigures, Target, TargetFacts, TargetShape, TargetStatus,
        progress,
    };
    use standard::Status;
    let figures = |year: i64, poor: [i64; 2]| {
        let mut f = ReportFigures::new("Huyện", y(year));
        f.communes = [("A", 100, poor[0]), ("B", 50, poor[1])]
            .into_iter()
            .map(|(code, households, poor)| {
                let mut c = CommuneFigures::new(code, &format!("Xã {code}"), Area::Rural);
                c.households = households;
                c.statuses.insert(Status::Poor, poor);
                c
            })
            .collect();
        f.communes_closed = 2;
        f.communes_reviewing = 2;
        f
    };
    let (base, now) = (figures(2019, [10, 2]), figures(2021, [8, 2]));
    let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let target = |shape: TargetShape, value: i64| Target {
        id: 1,
        title: "t".into(),
        shape,
        value,
    };
    let by = |pairs: &[(&str, i64)]| pairs.iter().map(|(c, n)| (c.to_string(), *n)).collect();
    let facts = TargetFacts {
        excluded: by(&[("A", 3)]),
        served: by(&[("A", 30), ("B", 10)]),
        eligible: by(&[("A", 10), ("B", 5)]),
    };
    let run = |t: &Target, facts: &TargetFacts, today: &str| {
        progress(t, 2021, 2020, Some(&now), Some(&base), facts, d(today))
    };
    let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-9;

    let drop = target(TargetShape::PoorRateDrop, 50);
    let p = run(&drop, &facts, "2022-01-10");
    assert!(
        close(p.measure, (8.0 - 20.0 / 3.0) / 2.0),
        "{:?}",
        p.measure
    );
    assert_eq!(p.base_year, Some(2019));
    assert_eq!(p.status, TargetStatus::Achieved);
    assert!(close(p.communes[0].measure, 1.0) && p.communes[0].meets == Some(true));
    assert!(close(p.communes[1].measure, 0.0) && p.communes[1].meets == Some(false));
    assert_eq!(
        run(&drop, &facts, "2021-06-01").status,
        TargetStatus::OnTrack
    );
    let steep = target(TargetShape::PoorRateDrop, 100);
    assert_eq!(
        run(&steep, &facts, "2021-06-01").status,
        TargetStatus::AtRisk
    );
    assert_eq!(
        run(&steep, &facts, "2022-01-01").status,
        TargetStatus::Missed
    );

    let below = target(TargetShape::PoorRateBelow { excluding: true }, 450);
    let p = run(&below, &facts, "2022-01-10");
    assert!(close(p.measure, 5.0), "the worst commune: {:?}", p.measure);
    assert_eq!(p.status, TargetStatus::Missed);
    assert_eq!(
        p.communes.iter().map(|c| c.meets).collect::<Vec<_>>(),
        [Some(false), Some(true)]
    );
    let counted = target(TargetShape::PoorRateBelow { excluding: false }, 600);
    // Without leaving anyone out A is at 8 %.
    assert!(close(run(&counted, &facts, "2022-01-10").measure, 8.0));
    let lenient = target(TargetShape::PoorRateBelow { excluding: true }, 510);
    assert_eq!(
        run(&lenient, &facts, "2021-03-01").status,
        TargetStatus::OnTrack
    );

    let served = target(
        TargetShape::Served {
            policies: vec!["job_placement".into()],
        },
        100,
    );
    // 40 of 100 with half the plan's two years gone: behind.
    assert!(close(run(&served, &facts, "2021-01-01").measure, 40.0));
    assert_eq!(
        run(&served, &facts, "2021-01-01").status,
        TargetStatus::AtRisk
    );
    // A quarter gone: on the way.
    assert_eq!(
        run(&served, &facts, "2020-04-01").status,
        TargetStatus::OnTrack
    );
    let reached = target(
        TargetShape::Served {
            policies: vec!["job_placement".into()],
        },
        40,
    );
    assert_eq!(
        run(&reached, &facts, "2020-04-01").status,
        TargetStatus::Achieved
    );

    let share = target(
        TargetShape::ShareServed {
            policy: "preferential_credit".into(),
            standings: vec![support::Standing::Poor],
        },
        10_000,
    );
    let shares = TargetFacts {
        served: by(&[("A", 9), ("B", 5)]),
        ..facts.clone()
    };
    let p = run(&share, &shares, "2022-01-10");
    assert!(close(p.measure, 1400.0 / 15.0), "{:?}", p.measure);
    assert_eq!(p.status, TargetStatus::Missed);
    assert!(close(p.communes[1].measure, 100.0) && p.communes[1].meets == Some(true));

    let model = target(
        TargetShape::NoPoor {
            commune: "B".into(),
        },
        0,
    );
    let p = run(&model, &facts, "2022-01-10");
    assert_eq!((p.measure, p.status), (Some(2.0), TargetStatus::Missed));
    let none = progress(&drop, 2021, 2020, None, None, &facts, d("2021-01-01"));
    assert_eq!(none.status, TargetStatus::NoData);
}

/// Plans are issued and read within the hierarchy (issue 12): a commune
/// reads its district's plan, a sibling district does not; a target's
/// form names its problems; the health-insurance share is over the poor
/// households' members.
#[tokio::test]
async fn plans_are_issued_read_from_below_and_their_targets_checked() {
    let standards = standard::Catalogue::builtin().unwrap();
    let policies = support::Catalogue::builtin(&standards).unwrap();
    const TWO_DISTRICTS: &str = "\
code,name,level,parent_code,area,valid_from,merged_into,valid_to
42,Tỉnh Hà Tĩnh,province,,,,,
436,Huyện Nghi Xuân,district,42,,,,
437,Huyện Can Lộc,district,42,,,,
18652,Xã Xuân Hội,commune,436,rural,,,
18700,Xã Thiên Lộc,commune,437,rural,,,
";
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", TWO_DISTRICTS), false)
            .await
            .unwrap();
        let unit_officer = |code: &'static str| {
            let r = r.clone();
            async move { officer(&r, code).await }
        };
        let district = unit_officer("436").await;
        let plan = |from: &str, to: &str, day: &str| registry::NewPlan {
            unit_code: "436".into(),
            number: "35/KH-UBND".into(),
            issued_on: day.into(),
            title: "Kế hoạch giảm nghèo".into(),
            from_year: from.into(),
            to_year: to.into(),
            legal_bases: String::new(),
        };
        let err = r
            .add_plan(&district, &plan("2025", "2024", "21/03/2024"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("không trước năm bắt đầu"), "{err}");
        let err = r
            .add_plan(&district, &plan("2024", "2025", "31/02/2024"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ngày ban hành"), "{err}");
        let id = r
            .add_plan(&district, &plan("2024", "2025", "21/03/2024"))
            .await
            .unwrap();
        let target =
            |shape: &str, value: &str, policies: &[&str], standings: &[&str], commune: &str| {
                registry::NewTarget {
                    title: "Chỉ tiêu".into(),
                    shape: shape.into(),
                    value: value.into(),
                    policies: policies.iter().map(|p| p.to_string()).collect(),
                    standings: standings.iter().map(|s| s.to_string()).collect(),
                    commune: commune.into(),
                    excluding: false,
                }
            };
        for (bad, says) in [
            (
                target("poor_rate_below", "hai", &[], &[], ""),
                "không phải số",
            ),
            (
                target("poor_rate_below", "120", &[], &[], ""),
                "ngoài khoảng",
            ),
            (target("served", "10", &["fortune"], &[], ""), "\"fortune\""),
            (
                target("share_served", "100", &["preferential_credit"], &[], ""),
                "đối tượng",
            ),
            (
                target("no_poor", "", &[], &[], "18700"),
                "không phải một xã của Huyện Nghi Xuân",
            ),
            (target("magic", "1", &[], &[], ""), "\"magic\""),
        ] {
            let err = r
                .add_target(&district, id, &bad, &policies)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{says}: {err}");
        }
        r.add_target(
            &district,
            id,
            &target(
                "share_served",
                "100",
                &["health_insurance_card"],
                &["poor"],
                "",
            ),
            &policies,
        )
        .await
        .unwrap();
        r.add_target(
            &district,
            id,
            &target("no_poor", "", &[], &[], "18652"),
            &policies,
        )
        .await
        .unwrap();
        // A poor household of two; one has a card.
        let h = r
            .create_household(
                &admin(),
                &NewHousehold {
                    code: "P1".into(),
                    commune_code: "18652".into(),
                    head_name: "Hộ nghèo".into(),
                    ..NewHousehold::default()
                },
            )
            .await
            .unwrap();
        let mut members = Vec::new();
        for name in ["Võ Văn Một", "Võ Thị Hai"] {
            members.push(
                r.add_member(
                    &admin(),
                    h,
                    &NewMember {
                        full_name: name.into(),
                        ..NewMember::default()
                    },
                )
                .await
                .unwrap(),
            );
        }
        r.record_survey(
            &admin(),
            h,
            y(2024),
            &two_adults(1_000_000, true),
            standard(),
        )
        .await
        .unwrap();
        r.record_delivery(
            &admin(),
            h,
            &policies,
            &registry::NewDelivery {
                policy: "health_insurance_card".into(),
                member_id: Some(members[0]),
                delivered_on: "02/01/2024".into(),
                ..registry::NewDelivery::default()
            },
        )
        .await
        .unwrap();
        // Production support for the poor and the just escaped: P1 (poor,
        // not served) and E1 (poor in 2023, the year before the plan, above
        // the near-poor line in 2024, served in 2024); N1 was never poor.
        r.add_target(
            &district,
            id,
            &target(
                "share_served",
                "100",
                &["production_support"],
                &["poor", "escaped"],
                "",
            ),
            &policies,
        )
        .await
        .unwrap();
        for (code, poor_in_2023) in [("E1", true), ("N1", false)] {
            let hh = household_of(r, code, "18652").await;
            let income_2023 = if poor_in_2023 { 1_000_000 } else { 5_000_000 };
            r.record_survey(
                &admin(),
                hh,
                y(2023),
                &two_adults(income_2023, poor_in_2023),
                standard(),
            )
            .await
            .unwrap();
            r.record_survey(
                &admin(),
                hh,
                y(2024),
                &two_adults(5_000_000, false),
                standard(),
            )
            .await
            .unwrap();
            r.record_delivery(
                &admin(),
                hh,
                &policies,
                &registry::NewDelivery {
                    policy: "production_support".into(),
                    delivered_on: "02/03/2024".into(),
                    ..registry::NewDelivery::default()
                },
            )
            .await
            .unwrap();
        }
        let commune = unit_officer("18652").await;
        let today = chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
        let (seen, progress) = r
            .plan_progress(&commune, id, today, &policies)
            .await
            .unwrap();
        assert_eq!(seen.number, "35/KH-UBND");
        assert_eq!(progress.len(), 3);
        assert_eq!(
            progress[2].measure,
            Some(50.0),
            "{}: E1 of P1 and E1 (N1 was never poor)",
            e.name
        );
        assert_eq!(
            progress[0].measure,
            Some(50.0),
            "{}: one of two members",
            e.name
        );
        assert_eq!(progress[0].year, Some(2024));
        assert_eq!(progress[1].measure, Some(1.0));
        assert_eq!(
            r.plans(&commune, "18652").await.unwrap().len(),
            1,
            "a commune reads its district's plans"
        );
        let other = unit_officer("18700").await;
        assert!(matches!(
            r.plan_progress(&other, id, today, &policies).await,
            Err(RegistryError::NotFound(_))
        ));
        // Only the district adds targets to its plan.
        assert!(
            r.add_target(
                &commune,
                id,
                &target("poor_rate_drop", "1", &[], &[], ""),
                &policies
            )
            .await
            .is_err()
        );
        e.cleanup().await;
    }
}

/// The statistics' table by commune a page at a time, in the order of the
/// communes' codes, the whole unit's figures from its kept tallies summed
/// whichever page: two households in 18652 (one poor, deprived in 3 of 12
/// indicators: c = 1/4 = k), one in 18655 (poor, the same); the district
/// and the province have H = 2/3, each commune's own H is 1/2 and 1.
#[tokio::test]
async fn the_statistics_show_the_communes_a_page_at_a_time() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        for (code, commune, poor) in [
            ("A", "18652", true),
            ("B", "18652", false),
            ("C", "18655", true),
        ] {
            let id = household_of(r, code, commune).await;
            let income = if poor { 1_000_000 } else { 5_000_000 };
            r.record_survey(&admin(), id, y(2024), &two_adults(income, poor), standard())
                .await
                .unwrap();
        }
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        for unit in ["436", "42"] {
            let page = |communes: std::ops::Range<usize>| async move {
                r.statistics_of_years(&admin(), unit, &[y(2024)], standard(), communes)
                    .await
                    .unwrap()
                    .remove(0)
                    .unwrap()
            };
            let all = page(0..usize::MAX).await;
            // 18658 merged into 18652 only in 2025: three communes at
            // 2024's end, 18658 without households.
            assert_eq!(all.communes, 3, "{}: {unit}", e.name);
            let codes: Vec<&str> = all.by_commune.iter().map(|g| g.group.as_str()).collect();
            assert_eq!(codes, ["18652", "18655"], "{}: {unit}", e.name);
            assert!(close(all.by_commune[0].h, 0.5) && close(all.by_commune[1].h, 1.0));
            assert_eq!(
                all.by_commune.iter().map(|g| g.households).sum::<u64>(),
                all.total.households
            );
            assert_eq!(all.total.households, 3);
            assert!(close(all.total.h, 2.0 / 3.0), "{}", all.total.h);
            let first = page(0..1).await;
            let second = page(1..2).await;
            let third = page(2..3).await;
            let beyond = page(3..9).await;
            assert_eq!(first.by_commune, all.by_commune[..1].to_vec());
            assert_eq!(second.by_commune, all.by_commune[1..].to_vec());
            assert!(third.by_commune.is_empty());
            assert_eq!(third.names.keys().collect::<Vec<_>>(), ["18658"]);
            assert!(beyond.by_commune.is_empty() && beyond.names.is_empty());
            assert_eq!(first.names.keys().collect::<Vec<_>>(), ["18652"]);
            assert_eq!(second.names.keys().collect::<Vec<_>>(), ["18655"]);
            for p in [&first, &second, &third, &beyond] {
                assert_eq!(
                    (&p.total, &p.by_area, &p.by_group),
                    (&all.total, &all.by_area, &all.by_group)
                );
                assert_eq!(p.communes, 3);
            }
        }
        e.cleanup().await;
    }
}

/// The statistics by group, by hand (issue 12): of three households of a
/// commune in 2024, A and B have a meritorious member; A and C are poor and
/// deprived in 3 of 12 indicators (c = 1/4 = k, MPI-poor), B is neither.
/// The merit group: 2 households (2/3 of all), H = 1/2, A = 1/4,
/// M0 = 1/8, poor rate 1/2. The whole: H = 2/3, M0 = 1/6. A group's
/// errors are a domain's: not those of the group measured alone.
#[tokio::test]
async fn the_statistics_by_group_are_domains_of_the_whole() {
    for e in engines().await {
        let r = &e.registry;
        let dir = tempfile::tempdir().unwrap();
        r.import_units(&admin(), &write(dir.path(), "u.csv", UNITS), false)
            .await
            .unwrap();
        for (code, merit, poor) in [("A", true, true), ("B", true, false), ("C", false, true)] {
            let id = household_of(r, code, "18652").await;
            if merit {
                r.add_member(
                    &admin(),
                    id,
                    &NewMember {
                        full_name: format!("Thành viên {code}"),
                        birth_date: Some("01/01/1980".into()),
                        merit: true,
                        ..NewMember::default()
                    },
                )
                .await
                .unwrap();
            }
            let income = if poor { 1_000_000 } else { 5_000_000 };
            r.record_survey(&admin(), id, y(2024), &two_adults(income, poor), standard())
                .await
                .unwrap();
        }
        let s = r
            .statistics(&admin(), "18652", y(2024), standard())
            .await
            .unwrap()
            .unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert_eq!(s.total.households, 3, "{}", e.name);
        assert!(close(s.total.h, 2.0 / 3.0) && close(s.total.m0, 1.0 / 6.0));
        assert_eq!(s.by_group.len(), 1, "{:?}", s.by_group);
        let merit = &s.by_group[0];
        assert_eq!((merit.group.as_str(), merit.households), ("merit", 2));
        assert!(close(merit.h, 0.5) && close(merit.a.unwrap(), 0.25));
        assert!(close(merit.m0, 0.125) && close(merit.poor_rate, 0.5));
        assert!(close(merit.weight_sum / s.total.weight_sum, 2.0 / 3.0));
        // As a domain of three households, not a sample of two (alone it
        // would be √(½·½/(2 − 1)) = 0,5): with z = (y − H·x)/X of each
        // household — A (1 − ½)/2 = ¼, B (0 − ½)/2 = −¼, C 0 —
        // Var = n/(n − 1)·Σz² = 3/2 · (1/16 + 1/16) = 0,1875.
        let se = merit.se.h.unwrap();
        assert!(close(se, 0.1875f64.sqrt()), "{se}");
        // Two years asked at once, as the page asks: each as if asked
        // alone, the year with no survey none.
        let both = r
            .statistics_of_years(
                &admin(),
                "18652",
                &[y(2024), y(2023)],
                standard(),
                0..usize::MAX,
            )
            .await
            .unwrap();
        assert_eq!(both, vec![Some(s.clone()), None], "{}", e.name);
        // A year after the first is the whole unit's, without the table
        // by commune.
        for unit in ["18652", "436", "42"] {
            let twice = r
                .statistics_of_years(&admin(), unit, &[y(2024), y(2024)], standard(), 0..10)
                .await
                .unwrap();
            let full = twice[0].clone().unwrap();
            assert_eq!(full.by_commune.len(), 1, "{unit}: 18652");
            let whole = registry::Statistics {
                by_commune: Vec::new(),
                communes: 0,
                names: Default::default(),
                ..full
            };
            assert_eq!(twice[1], Some(whole), "{}: {unit}", e.name);
        }
        assert_eq!(r.count_drift().await.unwrap(), Vec::new());
    }
}
