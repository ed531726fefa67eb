//! The registry's commands: database, units, import, export, search,
//! movements, backup and restore, users. They act as the command line's
//! administrator (`Actor::command_line`), and every write is audited.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use registry::ReviewYear;
use registry::{Actor, Db, Registry, Role};
use standard::{Catalogue, Language};
use std::io::Read;
use std::path::PathBuf;

#[derive(Args)]
pub struct DbArg {
    /// Cơ sở dữ liệu: sqlite:ĐƯỜNG_DẪN hoặc postgres://…
    #[arg(long, env = "GIAMNGHEO_DB", default_value = "sqlite:giamngheo.db")]
    db: String,
}

/// A read replica for dashboards and reports.
#[derive(Args)]
pub struct ReadDbArg {
    /// Bản sao chỉ đọc của cơ sở dữ liệu (postgres://… của máy chủ bản sao, hay sqlite:… một bản chép) để tổng quan và báo cáo đọc từ đó.
    #[arg(long, env = "GIAMNGHEO_READ_DB")]
    read_db: Option<String>,
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Tạo hoặc nâng cấp cấu trúc cơ sở dữ liệu.
    Migrate(DbArg),
    /// Kiểm tra tính toàn vẹn và đếm dữ liệu.
    Check(DbArg),
}

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Nạp danh mục đơn vị (CSV: code, name, level, parent_code, area, valid_from, merged_into, valid_to).
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Chỉ kiểm tra, không ghi.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Liệt kê các đơn vị.
    List(DbArg),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    db: DbArg,
    /// Chỉ kiểm tra, không ghi.
    #[arg(long)]
    dry_run: bool,
    /// Năm rà soát (tệp hộ dạng phẳng có thu nhập và các cột d_…).
    #[arg(long, value_parser = ReviewYear::parse)]
    year: Option<ReviewYear>,
    /// Chuẩn (mặc định: chuẩn áp dụng cho năm rà soát).
    #[arg(long)]
    standard: Option<String>,
    /// Mã xã của các hộ, khi bảng hộ không có cột "Mã xã".
    #[arg(long)]
    commune: Option<String>,
    /// Tệp: tệp hộ dạng phẳng (.csv, .parquet), hoặc bảng hộ và bảng thành viên (.xlsx, .csv).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Whether a file is the flat household file (formats.md) rather than a sheet.
fn is_flat(path: &std::path::Path) -> bool {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("parquet") => true,
        Some("csv") => std::fs::read_to_string(path)
            .map(|t| {
                t.lines()
                    .next()
                    .is_some_and(|h| h.contains("income_per_capita"))
            })
            .unwrap_or(false),
        _ => false,
    }
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    read_db: ReadDbArg,
    /// Mã đơn vị.
    #[arg(long)]
    unit: String,
    #[arg(long, value_parser = ReviewYear::parse)]
    year: ReviewYear,
    /// Tệp ra .xlsx.
    #[arg(long)]
    out: PathBuf,
    /// Che số định danh (0420******34) thay vì ghi đầy đủ.
    #[arg(long)]
    masked: bool,
}

#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    db: DbArg,
    /// Tối đa bao nhiêu hộ.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Tên (hoặc phần đầu của tên), có dấu hay không dấu.
    query: String,
}

#[derive(Args)]
pub struct MovementsArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    read_db: ReadDbArg,
    #[arg(long)]
    unit: String,
    #[arg(long, value_parser = ReviewYear::parse)]
    year: ReviewYear,
    /// text (mặc định), csv, html (trang in) hoặc xlsx (cần --out).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Ghi ra tệp thay vì màn hình.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// How a report is written.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Csv,
    Html,
    Xlsx,
}

#[derive(Args)]
pub struct PastReviewArgs {
    #[command(flatten)]
    db: DbArg,
    /// Mã xã.
    #[arg(long)]
    commune: String,
    /// Năm rà soát.
    #[arg(long, value_parser = ReviewYear::parse)]
    year: ReviewYear,
    /// Số quyết định công nhận, ví dụ 125/QĐ-UBND.
    #[arg(long)]
    decision: String,
    /// Ngày quyết định, dd/mm/yyyy.
    #[arg(long)]
    date: String,
}

