//! `giamngheo`: the command-line entry point. Parses arguments, picks the
//! standard, shows progress and turns errors into Vietnamese messages; the
//! work itself is in the library crates.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use flatfile::{Extent, Input, ReadOptions};
use indicatif::{ProgressBar, ProgressStyle};
use measure::{Bootstrap, Unit};
use standard::{Catalogue, Language, Ratio, Standard, parse_ratio};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `println!` that ends the program quietly when whoever reads its output
/// has gone (`giamngheo search … | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

mod bench;
mod client;
mod commands;
mod load;

/// Batch reading allocates and frees column buffers of a few hundred KiB per
/// batch; the system allocator hands those back to the kernel each time, which
/// cost a third of the run time in page faults. mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HELP: &str = "\
{before-help}{name} {version}
{about-with-newline}
Cách dùng / Usage: {usage}

Lệnh / Commands:
{subcommands}

Tuỳ chọn / Options:
{options}{after-help}";

const SUB_HELP: &str = "\
{about-with-newline}
Cách dùng / Usage: {usage}

{all-args}{after-help}";

/// Giảm nghèo bền vững: chuẩn nghèo đa chiều, xếp loại hộ và chỉ số nghèo đa chiều.
/// (Sustainable poverty reduction: standards, household classification, MPI.)
#[derive(Parser)]
#[command(name = "giamngheo", version, help_template = HELP, subcommand_help_heading = "Lệnh")]
struct Cli {
    /// Ngôn ngữ hiển thị: vi (mặc định) hoặc en.
    #[arg(long, global = true, default_value = "vi", env = "GIAMNGHEO_LANG")]
    lang: Lang,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Vi,
    En,
}

