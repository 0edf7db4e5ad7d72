//! How well the analytical contention estimate (`tessera_sim::system`) predicts the cycle
//! simulator on systems of built-in accelerators sharing one DRAM channel: per system and
//! sub-accelerator, cycles alone and shared, the estimate and its error; then the MAPE of the
//! estimate and, beside it, of assuming no contention at all.
//!
//! `cargo run --release -p tessera-sim --example contention`

use tessera_arch::spec::DramSpec;
use tessera_mapping::MappingSpec;
use tessera_sim::system::{simulate_system_report, System};
use tessera_sim::Engine;
use tessera_workloads::builtin::workload;

/// Sub-accelerators (accelerator, workloads), the channel's bytes per cycle and latency.
type Case<'a> = (&'a [(&'a str, &'a [&'a str])], i64, i64);

fn main() {
    let cases: &[Case] = &[
        (
            &[("ws_8x8", &["mlp_small"]), ("os_8x8", &["gemm_64x64x64"])],
            8,
            30,
        ),
        (
            &[("ws_8x8", &["mlp_small"]), ("os_8x8", &["gemm_64x64x64"])],
            2,
            30,
        ),
        (&[("ws_16x16", &["dqn"]), ("is_16x16", &["mlp"])], 16, 40),
        (&[("ws_16x16", &["dqn"]), ("is_16x16", &["mlp"])], 4, 40),
        (
            &[
                ("ws_8x8", &["dqn"]),
                ("os_8x8", &["dqn"]),
                ("is_8x8", &["dqn"]),
            ],
            16,
            30,
        ),
        (
            &[
                ("ws_8x8", &["dqn"]),
                ("os_8x8", &["dqn"]),
                ("is_8x8", &["dqn"]),
            ],
            4,
            30,
        ),
        (
            &[("gemmini", &["mlp_small"]), ("shidiannao_like", &["dqn"])],
            16,
            40,
        ),
        (
            &[("tpu_like", &["dqn"]), ("nvdla_like", &["mlp_small"])],
            8,
            40,
        ),
    ];
    let (mut est_err, mut none_err) = (vec![], vec![]);
    println!(
        "{:<44} {:>5} {:>3} {:>12} {:>12} {:>12} {:>8} {:>10}",
        "system", "W B/c", "sub", "alone cyc", "shared cyc", "estimate", "err %", "no-cont %"
    );
    for (subs, w, l) in cases {
        let label: Vec<String> = subs
            .iter()
            .map(|(a, ws)| format!("{a}:{}", ws.join("+")))
            .collect();
        let sys = System::new(
            "c",
            Some(&DramSpec {
                bytes_per_cycle: *w,
                latency_cycles: *l,
                outstanding_transfers: None,
                words_per_cycle: None,
            }),
            subs.iter()
                .map(|(a, ws)| {
                    (
                        tessera_arch::builtin::arch_spec(a).unwrap(),
                        ws.iter().map(|n| workload(n).unwrap()).collect(),
                    )
                })
                .collect(),
        )
        .unwrap();
        let r = simulate_system_report(&sys, &MappingSpec::default(), Engine::Event, 1).unwrap();
        assert!(r.matches_reference);
        for s in &r.subs {
            let none = (s.alone_cycles as f64 - s.cycles as f64) / s.cycles as f64 * 100.0;
            est_err.push(s.estimate_error_pct.abs());
            none_err.push(none.abs());
            println!(
                "{:<44} {:>5} {:>3} {:>12} {:>12} {:>12} {:>8.2} {:>10.2}",
                label.join(" | "),
                w,
                s.index,
                s.alone_cycles,
                s.cycles,
                s.estimated_cycles,
                s.estimate_error_pct,
                none
            );
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
    println!(
        "estimate: MAPE {:.2} %, worst {:.2} %; assuming no contention: MAPE {:.2} %, worst {:.2} % ({} sub-accelerators)",
        mean(&est_err),
        max(&est_err),
        mean(&none_err),
        max(&none_err),
        est_err.len()
    );
}