/// Records a year already reviewed and recognised outside the registry
/// (from the official results imported for it): the year is then final.
pub fn past_review(args: PastReviewArgs) -> Result<()> {
    runtime()?.block_on(async {
        let r = open(&args.db).await?;
        r.record_past_review(
            &Actor::command_line(),
            &args.commune,
            args.year,
            &args.decision,
            &args.date,
        )
        .await?;
        eprintln!(
            "Đã ghi đợt rà soát năm {} của xã {} (quyết định {} ngày {}); kết quả năm đó là chính thức và được khoá.",
            args.year, args.commune, args.decision, args.date
        );
        Ok(())
    })
}

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DbArg,
    /// Tệp sao lưu (chưa tồn tại).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    db: DbArg,
    /// Tệp sao lưu.
    #[arg(long)]
    from: PathBuf,
    /// Thay cơ sở dữ liệu đang có bằng bản sao lưu.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Tạo tài khoản; mật khẩu đọc từ đầu vào chuẩn.
    Add {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        /// Đọc mật khẩu từ đầu vào chuẩn (một dòng).
        #[arg(long)]
        password_stdin: bool,
        /// admin, officer, approver, agency_officer, leader, statistics
        #[arg(long)]
        role: String,
        /// Mã đơn vị của tài khoản.
        #[arg(long)]
        unit: Option<String>,
        /// Cơ quan của cán bộ cơ quan (mã trong danh mục chính sách, ví dụ policy_bank).
        #[arg(long)]
        agency: Option<String>,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

async fn open(db: &DbArg) -> Result<Registry> {
    open_with(db, &ReadDbArg { read_db: None }).await
}

/// The registry, its dashboards and reports read from the replica if given.
async fn open_with(db: &DbArg, read: &ReadDbArg) -> Result<Registry> {
    let mut connected = Db::connect(&db.db).await?;
    connected.migrate().await?;
    if let Some(url) = &read.read_db {
        connected = connected
            .with_reports(url)
            .await
            .with_context(|| format!("--read-db {url}"))?;
    }
    Ok(Registry::new(connected))
}

pub fn db(command: DbCommand) -> Result<()> {
    runtime()?.block_on(async {
        match command {
            DbCommand::Migrate(arg) => {
                let db = Db::connect(&arg.db).await?;
                let applied = db.migrate().await?;
                eprintln!("Đã áp dụng {applied} bước nâng cấp cơ sở dữ liệu.");
            }
            DbCommand::Check(arg) => {
                let db = Db::connect(&arg.db).await?;
                out!("integrity: {}", db.integrity_check().await?);
                // Kept counts added by a newer version are filled by its migration.
                db.migrate().await?;
                for (table, n) in db.counts().await? {
                    out!("{table}: {n}");
                }
                let drift = Registry::new(db).count_drift().await?;
                out!(
                    "kept counts: {}",
                    if drift.is_empty() {
                        "ok".to_string()
                    } else {
                        format!("{} differ", drift.len())
                    }
                );
                for ((commune, year, status), (kept, actual)) in &drift {
                    out!("  unit {commune}, {year}, {status}: kept {kept}, recomputed {actual}");
                }
                if !drift.is_empty() {
                    bail!(
                        "số liệu tổng hợp lệch với dữ liệu gốc ở {} chỗ",
                        drift.len()
                    );
                }
            }
        }
        Ok(())
    })
}

pub fn units(command: UnitsCommand) -> Result<()> {
    runtime()?.block_on(async {
        match command {
            UnitsCommand::Import { db, dry_run, file } => {
                let r = open(&db).await?;
                let s = r
                    .import_units(&Actor::command_line(), &file, dry_run)
                    .await?;
                let verb = if dry_run {
                    "Kiểm tra xong (không ghi)"
                } else {
                    "Đã nạp"
                };
                eprintln!(
                    "{verb}: {} đơn vị mới, {} cập nhật, {} không đổi.",
                    s.created, s.updated, s.unchanged
                );
            }
            UnitsCommand::List(db) => {
                let r = open(&db).await?;
                for u in r.units().await? {
                    out!("{:<10} {:<8} {}", u.code, u.level.code(), u.name);
                }
            }
        }
        Ok(())
    })
}

pub fn import(catalogue: &Catalogue, args: ImportArgs) -> Result<()> {
    let verb = if args.dry_run {
        "Kiểm tra xong (không ghi)"
    } else {
        "Đã nạp"
    };
    if args.files.len() == 1 && is_flat(&args.files[0]) {
        let Some(year) = args.year else {
            bail!("tệp hộ dạng phẳng cần --year NĂM (năm rà soát của số liệu)");
        };
        let standard = match &args.standard {
            Some(id) => crate::resolve(catalogue, id)?,
            None => catalogue
                .for_review_year(year.get())
                .cloned()
                .ok_or_else(|| anyhow!("không có chuẩn nào áp dụng cho năm rà soát {year}"))?,
        };
        return runtime()?.block_on(async {
            let r = open(&args.db).await?;
            let s = r
                .import_flat(
                    &Actor::command_line(),
                    &args.files[0],
                    &standard,
                    year,
                    args.dry_run,
                )
                .await?;
            eprintln!(
                "{verb}: {} hộ mới, {} cập nhật, {} không đổi; xếp loại năm {year} theo {}.",
                s.created, s.updated, s.unchanged, standard.id
            );
            r.db().close().await;
            Ok(())
        });
    }
    // A list's income and deprivation marks are the survey of a year: with
    // --year they are recorded and classified by that year's standard (or
    // --standard); without it the import refuses those columns, naming them.
    let standard = match (&args.year, &args.standard) {
        (None, Some(_)) => bail!("--standard cần --year NĂM (năm rà soát của số liệu trong bảng)"),
        (None, None) => None,
        (Some(year), Some(id)) => Some((*year, crate::resolve(catalogue, id)?)),
        (Some(year), None) => Some((
            *year,
            catalogue
                .for_review_year(year.get())
                .cloned()
                .ok_or_else(|| anyhow!("không có chuẩn nào áp dụng cho năm rà soát {year}"))?,
        )),
    };
    let survey = standard
        .as_ref()
        .map(|(year, standard)| registry::SheetSurvey {
            year: *year,
            standard,
        });
    runtime()?.block_on(async {
        let r = open(&args.db).await?;
        let s = r
            .import_sheets(
                &Actor::command_line(),
                &args.files,
                args.commune.as_deref(),
                survey.as_ref(),
                args.dry_run,
            )
            .await?;
        eprintln!(
            "{verb}: {} hộ mới, {} cập nhật, {} không đổi.",
            s.created, s.updated, s.unchanged
        );
        for note in &s.notes {
            eprintln!("  {note}");
        }
        r.db().close().await;
        Ok(())
    })
}

pub fn export(args: ExportArgs) -> Result<()> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("xlsx") {
        bail!("{}: tệp xuất phải có đuôi .xlsx", args.out.display());
    }
    runtime()?.block_on(async {
        let r = open_with(&args.db, &args.read_db).await?;
        let (bytes, n) = r
            .export_list(&Actor::command_line(), &args.unit, args.year, !args.masked)
            .await?;
        registry::write_file(&args.out, &bytes)?;
        eprintln!("Đã xuất {n} hộ vào {}", args.out.display());
        Ok(())
    })
}

