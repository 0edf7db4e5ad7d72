//! Quick engine speed check on one design: `cargo run --release -p tessera-flow --example
//! engine_speed [arch]` prints simulated cycles per second of both engines (best of 3) on the
//! `tessera bench` GEMM, without Verilator.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "ws_16x16".into());
    let arch = tessera_arch::builtin::arch(&name)?;
    let g = tessera_workloads::Layer::Gemm(tessera_flow::bench::vs_verilator_gemm());
    for engine in [tessera_sim::Engine::Event, tessera_sim::Engine::Stepped] {
        let f = tessera_flow::bench::time_engine(&g, &arch, engine)?;
        println!(
            "{name} {:<8} {:>12.0} cycles/s ({} cycles)",
            f.engine, f.cycles_per_s, f.cycles
        );
    }
    Ok(())
}
