//! `cargo run --release -p throwaway-bench [-- --quick] [--only 1,3] [--out DIR]`
//!
//! Runs the workloads of the bench against throwaway, the `testcontainers` crate and the
//! engine's floor, prints a Markdown table and writes it with an SVG chart to
//! `crates/bench/results/latest.{md,svg}` (`quick.{md,svg}` with `--quick`).

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::FutureExt;
use throwaway_bench::report::{utc_date, Header, Report};
use throwaway_bench::workloads::{self, Config};
use throwaway_bench::{cleanup, Result};

struct Args {
    quick: bool,
    only: Option<Vec<u32>>,
    out: PathBuf,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        quick: false,
        only: None,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results"),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--quick" => args.quick = true,
            "--only" => {
                let list = given.next().ok_or("--only needs a list, e.g. 1,3")?;
                let numbers = list
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse::<u32>()
                            .map_err(|_| format!("not a workload: {n}"))
                    })
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                args.only = Some(numbers);
            }
            "--out" => args.out = given.next().ok_or("--out needs a folder")?.into(),
            "-h" | "--help" => {
                return Err(
                    "usage: throwaway-bench [--quick] [--only 1,2,3,4,5,6,7] [--out DIR]".into(),
                )
            }
            other => return Err(format!("unknown argument {other} (try --help)")),
        }
    }
    Ok(args)
}

/// The machine, as the report names it: cores, CPU model, memory.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|m| m.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| format!(", {} GiB", (kb + (1 << 19)) >> 20));
    format!(
        "{cores} cores{}{}",
        model.map(|m| format!(" ({m})")).unwrap_or_default(),
        memory.unwrap_or_default()
    )
}

async fn header(config: &Config, runs_note: &str) -> Result<Header> {
    let info = throwaway::engine_info().await?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    Ok(Header {
        date: utc_date(now),
        engine: format!(
            "Docker {} (API {}, {})",
            info.server_version, info.api_version, info.platform
        ),
        machine: machine(),
        mode: if config.quick {
            "quick: one run of each workload, after one warm-up cycle of each side".to_string()
        } else {
            format!("full: {runs_note}")
        },
        versions: format!(
            "throwaway {} · testcontainers 0.28 (with the testcontainers-modules 0.15 images) · \
             bollard 0.21 for the floor",
            env!("CARGO_PKG_VERSION").replace("0.0.0", "(workspace)"),
        ),
    })
}

/// One cycle of workload 1 for each side, unrecorded: connects both libraries to the
/// engine, starts throwaway's reaper, and warms the engine's caches.
async fn warm_up(config: &Config) -> Result<()> {
    use throwaway_bench::workloads::redis_cycle;
    redis_cycle::throwaway(config).await?;
    redis_cycle::testcontainers(config).await?;
    redis_cycle::floor(config).await?;
    Ok(())
}

async fn run(args: Args, run: String) -> Result<bool> {
    let config = Config {
        quick: args.quick,
        run,
        parallelism: std::thread::available_parallelism().map_or(2, |n| n.get()),
    };
    let wanted = |n: u32| args.only.as_ref().is_none_or(|only| only.contains(&n));
    let header = header(
        &config,
        "medians of 9 (1), 7 (2), 5 (3), 3 (4, 5) runs, after one warm-up run of each",
    )
    .await?;
    eprintln!(
        "bench: run {} ({}), {}, {}",
        config.run, header.mode, header.engine, header.machine
    );

    {
        let run = config.run.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("bench: interrupted; removing this run's containers");
                let _ = cleanup::sweep(&run).await;
                std::process::exit(130);
            }
        });
    }

    eprintln!("bench: warm-up");
    let warmed = warm_up(&config).await;
    cleanup::sweep(&config.run).await?;
    warmed?;

    let mut sections = Vec::new();
    type Workload = for<'a> fn(
        &'a Config,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = throwaway_bench::report::Section> + 'a>,
    >;
    let all: [(u32, &str, Workload); 8] = [
        (1, "Redis cycle", |c| {
            Box::pin(workloads::redis_cycle::run(c))
        }),
        (2, "PostgreSQL cycle", |c| {
            Box::pin(workloads::postgres_cycle::run(c))
        }),
        (3, "8 Redis concurrently", |c| {
            Box::pin(workloads::concurrent::run(c))
        }),
        (4, "suite of 50 tests", |c| {
            Box::pin(workloads::suite::run(c))
        }),
        (5, "nextest, 20 tests", |c| {
            Box::pin(workloads::nextest::run(c))
        }),
        (6, "MariaDB suite of 50 tests", |c| {
            Box::pin(workloads::mysql_suite::run(c))
        }),
        (7, "50 tests, a container each", |c| {
            Box::pin(workloads::own_containers::run(c))
        }),
        (8, "soak: 500 cycles and 2,000 databases", |c| {
            Box::pin(workloads::soak::run(c))
        }),
    ];
    for (number, name, workload) in all {
        if !wanted(number) {
            continue;
        }
        eprintln!("bench: workload {number}: {name}");
        let began = std::time::Instant::now();
        sections.push(workload(&config).await);
        let left = cleanup::sweep(&config.run).await?;
        eprintln!(
            "bench: workload {number} took {:.1} s{}",
            began.elapsed().as_secs_f64(),
            if left > 0 {
                format!(", removed {left} container(s) it left")
            } else {
                String::new()
            }
        );
    }

    let report = Report { header, sections };
    let markdown = report.to_markdown();
    // A quick run never overwrites the figures of a full one.
    let stem = if config.quick { "quick" } else { "latest" };
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join(format!("{stem}.md")), &markdown)?;
    std::fs::write(args.out.join(format!("{stem}.svg")), report.to_svg())?;
    println!("{markdown}");
    eprintln!(
        "bench: wrote {} and {stem}.svg",
        args.out.join(format!("{stem}.md")).display()
    );
    Ok(report.sections.iter().all(|s| !s.failed))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let run_id = cleanup::new_run_id();
    // Whatever happens, even a panic, this run's containers go before the bench exits.
    let outcome = AssertUnwindSafe(run(args, run_id.clone()))
        .catch_unwind()
        .await;
    match cleanup::sweep(&run_id).await {
        Ok(0) => {}
        Ok(left) => eprintln!("bench: removed {left} container(s) of this run on the way out"),
        Err(err) => eprintln!("bench: could not check for containers left behind: {err}"),
    }
    let Ok(outcome) = outcome else {
        eprintln!("bench: panicked (see above)");
        return ExitCode::FAILURE;
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("bench: a workload failed for throwaway or the floor (see the notes)");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}
