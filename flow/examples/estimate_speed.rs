//! The analytical model's full estimates alone, for profiling and before/after figures that are
//! robust to a shared machine: `cargo run --release -p tessera-flow --example estimate_speed
//! [--secs S | --rounds N] [--threads T] [arch...]` (default: the bench's [`MAPPER_ARCHS`] over
//! ResNet-18).
//!
//! For each accelerator it evaluates every candidate mapping of every layer (the jobs of `tessera
//! bench` part (d)) in rounds for about `S` seconds (default 2) on `T` threads (default 1), and
//! prints estimates per second of wall time and per second of the process's CPU time (user +
//! system, from `/proc/self/stat`), plus a checksum of every estimate's cycles, counters, energy
//! and breakdown so that runs of different builds can be compared for equal results.
//!
//! With `--rounds N` it runs exactly `N` rounds instead (0: only the checksum), for counts that
//! do not depend on the machine's speed: the instructions of two runs with different `N` (`perf
//! stat -e instructions`, or valgrind's callgrind where perf has no counters), their difference
//! divided by the extra estimates, give instructions per estimate; `scripts/estimate-instructions`
//! does that with callgrind.
//!
//! Estimates go through an [`Estimator`] per thread, new every round (its memo of the tile
//! nest's subtrees warms over one pass of the jobs, as over one run of the mapper), and its
//! checksum must equal the one of fresh estimates; `--cold` times fresh estimates instead
//! ([`tessera_sim::analytical::estimate_schedule_priced`], nothing shared).
//!
//! With `--parts` it also prints the CPU time per job of building the schedule, of its closed-form
//! summary and of the whole estimate (one thread).
//!
//! [`MAPPER_ARCHS`]: tessera_flow::bench::MAPPER_ARCHS

use std::sync::Mutex;
use std::time::Instant;
use tessera_flow::bench::OwnLines;
use tessera_mapping::{Mapping, Problem, Schedule};
use tessera_sim::analytical::Estimator;

/// One timed piece of work on a candidate mapping (its result keeps it from being optimised away).
type Job<'a> = dyn Fn(&Problem, &Mapping) -> u64 + 'a;

/// The process's CPU time (user + system) in seconds, from `/proc/self/stat` (clock ticks of 10 ms).
fn cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the command name's closing parenthesis: state is field 3, utime 14, stime 15
    let rest = s.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// A hash of everything an estimate reports, bit for bit (its JSON: floats print exactly).
