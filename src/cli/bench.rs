//! `examgate bench …`: speed and memory measured on this machine, printed as a table.
//! Benchmarks, not tests: the numbers go in the README, never into assertions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use examgate::face::models::Net;
use examgate::face::{align, FaceEngine, ModelKind, PreluKernel};
use examgate::platform::clock::{Clock, Stopwatch, SystemClock};
use image::RgbImage;

/// What to benchmark.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// The face engine per stage and per verification, on 640x480 frames made from the
    /// sample photos; model load time; peak RSS.
    Face(FaceBench),
    /// The log: durable appends per second (one event per transaction) and verify speed
    /// over 100,000 events.
    Journal(JournalBench),
    /// Room packages: build time for a synthetic exam (by default 18,945 candidates in 923
    /// rooms, from `demo-data`), with the face engine's time per photo reported apart.
    Package(PackageBench),
    /// eMRTD reads through pcscd: BAC + EF.COM + DG1 + DG2 + EF.SOD + passive
    /// authentication, median and p95 time and APDU count, beside the reference reader
    /// ../shared/tools/emrtd-read.py on the same card.
    Card(CardBench),
    /// The door: card present to verdict on screen (emulated passport, replayed photos),
    /// split into card, face and decision+log; cold start to idle; peak RSS.
    Door(super::bench_door::DoorBench),
    /// The exam office on a synthetic city exam (by default 18,945 candidates, 923 rooms,
    /// 4 sessions, 3,692 exports with real signatures): init, ingest, report, proxies;
    /// database size and peak RSS.
    Office(super::bench_office::OfficeBench),
}

/// Options of `bench card`.
#[derive(Args)]
pub struct CardBench {
    /// Start the virtual passport with a 20 KB JPEG portrait first (../shared/tools).
    #[arg(long)]
    virtual_card: bool,
    /// Reader with the passport.
    #[arg(long, default_value = "Virtual PCD 00 00")]
    reader: String,
    /// The passport's MRZ.
    #[arg(
        long,
        default_value = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<14"
    )]
    mrz: String,
    /// CSCA certificate for passive authentication.
    #[arg(long, default_value = "/tmp/vicc-passport-pki/csca.pem")]
    csca: PathBuf,
    /// Reads to time.
    #[arg(long, default_value_t = 30)]
    rounds: usize,
    /// The reference reader to compare with (skipped when absent).
    #[arg(long, default_value = "../shared/tools/emrtd-read.py")]
    reference: PathBuf,
    /// Directory of the sample photos (for the 20 KB portrait).
    #[arg(long, default_value = "assets/samples")]
    samples: PathBuf,
    /// The read deadline the hostile-card measure runs under (the exam default is 15 s).
    #[arg(long, default_value_t = 15)]
    hostile_deadline_s: u64,
    /// How long the slow hostile card takes to answer each APDU (at 400 ms a whole read
    /// would take about 20 s, past the default deadline).
    #[arg(long, default_value_t = 400)]
    hostile_apdu_ms: u64,
}

/// Options of `bench package`.
#[derive(Args)]
pub struct PackageBench {
    /// Candidates in the synthetic exam.
    #[arg(long, default_value_t = 18_945)]
    candidates: usize,
    /// Rooms.
    #[arg(long, default_value_t = 923)]
    rooms: usize,
    /// Sites.
    #[arg(long, default_value_t = 56)]
    sites: usize,
    /// Threads for PIN hashing and the face engine [default: all cores].
    #[arg(long)]
    threads: Option<usize>,
    /// Models directory.
    #[arg(long)]
    models: Option<PathBuf>,
    /// Directory of the sample photos.
    #[arg(long, default_value = "assets/samples")]
    samples: PathBuf,
    /// Scratch directory (its disk is what is measured).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Options of `bench journal`.
#[derive(Args)]
pub struct JournalBench {
    /// Durable single-event appends to time.
    #[arg(long, default_value_t = 1000)]
    appends: u64,
    /// Events in the log that is verified.
    #[arg(long, default_value_t = 100_000)]
    events: u64,
    /// Directory for the temporary log files (its disk is what is measured).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Options of `bench face`.
#[derive(Args)]
pub struct FaceBench {
    /// Models directory.
    #[arg(long)]
    models: Option<PathBuf>,
    /// Directory of sample photos.
    #[arg(long, default_value = "assets/samples")]
    samples: PathBuf,
    /// Rounds over all frames.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Also time each model's operators (median of 10 runs on a zero input), top 6 per model.
    #[arg(long)]
    profile: bool,
}

/// Run a benchmark.
pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Face(args) => face(args),
        BenchCommand::Journal(args) => journal(args),
        BenchCommand::Package(args) => package(args),
        BenchCommand::Card(args) => card(args),
        BenchCommand::Door(args) => super::bench_door::run(args),
        BenchCommand::Office(args) => super::bench_office::run(args),
    }
}

