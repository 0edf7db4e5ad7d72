//! `tessera run`: a hand-written program through both simulator engines and, if asked, the RTL.
//!
//! The other commands lower layers into programs; this one runs a program as the user wrote it,
//! in the instruction set of docs/TIMING.md, from a DRAM image the file describes. It is how a
//! researcher drives an accelerator below the mapping (a new instruction pattern, a timing
//! question), such as a row-stationary pass outside the lowering's pattern (mapping/src/rs.rs).
//!
//! What it checks: the program is legal (`tessera_sim::check_program`: ranges, pass shapes, the
//! shared ports' rules); the event-level and the stepped engine give the same cycles, DRAM image
//! and event trace; with the RTL, Verilator's run of the exported design gives them too. What it
//! leaves out: the analytical model (it models lowered schedules, not arbitrary programs).

use serde::{Deserialize, Serialize};
use tessera_arch::isa::{Instr, Program};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_sim::breakdown::Breakdown;
use tessera_sim::{Counters, Engine, SimOptions};
use tessera_verif::Tools;

/// The largest DRAM image a program file may ask for (bytes): DRAM byte addresses are 32 bits,
/// and the image is held in memory three times (two engines and the RTL's).
pub const MAX_DRAM_BYTES: u64 = 1 << 28;

/// A program file (RON): the DRAM image's size, the bytes placed in it (the rest are zero), and
/// the instructions, e.g.
/// `(dram_bytes: 256, data: [(at: 0, bytes: [1, 2, 3])], program: [Load(target: Weight,
/// count: 1, dram_addr: 0, sram_addr: 0), Sync(mask: 1), Halt])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramFile {
    pub dram_bytes: u64,
    #[serde(default)]
    pub data: Vec<DramData>,
    pub program: Vec<Instr>,
}

/// Bytes placed in the DRAM image at byte address `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramData {
    pub at: u64,
    pub bytes: Vec<u8>,
}

impl ProgramFile {
    /// The DRAM image: `dram_bytes` zeros with every `data` entry in place. Errors name the field.
    pub fn image(&self) -> Result<Vec<u8>> {
        if self.dram_bytes == 0 || self.dram_bytes > MAX_DRAM_BYTES {
            return Err(Diagnostic::field(
                "dram_bytes",
                format!(
                    "must be between 1 and {MAX_DRAM_BYTES} bytes, got {}",
                    self.dram_bytes
                ),
            ));
        }
        let mut dram = vec![0u8; self.dram_bytes as usize];
        for (i, d) in self.data.iter().enumerate() {
            let end = d.at.checked_add(d.bytes.len() as u64);
            match end {
                Some(e) if e <= self.dram_bytes => {
                    dram[d.at as usize..e as usize].copy_from_slice(&d.bytes);
                }
                _ => {
                    return Err(Diagnostic::field(
                        format!("data[{i}]"),
                        format!(
                            "{} bytes at {} pass the end of the {}-byte image",
                            d.bytes.len(),
                            d.at,
                            self.dram_bytes
                        ),
                    ))
                }
            }
        }
        Ok(dram)
    }
}

impl ProgramFile {
    /// The file's own errors: its DRAM image ([`ProgramFile::image`]) and the program's legality on
    /// `arch` (`tessera_sim::check_program`).
    pub fn check(&self, arch: &Arch) -> Result<()> {
        let dram = self.image()?;
        let program = Program {
            instrs: self.program.clone(),
        };
        tessera_sim::engine::check_program(arch, &program, dram.len())
    }
}

/// What [`run_program`] found.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub arch: String,
    pub instructions: usize,
    /// The event-level engine's figures (the stepped engine's equal them when `engines_agree`).
    pub cycles: u64,
    pub breakdown: Breakdown,
    pub counters: Counters,
    pub stepped_cycles: u64,
    /// Cycles, DRAM image and event trace equal in both engines.
    pub engines_agree: bool,
    /// Where the engines differ first, if they do.
    pub engines_difference: Option<String>,
    pub rtl: Option<RtlCheck>,
    /// The engines agree, and so does the RTL when it ran.
    pub passed: bool,
}

