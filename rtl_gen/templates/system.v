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
{%- if lanes > 1 %}
//   Several words per cycle: the read requests and words have {{ lanes }} lanes (the most
//   dram.words_per_cycle = P of a sub; lane j of each field in bits [j*w +: w]; mem_rd_req_valid,
//   _last and mem_rd_valid one bit per lane; mem_rd_req_bytes and the ids one for all lanes);
{%- if st_lanes > 1 %}
//   the write beats have {{ st_lanes }} lanes (the most store lanes S of a sub; mem_wr_valid and _last one bit
//   per lane, mem_wr_addr and _data per lane, mem_wr_bytes and the id one for all).
{%- else %}
//   the write beats keep one lane (every sub's S is 1).
{%- endif %}
//   A sub with P lanes (S write lanes) uses lanes 0 .. P-1 (0 .. S-1), the words of one cycle of
//   its granted transfer on lanes 0 .. q-1; the lanes of a cycle carry one transfer's words, so one
//   id per cycle names their sub.
{%- endif %}
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
{%- if lanes > 1 %}
    output wire [{{ lanes - 1 }}:0]    mem_rd_req_valid,
    output wire [{{ 32 * lanes - 1 }}:0]  mem_rd_req_addr,
    output wire [{{ 32 * lanes - 1 }}:0]  mem_rd_req_stride,
    output wire [{{ 16 * lanes - 1 }}:0]  mem_rd_req_first,
    output wire [{{ 16 * lanes - 1 }}:0]  mem_rd_req_count,
    output wire [15:0]   mem_rd_req_bytes,
    output wire [{{ lanes - 1 }}:0]    mem_rd_req_last,
    output wire [{{ id_bits - 1 }}:0]    mem_rd_req_id,
    input  wire [{{ lanes - 1 }}:0]    mem_rd_valid,
    input  wire [{{ 8 * bus_bytes * lanes - 1 }}:0] mem_rd_data,
    input  wire [{{ id_bits - 1 }}:0]    mem_rd_id,
{%- else %}
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
{%- endif %}
{%- if st_lanes > 1 %}
    output wire [{{ st_lanes - 1 }}:0]    mem_wr_valid,
    output wire [{{ 32 * st_lanes - 1 }}:0]  mem_wr_addr,
    output wire [{{ 8 * bus_bytes * st_lanes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output wire [{{ st_lanes - 1 }}:0]    mem_wr_last,
    output wire [{{ id_bits - 1 }}:0]    mem_wr_id,
{%- else %}
    output wire          mem_wr_valid,
    output wire [31:0]   mem_wr_addr,
    output wire [{{ 8 * bus_bytes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output wire          mem_wr_last,
    output wire [{{ id_bits - 1 }}:0]    mem_wr_id,
{%- endif %}
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
{%- if lanes > 1 %}
    // ({{ s.lanes }} read lane(s): the port's lanes 0 .. {{ s.lanes - 1 }})
    wire [{{ s.lanes - 1 }}:0]    s{{ s.idx }}_rd_req_valid;
    wire [{{ 32 * s.lanes - 1 }}:0]   s{{ s.idx }}_rd_req_addr;
    wire [{{ 32 * s.lanes - 1 }}:0]   s{{ s.idx }}_rd_req_stride;
    wire [{{ 16 * s.lanes - 1 }}:0]   s{{ s.idx }}_rd_req_first;
    wire [{{ 16 * s.lanes - 1 }}:0]   s{{ s.idx }}_rd_req_count;
    wire [15:0]   s{{ s.idx }}_rd_req_bytes;
    wire [{{ s.lanes - 1 }}:0]    s{{ s.idx }}_rd_req_last;
{%- else %}
    wire          s{{ s.idx }}_rd_req_valid;
    wire [31:0]   s{{ s.idx }}_rd_req_addr;
    wire [31:0]   s{{ s.idx }}_rd_req_stride;
    wire [15:0]   s{{ s.idx }}_rd_req_first;
    wire [15:0]   s{{ s.idx }}_rd_req_count;
    wire [15:0]   s{{ s.idx }}_rd_req_bytes;
    wire          s{{ s.idx }}_rd_req_last;
{%- endif %}
{%- if st_lanes > 1 %}
    // ({{ s.st_lanes }} write lane(s): the port's lanes 0 .. {{ s.st_lanes - 1 }})
    wire [{{ s.st_lanes - 1 }}:0]    s{{ s.idx }}_wr_valid;
    wire [{{ 32 * s.st_lanes - 1 }}:0]   s{{ s.idx }}_wr_addr;
    wire [{{ 8 * s.bus_bytes * s.st_lanes - 1 }}:0] s{{ s.idx }}_wr_data;
    wire [15:0]   s{{ s.idx }}_wr_bytes;
    wire [{{ s.st_lanes - 1 }}:0]    s{{ s.idx }}_wr_last;
{%- else %}
    wire          s{{ s.idx }}_wr_valid;
    wire [31:0]   s{{ s.idx }}_wr_addr;
    wire [{{ 8 * s.bus_bytes - 1 }}:0] s{{ s.idx }}_wr_data;
    wire [15:0]   s{{ s.idx }}_wr_bytes;
    wire          s{{ s.idx }}_wr_last;
{%- endif %}
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
{%- if lanes > 1 %}
        .mem_rd_valid      (mem_rd_valid[{{ s.lanes - 1 }}:0] & {{ "{" }}{{ s.lanes }}{mem_rd_id == {{ id_bits }}'d{{ s.idx }}}}),
        .mem_rd_data       ({{ "{" }}{% for j in s.lanes_rev %}mem_rd_data[{{ 8 * bus_bytes * j }} +: {{ 8 * s.bus_bytes }}]{% if !loop.last %}, {% endif %}{% endfor %}}),
{%- else %}
        .mem_rd_valid      (mem_rd_valid && mem_rd_id == {{ id_bits }}'d{{ s.idx }}),
        .mem_rd_data       (mem_rd_data[{{ 8 * s.bus_bytes - 1 }}:0]),
{%- endif %}
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
{%- if lanes > 1 %}
    // read lane j: the OR of the subs that have it, each masked by its valid
{%- for l in rd_lanes %}
    assign mem_rd_req_valid[{{ l.j }}]  ={% for s in l.subs %} s{{ s.idx }}_rd_req_valid[{{ l.j }}]{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_rd_req_addr[{{ 32 * l.j }} +: 32]   ={% for s in l.subs %} ({32{s{{ s.idx }}_rd_req_valid[{{ l.j }}]}} & s{{ s.idx }}_rd_req_addr[{{ 32 * l.j }} +: 32]){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_stride[{{ 32 * l.j }} +: 32] ={% for s in l.subs %} ({32{s{{ s.idx }}_rd_req_valid[{{ l.j }}]}} & s{{ s.idx }}_rd_req_stride[{{ 32 * l.j }} +: 32]){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_first[{{ 16 * l.j }} +: 16]  ={% for s in l.subs %} ({16{s{{ s.idx }}_rd_req_valid[{{ l.j }}]}} & s{{ s.idx }}_rd_req_first[{{ 16 * l.j }} +: 16]){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_count[{{ 16 * l.j }} +: 16]  ={% for s in l.subs %} ({16{s{{ s.idx }}_rd_req_valid[{{ l.j }}]}} & s{{ s.idx }}_rd_req_count[{{ 16 * l.j }} +: 16]){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_last[{{ l.j }}]   ={% for s in l.subs %} s{{ s.idx }}_rd_req_last[{{ l.j }}] && s{{ s.idx }}_rd_req_valid[{{ l.j }}]{% if !loop.last %} ||{% endif %}{% endfor %};
{%- endfor %}
    assign mem_rd_req_bytes  ={% for s in subs %} ({16{|s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_id     ={% for s in subs %} (|s{{ s.idx }}_rd_req_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
    // a sub reads the low bytes of its lanes; the bytes above the narrower subs' words go unused
    wire unused_rd_data = ^mem_rd_data;
{%- else %}
    assign mem_rd_req_valid  ={% for s in subs %} s{{ s.idx }}_rd_req_valid{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_rd_req_addr   ={% for s in subs %} ({32{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_addr){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_stride ={% for s in subs %} ({32{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_stride){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_first  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_first){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_count  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_count){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_bytes  ={% for s in subs %} ({16{s{{ s.idx }}_rd_req_valid}} & s{{ s.idx }}_rd_req_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_rd_req_last   ={% for s in subs %} (s{{ s.idx }}_rd_req_valid && s{{ s.idx }}_rd_req_last){% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_rd_req_id     ={% for s in subs %} (s{{ s.idx }}_rd_req_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
{%- endif %}
{%- if st_lanes > 1 %}
    // write lane j: the OR of the subs that have it, each masked by its valid
{%- for l in wr_lanes %}
    assign mem_wr_valid[{{ l.j }}]      ={% for s in l.subs %} s{{ s.idx }}_wr_valid[{{ l.j }}]{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_wr_addr[{{ 32 * l.j }} +: 32]   ={% for s in l.subs %} ({32{s{{ s.idx }}_wr_valid[{{ l.j }}]}} & s{{ s.idx }}_wr_addr[{{ 32 * l.j }} +: 32]){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_data[{{ 8 * bus_bytes * l.j }} +: {{ 8 * bus_bytes }}] ={% for s in l.subs %} ({{ "{" }}{{ 8 * bus_bytes }}{s{{ s.idx }}_wr_valid[{{ l.j }}]}} & {% if s.bus_bytes < bus_bytes %}{ {{ 8 * (bus_bytes - s.bus_bytes) }}'d0, s{{ s.idx }}_wr_data[{{ 8 * s.bus_bytes * l.j }} +: {{ 8 * s.bus_bytes }}]}{% else %}s{{ s.idx }}_wr_data[{{ 8 * s.bus_bytes * l.j }} +: {{ 8 * s.bus_bytes }}]{% endif %}){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_last[{{ l.j }}]       ={% for s in l.subs %} s{{ s.idx }}_wr_last[{{ l.j }}] && s{{ s.idx }}_wr_valid[{{ l.j }}]{% if !loop.last %} ||{% endif %}{% endfor %};
{%- endfor %}
    assign mem_wr_bytes      ={% for s in subs %} ({16{|s{{ s.idx }}_wr_valid}} & s{{ s.idx }}_wr_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_id         ={% for s in subs %} (|s{{ s.idx }}_wr_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
{%- else %}
    assign mem_wr_valid      ={% for s in subs %} s{{ s.idx }}_wr_valid{% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_wr_addr       ={% for s in subs %} ({32{s{{ s.idx }}_wr_valid}} & s{{ s.idx }}_wr_addr){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_data       ={% for s in subs %} ({{ "{" }}{{ 8 * bus_bytes }}{s{{ s.idx }}_wr_valid}} & {% if s.bus_bytes < bus_bytes %}{ {{ 8 * (bus_bytes - s.bus_bytes) }}'d0, s{{ s.idx }}_wr_data}{% else %}s{{ s.idx }}_wr_data{% endif %}){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_bytes      ={% for s in subs %} ({16{s{{ s.idx }}_wr_valid}} & s{{ s.idx }}_wr_bytes){% if !loop.last %} |{% endif %}{% endfor %};
    assign mem_wr_last       ={% for s in subs %} (s{{ s.idx }}_wr_valid && s{{ s.idx }}_wr_last){% if !loop.last %} ||{% endif %}{% endfor %};
    assign mem_wr_id         ={% for s in subs %} (s{{ s.idx }}_wr_valid ? {{ id_bits }}'d{{ s.idx }} : {{ id_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
{%- endif %}
endmodule

