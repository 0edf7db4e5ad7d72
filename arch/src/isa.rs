//! The accelerator's instruction set and its 128-bit binary encoding (docs/TIMING.md, "Instructions").
//!
//! This is the one definition both the cycle simulator and the Verilog generator read: the field
//! positions below are emitted into the controller template as localparams, and the simulator
//! decodes the same words. A [`Program`] is what the lowering produces and what both engines run.

use serde::{Deserialize, Serialize};
use std::fmt;
use tessera_core::diag::{Diagnostic, Result};

/// Instructions the host's command queue holds (docs/TIMING.md, "Controller"). A program of any
/// length streams through it.
pub const QUEUE_DEPTH: usize = 4;

/// Opcodes, bits `[7:0]`.
pub mod op {
    pub const HALT: u8 = 0;
    pub const LOAD: u8 = 1;
    pub const STORE: u8 = 2;
    pub const COMPUTE: u8 = 3;
    pub const SYNC: u8 = 4;
    pub const CONFIG: u8 = 5;
}

/// Bit ranges `(lsb, width)` of the instruction fields.
pub mod field {
    pub const OP: (u32, u32) = (0, 8);
    /// LOAD: target buffer; SYNC: unit mask; COMPUTE: bit 0 = accumulate; CONFIG: register.
    pub const FLAGS: (u32, u32) = (8, 4);
    /// LOAD/STORE: bits 19..16 of the buffer word address; COMPUTE: of the input address.
    pub const ADDR_A_HI: (u32, u32) = (12, 4);
    /// LOAD/STORE: words; COMPUTE: words streamed (`len`).
    pub const COUNT: (u32, u32) = (16, 16);
    pub const DRAM_ADDR: (u32, u32) = (32, 32);
    /// LOAD/STORE: buffer word address; COMPUTE: input address (bits 15..0; 19..16 in
    /// [`ADDR_A_HI`]).
    pub const ADDR_A: (u32, u32) = (64, 16);
    /// COMPUTE: weight address (bits 15..0, and 19..16 in [`ADDR_B_HI`]).
    pub const ADDR_B: (u32, u32) = (80, 16);
    pub const ADDR_B_HI: (u32, u32) = (32, 4);
    /// COMPUTE: accumulator address (bits 15..0, and 19..16 in [`ADDR_C_HI`]).
    pub const ADDR_C: (u32, u32) = (96, 16);
    pub const ADDR_C_HI: (u32, u32) = (36, 4);
    /// LOAD flags: bit 0 the weight buffer, bit 1 gather.
    pub const GATHER_BIT: u8 = 2;
    /// Gather LOAD: the start position.
    pub const G_N: (u32, u32) = (32, 16);
    pub const G_OH: (u32, u32) = (48, 16);
    pub const G_OW: (u32, u32) = (80, 16);
    pub const G_KH: (u32, u32) = (96, 8);
    pub const G_KW: (u32, u32) = (104, 8);
    pub const G_C: (u32, u32) = (112, 16);
    /// CONFIG register 0 (tensor).
    pub const T_BASE: (u32, u32) = (16, 32);
    pub const T_H: (u32, u32) = (48, 16);
    pub const T_W: (u32, u32) = (64, 16);
    pub const T_CS: (u32, u32) = (80, 16);
    pub const T_OW: (u32, u32) = (96, 16);
    pub const T_OH: (u32, u32) = (112, 16);
    /// CONFIG register 1 (window).
    pub const W_SH: (u32, u32) = (16, 8);
    pub const W_SW: (u32, u32) = (24, 8);
    pub const W_DH: (u32, u32) = (32, 8);
    pub const W_DW: (u32, u32) = (40, 8);
    pub const W_PT: (u32, u32) = (48, 8);
    pub const W_PL: (u32, u32) = (56, 8);
    pub const W_KW: (u32, u32) = (64, 8);
    pub const W_CG: (u32, u32) = (72, 16);
    /// COMPUTE on a row-stationary array (docs/TIMING.md, "Compute unit: row-stationary"): the
    /// pass's steps `T` (nonzero: a COMPUTE with `T = 0` is any other array's), rows per block
    /// `H`, blocks `B` and row offset step.
    pub const RS_STEPS: (u32, u32) = (40, 8);
    pub const RS_BLOCK_ROWS: (u32, u32) = (48, 8);
    pub const RS_BLOCKS: (u32, u32) = (56, 8);
    pub const RS_ROW_STEP: (u32, u32) = (112, 8);
}

