//! `examgate bench …`: speed and memory measured on this machine, printed as a table.
//! Benchmarks, not tests: the numbers go in the README, never into assertions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use examgate::face::models::Net;
use examgate::face::{align, FaceEngine, ModelKind, PreluKernel};
use examgate::platform::clock::Stopwatch;
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
    let Some(det) = examgate::face::detect::largest(&detections).copied() else {
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
    engine.eyes_closed(frame, &det)?;
    rows[6].1.push(t.ms());
    let t = Stopwatch::start();
    engine.analyze(frame)?;
    rows[8].1.push(t.ms());
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
            Ok(to_camera_frame(&photo, 640, 480))
        })
        .collect()
}

fn to_camera_frame(photo: &RgbImage, width: u32, height: u32) -> RgbImage {
    let scale = (width as f32 / photo.width() as f32).min(height as f32 / photo.height() as f32);
    let (w, h) = (
        ((photo.width() as f32 * scale) as u32).max(1),
        ((photo.height() as f32 * scale) as u32).max(1),
    );
    let scaled = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(width, height, image::Rgb([128, 128, 128]));
    image::imageops::overlay(
        &mut canvas,
        &scaled,
        i64::from((width - w) / 2),
        i64::from((height - h) / 2),
    );
    canvas
}

fn percentiles(samples: &mut [f64]) -> (f64, f64) {
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