pub fn search(args: SearchArgs) -> Result<()> {
    runtime()?.block_on(async {
        let r = open(&args.db).await?;
        for h in r
            .search_households(&Actor::command_line(), &args.query, args.limit)
            .await?
        {
            out!("{:<16} {:<30} {}", h.code, h.head_name, h.address);
        }
        Ok(())
    })
}

pub fn movements(args: MovementsArgs, language: Language) -> Result<()> {
    runtime()?.block_on(async {
        let r = open_with(&args.db, &args.read_db).await?;
        let m = r
            .movements(&Actor::command_line(), &args.unit, args.year)
            .await?;
        let unit = r
            .unit_by_code(&args.unit)
            .await?
            .map_or_else(|| args.unit.clone(), |u| u.name);
        let report = m.report(&unit, args.year, language);
        let say = |vi: &str, en: &str| match language {
            Language::Vi => vi.to_string(),
            Language::En => en.to_string(),
        };
        let words = report::Words {
            country: say(
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "SOCIALIST REPUBLIC OF VIETNAM",
            ),
            motto: say(
                "Độc lập - Tự do - Hạnh phúc",
                "Independence - Freedom - Happiness",
            ),
            notes: say("Ghi chú", "Notes"),
        };
        let bytes = match args.format {
            ReportFormat::Text => report::text(&report)?.into_bytes(),
            ReportFormat::Csv => report::csv(&report)?.into_bytes(),
            ReportFormat::Html => report::html(&report, &words)?.into_bytes(),
            ReportFormat::Xlsx => report::xlsx(std::slice::from_ref(&report))?,
        };
        match &args.out {
            Some(path) => {
                registry::write_file(path, &bytes)?;
                eprintln!("{} {}", say("Đã ghi", "Wrote"), path.display());
            }
            None if args.format == ReportFormat::Xlsx => {
                bail!(say(
                    "--format xlsx cần --out TỆP.xlsx",
                    "--format xlsx needs --out FILE.xlsx"
                ))
            }
            None => {
                use std::io::Write;
                let mut stdout = std::io::stdout().lock();
                // A closed reader (| head) ends the output quietly.
                let _ = stdout.write_all(&bytes);
            }
        }
        Ok(())
    })
}