/// Unit bits of a SYNC mask.
pub mod unit {
    pub const DMA: u8 = 1;
    /// Every COMPUTE issued has completed.
    pub const COMPUTE: u8 = 2;
    /// Every COMPUTE but the most recently issued has completed (a compute unit that overlaps
    /// tiles: double-buffered weights; elsewhere it always holds).
    pub const PREV_COMPUTE: u8 = 4;
    /// Every COMPUTE but the most recently issued has read the last word of its streamed
    /// operand(s) from the buffers (docs/TIMING.md: a compute unit that overlaps tiles; elsewhere
    /// it always holds). It ends no COMPUTE's accumulator reads or writes.
    pub const PREV_STREAM: u8 = 8;
    /// Every mask bit.
    pub const ALL: u8 = DMA | COMPUTE | PREV_COMPUTE | PREV_STREAM;
}

/// Which buffer a LOAD fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LoadTarget {
    Input = 0,
    Weight = 1,
}

/// Where a gather LOAD starts (docs/TIMING.md, "Gather registers"): an output pixel and a k-step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GatherPos {
    pub n: u16,
    pub oh: u16,
    pub ow: u16,
    pub kh: u8,
    pub kw: u8,
    pub c: u16,
}

/// The DMA's gather registers, as CONFIG writes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Config {
    /// Register 0: the input tensor `[N][H][W][cs]` at `base`, and the output's size.
    Tensor {
        base: u32,
        h: u16,
        w: u16,
        cs: u16,
        ow: u16,
        oh: u16,
    },
    /// Register 1: stride, dilation, padding before (top, left), kernel width, channels per group.
    Window {
        stride: [u8; 2],
        dilation: [u8; 2],
        pad: [u8; 2],
        kw: u8,
        cg: u16,
    },
}

/// The shape of a row-stationary pass (docs/TIMING.md, "Compute unit: row-stationary"): `steps`
/// (`T`) steps per output, the array's rows in `blocks` (`B`) blocks of `block_rows` (`H`) rows,
/// and row `r` reading input byte `(r mod H) · row_step + c` in column `c`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RsPass {
    pub steps: u8,
    pub block_rows: u8,
    pub blocks: u8,
    pub row_step: u8,
}

impl RsPass {
    /// Whether the pass is legal on an array of `rows` rows whose PEs hold `rf` operands (the
    /// contract's conditions); `Err` says which one fails.
    pub fn check(&self, rows: u32, rf: u32) -> std::result::Result<(), String> {
        let (t, h, b, st) = (
            u32::from(self.steps),
            u32::from(self.block_rows),
            u32::from(self.blocks),
            u32::from(self.row_step),
        );
        if t == 0 || t > rf {
            return Err(format!(
                "steps {t} must be between 1 and the PEs' register file ({rf} operands)"
            ));
        }
        if h == 0 || b == 0 || b * h > rows {
            return Err(format!(
                "{b} blocks of {h} rows must be at least one of one and fit the array's {rows} rows"
            ));
        }
        if (h - 1) * st > rows - 1 {
            return Err(format!(
                "rows per block {h} with row step {st} reach byte {} of the input word: at most \
                 the array's rows - 1 = {} (plus the column)",
                (h - 1) * st,
                rows - 1
            ));
        }
        if b > t {
            return Err(format!(
                "{b} blocks need at least as many steps ({t}): a pass writes one block per cycle"
            ));
        }
        Ok(())
    }

    /// Row `r`'s offset into the input word: `(r mod H) · row_step`.
    pub fn offset(&self, row: u32) -> u32 {
        (row % u32::from(self.block_rows.max(1))) * u32::from(self.row_step)
    }

    /// The block row `r` belongs to, if any (`r < B · H`).
    pub fn block_of(&self, row: u32) -> Option<u32> {
        let h = u32::from(self.block_rows.max(1));
        (row / h < u32::from(self.blocks)).then_some(row / h)
    }

    /// Busy length of a pass of `len` outputs: `T·(E + 1) + B + 2` cycles.
    pub fn busy(&self, len: u64) -> u64 {
        u64::from(self.steps) * (len + 1) + u64::from(self.blocks) + 2
    }
}

