{% include "header.v" %}

// Top level: controller, program queue, DMA unit, compute unit and the three banked buffers.
//
// Ports (docs/TIMING.md):
//   clk, rst               clock; synchronous active-high reset of every register
//   prog_valid/data/ready  the host streams the program, one 128-bit instruction per cycle in which
//                          prog_ready is high (the queue holds {{ queue_depth }}); before `start` it fills the
//                          queue, from `start` on it keeps it filled
//   start                  one-cycle pulse; cycle 0 is the first cycle after it
//   done                   high from cycle h+1 on, h = the cycle HALT completes (cycle count = h+1)
//   DRAM port, driven by the memory model (L = latency, W = bytes per cycle, b = word bytes):
//     mem_rd_req_valid/addr/stride/first/count/bytes/last
//                                        read request i of a LOAD during tau = k_i: bytes
//                                        first .. first+count-1 of the word of `bytes` bytes from
//                                        addr + (j-first)*stride, the others zero; last on the final word
//     mem_rd_valid/data                  the word of each request, L cycles after it (driven by the
//                                        memory), in the low b bytes
//     mem_wr_valid/addr/data/bytes/last  STORE write beat i during tau = k_i + 1; last on the final beat
//     mem_wr_ack                         from the memory, L cycles after the last beat (one cycle)
//   with k_i = max(i, ceil((i+1)*b/W) - 1). The memory data buses are {{ bus_bytes }} bytes wide.
{%- if lanes > 1 %}
//   Several words per cycle (dram.words_per_cycle = P = {{ lanes }}): a LOAD's read requests and words
//   come on {{ lanes }} lanes (lane j of each field in bits [j*w +: w]; mem_rd_req_valid, _last and
//   mem_rd_valid one bit per lane, mem_rd_req_bytes one for all), words i .. i+q-1 of a cycle on lanes
{%- if st_lanes > 1 %}
//   0 .. q-1, with k_i = max(floor(i/P), ceil((i+1)*b/W) - 1) for LOADs and STOREs. A STORE's write beats
//   come on {{ st_lanes }} lanes the same way (mem_wr_addr and mem_wr_data per lane, mem_wr_valid and
//   mem_wr_last one bit per lane, mem_wr_bytes one for all): {{ acc_bits / 8 }}-byte accumulator words take up to {{ st_lanes }} a cycle.
{%- else %}
//   0 .. q-1, with k_i = max(floor(i/P), ceil((i+1)*b/W) - 1) for LOADs; STOREs keep one beat per cycle.
{%- endif %}
{%- endif %}
//   Observability, for the testbench's event trace (combinational, no effect on timing, low in reset):
//     trace_issue, trace_pc, trace_op  a LOAD / STORE / COMPUTE / CONFIG, instruction number trace_pc
//                                      with opcode trace_op, is taken this cycle
//     trace_halt                       HALT completes this cycle (done is high from the next one)
//     trace_dma_done, trace_cmp_done   the DMA / compute unit's last busy cycle
{%- if slots %}
//                                      (trace_dma_done: every transfer's; up to {{ outstanding }} are in flight)
{%- endif %}
//   The DRAM-side events (requests, read words, write beats) are visible on the DRAM port itself.
{%- if shared %}
//   Shared DRAM channel (docs/TIMING.md, "Systems"), to the system's arbiter:
{%- if slots %}
//     dram_issue   the DMA's request side takes a transfer (it requests the channel from the next
//                  cycle: max(c + 1, e' + 1), e' the previous transfer's request end)
//     dram_want    the request side's transfer is not yet granted (from registers)
{%- else %}
//     dram_issue   the DMA unit's start pulse (it requests the channel from the next cycle)
//     dram_want    the DMA is busy and not yet granted (from registers)
{%- endif %}
//     dram_hold    the granted transfer still holds the channel (from registers, from g + 1 on)
//     dram_grant   the arbiter grants the channel this cycle (combinational; tau = 0 of the transfer)
{%- endif %}
module {{ name }}_top (
    input  wire          clk,
    input  wire          rst,
    input  wire          prog_valid,
    input  wire [127:0]  prog_data,
    output wire          prog_ready,
    input  wire          start,
    output wire          done,
{%- if lanes > 1 %}
    output wire [{{ lanes - 1 }}:0]    mem_rd_req_valid,
    output wire [{{ 32 * lanes - 1 }}:0]  mem_rd_req_addr,
    output wire [{{ 32 * lanes - 1 }}:0]  mem_rd_req_stride,
    output wire [{{ 16 * lanes - 1 }}:0]  mem_rd_req_first,
    output wire [{{ 16 * lanes - 1 }}:0]  mem_rd_req_count,
    output wire [15:0]   mem_rd_req_bytes,
    output wire [{{ lanes - 1 }}:0]    mem_rd_req_last,
    input  wire [{{ lanes - 1 }}:0]    mem_rd_valid,
    input  wire [{{ 8 * bus_bytes * lanes - 1 }}:0] mem_rd_data,
{%- else %}
    output wire          mem_rd_req_valid,
    output wire [31:0]   mem_rd_req_addr,
    output wire [31:0]   mem_rd_req_stride,
    output wire [15:0]   mem_rd_req_first,
    output wire [15:0]   mem_rd_req_count,
    output wire [15:0]   mem_rd_req_bytes,
    output wire          mem_rd_req_last,
    input  wire          mem_rd_valid,
    input  wire [{{ 8 * bus_bytes - 1 }}:0] mem_rd_data,
{%- endif %}
{%- if st_lanes > 1 %}
    output wire [{{ st_lanes - 1 }}:0]    mem_wr_valid,
    output wire [{{ 32 * st_lanes - 1 }}:0]  mem_wr_addr,
    output wire [{{ 8 * bus_bytes * st_lanes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output wire [{{ st_lanes - 1 }}:0]    mem_wr_last,
{%- else %}
    output wire          mem_wr_valid,
    output wire [31:0]   mem_wr_addr,
    output wire [{{ 8 * bus_bytes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output wire          mem_wr_last,
{%- endif %}
    input  wire          mem_wr_ack,
{%- if shared %}
    output wire          dram_issue,
    output wire          dram_want,
    output wire          dram_hold,
    input  wire          dram_grant,
{%- endif %}
    output wire          trace_issue,
    output wire [31:0]   trace_pc,
    output wire [7:0]    trace_op,
    output wire          trace_halt,
    output wire          trace_dma_done,
    output wire          trace_cmp_done
);
    // ---------------------------------------------------------------- controller and program
    wire [31:0]  pc;
    wire         instr_valid;
    wire [127:0] instr;
    wire         take;
    wire         dma_busy;
{%- if slots %}
    wire         dma_full;
{%- if shared %}
    wire         dma_take;
{%- endif %}
{%- endif %}
    wire         cmp_busy;
    wire         cmp_full;
    wire         cmp_prev_busy;
{%- if overlap %}
    wire         cmp_prev_stream_busy;
{%- endif %}
    wire         dma_start;
    wire         dma_store;
    wire         cmp_start;
    wire         cfg_we;
    wire         f_flag0;
    wire         f_gather;
    wire [15:0]  f_count;
    wire [31:0]  f_dram_addr;
    wire [{{ ad.aw - 1 }}:0]  f_addr_a;
    wire [{{ ad.aw - 1 }}:0]  f_addr_b;
    wire [{{ ad.aw - 1 }}:0]  f_addr_c;
{%- if rs %}
    wire [7:0]   f_steps;
    wire [7:0]   f_block_rows;
    wire [7:0]   f_blocks;
    wire [7:0]   f_row_step;
{%- endif %}

    {{ name }}_queue u_queue (
        .clk   (clk),
        .rst   (rst),
        .push  (prog_valid),
        .wdata (prog_data),
        .ready (prog_ready),
        .pop   (take),
        .valid (instr_valid),
        .head  (instr)
    );

    {{ name }}_ctrl u_ctrl (
        .clk         (clk),
        .rst         (rst),
        .start       (start),
        .done        (done),
        .pc          (pc),
        .instr_valid (instr_valid),
        .instr       (instr),
        .take        (take),
        .dma_busy    (dma_busy),
{%- if slots %}
        .dma_full    (dma_full),
{%- endif %}
        .cmp_busy    (cmp_busy),
        .cmp_full    (cmp_full),
        .cmp_prev_busy (cmp_prev_busy),
{%- if overlap %}
        .cmp_prev_stream_busy (cmp_prev_stream_busy),
{%- endif %}
        .dma_start   (dma_start),
        .dma_store   (dma_store),
        .cmp_start   (cmp_start),
        .cfg_we      (cfg_we),
        .f_flag0     (f_flag0),
        .f_gather    (f_gather),
        .f_count     (f_count),
        .f_dram_addr (f_dram_addr),
        .f_addr_a    (f_addr_a),
        .f_addr_b    (f_addr_b),
        .f_addr_c    (f_addr_c),
{%- if rs %}
        .f_steps     (f_steps),
        .f_block_rows (f_block_rows),
        .f_blocks    (f_blocks),
        .f_row_step  (f_row_step),
{%- endif %}
        .trace_issue (trace_issue),
        .trace_halt  (trace_halt),
        .trace_op    (trace_op)
    );
    assign trace_pc = pc;
{%- if shared %}
{%- if slots %}
    assign dram_issue = dma_take;
{%- else %}
    assign dram_issue = dma_start;
{%- endif %}
{%- endif %}

    // ---------------------------------------------------------------- units
{%- if lanes > 1 %}
    // the DMA's {{ lanes }} write lanes into the input and weight buffers (lane s: words at addresses s mod {{ lanes }})
    wire [{{ lanes - 1 }}:0]          in_we;
    wire [{{ ad.aw * lanes - 1 }}:0]          in_waddr;
    wire [{{ in_bits * lanes - 1 }}:0] in_wdata;
{%- else %}
    wire                 in_we;
    wire [{{ ad.aw - 1 }}:0]          in_waddr;
    wire [{{ in_bits - 1 }}:0] in_wdata;
{%- endif %}
    wire                 in_re;
    wire [{{ ad.aw - 1 }}:0]          in_raddr;
    wire [{{ in_bits - 1 }}:0] in_rdata;
{%- if lanes > 1 %}
    wire [{{ lanes - 1 }}:0]          w_we;
    wire [{{ ad.aw * lanes - 1 }}:0]          w_waddr;
    wire [{{ w_bits * lanes - 1 }}:0] w_wdata;
{%- else %}
    wire                 w_we;
    wire [{{ ad.aw - 1 }}:0]          w_waddr;
    wire [{{ w_bits - 1 }}:0] w_wdata;
{%- endif %}
    wire                 w_re;
    wire [{{ ad.aw - 1 }}:0]          w_raddr;
    wire [{{ w_bits - 1 }}:0] w_rdata;
    wire                 acc_we;
    wire [{{ ad.aw - 1 }}:0]          acc_waddr;
    wire [{{ acc_bits - 1 }}:0] acc_wdata;
    wire                 acc_re_a;
    wire [{{ ad.aw - 1 }}:0]          acc_raddr_a;
    wire [{{ acc_bits - 1 }}:0] acc_rdata_a;
{%- if st_lanes > 1 %}
    // the DMA's {{ st_lanes }} store read lanes (lane s: words at addresses s mod {{ st_lanes }})
    wire [{{ st_lanes - 1 }}:0]          acc_re_b;
    wire [{{ ad.aw * st_lanes - 1 }}:0]          acc_raddr_b;
    wire [{{ acc_bits * st_lanes - 1 }}:0] acc_rdata_b;
{%- else %}
    wire                 acc_re_b;
    wire [{{ ad.aw - 1 }}:0]          acc_raddr_b;
    wire [{{ acc_bits - 1 }}:0] acc_rdata_b;
{%- endif %}

    {{ name }}_dma u_dma (
        .clk              (clk),
        .rst              (rst),
        .start            (dma_start),
        .store            (dma_store),
        .to_weight        (f_flag0),
        .gather           (f_gather),
        .count            (f_count),
        .dram_addr        (f_dram_addr),
        .sram_addr        (f_addr_a),
        .instr            (instr),
        .cfg_we           (cfg_we),
        .cfg_reg          (f_flag0),
        .busy             (dma_busy),
{%- if slots %}
        .full             (dma_full),
{%- endif %}
        .mem_rd_req_valid (mem_rd_req_valid),
        .mem_rd_req_addr  (mem_rd_req_addr),
        .mem_rd_req_stride(mem_rd_req_stride),
        .mem_rd_req_first (mem_rd_req_first),
        .mem_rd_req_count (mem_rd_req_count),
        .mem_rd_req_bytes (mem_rd_req_bytes),
        .mem_rd_req_last  (mem_rd_req_last),
        .mem_rd_valid     (mem_rd_valid),
        .mem_rd_data      (mem_rd_data),
        .mem_wr_valid     (mem_wr_valid),
        .mem_wr_addr      (mem_wr_addr),
        .mem_wr_data      (mem_wr_data),
        .mem_wr_bytes     (mem_wr_bytes),
        .mem_wr_last      (mem_wr_last),
        .mem_wr_ack       (mem_wr_ack),
{%- if shared %}
        .grant            (dram_grant),
        .want             (dram_want),
        .hold             (dram_hold),
{%- if slots %}
        .take             (dma_take),
{%- endif %}
{%- endif %}
        .in_we            (in_we),
        .in_waddr         (in_waddr),
        .in_wdata         (in_wdata),
        .w_we             (w_we),
        .w_waddr          (w_waddr),
        .w_wdata          (w_wdata),
        .acc_re           (acc_re_b),
        .acc_raddr        (acc_raddr_b),
        .acc_rdata        (acc_rdata_b),
        .trace_done       (trace_dma_done)
    );

    {{ name }}_compute u_compute (
        .clk        (clk),
        .rst        (rst),
        .start      (cmp_start),
        .accumulate (f_flag0),
        .len        (f_count),
{%- if swapped %}
        // input-stationary: the unit preloads from the input buffer (its w_* port) and streams the
        // weight buffer (its in_* port); the COMPUTE's in_addr and w_addr go with their buffers
        .in_addr    (f_addr_b),
        .w_addr     (f_addr_a),
        .out_addr   (f_addr_c),
        .busy       (cmp_busy),
        .full       (cmp_full),
        .prev_busy  (cmp_prev_busy),
{%- if overlap %}
        .prev_stream_busy (cmp_prev_stream_busy),
{%- endif %}
        .w_re       (in_re),
        .w_raddr    (in_raddr),
        .w_rdata    (in_rdata),
        .in_re      (w_re),
        .in_raddr   (w_raddr),
        .in_rdata   (w_rdata),
{%- else %}
        .in_addr    (f_addr_a),
        .w_addr     (f_addr_b),
        .out_addr   (f_addr_c),
{%- if rs %}
        .steps      (f_steps),
        .block_rows (f_block_rows),
        .blocks     (f_blocks),
        .row_step   (f_row_step),
{%- endif %}
        .busy       (cmp_busy),
        .full       (cmp_full),
        .prev_busy  (cmp_prev_busy),
{%- if overlap %}
        .prev_stream_busy (cmp_prev_stream_busy),
{%- endif %}
        .w_re       (w_re),
        .w_raddr    (w_raddr),
        .w_rdata    (w_rdata),
        .in_re      (in_re),
        .in_raddr   (in_raddr),
        .in_rdata   (in_rdata),
{%- endif %}
        .acc_re     (acc_re_a),
        .acc_raddr  (acc_raddr_a),
        .acc_rdata  (acc_rdata_a),
        .acc_we     (acc_we),
        .acc_waddr  (acc_waddr),
        .acc_wdata  (acc_wdata),
        .trace_done (trace_cmp_done)
    );

    // ---------------------------------------------------------------- buffers
    // Word address a lives in bank a / D at row a % D (D = words per bank). Bank b is hit when
    // a - b*D ({{ ad.aw + 1 }}-bit, wrapping) < D; its row is a - b*D on the bank's address bits. Addresses past the
    // buffer hit no bank: writes are dropped, reads return 0. Read data is steered by the bank hit
    // registered with the read (reads are synchronous).

{% if lanes > 1 %}    // input buffer: {{ in_buf.nbanks }} bank(s) x {{ in_buf.bank_depth }} words of {{ in_bits / 8 }} B, each bank word-interleaved over
    // {{ in_buf.nlanes }} SRAMs of {{ in_buf.lane_depth }} words (write lane s of the DMA writes SRAM s; the read port reads SRAM a mod {{ in_buf.nlanes }})
    wire [{{ in_buf.nbanks * in_buf.nlanes - 1 }}:0] in_rhit;
    reg  [{{ in_buf.nbanks * in_buf.nlanes - 1 }}:0] in_rhit_q;
{%- for b in in_buf.banks %}
    wire [{{ ad.aw }}:0] in_roff_{{ b.idx }} = {1'b0, in_raddr} - {{ ad.aw + 1 }}'d{{ b.base }};
{%- for l in in_buf.lane_ids %}
    wire [{{ in_bits - 1 }}:0] in_rdata_{{ b.idx }}_{{ l }};
    wire [{{ ad.aw }}:0] in_woff_{{ b.idx }}_{{ l }} = {1'b0, in_waddr[{{ ad.aw * l }} +: {{ ad.aw }}]} - {{ ad.aw + 1 }}'d{{ b.base }};
    wire in_whit_{{ b.idx }}_{{ l }} = in_woff_{{ b.idx }}_{{ l }} < {{ ad.aw + 1 }}'d{{ in_buf.bank_depth }};
    assign in_rhit[{{ b.idx * in_buf.nlanes + l }}] = in_roff_{{ b.idx }} < {{ ad.aw + 1 }}'d{{ in_buf.bank_depth }} && in_raddr[{{ in_buf.lp - 1 }}:0] == {{ in_buf.lp }}'d{{ l }};
{%- if in_buf.one_port %}
    // one read-write port: the address is the write's when the DMA writes this SRAM, else the read's
    {{ name }}_sram1rw #(.WIDTH({{ in_bits }}), .DEPTH({{ in_buf.lane_depth }}), .AW({{ in_buf.lane_aw }})) u_in_bank_{{ b.idx }}_{{ l }} (
        .clk   (clk),
        .rst   (rst),
        .we    (in_we[{{ l }}] && in_whit_{{ b.idx }}_{{ l }}),
        .re    (in_re && in_rhit[{{ b.idx * in_buf.nlanes + l }}]),
        .addr  ((in_we[{{ l }}] && in_whit_{{ b.idx }}_{{ l }}) ? in_woff_{{ b.idx }}_{{ l }}[{{ in_buf.lp + in_buf.lane_aw - 1 }}:{{ in_buf.lp }}] : in_roff_{{ b.idx }}[{{ in_buf.lp + in_buf.lane_aw - 1 }}:{{ in_buf.lp }}]),
        .wdata (in_wdata[{{ in_bits * l }} +: {{ in_bits }}]),
        .rdata (in_rdata_{{ b.idx }}_{{ l }})
    );
{%- else %}
    {{ name }}_sram #(.WIDTH({{ in_bits }}), .DEPTH({{ in_buf.lane_depth }}), .AW({{ in_buf.lane_aw }})) u_in_bank_{{ b.idx }}_{{ l }} (
        .clk   (clk),
        .rst   (rst),
        .we    (in_we[{{ l }}] && in_whit_{{ b.idx }}_{{ l }}),
        .waddr (in_woff_{{ b.idx }}_{{ l }}[{{ in_buf.lp + in_buf.lane_aw - 1 }}:{{ in_buf.lp }}]),
        .wdata (in_wdata[{{ in_bits * l }} +: {{ in_bits }}]),
        .re    (in_re && in_rhit[{{ b.idx * in_buf.nlanes + l }}]),
        .raddr (in_roff_{{ b.idx }}[{{ in_buf.lp + in_buf.lane_aw - 1 }}:{{ in_buf.lp }}]),
        .rdata (in_rdata_{{ b.idx }}_{{ l }})
    );
{%- endif %}{%- endfor %}
{%- endfor %}
    always @(posedge clk) begin
        if (rst) in_rhit_q <= {{ in_buf.nbanks * in_buf.nlanes }}'d0;
        else if (in_re) in_rhit_q <= in_rhit;
    end
    assign in_rdata ={% for b in in_buf.banks %}{% for l in in_buf.lane_ids %} (in_rhit_q[{{ b.idx * in_buf.nlanes + l }}] ? in_rdata_{{ b.idx }}_{{ l }} : {{ in_bits }}'d0){% if !(loop.last && b.idx + 1 == in_buf.nbanks) %} |{% endif %}{% endfor %}{% endfor %};

    // weight buffer: {{ w_buf.nbanks }} bank(s) x {{ w_buf.bank_depth }} words of {{ w_bits / 8 }} B, each bank word-interleaved over
    // {{ w_buf.nlanes }} SRAMs of {{ w_buf.lane_depth }} words (write lane s of the DMA writes SRAM s; the read port reads SRAM a mod {{ w_buf.nlanes }})
    wire [{{ w_buf.nbanks * w_buf.nlanes - 1 }}:0] w_rhit;
    reg  [{{ w_buf.nbanks * w_buf.nlanes - 1 }}:0] w_rhit_q;
{%- for b in w_buf.banks %}
    wire [{{ ad.aw }}:0] w_roff_{{ b.idx }} = {1'b0, w_raddr} - {{ ad.aw + 1 }}'d{{ b.base }};
{%- for l in w_buf.lane_ids %}
    wire [{{ w_bits - 1 }}:0] w_rdata_{{ b.idx }}_{{ l }};
    wire [{{ ad.aw }}:0] w_woff_{{ b.idx }}_{{ l }} = {1'b0, w_waddr[{{ ad.aw * l }} +: {{ ad.aw }}]} - {{ ad.aw + 1 }}'d{{ b.base }};
    wire w_whit_{{ b.idx }}_{{ l }} = w_woff_{{ b.idx }}_{{ l }} < {{ ad.aw + 1 }}'d{{ w_buf.bank_depth }};
    assign w_rhit[{{ b.idx * w_buf.nlanes + l }}] = w_roff_{{ b.idx }} < {{ ad.aw + 1 }}'d{{ w_buf.bank_depth }} && w_raddr[{{ w_buf.lp - 1 }}:0] == {{ w_buf.lp }}'d{{ l }};
{%- if w_buf.one_port %}
    // one read-write port: the address is the write's when the DMA writes this SRAM, else the read's
    {{ name }}_sram1rw #(.WIDTH({{ w_bits }}), .DEPTH({{ w_buf.lane_depth }}), .AW({{ w_buf.lane_aw }})) u_w_bank_{{ b.idx }}_{{ l }} (
        .clk   (clk),
        .rst   (rst),
        .we    (w_we[{{ l }}] && w_whit_{{ b.idx }}_{{ l }}),
        .re    (w_re && w_rhit[{{ b.idx * w_buf.nlanes + l }}]),
        .addr  ((w_we[{{ l }}] && w_whit_{{ b.idx }}_{{ l }}) ? w_woff_{{ b.idx }}_{{ l }}[{{ w_buf.lp + w_buf.lane_aw - 1 }}:{{ w_buf.lp }}] : w_roff_{{ b.idx }}[{{ w_buf.lp + w_buf.lane_aw - 1 }}:{{ w_buf.lp }}]),
        .wdata (w_wdata[{{ w_bits * l }} +: {{ w_bits }}]),
        .rdata (w_rdata_{{ b.idx }}_{{ l }})
    );
{%- else %}
    {{ name }}_sram #(.WIDTH({{ w_bits }}), .DEPTH({{ w_buf.lane_depth }}), .AW({{ w_buf.lane_aw }})) u_w_bank_{{ b.idx }}_{{ l }} (
        .clk   (clk),
        .rst   (rst),
        .we    (w_we[{{ l }}] && w_whit_{{ b.idx }}_{{ l }}),
        .waddr (w_woff_{{ b.idx }}_{{ l }}[{{ w_buf.lp + w_buf.lane_aw - 1 }}:{{ w_buf.lp }}]),
        .wdata (w_wdata[{{ w_bits * l }} +: {{ w_bits }}]),
        .re    (w_re && w_rhit[{{ b.idx * w_buf.nlanes + l }}]),
        .raddr (w_roff_{{ b.idx }}[{{ w_buf.lp + w_buf.lane_aw - 1 }}:{{ w_buf.lp }}]),
        .rdata (w_rdata_{{ b.idx }}_{{ l }})
    );
{%- endif %}{%- endfor %}
{%- endfor %}
    always @(posedge clk) begin
        if (rst) w_rhit_q <= {{ w_buf.nbanks * w_buf.nlanes }}'d0;
        else if (w_re) w_rhit_q <= w_rhit;
    end
    assign w_rdata ={% for b in w_buf.banks %}{% for l in w_buf.lane_ids %} (w_rhit_q[{{ b.idx * w_buf.nlanes + l }}] ? w_rdata_{{ b.idx }}_{{ l }} : {{ w_bits }}'d0){% if !(loop.last && b.idx + 1 == w_buf.nbanks) %} |{% endif %}{% endfor %}{% endfor %};

{% else %}    // input buffer: {{ in_buf.nbanks }} bank(s) x {{ in_buf.bank_depth }} words of {{ in_bits / 8 }} B
    wire [{{ in_buf.nbanks - 1 }}:0] in_rhit;
    reg  [{{ in_buf.nbanks - 1 }}:0] in_rhit_q;
{%- for b in in_buf.banks %}
    wire [{{ in_bits - 1 }}:0] in_rdata_{{ b.idx }};
    wire in_whit_{{ b.idx }} = ({1'b0, in_waddr} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ in_buf.bank_depth }};
    assign in_rhit[{{ b.idx }}] = ({1'b0, in_raddr} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ in_buf.bank_depth }};
{%- if in_buf.one_port %}
    // one read-write port: the address is the write's when the DMA writes this bank, else the read's
    {{ name }}_sram1rw #(.WIDTH({{ in_bits }}), .DEPTH({{ in_buf.bank_depth }}), .AW({{ in_buf.aw }})) u_in_bank_{{ b.idx }} (
        .clk   (clk),
        .rst   (rst),
        .we    (in_we && in_whit_{{ b.idx }}),
        .re    (in_re && in_rhit[{{ b.idx }}]),
        .addr  ((in_we && in_whit_{{ b.idx }}) ? in_waddr[{{ in_buf.aw - 1 }}:0] - {{ in_buf.aw }}'d{{ b.row_base }} : in_raddr[{{ in_buf.aw - 1 }}:0] - {{ in_buf.aw }}'d{{ b.row_base }}),
        .wdata (in_wdata),
        .rdata (in_rdata_{{ b.idx }})
    );
{%- else %}
    {{ name }}_sram #(.WIDTH({{ in_bits }}), .DEPTH({{ in_buf.bank_depth }}), .AW({{ in_buf.aw }})) u_in_bank_{{ b.idx }} (
        .clk   (clk),
        .rst   (rst),
        .we    (in_we && in_whit_{{ b.idx }}),
        .waddr (in_waddr[{{ in_buf.aw - 1 }}:0] - {{ in_buf.aw }}'d{{ b.row_base }}),
        .wdata (in_wdata),
        .re    (in_re && in_rhit[{{ b.idx }}]),
        .raddr (in_raddr[{{ in_buf.aw - 1 }}:0] - {{ in_buf.aw }}'d{{ b.row_base }}),
        .rdata (in_rdata_{{ b.idx }})
    );
{%- endif %}{%- endfor %}
    always @(posedge clk) begin
        if (rst) in_rhit_q <= {{ in_buf.nbanks }}'d0;
        else if (in_re) in_rhit_q <= in_rhit;
    end
    assign in_rdata ={% for b in in_buf.banks %} (in_rhit_q[{{ b.idx }}] ? in_rdata_{{ b.idx }} : {{ in_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};

    // weight buffer: {{ w_buf.nbanks }} bank(s) x {{ w_buf.bank_depth }} words of {{ w_bits / 8 }} B
    wire [{{ w_buf.nbanks - 1 }}:0] w_rhit;
    reg  [{{ w_buf.nbanks - 1 }}:0] w_rhit_q;
{%- for b in w_buf.banks %}
    wire [{{ w_bits - 1 }}:0] w_rdata_{{ b.idx }};
    wire w_whit_{{ b.idx }} = ({1'b0, w_waddr} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ w_buf.bank_depth }};
    assign w_rhit[{{ b.idx }}] = ({1'b0, w_raddr} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ w_buf.bank_depth }};
{%- if w_buf.one_port %}
    // one read-write port: the address is the write's when the DMA writes this bank, else the read's
    {{ name }}_sram1rw #(.WIDTH({{ w_bits }}), .DEPTH({{ w_buf.bank_depth }}), .AW({{ w_buf.aw }})) u_w_bank_{{ b.idx }} (
        .clk   (clk),
        .rst   (rst),
        .we    (w_we && w_whit_{{ b.idx }}),
        .re    (w_re && w_rhit[{{ b.idx }}]),
        .addr  ((w_we && w_whit_{{ b.idx }}) ? w_waddr[{{ w_buf.aw - 1 }}:0] - {{ w_buf.aw }}'d{{ b.row_base }} : w_raddr[{{ w_buf.aw - 1 }}:0] - {{ w_buf.aw }}'d{{ b.row_base }}),
        .wdata (w_wdata),
        .rdata (w_rdata_{{ b.idx }})
    );
{%- else %}
    {{ name }}_sram #(.WIDTH({{ w_bits }}), .DEPTH({{ w_buf.bank_depth }}), .AW({{ w_buf.aw }})) u_w_bank_{{ b.idx }} (
        .clk   (clk),
        .rst   (rst),
        .we    (w_we && w_whit_{{ b.idx }}),
        .waddr (w_waddr[{{ w_buf.aw - 1 }}:0] - {{ w_buf.aw }}'d{{ b.row_base }}),
        .wdata (w_wdata),
        .re    (w_re && w_rhit[{{ b.idx }}]),
        .raddr (w_raddr[{{ w_buf.aw - 1 }}:0] - {{ w_buf.aw }}'d{{ b.row_base }}),
        .rdata (w_rdata_{{ b.idx }})
    );
{%- endif %}{%- endfor %}
    always @(posedge clk) begin
        if (rst) w_rhit_q <= {{ w_buf.nbanks }}'d0;
        else if (w_re) w_rhit_q <= w_rhit;
    end
    assign w_rdata ={% for b in w_buf.banks %} (w_rhit_q[{{ b.idx }}] ? w_rdata_{{ b.idx }} : {{ w_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};

{% endif %}{% if st_lanes > 1 %}    // accumulator buffer: {{ acc_buf.nbanks }} bank(s) x {{ acc_buf.bank_depth }} words of {{ acc_bits / 8 }} B, each bank word-interleaved over
    // {{ acc_buf.nlanes }} SRAMs of {{ acc_buf.lane_depth }} words; its write port: the compute unit's (SRAM a mod {{ acc_buf.nlanes }}); its one read
    // port: the compute unit's accumulate read (a: SRAM a mod {{ acc_buf.nlanes }}) or the DMA's store read lane s (b: SRAM s), never both
    // in one cycle (a program never has a STORE and an accumulating COMPUTE on one bank at once)
    wire [{{ acc_buf.nbanks * acc_buf.nlanes - 1 }}:0] acc_rhit_a;
    wire [{{ acc_buf.nbanks * acc_buf.nlanes - 1 }}:0] acc_rhit_b;
    reg  [{{ acc_buf.nbanks * acc_buf.nlanes - 1 }}:0] acc_rhit_a_q;
    reg  [{{ acc_buf.nbanks * acc_buf.nlanes - 1 }}:0] acc_rhit_b_q;
{%- for b in acc_buf.banks %}
    wire [{{ ad.aw }}:0] acc_woff_{{ b.idx }} = {1'b0, acc_waddr} - {{ ad.aw + 1 }}'d{{ b.base }};
    wire [{{ ad.aw }}:0] acc_roff_a_{{ b.idx }} = {1'b0, acc_raddr_a} - {{ ad.aw + 1 }}'d{{ b.base }};
{%- for l in acc_buf.lane_ids %}
    wire [{{ acc_bits - 1 }}:0] acc_rdata_{{ b.idx }}_{{ l }};
    wire [{{ ad.aw }}:0] acc_roff_b_{{ b.idx }}_{{ l }} = {1'b0, acc_raddr_b[{{ ad.aw * l }} +: {{ ad.aw }}]} - {{ ad.aw + 1 }}'d{{ b.base }};
    wire acc_whit_{{ b.idx }}_{{ l }} = acc_woff_{{ b.idx }} < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }} && acc_waddr[{{ acc_buf.lp - 1 }}:0] == {{ acc_buf.lp }}'d{{ l }};
    assign acc_rhit_a[{{ b.idx * acc_buf.nlanes + l }}] = acc_roff_a_{{ b.idx }} < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }} && acc_raddr_a[{{ acc_buf.lp - 1 }}:0] == {{ acc_buf.lp }}'d{{ l }};
    assign acc_rhit_b[{{ b.idx * acc_buf.nlanes + l }}] = acc_roff_b_{{ b.idx }}_{{ l }} < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }};
    wire acc_re_b_{{ b.idx }}_{{ l }} = acc_re_b[{{ l }}] && acc_rhit_b[{{ b.idx * acc_buf.nlanes + l }}];
    {{ name }}_sram #(.WIDTH({{ acc_bits }}), .DEPTH({{ acc_buf.lane_depth }}), .AW({{ acc_buf.lane_aw }})) u_acc_bank_{{ b.idx }}_{{ l }} (
        .clk   (clk),
        .rst   (rst),
        .we    (acc_we && acc_whit_{{ b.idx }}_{{ l }}),
        .waddr (acc_woff_{{ b.idx }}[{{ acc_buf.lp + acc_buf.lane_aw - 1 }}:{{ acc_buf.lp }}]),
        .wdata (acc_wdata),
        .re    ((acc_re_a && acc_rhit_a[{{ b.idx * acc_buf.nlanes + l }}]) || acc_re_b_{{ b.idx }}_{{ l }}),
        .raddr (acc_re_b_{{ b.idx }}_{{ l }} ? acc_roff_b_{{ b.idx }}_{{ l }}[{{ acc_buf.lp + acc_buf.lane_aw - 1 }}:{{ acc_buf.lp }}]
                                          : acc_roff_a_{{ b.idx }}[{{ acc_buf.lp + acc_buf.lane_aw - 1 }}:{{ acc_buf.lp }}]),
        .rdata (acc_rdata_{{ b.idx }}_{{ l }})
    );
{%- endfor %}
{%- endfor %}
    always @(posedge clk) begin
        if (rst) begin
            acc_rhit_a_q <= {{ acc_buf.nbanks * acc_buf.nlanes }}'d0;
            acc_rhit_b_q <= {{ acc_buf.nbanks * acc_buf.nlanes }}'d0;
        end else begin
            if (acc_re_a) acc_rhit_a_q <= acc_rhit_a;
{%- for l in acc_buf.lane_ids %}
            if (acc_re_b[{{ l }}]){% for b in acc_buf.banks %} acc_rhit_b_q[{{ b.idx * acc_buf.nlanes + l }}] <= acc_rhit_b[{{ b.idx * acc_buf.nlanes + l }}];{% endfor %}
{%- endfor %}
        end
    end
    assign acc_rdata_a ={% for b in acc_buf.banks %}{% for l in acc_buf.lane_ids %} (acc_rhit_a_q[{{ b.idx * acc_buf.nlanes + l }}] ? acc_rdata_{{ b.idx }}_{{ l }} : {{ acc_bits }}'d0){% if !(loop.last && b.idx + 1 == acc_buf.nbanks) %} |{% endif %}{% endfor %}{% endfor %};
{%- for l in acc_buf.lane_ids %}
    assign acc_rdata_b[{{ acc_bits * l }} +: {{ acc_bits }}] ={% for b in acc_buf.banks %} (acc_rhit_b_q[{{ b.idx * acc_buf.nlanes + l }}] ? acc_rdata_{{ b.idx }}_{{ l }} : {{ acc_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
{%- endfor %}
{% else %}    // accumulator buffer: {{ acc_buf.nbanks }} bank(s) x {{ acc_buf.bank_depth }} words of {{ acc_bits / 8 }} B;
    // one read port per bank: the compute unit's accumulate read (a) or the DMA's store read (b), never
    // both in one cycle (a program never has a STORE and an accumulating COMPUTE on one bank at once)
    wire [{{ acc_buf.nbanks - 1 }}:0] acc_rhit_a;
    wire [{{ acc_buf.nbanks - 1 }}:0] acc_rhit_b;
    reg  [{{ acc_buf.nbanks - 1 }}:0] acc_rhit_a_q;
    reg  [{{ acc_buf.nbanks - 1 }}:0] acc_rhit_b_q;
{%- for b in acc_buf.banks %}
    wire [{{ acc_bits - 1 }}:0] acc_rdata_{{ b.idx }};
    wire acc_whit_{{ b.idx }} = ({1'b0, acc_waddr} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }};
    assign acc_rhit_a[{{ b.idx }}] = ({1'b0, acc_raddr_a} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }};
    assign acc_rhit_b[{{ b.idx }}] = ({1'b0, acc_raddr_b} - {{ ad.aw + 1 }}'d{{ b.base }}) < {{ ad.aw + 1 }}'d{{ acc_buf.bank_depth }};
    wire acc_re_b_{{ b.idx }} = acc_re_b && acc_rhit_b[{{ b.idx }}];
    {{ name }}_sram #(.WIDTH({{ acc_bits }}), .DEPTH({{ acc_buf.bank_depth }}), .AW({{ acc_buf.aw }})) u_acc_bank_{{ b.idx }} (
        .clk   (clk),
        .rst   (rst),
        .we    (acc_we && acc_whit_{{ b.idx }}),
        .waddr (acc_waddr[{{ acc_buf.aw - 1 }}:0] - {{ acc_buf.aw }}'d{{ b.row_base }}),
        .wdata (acc_wdata),
        .re    ((acc_re_a && acc_rhit_a[{{ b.idx }}]) || acc_re_b_{{ b.idx }}),
        .raddr ((acc_re_b_{{ b.idx }} ? acc_raddr_b[{{ acc_buf.aw - 1 }}:0] : acc_raddr_a[{{ acc_buf.aw - 1 }}:0]) - {{ acc_buf.aw }}'d{{ b.row_base }}),
        .rdata (acc_rdata_{{ b.idx }})
    );
{%- endfor %}
    always @(posedge clk) begin
        if (rst) begin
            acc_rhit_a_q <= {{ acc_buf.nbanks }}'d0;
            acc_rhit_b_q <= {{ acc_buf.nbanks }}'d0;
        end else begin
            if (acc_re_a) acc_rhit_a_q <= acc_rhit_a;
            if (acc_re_b) acc_rhit_b_q <= acc_rhit_b;
        end
    end
    assign acc_rdata_a ={% for b in acc_buf.banks %} (acc_rhit_a_q[{{ b.idx }}] ? acc_rdata_{{ b.idx }} : {{ acc_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
    assign acc_rdata_b ={% for b in acc_buf.banks %} (acc_rhit_b_q[{{ b.idx }}] ? acc_rdata_{{ b.idx }} : {{ acc_bits }}'d0){% if !loop.last %} |{% endif %}{% endfor %};
{% endif %}endmodule

