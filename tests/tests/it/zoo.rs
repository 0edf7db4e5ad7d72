//! Every network of the zoo on every built-in accelerator down to 4×4: the analytical estimate and
//! the cycle simulation (through `validate`, which simulates, checks every output against the host's
//! native execution and holds the model's counters and cycles to the simulator's). No layer is
//! refused: programs stream, so nothing is too long.
//!
//! VGG-16 (15.5 G MACs, half a minute of simulation per small array on 2 cores) is estimated only
//! here, to keep the suite fast; the full sweep with it (`tessera simulate` and `validate` of every
//! zoo network on every built-in down to 4×4) is in issue 14's note.

use tessera_arch::builtin;
use tessera_mapping::MappingSpec;
use tessera_sim::workload::{estimate, validate};
use tessera_workloads::builtin::ZOO;

const ARCHS: [&str; 8] = [
    "ws_4x4", "os_4x4", "ws_8x8", "os_8x8", "ws_16x16", "os_16x16", "ws_32x32", "os_32x32",
];

#[test]
fn every_zoo_network_on_every_builtin_down_to_4x4() {
    let spec = MappingSpec::default();
    for a in ARCHS {
        let arch = builtin::arch(a).unwrap();
        let mut pairs = vec![];
        for n in ZOO {
            let w = tessera_workloads::builtin::workload(n).unwrap();
            let e = estimate(&arch, &w, &spec).unwrap_or_else(|e| panic!("{n} on {a}: {e}"));
            assert_eq!(e.layers.len(), w.layers.len());
            assert_eq!(e.totals.macs, w.macs().unwrap());
            if n != "vgg16" {
                pairs.push((arch.clone(), w));
            }
        }
        let v = validate(&pairs, &spec, 1).unwrap_or_else(|e| panic!("{a}: {e}"));
        assert!(v.passed, "{a}: outputs or counters differ");
        assert_eq!(v.analytical_cycles, v.cycle_sim_cycles, "{a}");
    }
}
