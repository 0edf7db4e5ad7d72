//! Quick check of `tessera bench` section (d) alone (as `tessera bench --mapper-only`): `cargo run
//! --release -p tessera-flow --example mapper_speed [arch...]` (default: the bench's
//! [`MAPPER_ARCHS`]) prints the mapper's time over ResNet-18 and the analytical model's rates on
//! all cores, each the best of the bench's runs.
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
        let f = mapper_figure(&w, &arch)?;
        println!(
            "{name:<10} {} layers: mapper {:.4} s ({} candidates, {} estimated; slowest {} {:.4} s), \
             {:.3e} bounds/s, {:.3e} estimates/s ({} threads)",
            f.layers,
            f.mapper_wall_s,
            f.candidates,
            f.estimated,
            f.slowest_layer,
            f.slowest_layer_s,
            f.bounds_per_s,
            f.estimates_per_s,
            f.threads,
        );
    }
    Ok(())
}