fn digest(e: &tessera_sim::Estimate) -> u64 {
    let json = serde_json::to_string(e).expect("an estimate serializes");
    json.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rayon::prelude::*;
    use tessera_flow::bench::{MAPPER_ARCHS, MAPPER_NETWORK};
    let mut args = std::env::args().skip(1);
    let (mut secs, mut threads, mut names, mut parts) = (2.0f64, 1usize, vec![], false);
    let mut fixed_rounds: Option<u64> = None;
    let mut cold = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => secs = args.next().ok_or("--secs S")?.parse()?,
            "--threads" => threads = args.next().ok_or("--threads T")?.parse()?,
            "--rounds" => fixed_rounds = Some(args.next().ok_or("--rounds N")?.parse()?),
            "--parts" => parts = true,
            "--cold" => cold = true,
            _ => names.push(a),
        }
    }
    if names.is_empty() {
        names = MAPPER_ARCHS.iter().map(|s| s.to_string()).collect();
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let w = tessera_workloads::builtin::workload(MAPPER_NETWORK)?;
    for name in &names {
        let arch = tessera_arch::builtin::arch(name)?;
        let problems = w
            .layers
            .iter()
            .map(|l| Problem::new(l, &arch))
            .collect::<Result<Vec<_>, _>>()?;
        let jobs: Vec<(&Problem, Mapping)> = problems
            .iter()
            .flat_map(|p| {
                Mapping::candidates(&p.gemm, &arch)
                    .into_iter()
                    .map(move |m| (p, m))
            })
            .collect();
        let pricing = tessera_sim::Pricing::of(&arch);
        let one = |p: &Problem, m: &Mapping| {
            let s = Schedule::new(p, &arch, m);
            tessera_sim::analytical::estimate_schedule_priced(p, &arch, &s, &pricing)
                .expect("the bench's candidates have summaries")
        };
        let check = jobs
            .iter()
            .fold(0u64, |a, (p, m)| a.rotate_left(5) ^ digest(&one(p, m)));
        // the estimator's (one, over every job in order) must be the same, bit for bit
        let mut est = Estimator::with_pricing(&arch, pricing);
        let warm = jobs.iter().fold(0u64, |a, (p, m)| {
            let s = Schedule::new(p, &arch, m);
            let e = est
                .estimate(p, &s)
                .expect("the bench's candidates have summaries");
            a.rotate_left(5) ^ digest(&e)
        });
        if warm != check {
            return Err(format!(
                "{name}: the estimator's checksum {warm:016x} is not {check:016x}"
            )
            .into());
        }
        if parts {
            // CPU nanoseconds per job of `f` over every job, best of 3 runs of secs / 10 each
            // (the CPU clock ticks every 10 ms)
            let per_job = |f: &Job| {
                (0..3)
                    .map(|_| {
                        let (t0, c0, mut n, mut x) = (Instant::now(), cpu_s(), 0u64, 0u64);
                        while t0.elapsed().as_secs_f64() < secs / 10.0 {
                            for (p, m) in &jobs {
                                x = x.wrapping_add(f(p, m));
                            }
                            n += jobs.len() as u64;
                        }
                        std::hint::black_box(x);
                        (cpu_s() - c0) * 1e9 / n as f64
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let fs: [(&str, &Job); 3] = [
                ("schedule", &|p, m| {
                    Schedule::new(p, &arch, m).nest.loops.len() as u64
                }),
                ("+ summary", &|p, m| {
                    Schedule::new(p, &arch, m).summary().map_or(0, |s| s.steps)
                }),
                ("+ estimate", &|p, m| one(p, m).cycles.get()),
            ];
            let line: Vec<String> = fs
                .iter()
                .map(|(what, f)| format!("{what} {:.0} ns", per_job(f)))
                .collect();
            println!("{name:<10} CPU time per job: {}", line.join(", "));
        }
        let (mut rounds, mut best) = (0u64, 0.0f64);
        let (t0, c0) = (Instant::now(), cpu_s());
        let more = |rounds: u64| match fixed_rounds {
            Some(n) => rounds < n,
            None => rounds == 0 || t0.elapsed().as_secs_f64() < secs,
        };
        while more(rounds) {
            let t = Instant::now();
            let sum = pool.install(|| {
                if cold {
                    jobs.par_iter()
                        .map(|(p, m)| one(p, m).cycles.get())
                        .reduce(|| 0, u64::wrapping_add)
                } else {
                    // one estimator per thread, new every round (a round is one pass of the
                    // mapper's over the network)
                    // (each on cache lines of its own, as the bench's)
                    let ests: Vec<OwnLines<Mutex<Estimator>>> = (0..threads)
                        .map(|_| OwnLines(Mutex::new(Estimator::with_pricing(&arch, pricing))))
                        .collect();
                    jobs.par_iter()
                        .map(|(p, m)| {
                            let i = rayon::current_thread_index().unwrap_or(0);
                            let mut e = ests[i].0.lock().expect("not poisoned");
                            let s = Schedule::new(p, &arch, m);
                            e.estimate(p, &s).expect("estimates").cycles.get()
                        })
                        .reduce(|| 0, u64::wrapping_add)
                }
            });
            std::hint::black_box(sum);
            best = best.max(jobs.len() as f64 / t.elapsed().as_secs_f64());
            rounds += 1;
        }
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_s() - c0);
        let n = (jobs.len() as u64 * rounds) as f64;
        println!(
            "{name:<10} {} jobs × {rounds} rounds on {threads} thread(s): {:.3e} estimates/s \
             (best round {:.3e}/s), {:.3e} per CPU-second; checksum {check:016x}",
            jobs.len(),
            n / wall,
            best,
            n / cpu,
        );
    }
    Ok(())
}