/// One instruction. Addresses into buffers are in words, DRAM addresses in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    Halt,
    Load {
        target: LoadTarget,
        count: u16,
        dram_addr: u32,
        sram_addr: u32,
    },
    /// A LOAD that gathers an implicit im2col from the tensor the gather registers describe.
    Gather {
        target: LoadTarget,
        count: u16,
        sram_addr: u32,
        pos: GatherPos,
    },
    /// Write a group of the DMA's gather registers.
    Config(Config),
    Store {
        count: u16,
        dram_addr: u32,
        sram_addr: u32,
    },
    /// One array tile. `len` is the number of words streamed: input rows (weight-stationary) or
    /// k-steps of both operands (output-stationary); see docs/TIMING.md, "Compute unit".
    Compute {
        len: u16,
        in_addr: u32,
        w_addr: u32,
        out_addr: u32,
        accumulate: bool,
    },
    /// One row-stationary pass (docs/TIMING.md, "Compute unit: row-stationary"): `len` outputs
    /// per column and block; reads weight words `w_addr ..+ T`, input words `in_addr ..+ len·T`
    /// and writes accumulator words `out_addr ..+ len·B`. Opcode COMPUTE with `steps` nonzero.
    ComputeRs {
        len: u16,
        in_addr: u32,
        w_addr: u32,
        out_addr: u32,
        accumulate: bool,
        pass: RsPass,
    },
    /// Wait until no unit in `mask` ([`unit`]) is busy.
    Sync {
        mask: u8,
    },
}

fn put(word: &mut u128, (lsb, width): (u32, u32), v: u64) {
    debug_assert!(width == 64 || v < (1u64 << width));
    *word |= u128::from(v) << lsb;
}

fn get(word: u128, (lsb, width): (u32, u32)) -> u64 {
    ((word >> lsb) & ((1u128 << width) - 1)) as u64
}

/// Buffer word addresses are 20 bits ([`ADDR_BITS`]): bits 15..0 in `lo`, 19..16 in `hi`.
fn put_addr(word: &mut u128, lo: (u32, u32), hi: (u32, u32), a: u32) {
    debug_assert!(a < 1 << ADDR_BITS);
    put(word, lo, u64::from(a & 0xffff));
    put(word, hi, u64::from(a >> 16));
}

fn get_addr(word: u128, lo: (u32, u32), hi: (u32, u32)) -> u32 {
    (get(word, lo) | get(word, hi) << 16) as u32
}

/// Bits of a buffer word address: a buffer holds at most `2^ADDR_BITS` words.
pub const ADDR_BITS: u32 = 20;