/// The RTL's run of the same program and image.
#[derive(Clone, Debug, Serialize)]
pub struct RtlCheck {
    pub cycles: u64,
    pub dram_equal: bool,
    pub trace_equal: bool,
    /// Where the RTL differs first from the event engine, if it does.
    pub difference: Option<String>,
}

/// Where two byte images differ first.
fn first_byte_difference(a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    Some(match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("DRAM byte {i}: {} against {}", a[i], b[i]),
        None => format!("DRAM images of {} and {} bytes", a.len(), b.len()),
    })
}

/// Where two traces differ first (line numbers from 0).
fn first_line_difference(a: &[String], b: &[String]) -> Option<String> {
    let i = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    Some(format!(
        "trace line {i}: {:?} against {:?}",
        a.get(i).map_or("(none)", |s| s.as_str()),
        b.get(i).map_or("(none)", |s| s.as_str())
    ))
}

/// Run `file`'s program on `arch` in both engines and, with `rtl`, on the exported RTL under
/// Verilator. Returns the report and the DRAM image after the run (the event engine's). An error
/// for an illegal program or a bad file; a disagreement is a report with `passed: false`.
pub fn run_program(
    arch: &Arch,
    file: &ProgramFile,
    rtl: Option<&Tools>,
) -> Result<(RunReport, Vec<u8>)> {
    let dram = file.image()?;
    let program = Program {
        instrs: file.program.clone(),
    };
    let run = |engine| {
        tessera_sim::simulate(
            arch,
            &program,
            dram.clone(),
            &SimOptions {
                engine,
                trace: true,
                ..SimOptions::default()
            },
        )
    };
    let event = run(Engine::Event)?;
    let stepped = run(Engine::Stepped)?;
    let lines = |t: &Option<Vec<tessera_sim::trace::TraceEvent>>| -> Vec<String> {
        t.iter().flatten().map(|e| e.to_string()).collect()
    };
    let (ev_trace, st_trace) = (lines(&event.trace), lines(&stepped.trace));
    let (ev_cycles, st_cycles) = (event.report.cycles.get(), stepped.report.cycles.get());
    let engines_difference = if ev_cycles != st_cycles {
        Some(format!(
            "{ev_cycles} cycles in the event engine, {st_cycles} in the stepped one"
        ))
    } else {
        first_byte_difference(&event.dram, &stepped.dram)
            .or_else(|| first_line_difference(&ev_trace, &st_trace))
    };
    let rtl = match rtl {
        None => None,
        Some(tools) => {
            let design = tessera_rtl_gen::emit(arch)?;
            let words: Vec<u128> = program.instrs.iter().map(Instr::encode).collect();
            // a generous limit: the contract's cycles, and a margin for a design that runs late
            let limit = ev_cycles.saturating_mul(2).saturating_add(10_000);
            let r = tessera_verif::run_rtl_traced(arch, &design, &words, &dram, limit, tools)?;
            let got = r.trace.unwrap_or_default();
            let difference = if r.cycles != ev_cycles {
                Some(format!(
                    "{} cycles in the RTL, {ev_cycles} in the simulator",
                    r.cycles
                ))
            } else {
                first_byte_difference(&r.dram, &event.dram)
                    .or_else(|| first_line_difference(&got, &ev_trace))
            };
            Some(RtlCheck {
                cycles: r.cycles,
                dram_equal: r.dram == event.dram,
                trace_equal: got == ev_trace,
                difference,
            })
        }
    };
    let engines_agree = engines_difference.is_none();
    let passed = engines_agree && rtl.as_ref().is_none_or(|r| r.difference.is_none());
    Ok((
        RunReport {
            arch: arch.name().to_string(),
            instructions: program.instrs.len(),
            cycles: ev_cycles,
            breakdown: event.report.breakdown,
            counters: event.report.counters,
            stepped_cycles: st_cycles,
            engines_agree,
            engines_difference,
            rtl,
            passed,
        },
        event.dram,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::isa::LoadTarget;

    fn ws_2x3() -> Arch {
        tessera_arch::builtin::arch("ws_2x3").unwrap()
    }

    /// One weight tile and two input rows through a 2×3 weight-stationary array: the engines
    /// agree, and the stored outputs are the products.
    #[test]
    fn a_small_program_runs_in_both_engines() {
        let a = ws_2x3();
        // weights: 2 words of 3 bytes (rows k), inputs: 2 words of 2 bytes (rows m)
        let file = ProgramFile {
            dram_bytes: 256,
            data: vec![
                DramData {
                    at: 0,
                    bytes: vec![1, 2, 3, 4, 5, 6],
                },
                DramData {
                    at: 16,
                    bytes: vec![1, 1, 2, 0],
                },
            ],
            program: vec![
                Instr::Load {
                    target: LoadTarget::Weight,
                    count: 2,
                    dram_addr: 0,
                    sram_addr: 0,
                },
                Instr::Load {
                    target: LoadTarget::Input,
                    count: 2,
                    dram_addr: 16,
                    sram_addr: 0,
                },
                Instr::Sync { mask: 1 },
                Instr::Compute {
                    len: 2,
                    in_addr: 0,
                    w_addr: 0,
                    out_addr: 0,
                    accumulate: false,
                },
                Instr::Sync { mask: 2 },
                Instr::Store {
                    count: 2,
                    dram_addr: 64,
                    sram_addr: 0,
                },
                Instr::Halt,
            ],
        };
        let (r, dram) = run_program(&a, &file, None).unwrap();
        assert!(r.passed && r.engines_agree, "{r:?}");
        assert_eq!(r.cycles, r.stepped_cycles);
        assert_eq!(r.breakdown.total(), r.cycles);
        // out[0] = [1, 1] · [[1 2 3], [4 5 6]] = [5 7 9]; out[1] = [2, 0] · … = [2 4 6] (int32)
        let lane = |i: usize| i32::from_le_bytes(dram[64 + 4 * i..68 + 4 * i].try_into().unwrap());
        assert_eq!((0..6).map(lane).collect::<Vec<_>>(), [5, 7, 9, 2, 4, 6]);
    }

    /// Bad files: the field is named; an illegal program is the simulator's error.
    #[test]
    fn bad_files_name_the_field() {
        let a = ws_2x3();
        let mut f = ProgramFile {
            dram_bytes: 0,
            data: vec![],
            program: vec![Instr::Halt],
        };
        assert_eq!(f.image().unwrap_err().field.as_deref(), Some("dram_bytes"));
        f.dram_bytes = 8;
        f.data = vec![DramData {
            at: 6,
            bytes: vec![1, 2, 3],
        }];
        assert_eq!(f.image().unwrap_err().field.as_deref(), Some("data[0]"));
        f.data.clear();
        f.program = vec![Instr::Store {
            count: 1,
            dram_addr: 0,
            sram_addr: 0,
        }];
        // a STORE past the 8-byte image, and no HALT
        assert!(run_program(&a, &f, None).is_err());
    }

    /// The file format reads as the docs show it.
    #[test]
    fn the_documented_form_parses() {
        let text = "(dram_bytes: 256, data: [(at: 0, bytes: [1, 2, 3])], program: [Load(target: \
                    Weight, count: 1, dram_addr: 0, sram_addr: 0), Sync(mask: 1), Halt])";
        let f: ProgramFile =
            tessera_core::load::parse_ron(text, std::path::Path::new("p.ron")).unwrap();
        assert_eq!(f.program.len(), 3);
        let (r, _) = run_program(&ws_2x3(), &f, None).unwrap();
        assert!(r.passed);
    }
}