impl From<Lang> for Language {
    fn from(l: Lang) -> Language {
        match l {
            Lang::Vi => Language::Vi,
            Lang::En => Language::En,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Các chuẩn nghèo: liệt kê, xem chi tiết.
    #[command(subcommand, help_template = SUB_HELP)]
    Standards(StandardsCommand),
    /// Sinh dữ liệu hộ giả lập (CSV hoặc Parquet theo đuôi tệp).
    #[command(help_template = SUB_HELP)]
    Synth(SynthArgs),
    /// Xếp loại từng hộ của tệp hộ theo chuẩn.
    #[command(help_template = SUB_HELP)]
    Classify(ClassifyArgs),
    /// Tính các chỉ số nghèo đa chiều (H, A, M0, …) theo nhóm.
    #[command(help_template = SUB_HELP)]
    Measure(MeasureArgs),
    /// Cơ sở dữ liệu: tạo/nâng cấp cấu trúc.
    #[command(subcommand, help_template = SUB_HELP)]
    Db(commands::DbCommand),
    /// Danh mục đơn vị hành chính.
    #[command(subcommand, help_template = SUB_HELP)]
    Units(commands::UnitsCommand),
    /// Nạp tệp hộ (CSV/Parquet theo định dạng tệp hộ) cho một năm rà soát.
    #[command(help_template = SUB_HELP)]
    Import(commands::ImportArgs),
    /// Xuất danh sách hộ của một đơn vị và năm ra tệp xlsx.
    #[command(help_template = SUB_HELP)]
    Export(commands::ExportArgs),
    /// Tìm hộ theo tên chủ hộ hoặc thành viên (không cần dấu).
    #[command(help_template = SUB_HELP)]
    Search(commands::SearchArgs),
    /// Biến động hộ nghèo, cận nghèo của một đơn vị trong một năm.
    #[command(help_template = SUB_HELP)]
    Movements(commands::MovementsArgs),
    /// Ghi một đợt rà soát đã được công nhận ngoài hệ thống (năm trước khi dùng giamngheo), để kết quả năm đó là chính thức.
    #[command(help_template = SUB_HELP)]
    PastReview(commands::PastReviewArgs),
    /// Sao lưu cơ sở dữ liệu SQLite khi đang chạy.
    #[command(help_template = SUB_HELP)]
    Backup(commands::BackupArgs),
    /// Khôi phục cơ sở dữ liệu SQLite từ tệp sao lưu.
    #[command(help_template = SUB_HELP)]
    Restore(commands::RestoreArgs),
    /// Tài khoản người dùng.
    #[command(subcommand, help_template = SUB_HELP)]
    User(commands::UserCommand),
    /// Bảng điểm của phiếu chấm điểm (điểm A/B1) theo vùng.
    #[command(subcommand, help_template = SUB_HELP)]
    Points(commands::PointsCommand),
    /// Chạy trang web trên một cơ sở dữ liệu.
    #[command(help_template = SUB_HELP)]
    Serve(commands::ServeArgs),
    /// Chạy thử với một huyện mẫu (tạo nếu chưa có) và trang web.
    #[command(help_template = SUB_HELP)]
    Demo(commands::DemoArgs),
    /// Tạo một tỉnh tổng hợp N hộ trong cơ sở dữ liệu trống, để đo hiệu năng.
    #[command(help_template = SUB_HELP)]
    ProvinceDemo(commands::ProvinceDemoArgs),
    /// Thử tải có giới hạn trên máy này: nhiều phiên đọc và ghi cùng lúc, in số liệu thời gian đáp ứng.
    #[command(help_template = SUB_HELP)]
    Load(load::LoadArgs),
    /// Đo thời gian đáp ứng của từng trang và API trên máy này, theo từng tài khoản (p50/p95/p99).
    #[command(help_template = SUB_HELP)]
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum StandardsCommand {
    /// Liệt kê các chuẩn và năm rà soát áp dụng.
    List,
    /// Xem đầy đủ một chuẩn: mức thu nhập, quy tắc, chỉ số, trọng số.
    Show {
        /// Mã chuẩn (vd. vn-2022-2025) hoặc đường dẫn tệp chuẩn .toml.
        id: String,
    },
}

#[derive(Args)]
struct StandardChoice {
    /// Mã chuẩn (vd. vn-2022-2025) hoặc đường dẫn tệp chuẩn .toml của riêng bạn.
    #[arg(long, required_unless_present = "year", conflicts_with = "year")]
    standard: Option<String>,
    /// Hoặc: năm rà soát; dùng chuẩn áp dụng cho năm đó.
    #[arg(long)]
    year: Option<u16>,
}

#[derive(Args)]
struct Threads {
    /// Số luồng xử lý (mặc định: số nhân CPU).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(Args)]
struct SynthArgs {
    #[command(flatten)]
    standard: StandardChoice,
    /// Số hộ.
    #[arg(long)]
    households: u64,
    /// Hạt giống ngẫu nhiên: cùng hạt giống cho cùng dữ liệu.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sinh một mẫu khảo sát (tầng, địa bàn mẫu, quyền số) thay vì danh sách hộ.
    #[arg(long)]
    survey: bool,
    /// Tệp ra: .csv hoặc .parquet.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct ClassifyArgs {
    #[command(flatten)]
    standard: StandardChoice,
    /// Tệp hộ vào: .csv hoặc .parquet.
    input: PathBuf,
    /// Tệp ra: .csv hoặc .parquet.
    #[arg(long)]
    out: PathBuf,
    /// Ngưỡng k của cột mpi_poor (phân số như 1/3 hoặc số thập phân); mặc định theo chuẩn.
    #[arg(long)]
    k: Option<String>,
    #[command(flatten)]
    threads: Threads,
}

#[derive(Args)]
struct MeasureArgs {
    #[command(flatten)]
    standard: StandardChoice,
    /// Tệp hộ vào: .csv hoặc .parquet.
    input: PathBuf,
    /// Tệp ra: .csv hoặc .json.
    #[arg(long)]
    out: PathBuf,
    /// Cột để nhóm (vd. commune_code); luôn có thêm dòng total.
    #[arg(long)]
    by: Option<String>,
    /// Ngưỡng nghèo đa chiều k (vd. 1/3); mặc định: ngưỡng pháp lý của chuẩn chia cho số chỉ số.
    #[arg(long)]
    k: Option<String>,
    /// Đơn vị: household (hộ) hoặc person (người = quyền số × số nhân khẩu).
    #[arg(long, value_enum, default_value = "household")]
    unit: UnitArg,
    /// Cột tầng của thiết kế mẫu (mặc định: cột strata nếu có).
    #[arg(long)]
    strata: Option<String>,
    /// Cột địa bàn mẫu cấp 1 (mặc định: cột psu nếu có).
    #[arg(long)]
    psu: Option<String>,
    /// Tính thêm sai số chuẩn bootstrap với số lần lặp này.
    #[arg(long)]
    bootstrap: Option<u32>,
    /// Hạt giống của bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    threads: Threads,
}

#[derive(Clone, Copy, ValueEnum)]
enum UnitArg {
    Household,
    Person,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let language = Language::from(cli.lang);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let label = match language {
                Language::Vi => "Lỗi",
                Language::En => "Error",
            };
            // Each cause once: messages often already quote their source.
            let mut text = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !text.contains(&cause) {
                    text.push_str(": ");
                    text.push_str(&cause);
                }
            }
            eprintln!("{label}: {text}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let language = Language::from(cli.lang);
    let catalogue = Catalogue::builtin().context("các chuẩn có sẵn không hợp lệ")?;
    match cli.command {
        Command::Standards(StandardsCommand::List) => {
            list_standards(&catalogue, language);
            Ok(())
        }
        Command::Standards(StandardsCommand::Show { id }) => {
            let s = resolve(&catalogue, &id)?;
            print!("{}", s.describe(language));
            Ok(())
        }
        Command::Synth(args) => synth(&catalogue, args),
        Command::Classify(args) => classify(&catalogue, args, language),
        Command::Measure(args) => measure_command(&catalogue, args, language),
        Command::Db(c) => commands::db(c),
        Command::Units(c) => commands::units(c),
        Command::Import(a) => {
            small_pages();
            commands::import(&catalogue, a)
        }
        Command::Export(a) => commands::export(a),
        Command::Search(a) => commands::search(a),
        Command::Movements(a) => commands::movements(a, language),
        Command::Backup(a) => commands::backup(a),
        Command::Restore(a) => commands::restore(a),
        Command::User(c) => commands::user(c),
        Command::Points(c) => commands::points(&catalogue, c),
        Command::Serve(a) => commands::serve(a),
        Command::Demo(a) => commands::demo(&catalogue, a),
        Command::ProvinceDemo(a) => {
            small_pages();
            commands::province_demo(&catalogue, a)
        }
        Command::Load(a) => load::load(a),
        Command::Bench(a) => bench::bench(a),
        Command::PastReview(a) => commands::past_review(a),
    }
}

/// The bulk commands read and build hundreds of megabytes that live for
/// seconds. With transparent huge pages (which the allocator asks for),
/// each fresh 2 MB is zeroed whole when first touched: a fifth of the time
/// of checking a district's workbook. Small pages for this process only,
/// as `MIMALLOC_ALLOW_THP=0` would give; the server keeps huge pages (its
/// memory is reused, and turning them off did not change its time).
fn small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integers only and touches no memory;
    // if the kernel refuses it, pages stay as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn list_standards(catalogue: &Catalogue, language: Language) {
    let (id, years, name) = match language {
        Language::Vi => ("mã", "năm rà soát", "tên"),
        Language::En => ("id", "review years", "name"),
    };
    out!("{id:<14} {years:<12} {name}");
    for s in catalogue.all() {
        let years = format!("{}–{}", s.review_years.start(), s.review_years.end());
        out!("{:<14} {years:<12} {}", s.id, s.name.get(language));
    }
}

/// A built-in standard by id, or a standard file by path.
pub(crate) fn resolve(catalogue: &Catalogue, id: &str) -> Result<Standard> {
    if let Some(s) = catalogue.get(id) {
        return Ok(s.clone());
    }
    let path = Path::new(id);
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: không đọc được tệp chuẩn", path.display()))?;
        return Ok(standard::parse(&path.display().to_string(), &text)?);
    }
    let known: Vec<&str> = catalogue.all().iter().map(|s| s.id.as_str()).collect();
    bail!(
        "không có chuẩn \"{id}\" và cũng không có tệp nào tên như vậy. Các chuẩn có sẵn: {}. Xem: giamngheo standards list",
        known.join(", ")
    )
}

fn choose(catalogue: &Catalogue, choice: &StandardChoice) -> Result<Standard> {
    match (&choice.standard, choice.year) {
        (Some(id), _) => resolve(catalogue, id),
        (None, Some(year)) => catalogue
            .for_review_year(year)
            .cloned()
            .ok_or_else(|| anyhow!("không có chuẩn nào áp dụng cho năm rà soát {year}")),
        (None, None) => bail!("cần --standard hoặc --year"),
    }
}

/// The k asked for, else the standard's; says on stderr when "score ≥ k" is
/// not the legal count rule, so H is not read as the poverty count.
fn parse_k(text: &Option<String>, standard: &Standard, language: Language) -> Result<Ratio<u64>> {
    let k = match text {
        None => standard.default_k(),
        Some(t) => match parse_ratio(t) {
            Some(k) if *k.numer() > 0 && k <= Ratio::new(1, 1) => k,
            _ => bail!(
                "--k \"{t}\" không hợp lệ: ghi một phân số như 1/3 hoặc số thập phân như 0.25, trong khoảng (0, 1]"
            ),
        },
    };
    if let Some(warning) = standard.k_warning(k, language) {
        eprintln!("{warning}");
    }
    Ok(k)
}

fn threads(t: &Threads) -> usize {
    t.threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

/// A progress bar on a terminal, nothing otherwise.
fn progress_bar(extent: Extent) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (total, template) = match extent {
        Extent::Bytes(n) => (n, "{bar:40} {bytes}/{total_bytes} ({eta})"),
        Extent::Rows(n) => (n, "{bar:40} {pos}/{len} hộ ({eta})"),
    };
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn synth(catalogue: &Catalogue, args: SynthArgs) -> Result<()> {
    let standard = choose(catalogue, &args.standard)?;
    let params = synth::Params {
        households: args.households,
        seed: args.seed,
        survey: args.survey,
    };
    let bar = progress_bar(Extent::Rows(args.households));
    let written = flatfile::write_households(
        &args.out,
        &standard,
        synth::generate(&standard, params),
        &|n| bar.set_position(n),
    )?;
    bar.finish_and_clear();
    eprintln!("Đã ghi {written} hộ vào {}", args.out.display());
    Ok(())
}

fn classify(catalogue: &Catalogue, args: ClassifyArgs, language: Language) -> Result<()> {
    let standard = choose(catalogue, &args.standard)?;
    let k = parse_k(&args.k, &standard, language)?;
    let input = Input::open(&args.input)?;
    let bar = progress_bar(input.extent());
    let rows = flatfile::classify_file(
        &input,
        &args.out,
        &standard,
        k,
        threads(&args.threads),
        &|n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    eprintln!(
        "Đã xếp loại {rows} hộ theo {} vào {}",
        standard.id,
        args.out.display()
    );
    Ok(())
}

fn measure_command(catalogue: &Catalogue, args: MeasureArgs, language: Language) -> Result<()> {
    let standard = choose(catalogue, &args.standard)?;
    let k = parse_k(&args.k, &standard, language)?;
    let unit = match args.unit {
        UnitArg::Household => Unit::Household,
        UnitArg::Person => Unit::Person,
    };
    if let Some(0 | 1) = args.bootstrap {
        bail!("--bootstrap cần ít nhất 2 lần lặp");
    }
    let config = measure::Config {
        k,
        unit,
        bootstrap: args.bootstrap.map(|replicates| Bootstrap {
            replicates,
            seed: args.seed,
        }),
    };
    // Check the output's format before reading a large file.
    match args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
    {
        Some(e) if e == "csv" || e == "json" => {}
        _ => bail!(
            "{}: tệp kết quả phải có đuôi .csv hoặc .json",
            args.out.display()
        ),
    }
    let input = Input::open(&args.input)?;
    let options = ReadOptions {
        by: args.by.clone(),
        strata: args.strata.clone(),
        psu: args.psu.clone(),
        ..ReadOptions::default()
    };
    let bar = progress_bar(input.extent());
    let results = flatfile::measure_file(
        &input,
        &standard,
        config,
        &options,
        threads(&args.threads),
        &|n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    let unit_name = match unit {
        Unit::Household => "household",
        Unit::Person => "person",
    };
    let table = flatfile::measures_table(&standard, &results, k, unit_name);
    flatfile::write_table(&args.out, &table)?;
    let groups = results.len().saturating_sub(1);
    eprintln!(
        "Đã tính chỉ số cho {groups} nhóm và dòng total vào {}",
        args.out.display()
    );
    Ok(())
}
