//! The controller (docs/TIMING.md, "Controller"): each cycle it looks at the instruction at the head
//! of the host's queue (`pc`) and the units'
//! busy registers as they are at the start of the cycle, and issues, passes a SYNC, waits, or halts.

use tessera_arch::isa::{unit, Instr, Program};

/// Why the controller waits this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// To issue to the DMA unit with no free transfer slot (or a CONFIG, to the busy DMA).
    Dma,
    /// To issue to the busy compute unit.
    Compute,
    /// In a SYNC or HALT, for the units it names.
    Sync,
}

/// The controller's decision for this cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Issue this LOAD, STORE or COMPUTE (its unit's start pulse is high this cycle).
    Issue(Instr),
    /// A CONFIG with the DMA idle: the gather registers take its fields at the end of the cycle.
    Config(tessera_arch::isa::Config),
    /// A SYNC whose units are idle: move on.
    Pass,
    Wait(Wait),
    /// HALT with every unit idle: `done` is high from the next cycle.
    Halt,
}

/// The compute unit as the controller sees it at the start of a cycle.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CuState {
    /// A COMPUTE may issue (no tile waiting).
    pub accepts: bool,
    /// Every COMPUTE issued is done (SYNC compute).
    pub idle: bool,
    /// Every COMPUTE but the last issued is done (SYNC prev_compute).
    pub prev_done: bool,
    /// Every COMPUTE but the last issued has read its streamed words (SYNC prev_stream).
    pub prev_streamed: bool,
}

impl CuState {
    /// A unit that holds one tile at a time, busy or not.
    pub fn single(busy: bool) -> Self {
        CuState {
            accepts: !busy,
            idle: !busy,
            prev_done: true,
            prev_streamed: true,
        }
    }
}

#[derive(Default)]
pub(crate) struct Controller {
    pc: usize,
}

impl Controller {
    /// The program counter during this cycle.
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// `dma_busy`: a transfer is in flight; `dma_accepts`: the DMA has a free transfer slot.
    pub fn eval(
        &self,
        program: &Program,
        dma_busy: bool,
        dma_accepts: bool,
        cu: CuState,
    ) -> Decision {
        match program.instrs[self.pc] {
            Instr::Config(c) => {
                if dma_busy {
                    Decision::Wait(Wait::Dma)
                } else {
                    Decision::Config(c)
                }
            }
            ins @ (Instr::Load { .. } | Instr::Gather { .. } | Instr::Store { .. }) => {
                if !dma_accepts {
                    Decision::Wait(Wait::Dma)
                } else {
                    Decision::Issue(ins)
                }
            }
            ins @ (Instr::Compute { .. } | Instr::ComputeRs { .. }) => {
                if !cu.accepts {
                    Decision::Wait(Wait::Compute)
                } else {
                    Decision::Issue(ins)
                }
            }
            Instr::Sync { mask } => {
                if (mask & unit::DMA != 0 && dma_busy)
                    || (mask & unit::COMPUTE != 0 && !cu.idle)
                    || (mask & unit::PREV_COMPUTE != 0 && !cu.prev_done)
                    || (mask & unit::PREV_STREAM != 0 && !cu.prev_streamed)
                {
                    Decision::Wait(Wait::Sync)
                } else {
                    Decision::Pass
                }
            }
            Instr::Halt => {
                if dma_busy || !cu.idle {
                    Decision::Wait(Wait::Sync)
                } else {
                    Decision::Halt
                }
            }
        }
    }

    pub fn commit(&mut self, d: &Decision) {
        if matches!(d, Decision::Issue(_) | Decision::Config(_) | Decision::Pass) {
            self.pc += 1;
        }
    }
}