impl Instr {
    pub fn encode(&self) -> u128 {
        let mut w = 0u128;
        match *self {
            Instr::Halt => put(&mut w, field::OP, op::HALT.into()),
            Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            } => {
                put(&mut w, field::OP, op::LOAD.into());
                put(&mut w, field::FLAGS, target as u64);
                put(&mut w, field::COUNT, count.into());
                put(&mut w, field::DRAM_ADDR, dram_addr.into());
                put_addr(&mut w, field::ADDR_A, field::ADDR_A_HI, sram_addr);
            }
            Instr::Store {
                count,
                dram_addr,
                sram_addr,
            } => {
                put(&mut w, field::OP, op::STORE.into());
                put(&mut w, field::COUNT, count.into());
                put(&mut w, field::DRAM_ADDR, dram_addr.into());
                put_addr(&mut w, field::ADDR_A, field::ADDR_A_HI, sram_addr);
            }
            Instr::Compute {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
            } => {
                put(&mut w, field::OP, op::COMPUTE.into());
                put(&mut w, field::FLAGS, accumulate as u64);
                put(&mut w, field::COUNT, len.into());
                put_addr(&mut w, field::ADDR_A, field::ADDR_A_HI, in_addr);
                put_addr(&mut w, field::ADDR_B, field::ADDR_B_HI, w_addr);
                put_addr(&mut w, field::ADDR_C, field::ADDR_C_HI, out_addr);
            }
            Instr::ComputeRs {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
                pass,
            } => {
                put(&mut w, field::OP, op::COMPUTE.into());
                put(&mut w, field::FLAGS, accumulate as u64);
                put(&mut w, field::COUNT, len.into());
                put_addr(&mut w, field::ADDR_A, field::ADDR_A_HI, in_addr);
                put_addr(&mut w, field::ADDR_B, field::ADDR_B_HI, w_addr);
                put_addr(&mut w, field::ADDR_C, field::ADDR_C_HI, out_addr);
                put(&mut w, field::RS_STEPS, pass.steps.into());
                put(&mut w, field::RS_BLOCK_ROWS, pass.block_rows.into());
                put(&mut w, field::RS_BLOCKS, pass.blocks.into());
                put(&mut w, field::RS_ROW_STEP, pass.row_step.into());
            }
            Instr::Sync { mask } => {
                put(&mut w, field::OP, op::SYNC.into());
                put(&mut w, field::FLAGS, mask.into());
            }
            Instr::Gather {
                target,
                count,
                sram_addr,
                pos,
            } => {
                put(&mut w, field::OP, op::LOAD.into());
                put(
                    &mut w,
                    field::FLAGS,
                    target as u64 | u64::from(field::GATHER_BIT),
                );
                put(&mut w, field::COUNT, count.into());
                put_addr(&mut w, field::ADDR_A, field::ADDR_A_HI, sram_addr);
                put(&mut w, field::G_N, pos.n.into());
                put(&mut w, field::G_OH, pos.oh.into());
                put(&mut w, field::G_OW, pos.ow.into());
                put(&mut w, field::G_KH, pos.kh.into());
                put(&mut w, field::G_KW, pos.kw.into());
                put(&mut w, field::G_C, pos.c.into());
            }
            Instr::Config(Config::Tensor {
                base,
                h,
                w: width,
                cs,
                ow,
                oh,
            }) => {
                put(&mut w, field::OP, op::CONFIG.into());
                put(&mut w, field::FLAGS, 0);
                put(&mut w, field::T_BASE, base.into());
                put(&mut w, field::T_H, h.into());
                put(&mut w, field::T_W, width.into());
                put(&mut w, field::T_CS, cs.into());
                put(&mut w, field::T_OW, ow.into());
                put(&mut w, field::T_OH, oh.into());
            }
            Instr::Config(Config::Window {
                stride,
                dilation,
                pad,
                kw,
                cg,
            }) => {
                put(&mut w, field::OP, op::CONFIG.into());
                put(&mut w, field::FLAGS, 1);
                put(&mut w, field::W_SH, stride[0].into());
                put(&mut w, field::W_SW, stride[1].into());
                put(&mut w, field::W_DH, dilation[0].into());
                put(&mut w, field::W_DW, dilation[1].into());
                put(&mut w, field::W_PT, pad[0].into());
                put(&mut w, field::W_PL, pad[1].into());
                put(&mut w, field::W_KW, kw.into());
                put(&mut w, field::W_CG, cg.into());
            }
        }
        w
    }

    /// The opcode's name, as trace events print it.
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Instr::Halt => "HALT",
            Instr::Load { .. } => "LOAD",
            Instr::Store { .. } => "STORE",
            Instr::Compute { .. } | Instr::ComputeRs { .. } => "COMPUTE",
            Instr::Sync { .. } => "SYNC",
            Instr::Gather { .. } => "LOAD",
            Instr::Config(_) => "CONFIG",
        }
    }

    /// Decode a word; rejects unknown opcodes, bad flags and non-zero unused bits.
    pub fn decode(w: u128) -> Result<Instr> {
        let opc = get(w, field::OP) as u8;
        let flags = get(w, field::FLAGS) as u8;
        let count = get(w, field::COUNT) as u16;
        let dram_addr = get(w, field::DRAM_ADDR) as u32;
        let a = get_addr(w, field::ADDR_A, field::ADDR_A_HI);
        let b = get_addr(w, field::ADDR_B, field::ADDR_B_HI);
        let c = get_addr(w, field::ADDR_C, field::ADDR_C_HI);
        let i = match opc {
            op::HALT => Instr::Halt,
            op::LOAD => {
                if flags > 3 {
                    return Err(Diagnostic::new(format!(
                        "LOAD with unknown flags {flags:#x}"
                    )));
                }
                let target = if flags & 1 == 1 {
                    LoadTarget::Weight
                } else {
                    LoadTarget::Input
                };
                if flags & field::GATHER_BIT != 0 {
                    Instr::Gather {
                        target,
                        count,
                        sram_addr: a,
                        pos: GatherPos {
                            n: get(w, field::G_N) as u16,
                            oh: get(w, field::G_OH) as u16,
                            ow: get(w, field::G_OW) as u16,
                            kh: get(w, field::G_KH) as u8,
                            kw: get(w, field::G_KW) as u8,
                            c: get(w, field::G_C) as u16,
                        },
                    }
                } else {
                    Instr::Load {
                        target,
                        count,
                        dram_addr,
                        sram_addr: a,
                    }
                }
            }
            op::CONFIG => match flags {
                0 => Instr::Config(Config::Tensor {
                    base: get(w, field::T_BASE) as u32,
                    h: get(w, field::T_H) as u16,
                    w: get(w, field::T_W) as u16,
                    cs: get(w, field::T_CS) as u16,
                    ow: get(w, field::T_OW) as u16,
                    oh: get(w, field::T_OH) as u16,
                }),
                1 => Instr::Config(Config::Window {
                    stride: [get(w, field::W_SH) as u8, get(w, field::W_SW) as u8],
                    dilation: [get(w, field::W_DH) as u8, get(w, field::W_DW) as u8],
                    pad: [get(w, field::W_PT) as u8, get(w, field::W_PL) as u8],
                    kw: get(w, field::W_KW) as u8,
                    cg: get(w, field::W_CG) as u16,
                }),
                f => return Err(Diagnostic::new(format!("CONFIG of unknown register {f}"))),
            },
            op::STORE => Instr::Store {
                count,
                dram_addr,
                sram_addr: a,
            },
            op::COMPUTE => {
                if flags > 1 {
                    return Err(Diagnostic::new(format!(
                        "COMPUTE with unknown flags {flags:#x}"
                    )));
                }
                let steps = get(w, field::RS_STEPS) as u8;
                if steps == 0 {
                    Instr::Compute {
                        len: count,
                        in_addr: a,
                        w_addr: b,
                        out_addr: c,
                        accumulate: flags == 1,
                    }
                } else {
                    Instr::ComputeRs {
                        len: count,
                        in_addr: a,
                        w_addr: b,
                        out_addr: c,
                        accumulate: flags == 1,
                        pass: RsPass {
                            steps,
                            block_rows: get(w, field::RS_BLOCK_ROWS) as u8,
                            blocks: get(w, field::RS_BLOCKS) as u8,
                            row_step: get(w, field::RS_ROW_STEP) as u8,
                        },
                    }
                }
            }
            op::SYNC => {
                if flags > unit::ALL {
                    return Err(Diagnostic::new(format!(
                        "SYNC with unknown unit mask {flags:#x}"
                    )));
                }
                Instr::Sync { mask: flags }
            }
            o => return Err(Diagnostic::new(format!("unknown opcode {o}"))),
        };
        if i.encode() != w {
            return Err(Diagnostic::new(format!(
                "instruction {w:#034x} has bits set outside its fields"
            )));
        }
        Ok(i)
    }
}

impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Instr::Halt => write!(f, "HALT"),
            Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            } => {
                let b = match target {
                    LoadTarget::Input => "in",
                    LoadTarget::Weight => "wt",
                };
                write!(
                    f,
                    "LOAD    {b}[{sram_addr}..+{count}] <- dram[{dram_addr:#x}]"
                )
            }
            Instr::Store {
                count,
                dram_addr,
                sram_addr,
            } => {
                write!(
                    f,
                    "STORE   dram[{dram_addr:#x}] <- acc[{sram_addr}..+{count}]"
                )
            }
            Instr::Compute {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
            } => write!(
                f,
                "COMPUTE acc[{out_addr}..] {} in[{in_addr}..+{len}] x wt[{w_addr}..]",
                if accumulate { "+=" } else { "=" }
            ),
            Instr::ComputeRs {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
                pass,
            } => {
                let (t, b) = (u32::from(pass.steps), u32::from(pass.blocks));
                write!(
                    f,
                    "COMPUTE acc[{out_addr}..+{}] {} rs(T={t}, H={}, B={b}, step={}) \
                     in[{in_addr}..+{}] x wt[{w_addr}..+{t}]",
                    u32::from(len) * b,
                    if accumulate { "+=" } else { "=" },
                    pass.block_rows,
                    pass.row_step,
                    u32::from(len) * t,
                )
            }
            Instr::Sync { mask } => {
                let mut units = vec![];
                if mask & unit::DMA != 0 {
                    units.push("dma");
                }
                if mask & unit::COMPUTE != 0 {
                    units.push("compute");
                }
                if mask & unit::PREV_COMPUTE != 0 {
                    units.push("prev_compute");
                }
                if mask & unit::PREV_STREAM != 0 {
                    units.push("prev_stream");
                }
                write!(f, "SYNC    {}", units.join(","))
            }
            Instr::Gather {
                target,
                count,
                sram_addr,
                pos,
            } => {
                let b = match target {
                    LoadTarget::Input => "in",
                    LoadTarget::Weight => "wt",
                };
                write!(
                    f,
                    "LOAD    {b}[{sram_addr}..+{count}] <- im2col n{} oh{} ow{} kh{} kw{} c{}",
                    pos.n, pos.oh, pos.ow, pos.kh, pos.kw, pos.c
                )
            }
            Instr::Config(Config::Tensor {
                base,
                h,
                w,
                cs,
                ow,
                oh,
            }) => write!(
                f,
                "CONFIG  tensor base={base:#x} {h}x{w}x{cs} out {oh}x{ow}"
            ),
            Instr::Config(Config::Window {
                stride,
                dilation,
                pad,
                kw,
                cg,
            }) => write!(
                f,
                "CONFIG  window s{}x{} d{}x{} p{}x{} kw{kw} cg{cg}",
                stride[0], stride[1], dilation[0], dilation[1], pad[0], pad[1]
            ),
        }
    }
}

