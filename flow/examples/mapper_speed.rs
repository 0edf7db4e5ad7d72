//! Quick check of `tessera bench` section (d) alone: `cargo run --release -p tessera-flow
//! --example mapper_speed [arch...]` (default: the bench's [`MAPPER_ARCHS`])
//! prints the mapper's time over ResNet-18 and the analytical model's rates on all cores, best of
//! three runs.
//!
//! [`MAPPER_ARCHS`]: tessera_flow::bench::MAPPER_ARCHS

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use tessera_flow::bench::{mapper_figure, MAPPER_ARCHS, MAPPER_NETWORK};
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() {
        names = MAPPER_ARCHS.iter().map(|s| s.to_string()).collect();
    }
    let w = tessera_workloads::builtin::workload(MAPPER_NETWORK)?;
    for name in &names {
        let arch = tessera_arch::builtin::arch(name)?;
        let runs = (0..3)
            .map(|_| mapper_figure(&w, &arch))
            .collect::<Result<Vec<_>, _>>()?;
        let best = |f: &dyn Fn(&tessera_flow::bench::MapperFigure) -> f64, max: bool| {
            runs.iter()
                .map(f)
                .fold(if max { 0.0 } else { f64::INFINITY }, |a, b| {
                    if max {
                        a.max(b)
                    } else {
                        a.min(b)
                    }
                })
        };
        let f = &runs[0];
        println!(
            "{name:<10} {} layers: mapper {:.4} s ({} candidates, {} estimated; slowest {} {:.4} s), \
             {:.3e} bounds/s, {:.3e} estimates/s ({} threads)",
            f.layers,
            best(&|f| f.mapper_wall_s, false),
            f.candidates,
            f.estimated,
            f.slowest_layer,
            best(&|f| f.slowest_layer_s, false),
            best(&|f| f.bounds_per_s, true),
            best(&|f| f.estimates_per_s, true),
            f.threads,
        );
    }
    Ok(())
}
