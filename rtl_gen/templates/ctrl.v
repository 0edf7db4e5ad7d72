{% include "header.v" %}

// Controller (docs/TIMING.md, "Controller"). Cycle 0 is the first cycle after `start`. Each cycle,
// while running, it looks at instr = the head of the program queue (the instruction numbered pc) and:
{%- if slots %}
//   LOAD / STORE: if the DMA unit has a free transfer slot (dma_full low), issues it (dma_start high
//                 this cycle) and takes it;
{%- else %}
//   LOAD / STORE: if the DMA unit is not busy, issues it (dma_start high this cycle) and takes it;
{%- endif %}
//   COMPUTE:      if the compute unit can take one (no tile waiting: cmp_full low), issues it (cmp_start);
//   CONFIG:       if the DMA unit is not busy, has the DMA write its gather registers at the end of
//                 this cycle (cfg_we) and takes it;
//   SYNC:         if no unit in the mask is busy, takes it (mask bit 2: every COMPUTE but the last
//                 issued done, cmp_prev_busy low{% if overlap %}; bit 3: every COMPUTE but the last issued has
//                 read its streamed words, cmp_prev_stream_busy low{% endif %});
//   HALT (and every unknown opcode): if no unit is busy, done <= 1 at the end of this cycle.
// Taking an instruction pops it from the queue and increments pc. With the host of the contract the
// queue is never empty while instructions remain; if it were, the controller would wait.
// The field decode is combinational; the units latch the fields at the end of the issue cycle.
// `start` is ignored while running; `done` stays high until the next `start` or reset.
// trace_*: observability outputs for the testbench's event trace, combinational views of this cycle's
// decisions (no register, no effect on timing; low during and after reset since `running` is).
module {{ name }}_ctrl (
    input  wire          clk,
    input  wire          rst,
    input  wire          start,
    output reg           done,
    output reg  [31:0]   pc,
    input  wire          instr_valid,
    input  wire [127:0]  instr,
    output wire          take,
    input  wire          dma_busy,
{%- if slots %}
    input  wire          dma_full,       // the DMA unit has no free transfer slot
{%- endif %}
    input  wire          cmp_busy,       // some COMPUTE issued is not done
    input  wire          cmp_full,       // the compute unit cannot take a COMPUTE this cycle
    input  wire          cmp_prev_busy,  // some COMPUTE but the last issued is not done
{%- if overlap %}
    input  wire          cmp_prev_stream_busy, // some COMPUTE but the last issued still streams
{%- endif %}
    // issue pulses and the decoded fields of instr
    output wire          dma_start,
    output wire          dma_store,
    output wire          cmp_start,
    output wire          cfg_we,
    output wire          f_flag0,     // LOAD: 1 = weight buffer; COMPUTE: accumulate; CONFIG: register
    output wire          f_gather,    // LOAD: gather
    output wire [{{ f_count.top }}:0]   f_count,
    output wire [{{ f_dram_addr.top }}:0]   f_dram_addr,
    output wire [{{ ad.aw - 1 }}:0]   f_addr_a,
    output wire [{{ ad.aw - 1 }}:0]   f_addr_b,
    output wire [{{ ad.aw - 1 }}:0]   f_addr_c,
{%- if rs %}
    // COMPUTE on the row-stationary array: the pass (docs/TIMING.md, "Compute unit: row-stationary")
    output wire [{{ f_steps.top }}:0]    f_steps,
    output wire [{{ f_block_rows.top }}:0]    f_block_rows,
    output wire [{{ f_blocks.top }}:0]    f_blocks,
    output wire [{{ f_row_step.top }}:0]    f_row_step,
{%- endif %}
    // observability
    output wire          trace_issue, // a LOAD, STORE, COMPUTE or CONFIG is taken this cycle
    output wire          trace_halt,  // HALT (or an unknown opcode) completes this cycle
    output wire [{{ f_op.top }}:0]   trace_op     // opcode of instr
);
    // opcodes and unit bits (tessera_arch::isa::op, isa::unit)
    localparam [7:0] OP_HALT    = 8'd{{ op_halt }};
    localparam [7:0] OP_LOAD    = 8'd{{ op_load }};
    localparam [7:0] OP_STORE   = 8'd{{ op_store }};
    localparam [7:0] OP_COMPUTE = 8'd{{ op_compute }};
    localparam [7:0] OP_SYNC    = 8'd{{ op_sync }};
    localparam [7:0] OP_CONFIG  = 8'd{{ op_config }};
    localparam [{{ f_flags.top }}:0] UNIT_DMA     = {{ f_flags.top + 1 }}'d{{ unit_dma }};
    localparam [{{ f_flags.top }}:0] UNIT_COMPUTE = {{ f_flags.top + 1 }}'d{{ unit_compute }};
    localparam [{{ f_flags.top }}:0] UNIT_PREV    = {{ f_flags.top + 1 }}'d{{ unit_prev }};
{%- if overlap %}
    localparam [{{ f_flags.top }}:0] UNIT_PREV_STREAM = {{ f_flags.top + 1 }}'d{{ unit_prev_stream }};
{%- endif %}
    localparam [{{ f_flags.top }}:0] GATHER       = {{ f_flags.top + 1 }}'d{{ gather_bit }};

    // instruction fields (tessera_arch::isa::field); the DMA decodes the gather and CONFIG fields
    wire [{{ f_op.top }}:0] opcode = instr[{{ f_op.msb }}:{{ f_op.lsb }}];
    wire [{{ f_flags.top }}:0] f_flags = instr[{{ f_flags.msb }}:{{ f_flags.lsb }}];
    assign f_flag0     = f_flags[0];
    assign f_gather    = (f_flags & GATHER) != {{ f_flags.top + 1 }}'d0;
    assign f_count     = instr[{{ f_count.msb }}:{{ f_count.lsb }}];
    assign f_dram_addr = instr[{{ f_dram_addr.msb }}:{{ f_dram_addr.lsb }}];
    assign f_addr_a    = {{ dec_a }};
    assign f_addr_b    = {{ dec_b }};
    assign f_addr_c    = {{ dec_c }};
{%- if rs %}
    assign f_steps      = instr[{{ f_steps.msb }}:{{ f_steps.lsb }}];
    assign f_block_rows = instr[{{ f_block_rows.msb }}:{{ f_block_rows.lsb }}];
    assign f_blocks     = instr[{{ f_blocks.msb }}:{{ f_blocks.lsb }}];
    assign f_row_step   = instr[{{ f_row_step.msb }}:{{ f_row_step.lsb }}];
{%- endif %}
{%- if !unused_bits.is_empty() %}
{%- for n in unused_notes %}
    // {{ n }}
{%- endfor %}
    wire unused_instr_bits = ^{{ unused_bits }};
{%- endif %}

    reg running;

    wire is_load    = opcode == OP_LOAD;
    wire is_store   = opcode == OP_STORE;
    wire is_compute = opcode == OP_COMPUTE;
    wire is_sync    = opcode == OP_SYNC;
    wire is_config  = opcode == OP_CONFIG;
    // OP_HALT, and every unknown opcode, which the contract treats as HALT
    wire is_halt    = opcode == OP_HALT || !(is_load || is_store || is_compute || is_sync || is_config);
    wire sync_wait  = ((f_flags & UNIT_DMA) != {{ f_flags.top + 1 }}'d0 && dma_busy)
                   || ((f_flags & UNIT_COMPUTE) != {{ f_flags.top + 1 }}'d0 && cmp_busy)
                   || ((f_flags & UNIT_PREV) != {{ f_flags.top + 1 }}'d0 && cmp_prev_busy){% if overlap %}
                   || ((f_flags & UNIT_PREV_STREAM) != {{ f_flags.top + 1 }}'d0 && cmp_prev_stream_busy){% endif %};
    wire live       = running && instr_valid;

    assign dma_start = live && (is_load || is_store) && !dma_{% if slots %}full{% else %}busy{% endif %};
    assign dma_store = is_store;
    assign cmp_start = live && is_compute && !cmp_full;
    assign cfg_we    = live && is_config && !dma_busy;
    wire sync_done = live && is_sync && !sync_wait;
    wire halt_done = live && is_halt && !dma_busy && !cmp_busy;
    assign take = dma_start || cmp_start || cfg_we || sync_done;

    assign trace_issue = dma_start || cmp_start || cfg_we;
    assign trace_halt  = halt_done;
    assign trace_op    = opcode;

    always @(posedge clk) begin
        if (rst) begin
            running <= 1'b0;
            done    <= 1'b0;
            pc      <= 32'd0;
        end else if (start && !running) begin
            running <= 1'b1;
            done    <= 1'b0;
            pc      <= 32'd0;
        end else if (running) begin
            if (take) pc <= pc + 32'd1;
            if (halt_done) begin
                running <= 1'b0;
                done    <= 1'b1;
            end
        end
    end
endmodule

