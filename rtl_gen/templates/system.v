{% include "sys_header.v" %}

// System top: {{ n }} sub-accelerator(s), each a complete accelerator (its own program queue,
// controller, DMA unit, compute unit and buffers; module `<arch>_top`), and the arbiter of the one
// DRAM channel their DMA units share (docs/TIMING.md, "Systems: sub-accelerators sharing one DRAM
// channel"). They share the clock, the reset and `start`: cycle 0 is the first cycle after `start`
// for all of them.
//
// Ports:
//   clk, rst, start                  shared
//   prog_valid_s/data_s/ready_s      sub-accelerator s's program stream (as a single top's)
//   done_s                           high from sub-accelerator s's cycle h+1 on
//   DRAM port (the single top's, plus ids; data buses of {{ bus_bytes }} bytes, the widest sub's; a narrower
//   sub's write data is zero-extended and its read data is the low bytes):
//     mem_rd_req_* , mem_rd_req_id   a read request and the index of the sub-accelerator making it
//     mem_rd_valid/data, mem_rd_id   a read word and the index of the sub-accelerator it returns to
//     mem_wr_* , mem_wr_id           a write beat and the index of the sub-accelerator making it
//     mem_wr_ack, mem_wr_ack_id      a write acknowledgement and the index it returns to
//   Only the granted transfer presents requests or beats (the channel is held for its whole
//   request or beat stream), so the port is the OR of every sub's, each masked by its valid.
//
// What is modelled: the contract's transfer-level FIFO arbitration and the routing of responses by
// id. What is left out: the DRAM (the testbench's memory model), arbitration finer than a transfer,
// per-sub DRAM channels or address checks (regions are the host's relocation).
module {{ name }}_system (
    input  wire          clk,
    input  wire          rst,
    input  wire          start,
{%- for s in subs %}
    input  wire          prog_valid_{{ s.idx }},
    input  wire [127:0]  prog_data_{{ s.idx }},
    output wire          prog_ready_{{ s.idx }},
    output wire          done_{{ s.idx }},
{%- endfor %}
    output wire          mem_rd_req_valid,
    output wire [31:0]   mem_rd_req_addr,
    output wire [31:0]   mem_rd_req_stride,
    output wire [15:0]   mem_rd_req_first,
    output wire [15:0]   mem_rd_req_count,
    output wire [15:0]   mem_rd_req_bytes,
    output wire          mem_rd_req_last,
    output wire [{{ id_bits - 1 }}:0]    mem_rd_req_id,
    input  wire          mem_rd_valid,
    input  wire [{{ 8 * bus_bytes - 1 }}:0] mem_rd_data,
    input  wire [{{ id_bits - 1 }}:0]    mem_rd_id,
    output wire          mem_wr_valid,
    output wire [31:0]   mem_wr_addr,
    output wire [{{ 8 * bus_bytes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output wire          mem_wr_last,
    output wire [{{ id_bits - 1 }}:0]    mem_wr_id,
    input  wire          mem_wr_ack,
    input  wire [{{ id_bits - 1 }}:0]    mem_wr_ack_id
);
    wire [{{ n - 1 }}:0] issue;
    wire [{{ n - 1 }}:0] want;
    wire [{{ n - 1 }}:0] hold;
    wire [{{ n - 1 }}:0] grant;

    {{ name }}_arbiter u_arbiter (
        .clk   (clk),
        .rst   (rst),
        .issue (issue),
        .want  (want),
        .hold  (hold),
        .grant (grant)
    );
{%- for s in subs %}

    // ---------------------------------------------------------------- sub-accelerator {{ s.idx }}: {{ s.arch }}
    wire          s{{ s.idx }}_rd_req_valid;
    wire [31:0]   s{{ s.idx }}_rd_req_addr;
    wire [31:0]   s{{ s.idx }}_rd_req_stride;
    wire [15:0]   s{{ s.idx }}_rd_req_first;
    wire [15:0]   s{{ s.idx }}_rd_req_count;
    wire [15:0]   s{{ s.idx }}_rd_req_bytes;
    wire          s{{ s.idx }}_rd_req_last;
    wire          s{{ s.idx }}_wr_valid;
    wire [31:0]   s{{ s.idx }}_wr_addr;
    wire [{{ 8 * s.bus_bytes - 1 }}:0] s{{ s.idx }}_wr_data;
    wire [15:0]   s{{ s.idx }}_wr_bytes;
    wire          s{{ s.idx }}_wr_last;
    wire          s{{ s.idx }}_issue;
    wire          s{{ s.idx }}_want;
    wire          s{{ s.idx }}_hold;
    // the single top's observability outputs are not used by the system
    wire          s{{ s.idx }}_trace_issue;
    wire [31:0]   s{{ s.idx }}_trace_pc;
    wire [7:0]    s{{ s.idx }}_trace_op;
    wire          s{{ s.idx }}_trace_halt;
    wire          s{{ s.idx }}_trace_dma_done;
    wire          s{{ s.idx }}_trace_cmp_done;
    wire unused_s{{ s.idx }}_trace = ^{s{{ s.idx }}_trace_issue, s{{ s.idx }}_trace_pc, s{{ s.idx }}_trace_op,
                               s{{ s.idx }}_trace_halt, s{{ s.idx }}_trace_dma_done, s{{ s.idx }}_trace_cmp_done};
    assign issue[{{ s.idx }}] = s{{ s.idx }}_issue;
    assign want[{{ s.idx }}]  = s{{ s.idx }}_want;
    assign hold[{{ s.idx }}]  = s{{ s.idx }}_hold;

    {{ s.arch }}_top u_sub_{{ s.idx }} (
        .clk               (clk),
        .rst               (rst),
        .prog_valid        (prog_valid_{{ s.idx }}),
        .prog_data         (prog_data_{{ s.idx }}),
        .prog_ready        (prog_ready_{{ s.idx }}),
        .start             (start),
        .done              (done_{{ s.idx }}),
        .mem_rd_req_valid  (s{{ s.idx }}_rd_req_valid),
        .mem_rd_req_addr   (s{{ s.idx }}_rd_req_addr),
        .mem_rd_req_stride (s{{ s.idx }}_rd_req_stride),
        .mem_rd_req_first  (s{{ s.idx }}_rd_req_first),
        .mem_rd_req_count  (s{{ s.idx }}_rd_req_count),
        .mem_rd_req_bytes  (s{{ s.idx }}_rd_req_bytes),
        .mem_rd_req_last   (s{{ s.idx }}_rd_req_last),
        .mem_rd_valid      (mem_rd_valid && mem_rd_id == {{ id_bits }}'d{{ s.idx }}),
        .mem_rd_data       (mem_rd_data[{{ 8 * s.bus_bytes - 1 }}:0]),
        .mem_wr_valid      (s{{ s.idx }}_wr_valid),
        .mem_wr_addr       (s{{ s.idx }}_wr_addr),
        .mem_wr_data       (s{{ s.idx }}_wr_data),
        .mem_wr_bytes      (s{{ s.idx }}_wr_bytes),
        .mem_wr_last       (s{{ s.idx }}_wr_last),
        .mem_wr_ack        (mem_wr_ack && mem_wr_ack_id == {{ id_bits }}'d{{ s.idx }}),
        .dram_issue        (s{{ s.idx }}_issue),
        .dram_want         (s{{ s.idx }}_want),
        .dram_hold         (s{{ s.idx }}_hold),
        .dram_grant        (grant[{{ s.idx }}]),
        .trace_issue       (s{{ s.idx }}_trace_issue),
        .trace_pc          (s{{ s.idx }}_trace_pc),
        .trace_op          (s{{ s.idx }}_trace_op),
        .trace_halt        (s{{ s.idx }}_trace_halt),
        .trace_dma_done    (s{{ s.idx }}_trace_dma_done),
        .trace_cmp_done    (s{{ s.idx }}_trace_cmp_done)
    );
{%- endfor %}

    // ---------------------------------------------------------------- the one DRAM port
    assign mem_rd_req_valid  ={% for s in subs %} s{{ s.idx }}_rd_req_valid{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_rd_req_addr   ={% for s in subs %} ({32{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_addr){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_stride ={% for s in subs %} ({32{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_stride){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_first  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_first){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_count  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_count){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_bytes  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_last   ={% for s in subs %} (s{{ s.idx }}_rd_req_valid && s{{ s.idx }}_rd_req_last){% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_rd_req_id     ={% for s in subs %} (s{{ s.idx }}_rd_req_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_valid      ={% for s in subs %} s{{ s.idx }}_wr_valid{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_wr_addr       ={% for s in subs %} ({32{s{{ s.idx }}_wr_valid}} & s{{ s.idx }}_wr_addr){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_data       ={% for s in subs %} ({{ "{" }}{{ 8 * bus_bytes }}{s{{ s.idx }}_wr_valid}} & {% if s.bus_bytes < bus_bytes %}{ {{ 8 * (bus_bytes - s.bus_bytes) }}'d0, s{{ s.idx }}_wr_data}{% else %}s{{ s.idx }}_wr_data{% endif %}){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_bytes      ={% for s in subs %} ({16{s{{ s.idx }}_wr_valid}} & s{{ s.idx }}_wr_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_last       ={% for s in subs %} (s{{ s.idx }}_wr_valid && s{{ s.idx }}_wr_last){% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_wr_id         ={% for s in subs %} (s{{ s.idx }}_wr_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
endmodule