/// A lowered program: what both the simulator and the RTL execute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub instrs: Vec<Instr>,
}

impl Program {
    pub fn encode(&self) -> Vec<u128> {
        self.instrs.iter().map(Instr::encode).collect()
    }
    pub fn decode(words: &[u128]) -> Result<Program> {
        let instrs = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                Instr::decode(*w)
                    .map_err(|e| Diagnostic::new(format!("instruction {i}: {}", e.message)))
            })
            .collect::<Result<_>>()?;
        Ok(Program { instrs })
    }
    /// The program moved to a DRAM region at byte `offset` (docs/TIMING.md, "Systems"): every
    /// LOAD and STORE `dram_addr` and every CONFIG tensor `base` plus `offset`. Errors when an address
    /// would pass the 32-bit DRAM address space.
    pub fn relocate(&self, offset: u32) -> Result<Program> {
        let add = |a: u32, what: &str, i: usize| {
            a.checked_add(offset).ok_or_else(|| {
                Diagnostic::new(format!(
                    "instruction {i}: {what} {a:#x} + region base {offset:#x} passes the 32-bit DRAM address space"
                ))
            })
        };
        let instrs = self
            .instrs
            .iter()
            .enumerate()
            .map(|(i, ins)| {
                Ok(match *ins {
                    Instr::Load {
                        target,
                        count,
                        dram_addr,
                        sram_addr,
                    } => Instr::Load {
                        target,
                        count,
                        dram_addr: add(dram_addr, "dram_addr", i)?,
                        sram_addr,
                    },
                    Instr::Store {
                        count,
                        dram_addr,
                        sram_addr,
                    } => Instr::Store {
                        count,
                        dram_addr: add(dram_addr, "dram_addr", i)?,
                        sram_addr,
                    },
                    Instr::Config(Config::Tensor {
                        base,
                        h,
                        w,
                        cs,
                        ow,
                        oh,
                    }) => Instr::Config(Config::Tensor {
                        base: add(base, "tensor base", i)?,
                        h,
                        w,
                        cs,
                        ow,
                        oh,
                    }),
                    other => other,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Program { instrs })
    }

    /// Programs run back to back as one (docs/TIMING.md, "Systems"): each one's instructions up to
    /// its HALT, every HALT but the last replaced by a SYNC of both units, which passes in the cycle
    /// that HALT would have completed. Errors on an empty list or a program without a HALT.
    pub fn concat(programs: &[Program]) -> Result<Program> {
        if programs.is_empty() {
            return Err(Diagnostic::new("no program to run"));
        }
        let mut instrs = vec![];
        for (j, p) in programs.iter().enumerate() {
            let h = p
                .instrs
                .iter()
                .position(|i| *i == Instr::Halt)
                .ok_or_else(|| Diagnostic::new(format!("program {j} has no HALT")))?;
            instrs.extend_from_slice(&p.instrs[..h]);
            instrs.push(if j + 1 == programs.len() {
                Instr::Halt
            } else {
                Instr::Sync {
                    mask: unit::DMA | unit::COMPUTE,
                }
            });
        }
        Ok(Program { instrs })
    }

    /// Human-readable listing, one instruction per line with its index.
    pub fn disassemble(&self) -> String {
        self.instrs
            .iter()
            .enumerate()
            .map(|(i, x)| format!("{i:5}  {x}\n"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn relocation_moves_every_dram_address_and_nothing_else() {
        let p = Program {
            instrs: vec![
                Instr::Config(Config::Tensor {
                    base: 16,
                    h: 4,
                    w: 4,
                    cs: 3,
                    ow: 2,
                    oh: 2,
                }),
                Instr::Load {
                    target: LoadTarget::Weight,
                    count: 3,
                    dram_addr: 64,
                    sram_addr: 7,
                },
                Instr::Compute {
                    len: 2,
                    in_addr: 1,
                    w_addr: 2,
                    out_addr: 3,
                    accumulate: true,
                },
                Instr::Store {
                    count: 2,
                    dram_addr: 128,
                    sram_addr: 3,
                },
                Instr::Halt,
            ],
        };
        let q = p.relocate(1000).unwrap();
        assert_eq!(q.instrs[2], p.instrs[2]);
        assert_eq!(q.instrs[4], Instr::Halt);
        assert!(matches!(
            q.instrs[0],
            Instr::Config(Config::Tensor { base: 1016, .. })
        ));
        assert!(matches!(
            q.instrs[1],
            Instr::Load {
                dram_addr: 1064,
                sram_addr: 7,
                ..
            }
        ));
        assert!(matches!(
            q.instrs[3],
            Instr::Store {
                dram_addr: 1128,
                sram_addr: 3,
                ..
            }
        ));
        let e = p.relocate(u32::MAX - 20).unwrap_err();
        assert!(e.message.contains("instruction 1"), "{}", e.message);
    }

    #[test]
    fn concatenation_turns_every_halt_but_the_last_into_a_full_sync() {
        let a = Program {
            instrs: vec![
                Instr::Sync { mask: 1 },
                Instr::Halt,
                Instr::Sync { mask: 2 },
            ],
        };
        let b = Program {
            instrs: vec![Instr::Halt],
        };
        let c = Program::concat(&[a.clone(), b.clone(), a.clone()]).unwrap();
        let full = Instr::Sync {
            mask: unit::DMA | unit::COMPUTE,
        };
        assert_eq!(
            c.instrs,
            vec![
                Instr::Sync { mask: 1 },
                full,
                full,
                Instr::Sync { mask: 1 },
                Instr::Halt
            ]
        );
        assert!(Program::concat(&[]).is_err());
        assert!(Program::concat(&[Program::default()]).is_err());
    }

    fn any_instr() -> impl Strategy<Value = Instr> {
        prop_oneof![
            Just(Instr::Halt),
            (
                any::<bool>(),
                any::<u16>(),
                any::<u32>(),
                0u32..1 << ADDR_BITS
            )
                .prop_map(|(w, count, dram_addr, sram_addr)| {
                    Instr::Load {
                        target: if w {
                            LoadTarget::Weight
                        } else {
                            LoadTarget::Input
                        },
                        count,
                        dram_addr,
                        sram_addr,
                    }
                }),
            (any::<u16>(), any::<u32>(), 0u32..1 << ADDR_BITS).prop_map(
                |(count, dram_addr, sram_addr)| {
                    Instr::Store {
                        count,
                        dram_addr,
                        sram_addr,
                    }
                }
            ),
            (
                any::<u16>(),
                0u32..1 << ADDR_BITS,
                0u32..1 << ADDR_BITS,
                0u32..1 << ADDR_BITS,
                any::<bool>()
            )
                .prop_map(|(len, in_addr, w_addr, out_addr, accumulate)| {
                    Instr::Compute {
                        len,
                        in_addr,
                        w_addr,
                        out_addr,
                        accumulate,
                    }
                }),
            (
                any::<u16>(),
                (
                    0u32..1 << ADDR_BITS,
                    0u32..1 << ADDR_BITS,
                    0u32..1 << ADDR_BITS
                ),
                any::<bool>(),
                (1u8..=255, any::<u8>(), any::<u8>(), any::<u8>())
            )
                .prop_map(
                    |(len, (in_addr, w_addr, out_addr), accumulate, (t, h, b, st))| {
                        Instr::ComputeRs {
                            len,
                            in_addr,
                            w_addr,
                            out_addr,
                            accumulate,
                            pass: RsPass {
                                steps: t,
                                block_rows: h,
                                blocks: b,
                                row_step: st,
                            },
                        }
                    }
                ),
            (0u8..=unit::ALL).prop_map(|mask| Instr::Sync { mask }),
            (
                any::<bool>(),
                any::<u16>(),
                0u32..1 << ADDR_BITS,
                any::<(u16, u16, u16, u8, u8, u16)>()
            )
                .prop_map(|(w, count, sram_addr, (n, oh, ow, kh, kw, c))| {
                    Instr::Gather {
                        target: if w {
                            LoadTarget::Weight
                        } else {
                            LoadTarget::Input
                        },
                        count,
                        sram_addr,
                        pos: GatherPos {
                            n,
                            oh,
                            ow,
                            kh,
                            kw,
                            c,
                        },
                    }
                }),
            any::<(u32, u16, u16, u16, u16, u16)>().prop_map(|(base, h, w, cs, ow, oh)| {
                Instr::Config(Config::Tensor {
                    base,
                    h,
                    w,
                    cs,
                    ow,
                    oh,
                })
            }),
            any::<([u8; 2], [u8; 2], [u8; 2], u8, u16)>().prop_map(
                |(stride, dilation, pad, kw, cg)| {
                    Instr::Config(Config::Window {
                        stride,
                        dilation,
                        pad,
                        kw,
                        cg,
                    })
                }
            ),
        ]
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(i in any_instr()) {
            prop_assert_eq!(Instr::decode(i.encode()).unwrap(), i);
        }
    }

    /// The pass's legality is the contract's list (docs/TIMING.md, "Compute unit:
    /// row-stationary"), and its offsets, blocks and busy length follow the formulas.
    #[test]
    fn row_stationary_passes() {
        let pass = |steps, block_rows, blocks, row_step| RsPass {
            steps,
            block_rows,
            blocks,
            row_step,
        };
        // 6 rows, register files of 9
        assert!(pass(9, 3, 2, 1).check(6, 9).is_ok());
        assert!(pass(2, 3, 2, 2).check(6, 9).is_ok()); // (H-1)·step = 4 ≤ 5
        assert!(pass(10, 3, 2, 1).check(6, 9).is_err()); // T > F
        assert!(pass(0, 3, 2, 1).check(6, 9).is_err());
        assert!(pass(9, 4, 2, 1).check(6, 9).is_err()); // B·H > R
        assert!(pass(9, 0, 2, 1).check(6, 9).is_err());
        assert!(pass(9, 3, 0, 1).check(6, 9).is_err());
        assert!(pass(9, 3, 2, 3).check(6, 9).is_err()); // (H-1)·step = 6 > 5
        assert!(pass(1, 3, 2, 1).check(6, 9).is_err()); // B > T
        let p = pass(4, 3, 2, 2);
        assert_eq!(
            (0..6).map(|r| p.offset(r)).collect::<Vec<_>>(),
            [0, 2, 4, 0, 2, 4]
        );
        assert_eq!(
            (0..7).map(|r| p.block_of(r)).collect::<Vec<_>>(),
            [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1), None]
        );
        // T·(E + 1) + B + 2
        assert_eq!(p.busy(5), 4 * 6 + 2 + 2);
        // a COMPUTE with steps = 0 decodes as any other array's
        let w = Instr::Compute {
            len: 3,
            in_addr: 1,
            w_addr: 2,
            out_addr: 3,
            accumulate: false,
        };
        assert!(matches!(
            Instr::decode(w.encode()).unwrap(),
            Instr::Compute { .. }
        ));
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(Instr::decode(0xff).is_err());
        assert!(Instr::decode(1u128 << 127).is_err());
        assert!(Instr::decode(u128::from(op::SYNC) | (0x10 << 8)).is_err());
    }

    /// The SYNC mask fills its 4-bit field: every mask decodes (bit 3, prev_stream, included)
    /// and prints its units.
    #[test]
    fn every_sync_mask_decodes_and_prints() {
        assert_eq!(unit::ALL, 0xf);
        assert_eq!(unit::ALL, (1 << field::FLAGS.1) - 1);
        for mask in 0..=unit::ALL {
            let w = u128::from(op::SYNC) | (u128::from(mask) << field::FLAGS.0);
            assert_eq!(Instr::decode(w).unwrap(), Instr::Sync { mask });
            assert_eq!(Instr::Sync { mask }.encode(), w);
        }
        assert_eq!(
            Instr::Sync {
                mask: unit::PREV_STREAM
            }
            .to_string(),
            "SYNC    prev_stream"
        );
        assert_eq!(
            Instr::Sync { mask: unit::ALL }.to_string(),
            "SYNC    dma,compute,prev_compute,prev_stream"
        );
    }

    #[test]
    fn field_layout_is_as_documented() {
        let w = Instr::Compute {
            len: 5,
            in_addr: 1,
            w_addr: 2,
            out_addr: 3,
            accumulate: true,
        }
        .encode();
        assert_eq!(
            w,
            3 | (1 << 8) | (5 << 16) | (1 << 64) | (2 << 80) | (3 << 96)
        );
    }
}