fn face(args: FaceBench) -> anyhow::Result<ExitCode> {
    let models = super::models_dir(args.models);
    let mut loads = Vec::new();
    let mut engine = None;
    for _ in 0..3 {
        let t = Stopwatch::start();
        engine = Some(super::face::load_engine(&models)?);
        loads.push(t.ms());
    }
    let engine = engine.context("loaded three times")?;
    let frames = sample_frames(&args.samples)?;
    let mut rows: Vec<(&str, Vec<f64>)> = [
        "detect",
        "five points (O-Net x2)",
        "align",
        "embed",
        "liveness",
        "pose",
        "eyes (68 points + 2 eyes)",
        "verify: detect+points+align+embed+liveness",
        "all models (analyze)",
        "embed with mirror TTA (off at the door)",
    ]
    .into_iter()
    .map(|n| (n, Vec::new()))
    .collect();
    for _ in 0..args.rounds {
        for frame in &frames {
            time_stages(&engine, frame, &mut rows)?;
        }
    }
    println!(
        "face engine, {} frames of 640x480 from {} x {} rounds, single thread",
        frames.len() * args.rounds,
        args.samples.display(),
        args.rounds
    );
    println!(
        "{:<45} {:>10} {:>10} {:>6}",
        "stage", "median ms", "p95 ms", "n"
    );
    for (name, samples) in &mut rows {
        let (median, p95) = percentiles(samples);
        println!("{name:<45} {median:>10.2} {p95:>10.2} {:>6}", samples.len());
    }
    let (load_median, _) = percentiles(&mut loads.clone());
    println!(
        "{:<45} {:>10.1} (first {:.1} ms)",
        "model load, all 7 (ms)", load_median, loads[0]
    );
    match peak_rss_mib() {
        Some(mib) => println!("{:<45} {:>10.1}", "peak RSS (MiB)", mib),
        None => println!("{:<45} {:>10}", "peak RSS (MiB)", "n/a"),
    }
    if args.profile {
        profile(&engine, &models)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn profile(engine: &FaceEngine, models: &Path) -> anyhow::Result<()> {
    println!("each model alone, fixed input (as models/ort_bench.py), 30 runs:");
    println!("    {:<40} {:>8} {:>8}", "model", "median", "p95");
    for net in engine.models().all() {
        let input: Vec<f32> = (0..net.kind().input_len())
            .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
            .collect();
        net.run(input.clone())?;
        let mut times: Vec<f64> = (0..30)
            .map(|_| {
                let t = Stopwatch::start();
                net.run(input.clone()).map(|_| t.ms())
            })
            .collect::<Result<_, _>>()?;
        let (median, p95) = percentiles(&mut times);
        println!(
            "    {:<40} {median:>8.2} {p95:>8.2}",
            net.kind().file_name()
        );
    }
    println!("PReLU: tract's expansion vs one pass (median of 20 runs, ms)");
    for kind in [ModelKind::FivePoints, ModelKind::Embed, ModelKind::Liveness] {
        let mut row = Vec::new();
        for kernel in [PreluKernel::TractExpansion, PreluKernel::OnePass] {
            let net = Net::load_with(models, kind, kernel)?;
            let mut times: Vec<f64> = (0..20)
                .map(|_| {
                    let t = Stopwatch::start();
                    net.run(vec![0.5; kind.input_len()]).map(|_| t.ms())
                })
                .collect::<Result<_, _>>()?;
            row.push(percentiles(&mut times).0);
        }
        println!(
            "    {:<40} {:>8.2} {:>8.2}",
            format!("{kind:?}"),
            row[0],
            row[1]
        );
    }
    for net in engine.models().all() {
        let mut runs: Vec<Vec<(String, f64)>> = Vec::new();
        for _ in 0..10 {
            runs.push(net.profile(vec![0.0; net.kind().input_len()])?);
        }
        // Median per operator kind over the runs.
        let mut names: Vec<String> = runs[0].iter().map(|(n, _)| n.clone()).collect();
        let median = |name: &str| {
            let mut v: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.iter().find(|(n, _)| n == name).map(|(_, ms)| *ms))
                .collect();
            percentiles(&mut v).0
        };
        names.sort_by(|a, b| median(b).total_cmp(&median(a)));
        let total: f64 = names.iter().map(|n| median(n)).sum();
        println!("profile {:?} ({total:.2} ms):", net.kind());
        for name in names.iter().take(6) {
            println!("    {name:<40} {:>8.2} ms", median(name));
        }
    }
    Ok(())
}

fn time_stages(
    engine: &FaceEngine,
    frame: &RgbImage,
    rows: &mut [(&str, Vec<f64>)],
) -> anyhow::Result<()> {
    let whole = Stopwatch::start();
    let t = Stopwatch::start();
    let detections = engine.detect(frame)?;
    rows[0].1.push(t.ms());
    let Some(det) =
        examgate::face::detect::subject(&detections, frame.width(), frame.height()).copied()
    else {
        bail!("no face in a sample frame: the samples are not what the fetch script pins")
    };
    let t = Stopwatch::start();
    let onet = engine.five_points(frame, &det)?.context("five points")?;
    rows[1].1.push(t.ms());
    let t = Stopwatch::start();
    let aligned = align::align(frame, &onet.points).context("alignment")?;
    rows[2].1.push(t.ms());
    let t = Stopwatch::start();
    engine.embed(&aligned)?;
    rows[3].1.push(t.ms());
    let t = Stopwatch::start();
    engine.liveness(frame, &det)?;
    rows[4].1.push(t.ms());
    rows[7].1.push(whole.ms());
    let t = Stopwatch::start();
    engine.pose(frame, &det)?;
    rows[5].1.push(t.ms());
    let t = Stopwatch::start();
    engine.eyes(frame, &det)?;
    rows[6].1.push(t.ms());
    let t = Stopwatch::start();
    engine.analyze(frame)?;
    rows[8].1.push(t.ms());
    // What FaceEngine::mirror_tta would cost: the embedding of the face and of its mirror.
    let t = Stopwatch::start();
    engine.embed(&aligned)?;
    engine.embed(&aligned.mirrored())?;
    rows[9].1.push(t.ms());
    Ok(())
}

/// Each sample photo scaled to fit and centred on a grey 640x480 canvas, like a camera frame
/// with the candidate at the door.
pub fn sample_frames(dir: &Path) -> anyhow::Result<Vec<RgbImage>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {} (run models/fetch.sh)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .filter(|p| !p.to_string_lossy().contains("partial"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("no .jpg samples in {} (run models/fetch.sh)", dir.display());
    }
    paths
        .iter()
        .map(|p| {
            let photo = examgate::imaging::decode(&std::fs::read(p)?)?;
            Ok(examgate::imaging::camera_frame(&photo, 640, 480))
        })
        .collect()
}

/// Median and p95 (sorts in place).
pub fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// Peak resident set size of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn journal(args: JournalBench) -> anyhow::Result<ExitCode> {
    use examgate::journal::{self, EventKind, Journal};
    use examgate::platform::keystore::{KeyStore, SeedKeyStore};

    let dir = args
        .dir
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("examgate-bench-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let keys = SeedKeyStore::from_seed(&[11; 32]);
    let kind = EventKind::new("decision")?;
    // A payload of the size a decision event has (verdict, seat, scores, reasons).
    let payload = br#"{"ticket":"2026010001","verdict":"refer","seat":7,"scores":{"registration":0.712,"portrait":0.655,"liveness":0.981},"reasons":["portrait_mismatch"],"session":"math-am"}"#;

    let durable = dir.join("durable.db");
    let mut log = Journal::open(&durable, "K-BENCH", &keys.verifying_key())?;
    let mut times = Vec::new();
    let whole = Stopwatch::start();
    for i in 0..args.appends {
        let t = Stopwatch::start();
        log.append(&kind, payload, i as i64, &keys)?;
        times.push(t.ms());
    }
    let per_second = args.appends as f64 / whole.elapsed().as_secs_f64();
    let (median, p95) = percentiles(&mut times);

    let big = dir.join("big.db");
    let mut log = Journal::open(&big, "K-BENCH", &keys.verifying_key())?;
    let build = Stopwatch::start();
    let mut done = 0;
    while done < args.events {
        let n = (args.events - done).min(1000);
        let batch: Vec<(&EventKind, &[u8], i64)> = (0..n)
            .map(|i| (&kind, &payload[..], (done + i) as i64))
            .collect();
        log.append_batch(&batch, &keys)?;
        done += n;
    }
    let build_s = build.elapsed().as_secs_f64();
    drop(log);
    let t = Stopwatch::start();
    let file = journal::read(&big)?;
    let read_s = t.elapsed().as_secs_f64();
    let t = Stopwatch::start();
    let report = journal::verify_rows(file.rows, &file.kiosk_id, &keys.verifying_key());
    let verify_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(report.is_ok(), "benchmark log did not verify: {report:?}");

    println!(
        "journal, SQLite WAL + synchronous=FULL, files in {}",
        dir.display()
    );
    println!("{:<52} {:>12}", "measure", "value");
    println!(
        "{:<52} {:>12.0}",
        format!(
            "durable appends/s ({} events, 1 per transaction)",
            args.appends
        ),
        per_second
    );
    println!("{:<52} {:>12.2}", "append latency median (ms)", median);
    println!("{:<52} {:>12.2}", "append latency p95 (ms)", p95);
    println!(
        "{:<52} {:>12.2}",
        format!("build {} events, 1000 per transaction (s)", args.events),
        build_s
    );
    println!(
        "{:<52} {:>12.2}",
        format!("read {} events from the file (s)", args.events),
        read_s
    );
    println!(
        "{:<52} {:>12.2}",
        format!("verify {} events: chain + signatures (s)", report.verified),
        verify_s
    );
    println!(
        "{:<52} {:>12.0}",
        "verified events/s",
        report.verified as f64 / verify_s
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

fn package(args: PackageBench) -> anyhow::Result<ExitCode> {
    use examgate::package::{enrol, open};
    use examgate::platform::keygen::{self, KeyKind};
    use examgate::platform::keystore;

    use super::demo_data::{DemoDataArgs, DEMO_PHOTOS};
    use super::package::{build_packages, default_threads, BuildArgs};

    let threads = args.threads.unwrap_or_else(default_threads);
    let models = super::models_dir(args.models);
    let dir = args
        .dir
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("examgate-bench-package-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    let sign = keygen::write_new(&keys, "office-sign", KeyKind::Ed25519, "office signing")?;
    keygen::write_new(&keys, "office-evidence", KeyKind::X25519, "office evidence")?;

    let t = Stopwatch::start();
    let inputs = super::demo_data::write(&DemoDataArgs {
        candidates: args.candidates,
        rooms: args.rooms,
        sites: args.sites,
        date: "2027-06-12".into(),
        photos: args.samples.clone(),
        seed: 1,
        out: dir.join("inputs"),
    })?;
    let generate_ms = t.ms();

    let out = dir.join("packages");
    let build = BuildArgs {
        paths: examgate::package::build::InputPaths {
            exam: inputs.join("exam.toml"),
            candidates: inputs.join("candidates.csv"),
            invigilators: inputs.join("invigilators.csv"),
            csca: inputs.join("csca"),
        },
        photos: inputs.join("photos"),
        office_key: sign.secret_path.clone(),
        evidence_key: keys.join("office-evidence.pub"),
        out: out.clone(),
        skip_bad: false,
        models: models.clone(),
        threads,
    };
    let times = match build_packages(&build)? {
        Ok(t) => t,
        Err(problems) => anyhow::bail!("the synthetic exam did not build: {}", problems.join("; ")),
    };

    // The face engine per photo, single thread, apart from the build.
    let engine = super::face::load_engine(&models)?;
    let mut per_photo = Vec::new();
    for _ in 0..3 {
        for p in DEMO_PHOTOS {
            let bytes = std::fs::read(inputs.join("photos").join(p))?;
            let t = Stopwatch::start();
            enrol::enrol_bytes(&engine, &bytes).map_err(|e| anyhow::anyhow!("{p}: {e}"))?;
            per_photo.push(t.ms());
        }
    }
    let (photo_median, photo_p95) = percentiles(&mut per_photo);

    // What a kiosk does at start: open and check one room's package.
    let office = keystore::parse_public_key(&sign.public_hex, "office key")?;
    let room_dir = std::fs::read_dir(&out)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .context("no site directory written")?;
    let room_dir = std::fs::read_dir(&room_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .context("no room directory written")?;
    let during_exam = chrono::NaiveDate::from_ymd_opt(2027, 6, 12)
        .and_then(|d| d.and_hms_opt(0, 0, 1))
        .context("date")?
        .and_utc()
        .timestamp_millis();
    let mut opens = Vec::new();
    for _ in 0..5 {
        let t = Stopwatch::start();
        open::open(&room_dir, &office, None, during_exam)?;
        opens.push(t.ms());
    }
    let (open_median, _) = percentiles(&mut opens);
    let bytes = disk_bytes(&out)?;

    let without_face = times.read + times.pins + times.write;
    println!(
        "room packages: {} candidates, {} rooms, {} sites; {threads} threads; files in {}",
        args.candidates,
        args.rooms,
        args.sites.min(args.rooms),
        dir.display()
    );
    println!("{:<58} {:>12}", "step", "value");
    let row = |name: String, value: String| println!("{name:<58} {value:>12}");
    row(
        "generate inputs with demo-data (s)".into(),
        format!("{:.2}", generate_ms / 1000.0),
    );
    row(
        "read + validate exam.toml, both CSVs, CSCA (s)".into(),
        format!("{:.2}", times.read / 1000.0),
    );
    row(
        format!("hash {} invigilator PINs, Argon2id (s)", 2 * args.rooms),
        format!("{:.2}", times.pins / 1000.0),
    );
    row(
        format!("assemble, sign, write {} packages (s)", times.rooms),
        format!("{:.2}", times.write / 1000.0),
    );
    row(
        "build total without the face engine (s)".into(),
        format!("{:.2}", without_face / 1000.0),
    );
    row(
        "face engine: model load (s)".into(),
        format!("{:.2}", times.model_load / 1000.0),
    );
    row(
        format!(
            "face engine: {} distinct photos in the build (s)",
            times.photos
        ),
        format!("{:.2}", times.enrol / 1000.0),
    );
    row(
        "face engine per photo, 1 thread, median (ms)".into(),
        format!("{photo_median:.1}"),
    );
    row(
        "face engine per photo, 1 thread, p95 (ms)".into(),
        format!("{photo_p95:.1}"),
    );
    row(
        format!(
            "  => {} distinct photos on {threads} threads, estimate (s)",
            args.candidates
        ),
        format!(
            "{:.0}",
            args.candidates as f64 * photo_median / threads as f64 / 1000.0
        ),
    );
    row(
        "output on disk (MiB, directory shared by hard links)".into(),
        format!("{:.1}", bytes as f64 / 1048576.0),
    );
    row(
        "kiosk: open + verify one room package, median (ms)".into(),
        format!("{open_median:.1}"),
    );
    // What a stolen package's PINs cost to guess offline: one Argon2id hash per guess on
    // one core, over half the space of the shortest PIN allowed (the expected cost).
    let mut guesses = Vec::new();
    for _ in 0..5 {
        let t = Stopwatch::start();
        let _ = examgate::invigilator::hash_pin("480613927");
        guesses.push(t.ms());
    }
    let (guess_ms, _) = percentiles(&mut guesses);
    let (m, t, p) = examgate::invigilator::PIN_PARAMS;
    row(
        format!("PIN guess: one Argon2id hash, m={m} KiB t={t} p={p}, 1 core (ms)"),
        format!("{guess_ms:.0}"),
    );
    let digits = examgate::invigilator::MIN_PIN_DIGITS as i32;
    let core_years = 10f64.powi(digits) / 2.0 * guess_ms / 1000.0 / (365.25 * 86_400.0);
    row(
        format!("  => expected offline cost of one {digits}-digit PIN (core-years)"),
        format!("{core_years:.1}"),
    );
    match peak_rss_mib() {
        Some(mib) => row("peak RSS (MiB)".into(), format!("{mib:.1}")),
        None => row("peak RSS (MiB)".into(), "n/a".into()),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}

/// Bytes of the files under `dir`, each hard-linked file counted once.
fn disk_bytes(dir: &Path) -> anyhow::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let path = e?.path();
            let meta = std::fs::symlink_metadata(&path)?;
            if meta.is_dir() {
                stack.push(path);
            } else if seen.insert((meta.dev(), meta.ino())) {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// A JPEG of a sample face as close to `target` bytes as the quality steps allow.
fn portrait_of_size(samples: &Path, target: usize) -> anyhow::Result<Vec<u8>> {
    let img = image::open(samples.join("obama.jpg"))
        .context("sample photo (run models/fetch.sh)")?
        .to_rgb8();
    let small = image::imageops::resize(&img, 360, 450, image::imageops::FilterType::Triangle);
    let mut best: Vec<u8> = Vec::new();
    for quality in (40..=98).step_by(2) {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
            .encode_image(&small)?;
        if best.is_empty() || bytes.len().abs_diff(target) < best.len().abs_diff(target) {
            best = bytes;
        }
    }
    Ok(best)
}

/// A card behind a reader that answers every APDU after a delay (a stalling chip), or with
/// `61 00` ("more data") forever.
struct Hostile {
    chip: Option<examgate::card::emulated::EmulatedPassport>,
    delay: std::time::Duration,
}

impl examgate::card::Transport for Hostile {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, examgate::card::TransportError> {
        std::thread::sleep(self.delay);
        match self.chip.as_mut() {
            Some(chip) => chip.transmit(apdu),
            None => Ok(vec![0x61, 0x00]),
        }
    }

    fn atr(&self) -> Vec<u8> {
        // 3B 80 80 01 01: the PC/SC pseudo-ATR of an ISO 14443-4 card.
        vec![0x3B, 0x80, 0x80, 0x01, 0x01]
    }
}

/// The time a hostile card holds the door: reads of the emulated passport behind a reader
/// that answers slowly, and of a card answering `61 00` forever, under the read deadline.
fn hostile_cards(args: &CardBench) -> anyhow::Result<()> {
    use examgate::card::emrtd::{self, Access};
    use examgate::card::emulated::{Document, EmulatedPassport};
    use examgate::card::mrz::AccessKey;
    use examgate::card::Deadline;
    use std::time::Duration;

    let deadline = Duration::from_secs(args.hostile_deadline_s);
    let deadline_ms = i64::try_from(deadline.as_millis()).unwrap_or(i64::MAX);
    let access = Access::Mrz(AccessKey::from_mrz(&args.mrz)?);
    let chip = EmulatedPassport::new(
        Document {
            mrz: args.mrz.clone(),
            portrait: portrait_of_size(&args.samples, 20_000)?,
            pace: None,
            can: None,
            pace_only: false,
            uid: vec![0x08, 1, 2, 3],
        },
        Box::new(examgate::platform::random::fill),
    )?;
    let csca = vec![chip.csca()];
    println!(
        "hostile cards under a read deadline of {} ms (emulated passport, in process)",
        deadline.as_millis()
    );
    let row = |name: &str, value: String| println!("{name:<58} {value:>12}");
    for (name, chip, delay) in [
        (
            format!(
                "slow card, {} ms per APDU: door held (ms)",
                args.hostile_apdu_ms
            ),
            Some(chip),
            Duration::from_millis(args.hostile_apdu_ms),
        ),
        (
            "card answering 61 00 forever: door held (ms)".into(),
            None,
            Duration::ZERO,
        ),
    ] {
        let mut card = Hostile { chip, delay };
        let watch = Stopwatch::start();
        let read = emrtd::read(
            &mut card,
            &access,
            &csca,
            SystemClock.now_utc_ms(),
            &mut examgate::platform::random::fill,
            // As the door sets it (runner.rs): over by the read deadline, last APDU included.
            &Deadline::ending_by_ms(deadline_ms),
        );
        let held = watch.ms();
        let outcome = match read {
            Ok(_) => "read completed".to_string(),
            Err(e) => e.to_string(),
        };
        row(&name, format!("{held:.0}"));
        println!("  ({outcome})");
    }
    Ok(())
}

fn card(args: CardBench) -> anyhow::Result<ExitCode> {
    use examgate::card::emrtd::{self, Access};
    use examgate::card::mrz::AccessKey;
    use examgate::card::pcsc_reader::Readers;

    hostile_cards(&args)?;

    if args.virtual_card {
        let photo = std::env::temp_dir().join("examgate-bench-portrait.jpg");
        std::fs::write(&photo, portrait_of_size(&args.samples, 20_000)?)?;
        let status = std::process::Command::new("../shared/tools/virtual-card-env.sh")
            .arg("start")
            .arg("--photo")
            .arg(&photo)
            .status()
            .context("running ../shared/tools/virtual-card-env.sh")?;
        anyhow::ensure!(status.success(), "virtual-card-env.sh start failed");
    }
    let access = Access::Mrz(AccessKey::from_mrz(&args.mrz)?);
    let pem =
        std::fs::read(&args.csca).with_context(|| format!("reading {}", args.csca.display()))?;
    let csca = examgate::package::trust::certificates(&pem).map_err(|e| anyhow::anyhow!("{e}"))?;
    let readers = Readers::establish()?;
    let (mut totals, mut access_ms, mut apdus) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..args.rounds.max(1) {
        let mut card = readers.connect(&args.reader)?;
        let doc = emrtd::read(
            &mut card,
            &access,
            &csca,
            SystemClock.now_utc_ms(),
            &mut examgate::platform::random::fill,
            &examgate::card::Deadline::never(),
        )?;
        totals.push(doc.total_ms);
        access_ms.push(doc.access_ms);
        apdus.push(doc.apdus as f64);
        last = Some(doc);
    }
    let doc = last.context("one round")?;
    anyhow::ensure!(
        doc.passive_authentication.result == examgate::card::pa::PaResult::Valid,
        "passive authentication failed: {:?}",
        doc.passive_authentication
    );
    let (t_med, t_p95) = percentiles(&mut totals);
    let (a_med, _) = percentiles(&mut access_ms);
    let (n_med, _) = percentiles(&mut apdus);
    let dg2 = doc
        .files
        .iter()
        .find(|f| f.file == "DG2")
        .map_or(0, |f| f.bytes);
    println!(
        "eMRTD read through pcscd, reader {:?}, {} rounds; DG2 {} bytes, {:?}",
        args.reader, args.rounds, dg2, doc.access
    );
    println!("{:<58} {:>12}", "measure", "value");
    let row = |name: &str, value: String| println!("{name:<58} {value:>12}");
    row(
        "examgate: BAC + COM + DG1 + DG2 + SOD + PA, median (ms)",
        format!("{t_med:.1}"),
    );
    row("examgate: same, p95 (ms)", format!("{t_p95:.1}"));
    row(
        "examgate: access control (BAC) median (ms)",
        format!("{a_med:.1}"),
    );
    row("examgate: APDUs per read", format!("{n_med:.0}"));
    for f in &doc.files {
        row(
            &format!("  {} ({} bytes): APDUs", f.file, f.bytes),
            format!("{}", f.apdus),
        );
    }
    if args.reference.is_file() {
        let (mut ref_ms, mut ref_apdus) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds.clamp(1, 10) {
            let out = std::process::Command::new("/usr/bin/python3")
                .arg(&args.reference)
                .args(["--reader", &args.reader, "--mrz", &args.mrz, "--csca"])
                .arg(&args.csca)
                .output()
                .context("running the reference reader")?;
            let v: serde_json::Value =
                serde_json::from_slice(&out.stdout).context("reference JSON")?;
            let ms = v["auth_ms"].as_f64().unwrap_or(f64::NAN)
                + v["read_ms"].as_f64().unwrap_or(f64::NAN);
            ref_ms.push(ms);
            ref_apdus.push(v["apdus"].as_f64().unwrap_or(f64::NAN));
        }
        let (r_med, _) = percentiles(&mut ref_ms);
        let (r_apdus, _) = percentiles(&mut ref_apdus);
        row(
            "reference emrtd-read.py: auth + read, median (ms, no PA)",
            format!("{r_med:.1}"),
        );
        row(
            "reference emrtd-read.py: APDUs per read",
            format!("{r_apdus:.0}"),
        );
        row("reference / examgate time", format!("{:.2}", r_med / t_med));
    } else {
        row("reference reader", "absent".into());
    }
    Ok(ExitCode::SUCCESS)
}