pub fn backup(args: BackupArgs) -> Result<()> {
    runtime()?.block_on(async {
        let db = Db::connect(&args.db.db).await?;
        db.backup(&args.out).await?;
        eprintln!("Đã sao lưu vào {}", args.out.display());
        Ok(())
    })
}

pub fn restore(args: RestoreArgs) -> Result<()> {
    let Some(path) = args.db.db.strip_prefix("sqlite:") else {
        bail!("khôi phục PostgreSQL bằng pg_restore (xem README)");
    };
    runtime()?.block_on(async {
        registry::restore_sqlite(&args.from, std::path::Path::new(path), args.force).await?;
        eprintln!("Đã khôi phục {} từ {}", path, args.from.display());
        Ok(())
    })
}

pub fn user(command: UserCommand) -> Result<()> {
    let UserCommand::Add {
        db,
        username,
        password_stdin,
        role,
        unit,
        agency,
    } = command;
    let role = Role::parse(&role).ok_or_else(|| {
        anyhow!(
            "vai trò \"{role}\" không có; dùng một trong: {}",
            Role::ALL.map(|r| r.code()).join(", ")
        )
    })?;
    if !password_stdin {
        bail!(
            "hãy đưa mật khẩu qua đầu vào chuẩn với --password-stdin (để mật khẩu không nằm trong lịch sử lệnh)"
        );
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("không đọc được mật khẩu")?;
    let password = password.trim_end_matches(['\n', '\r']);
    runtime()?.block_on(async {
        let r = open(&db).await?;
        r.add_user(
            &Actor::command_line(),
            &username,
            password,
            role,
            unit.as_deref(),
        )
        .await?;
        if let Some(agency) = &agency {
            let standards = standard::Catalogue::builtin()?;
            let policies = support::Catalogue::builtin(&standards)?;
            r.assign_agency(&Actor::command_line(), &username, agency, &policies)
                .await?;
        }
        eprintln!("Đã tạo tài khoản {username} ({}).", role.code());
        Ok(())
    })
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    read_db: ReadDbArg,
    /// Địa chỉ lắng nghe.
    #[arg(long, env = "GIAMNGHEO_ADDR", default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Trang được phục vụ qua HTTPS (trực tiếp hay sau proxy): cookie có cờ Secure.
    #[arg(long)]
    secure: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Cơ sở dữ liệu mẫu (tạo nếu chưa có).
    #[arg(long, default_value = "sqlite:giamngheo-demo.db")]
    db: String,
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Số hộ của huyện mẫu.
    #[arg(long, default_value_t = 25_000)]
    households: usize,
    /// Chỉ tạo dữ liệu, không chạy trang web.
    #[arg(long)]
    no_serve: bool,
    /// Thư mục ghi danh sách mẫu của các cơ quan (vay vốn, thẻ BHYT) để
    /// cán bộ cơ quan nhập thử; mặc định cạnh tệp cơ sở dữ liệu.
    #[arg(long)]
    lists: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct ProvinceDemoArgs {
    #[command(flatten)]
    db: DbArg,
    /// Số hộ của tỉnh tổng hợp (xã khoảng 2.000 hộ).
    #[arg(long, default_value_t = 100_000)]
    households: usize,
    /// Các năm rà soát, cách nhau bằng dấu phẩy; năm cuối chưa rà soát xong.
    #[arg(long, value_delimiter = ',', default_value = "2024,2025,2026")]
    years: Vec<String>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

pub fn province_demo(catalogue: &Catalogue, args: ProvinceDemoArgs) -> Result<()> {
    let years = args
        .years
        .iter()
        .map(|y| ReviewYear::parse(y).map_err(|e| anyhow!("--years: {e}")))
        .collect::<Result<Vec<_>>>()?;
    runtime()?.block_on(async {
        let r = open(&args.db).await?;
        let started = std::time::Instant::now();
        let bar = crate::progress_bar(flatfile::Extent::Rows(args.households as u64));
        let summary = r
            .seed_province(catalogue, args.households, &years, args.seed, &|n| {
                bar.set_position(n as u64)
            })
            .await?;
        bar.finish_and_clear();
        out!(
            "Đã tạo tỉnh tổng hợp {}: {} xã, {} hộ, {} nhân khẩu, {} kết quả rà soát trong {:.0} giây — cơ sở dữ liệu {}",
            registry::PROVINCE_CODE,
            summary.communes,
            vntext::format_vnd(summary.households as i64),
            vntext::format_vnd(summary.members as i64),
            vntext::format_vnd(summary.assessments as i64),
            started.elapsed().as_secs_f64(),
            args.db.db
        );
        out!("Tài khoản (mật khẩu của tất cả: {}):", registry::DEMO_PASSWORD);
        for (user, role, unit) in registry::PROVINCE_USERS {
            out!("  {user:<16} {:<18} {}", role.code(), unit.unwrap_or("toàn bộ"));
        }
        r.db().close().await;
        Ok(())
    })
}

/// Structured logs on standard error for the server: one line per request
/// (id, method, path, status, milliseconds, actor, unit) and every server
/// error. `GIAMNGHEO_LOG` (or `RUST_LOG`) picks the level, default info.
fn start_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("GIAMNGHEO_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub fn serve(args: ServeArgs) -> Result<()> {
    start_logs();
    runtime()?.block_on(async {
        let r = open_with(&args.db, &args.read_db).await?;
        eprintln!("giamngheo đang chạy tại http://{}", args.addr);
        web::serve(r, args.addr, args.secure)
            .await
            .context("không mở được địa chỉ lắng nghe")?;
        Ok(())
    })
}

pub fn demo(catalogue: &Catalogue, args: DemoArgs) -> Result<()> {
    runtime()?.block_on(async {
        let r = open(&DbArg {
            db: args.db.clone(),
        })
        .await?;
        if r.is_empty().await? {
            eprintln!(
                "Đang tạo dữ liệu mẫu ({} hộ, {} năm rà soát {}–{}); lần đầu mất khoảng hai phút…",
                args.households,
                registry::DEMO_YEARS.len(),
                registry::DEMO_YEARS[0],
                registry::DEMO_YEARS[registry::DEMO_YEARS.len() - 1]
            );
            r.seed_demo(catalogue, args.households, 2024, &|done| {
                eprintln!("  {done}/19 xã")
            })
            .await?;
        }
        out!(
            "Dữ liệu mẫu: Tỉnh Hà Tĩnh, huyện Nghi Xuân đến 30/06/2025 và các xã sau sáp nhập — cơ sở dữ liệu {}",
            args.db
        );
        out!(
            "Tài khoản (mật khẩu của tất cả: {}):",
            registry::DEMO_PASSWORD
        );
        for (user, role, unit) in registry::DEMO_USERS {
            out!(
                "  {user:<16} {:<18} {}",
                role.code(),
                unit.unwrap_or("toàn bộ")
            );
        }
        let lists = args.lists.clone().unwrap_or_else(|| {
            let beside = args
                .db
                .strip_prefix("sqlite:")
                .and_then(|p| std::path::Path::new(p).parent().map(|d| d.to_path_buf()))
                .unwrap_or_default();
            beside.join("danh-sach-co-quan")
        });
        std::fs::create_dir_all(&lists)
            .with_context(|| format!("không tạo được thư mục {}", lists.display()))?;
        out!("Danh sách mẫu của các cơ quan (đăng nhập nhcsxh hoặc bhxh, mục \"Nhập danh sách\"):");
        for (name, bytes) in r.demo_agency_lists().await? {
            let path = lists.join(name);
            std::fs::write(&path, bytes)
                .with_context(|| format!("không ghi được {}", path.display()))?;
            out!("  {}", path.display());
        }
        if args.no_serve {
            // Closing checkpoints SQLite's log into the file: a copy of the
            // file alone then holds everything.
            r.db().close().await;
            return Ok(());
        }
        start_logs();
        out!("Mở trình duyệt tại: http://{}", args.addr);
        web::serve(r, args.addr, false)
            .await
            .context("không mở được địa chỉ lắng nghe")?;
        Ok(())
    })
}

#[derive(Subcommand)]
pub enum PointsCommand {
    /// Nạp (thay) bảng điểm của một chuẩn từ CSV: region, item, option, points.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// Mã chuẩn, ví dụ vn-2022-2025.
        #[arg(long)]
        standard: String,
        file: PathBuf,
    },
}

pub fn points(catalogue: &Catalogue, command: PointsCommand) -> Result<()> {
    let PointsCommand::Import { db, standard, file } = command;
    let standard = crate::resolve(catalogue, &standard)?;
    runtime()?.block_on(async {
        let r = open(&db).await?;
        let n = r
            .load_point_table(&Actor::command_line(), &standard, &file)
            .await?;
        eprintln!("Đã nạp {n} dòng bảng điểm cho chuẩn {}.", standard.id);
        Ok(())
    })
}
