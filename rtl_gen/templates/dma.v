{% include "header.v" %}

{% if slots -%}
// DMA unit (docs/TIMING.md, "DMA unit and the DRAM port", "Gather registers"). Up to O = {{ outstanding }}
// transfers in flight, run in issue order (see "Transfers in flight" below); tau = 0 of a transfer is its
// start s = max(c + 1, e + 1) (c: issue cycle, e: the previous transfer's request end).
{% else -%}
// DMA unit (docs/TIMING.md, "DMA unit and the DRAM port", "Gather registers"). One transfer at a time;
// busy is set at the end of the issue cycle, so tau = 0 is the first busy cycle.
{% endif -%}
// Pacing: word i of a transfer of b-byte words goes in cycle tau when (i+1)*b <= (tau+1)*W (at most
// one word per cycle), i.e. tau = k_i = max(i, ceil((i+1)*b/W) - 1), from a credit counter. W = {{ bytes_per_cycle }}
// here; the counter adds min(W, b), which gives the same schedule with a bounded counter.
// LOAD (count = n words of b bytes, b = {{ in_bits / 8 }} for the input buffer, {{ w_bits / 8 }} for the weight buffer):
//   tau = k_i: read request i on mem_rd_req_* (addr, stride, first, count; last on word n-1): bytes
//   first .. first+count-1 of the word come from addr + (j - first)*stride, the others are zero.
//   A linear LOAD's request i is (dram_addr + i*b, 1, 0, b); a gather LOAD's comes from the gather
//   registers and its walker (below). The DRAM returns each word on mem_rd_valid/mem_rd_data L cycles
//   after its request; it is written to sram_addr + i at the end of that cycle. The cycle word n-1
//   arrives is the last busy cycle.
// Gather (implicit im2col of an [N][H][W][Cs] tensor at base): for the walker's output pixel
// (n, oh, ow) and kernel position and channel (kh, kw, c), ih = oh*sh + kh*dh - pt and
// iw = ow*sw + kw*dw - pl (computed here without signs: a coordinate is valid when its unsigned sum is
// at least the padding and the difference is below the size).
//{%- if rs %}
//   row-stationary: a word is one step (kw, c) of {{ gather_dim }} = {{ rows }} input rows at one output column ow:
//   byte j is the input at row ih_j = (oh + j)*sh + kh*dh - pt, column iw = ow*sw + kw*dw - pl,
//   channel c. The valid j (0 <= ih_j < H) form a run [lo, lo + cnt); request
//   (base + ((n*H + ih_lo)*W + iw)*Cs + c, sh*W*Cs, lo, cnt), or all zero (iw outside the tensor or
//   an empty run). The walker advances c (wrapping at Cg into kw, kw at KW into ow; n, oh, kh stay).
//{%- else %}{%- if os %}
//   {{ hdr.dataflow }}: a word is {{ gather_dim }} = {{ rows }} consecutive output pixels ow + j of row (n, oh) at one k-step;
//   the valid j form a run [lo, lo + cnt); request (base + ((n*H + ih)*W + iw_lo)*Cs + c, sw*Cs, lo, cnt),
//   or all zero. The walker advances c (wrapping at Cg into kw, kw at KW into kh).
//{%- else %}
//   weight-stationary: a word is min(R, Cg - c) channels (R = {{ rows }}) of one output pixel; request
//   (base + ((n*H + ih)*W + iw)*Cs + c, 1, 0, min(R, Cg - c)), or all zero. The walker advances the
//   pixel (ow wrapping at OW into oh, oh at OH into n).
//{%- endif %}{%- endif %}
//   Address arithmetic is modulo 2^32, exact for every request inside the 32-bit DRAM.
// CONFIG (cfg_we, one cycle, DMA idle): register 0 = base, H, W, Cs, OW, OH; register 1 = sh, sw, dh,
//   dw, pt, pl, KW, Cg; taken from the instruction's fields at the end of the cycle.
// STORE (count = n accumulator words of b = {{ store_bytes }} bytes):
//   word i is read from the accumulator in tau = k_i and presented as write beat i (mem_wr_*, address
//   dram_addr + i*b, mem_wr_last on beat n-1) during tau = k_i + 1. The cycle of mem_wr_ack
//   (tau = k_(n-1) + 1 + L) is the last busy cycle.
// The unit does not know L: it ends a LOAD on the last data beat and a STORE on the acknowledgement.
{%- if lanes > 1 %}
// Several words per cycle (dram.words_per_cycle = P = {{ lanes }}): a LOAD presents up to P read requests
// in one cycle, words i .. i+q-1 on request lanes 0 .. q-1 (lane j valid only with lane j-1), paced
// by k_i = max(floor(i/P), ceil((i+1)*b/W) - 1): the credit counter adds min(W, P*b) and lane j
// requests when the credit covers j+1 words. The DRAM returns each word on the lane of its request.
// The returned words go out on P buffer write lanes, word a on lane a mod P (the buffers are
{%- if st_lanes > 1 %}
// word-interleaved over P SRAMs per bank). A STORE reads up to S = {{ st_lanes }} accumulator words per cycle
// (at most ceil(W/b) fit a cycle: S lanes carry the pacing k_i with P), word idx + j on beat lane j when
// the credit covers j+1 words, through S store read lanes (word a on lane a mod S: the accumulator
// banks are word-interleaved over S SRAMs), and presents them as beats on lanes 0 .. q-1 the next cycle.
{%- else %}
// word-interleaved over P SRAMs per bank). STOREs move one word per cycle (k_i with P = 1).
{%- endif %}
{%- endif %}
// count = 0 is illegal (the contract forbids it); this unit would wait forever.
{%- if slots %}
// trace_done (observability only, combinational): xfer_end, high in each transfer's last busy cycle
// (the cycle its last word is written or its acknowledgement comes), at whose end it leaves the slots.
// Transfers in flight: a FIFO of O descriptors in issue order (q_*; the instruction's fields from bit
// {{ q_lsb }} up, STORE, weight buffer, gather). A transfer enters at `tail` when it is issued (start) and
// leaves at `head` in its last busy cycle; `nfl` counts those in flight. busy = some transfer in
// flight, full = O of them (the controller issues a LOAD or STORE only when not full).
//   Request side: works on one transfer at a time, the oldest not yet started (`rptr`), with the
//   pacing, credit and gather walker registers below: it takes the next transfer at the end of the
//   cycle in which it is idle or ends its current one (request end e: a LOAD's last read request, a
//   STORE's last write beat), straight from the issue inputs when none is waiting, so the transfer
//   starts in s = max(c + 1, e + 1) and its request and beat streams never interleave another's.
//   Completion side: the head transfer (every word that arrives, every acknowledgement, is the
//   head's: transfers end in issue order): a LOAD writes each returned word to its sram_addr + cidx,
//   and ends with its last word; a STORE ends with its acknowledgement.
{%- else %}
// trace_done (observability only, combinational): high in the unit's last busy cycle, i.e. the cycle
// at whose end busy clears.
{%- endif %}
{%- if shared %}
// Shared DRAM channel (docs/TIMING.md, "Systems: sub-accelerators sharing one DRAM channel"): this
// unit is one of several on one channel. From its first busy cycle it raises `want` until the
// arbiter raises `grant` (combinational, in the grant cycle g); tau = 0 of the transfer is g. Until
// granted it presents no request, reads no accumulator word and accumulates no pacing credit, so
// request i of a LOAD is in g + k_i and beat i of a STORE in g + k_i + 1. `hold` says the granted
// transfer still holds the channel (from registers, so from g + 1 on; the arbiter knows g itself):
// a LOAD while requests remain (through g + k_(n-1)), a STORE while words remain to read or a beat
// is on the port (through g + k_(n-1) + 1).
{%- if lanes > 1 %}
// The granted transfer uses this unit's own P = {{ lanes }} lanes and k_i (above) from g on: the channel's
// lanes carry the words of one transfer a cycle, so it holds them all while it holds the channel.
{%- endif %}
{%- if slots %}
// With O = {{ outstanding }} slots the request side's transfer is the one that requests: `want` and `hold`
// follow req_busy, and `take` (req_take) tells the arbiter that a transfer requests from the next
// cycle, r = max(c + 1, e' + 1) with e' the previous transfer's request end; a transfer taken waits
// for its grant, and the next one is taken only at its request end.
{%- endif %}
{%- endif %}
module {{ name }}_dma (
    input  wire          clk,
    input  wire          rst,
    // issue, from the controller
    input  wire          start,
    input  wire          store,       // 1: STORE, 0: LOAD
    input  wire          to_weight,   // LOAD: 1 weight buffer, 0 input buffer
    input  wire          gather,      // LOAD: gather
    input  wire [15:0]   count,
    input  wire [31:0]   dram_addr,
    input  wire [{{ ad.aw - 1 }}:0]   sram_addr,
    input  wire [127:0]  instr,       // the gather start position and the CONFIG fields
    input  wire          cfg_we,
    input  wire          cfg_reg,
{%- if slots %}
    output wire          busy,        // some transfer in flight
    output wire          full,        // O transfers in flight: no free slot
{%- else %}
    output reg           busy,
{%- endif %}
    // DRAM port
{%- if lanes > 1 %}
    // (read requests and words: {{ lanes }} lanes, lane j in bits [j*w +: w] of each field)
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
    // (write beats: {{ st_lanes }} lanes, lane j in bits [j*w +: w] of each field)
    output reg  [{{ st_lanes - 1 }}:0]    mem_wr_valid,
    output wire [{{ 32 * st_lanes - 1 }}:0]  mem_wr_addr,
    output wire [{{ 8 * bus_bytes * st_lanes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output reg  [{{ st_lanes - 1 }}:0]    mem_wr_last,
{%- else %}
    output reg           mem_wr_valid,
    output reg  [31:0]   mem_wr_addr,
    output wire [{{ 8 * bus_bytes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output reg           mem_wr_last,
{%- endif %}
    input  wire          mem_wr_ack,
{%- if shared %}
    // shared channel: the arbiter's grant, this unit's request and hold
    input  wire          grant,
    output wire          want,
    output wire          hold,
{%- if slots %}
    output wire          take,        // the request side takes a transfer: it requests from the next cycle
{%- endif %}
{%- endif %}
    // buffer ports
{%- if lanes > 1 %}
    // ({{ lanes }} write lanes: lane s writes words whose address is s mod {{ lanes }})
    output wire [{{ lanes - 1 }}:0]    in_we,
    output wire [{{ ad.aw * lanes - 1 }}:0]  in_waddr,
    output wire [{{ in_bits * lanes - 1 }}:0] in_wdata,
    output wire [{{ lanes - 1 }}:0]    w_we,
    output wire [{{ ad.aw * lanes - 1 }}:0]  w_waddr,
    output wire [{{ w_bits * lanes - 1 }}:0] w_wdata,
{%- else %}
    output wire          in_we,
    output wire [{{ ad.aw - 1 }}:0]   in_waddr,
    output wire [{{ in_bits - 1 }}:0] in_wdata,
    output wire          w_we,
    output wire [{{ ad.aw - 1 }}:0]   w_waddr,
    output wire [{{ w_bits - 1 }}:0] w_wdata,
{%- endif %}
{%- if st_lanes > 1 %}
    // ({{ st_lanes }} store read lanes: lane s reads words whose address is s mod {{ st_lanes }})
    output wire [{{ st_lanes - 1 }}:0]    acc_re,
    output wire [{{ ad.aw * st_lanes - 1 }}:0]  acc_raddr,
    input  wire [{{ acc_bits * st_lanes - 1 }}:0] acc_rdata,
{%- else %}
    output wire          acc_re,
    output wire [{{ ad.aw - 1 }}:0]   acc_raddr,
    input  wire [{{ acc_bits - 1 }}:0] acc_rdata,
{%- endif %}
    // observability
    output wire          trace_done
);
    localparam [{{ credit_bits - 1 }}:0] IN_B  = {{ credit_bits }}'d{{ in_bits / 8 }};
    localparam [{{ credit_bits - 1 }}:0] W_B   = {{ credit_bits }}'d{{ w_bits / 8 }};
{%- if st_lanes == 1 %}
    localparam [{{ credit_bits - 1 }}:0] ST_B  = {{ credit_bits }}'d{{ store_bytes }};
{%- endif %}
    localparam [{{ credit_bits - 1 }}:0] IN_W  = {{ credit_bits }}'d{{ w_eff_in }};
    localparam [{{ credit_bits - 1 }}:0] W_W   = {{ credit_bits }}'d{{ w_eff_w }};
    localparam [{{ credit_bits - 1 }}:0] ST_W  = {{ credit_bits }}'d{{ w_eff_st }};

    reg        store_q;
    reg        weight_q;
    reg        gather_q;
    reg [15:0] count_q;
    reg [{{ ad.aw - 1 }}:0] sram_q;
    reg [15:0] idx;       // LOAD: words received; STORE: words read
    reg [15:0] req_idx;   // LOAD: requests presented
    reg [31:0] dram_q;    // LOAD: address of the next linear request; STORE: address of the next beat
    reg        issuing;   // STORE: words left to read
    reg [{{ credit_bits - 1 }}:0] credit;    // bytes of credit accumulated and not yet spent

    // gather registers (CONFIG)
    reg [31:0] g_base;
    reg [15:0] g_h;
    reg [15:0] g_w;
    reg [15:0] g_cs;
    reg [15:0] g_ow;
    reg [15:0] g_oh;
    reg [7:0]  g_sh;
    reg [7:0]  g_sw;
    reg [7:0]  g_dh;
    reg [7:0]  g_dw;
    reg [7:0]  g_pt;
    reg [7:0]  g_pl;
    reg [7:0]  g_kw;
    reg [15:0] g_cg;
    // the gather walker: the current word's pixel and k-step
    reg [15:0] w_n;
    reg [15:0] w_oh;
    reg [15:0] w_ow;
    reg [7:0]  w_kh;
    reg [7:0]  w_kw;
    reg [15:0] w_c;
{%- if st_lanes == 1 %}

    wire last_idx = idx == count_q - 16'd1;
{%- endif %}
{%- if slots %}

    // ---------------------------------------------------------------- transfers in flight
    localparam [{{ nfl_bits - 1 }}:0] SLOTS = {{ nfl_bits }}'d{{ outstanding }};
    localparam [{{ ptr_bits - 1 }}:0] LAST_SLOT = {{ ptr_bits }}'d{{ outstanding - 1 }};
    // the instruction's fields (count, addresses, gather start); registers, not a memory, in synthesis
    (* mem2reg *) reg [127:{{ q_lsb }}] q_instr [0:{{ outstanding - 1 }}];
    reg [{{ outstanding - 1 }}:0] q_store;
    reg [{{ outstanding - 1 }}:0] q_weight;
    reg [{{ outstanding - 1 }}:0] q_gather;
    reg [{{ ptr_bits - 1 }}:0] head;      // oldest transfer in flight (completion side)
    reg [{{ ptr_bits - 1 }}:0] rptr;      // oldest transfer not yet started (request side)
    reg [{{ ptr_bits - 1 }}:0] tail;      // next free slot
    reg [{{ nfl_bits - 1 }}:0] nfl;       // transfers in flight
    reg        req_busy;  // the request side works on a transfer (from its start to its request end)
    reg [15:0] cidx;      // words the head LOAD has received
    assign busy = nfl != {{ nfl_bits }}'d0;
    assign full = nfl == SLOTS;
    // the transfer the request side takes next: the oldest waiting one, else the one issued now
    wire pend = rptr != tail;
    wire [127:{{ q_lsb }}] q_nx    = q_instr[rptr];
    wire nx_store         = pend ? q_store[rptr] : store;
    wire nx_to_weight     = pend ? q_weight[rptr] : to_weight;
    wire nx_gather        = pend ? q_gather[rptr] : gather;
    wire [127:{{ q_lsb }}] nx_instr = pend ? q_nx : instr[127:{{ q_lsb }}];
    wire [15:0] nx_count     = nx_instr[{{ f_count.msb }}:{{ f_count.lsb }}];
    wire [31:0] nx_dram_addr = nx_instr[{{ f_dram.msb }}:{{ f_dram.lsb }}];
    wire [{{ ad.aw - 1 }}:0] nx_sram_addr = {{ nx_sram }};
{%- if !nx_unused.is_empty() %}
    // address bits above this design's {{ ad.aw }}: zero in every program it can run
    wire unused_nx_hi = ^{{ nx_unused }};
{%- endif %}
    // the issue inputs' count and addresses are the instruction's fields, taken from `instr` here
    wire unused_fields = ^{count, dram_addr, sram_addr};
    // the completion side's transfer
    wire [127:{{ q_lsb }}] h_instr = q_instr[head];
    wire h_store          = q_store[head];
    wire h_weight         = q_weight[head];
    wire [15:0] h_count   = h_instr[{{ f_count.msb }}:{{ f_count.lsb }}];
    wire [{{ ad.aw - 1 }}:0] h_sram    = {{ h_sram }};
    wire unused_h_instr   = ^h_instr;  // the completion side needs only the count and sram_addr
{%- if lanes == 1 %}
    wire c_last           = cidx == h_count - 16'd1;
{%- endif %}
{%- endif %}
{%- if shared %}
    reg  granted;         // the current transfer has been granted the channel
    wire go = granted || grant;
    assign want = {{ front }} && !granted;
    assign hold = {{ front }} && granted && (store_q ? (issuing || {% if st_lanes > 1 %}|mem_wr_valid{% else %}mem_wr_valid{% endif %}) : req_idx != count_q);
{%- endif %}
    wire unused_instr_low = ^instr[{{ q_lsb - 1 }}:0];

{% if lanes > 1 %}    // ---------------------------------------------------------------- gather address generation
    // one address generator per request lane: lane j works on the walker's position advanced j
    // words (wk<j>_*; wk0 is the walker's registers, wk{{ lanes }} the position after the last lane)
{%- if rs %}
    wire [7:0]  wk0_kw = w_kw;
    wire [15:0] wk0_c  = w_c;
    wire [15:0] wk0_ow = w_ow;
    // the input rows (oh + j)*sh + kh*dh - pt, j < {{ rows }}, inside the tensor: the same for every lane
    wire [31:0] ih_u = {16'd0, w_oh} * {24'd0, g_sh} + {24'd0, w_kh} * {24'd0, g_dh};
    wire [{{ rows - 1 }}:0] rows_ok;
{%- for k in cols_os %}
    wire [31:0] ih_u_{{ k }} = ih_u + {24'd0, g_sh} * 32'd{{ k }};
    assign rows_ok[{{ k }}] = ih_u_{{ k }} >= {24'd0, g_pt} && ih_u_{{ k }} - {24'd0, g_pt} < {16'd0, g_h};
{%- endfor %}
    reg [15:0] lo;
    reg [15:0] cnt;
    integer k;
    always @(*) begin
        lo  = 16'd0;
        cnt = 16'd0;
        for (k = {{ rows - 1 }}; k >= 0; k = k - 1)
            if (rows_ok[k]) lo = k[15:0];
        for (k = 0; k < {{ rows }}; k = k + 1)
            cnt = cnt + {15'd0, rows_ok[k]};
    end
    wire [31:0] ih_lo     = ih_u + {24'd0, g_sh} * {16'd0, lo} - {24'd0, g_pt};
    wire [31:0] row_base  = ({16'd0, w_n} * {16'd0, g_h} + ih_lo) * {16'd0, g_w};
    wire [31:0] rs_stride = {24'd0, g_sh} * {16'd0, g_w} * {16'd0, g_cs};
{%- for l in lane_v %}
    // lane {{ l.j }}
    wire        c_wrap_{{ l.j }}  = wk{{ l.j }}_c + 16'd1 == g_cg;
    wire        kw_wrap_{{ l.j }} = wk{{ l.j }}_kw + 8'd1 == g_kw;
    wire [15:0] wk{{ l.next }}_c  = c_wrap_{{ l.j }} ? 16'd0 : wk{{ l.j }}_c + 16'd1;
    wire [7:0]  wk{{ l.next }}_kw = c_wrap_{{ l.j }} ? (kw_wrap_{{ l.j }} ? 8'd0 : wk{{ l.j }}_kw + 8'd1) : wk{{ l.j }}_kw;
    wire [15:0] wk{{ l.next }}_ow = (c_wrap_{{ l.j }} && kw_wrap_{{ l.j }}) ? wk{{ l.j }}_ow + 16'd1 : wk{{ l.j }}_ow;
    wire [31:0] iw_u_{{ l.j }} = {16'd0, wk{{ l.j }}_ow} * {24'd0, g_sw} + {24'd0, wk{{ l.j }}_kw} * {24'd0, g_dw};
    wire [31:0] iw_{{ l.j }}   = iw_u_{{ l.j }} - {24'd0, g_pl};
    wire        g_ok_{{ l.j }} = iw_u_{{ l.j }} >= {24'd0, g_pl} && iw_{{ l.j }} < {16'd0, g_w} && cnt != 16'd0;
    wire [31:0] g_addr_{{ l.j }}   = g_ok_{{ l.j }} ? g_base + (row_base + iw_{{ l.j }}) * {16'd0, g_cs} + {16'd0, wk{{ l.j }}_c} : 32'd0;
    wire [31:0] g_stride_{{ l.j }} = g_ok_{{ l.j }} ? rs_stride : 32'd0;
    wire [15:0] g_first_{{ l.j }}  = g_ok_{{ l.j }} ? lo : 16'd0;
    wire [15:0] g_count_{{ l.j }}  = g_ok_{{ l.j }} ? cnt : 16'd0;
{%- endfor %}
    // OH and OW bound no row-stationary word; the registers are written by CONFIG all the same
    wire unused_oh_ow = ^{g_oh, g_ow};
{%- else %}{%- if os %}
    wire [7:0]  wk0_kh = w_kh;
    wire [7:0]  wk0_kw = w_kw;
    wire [15:0] wk0_c  = w_c;
{%- for l in lane_v %}
    // lane {{ l.j }}
    wire        c_wrap_{{ l.j }}  = wk{{ l.j }}_c + 16'd1 == g_cg;
    wire        kw_wrap_{{ l.j }} = wk{{ l.j }}_kw + 8'd1 == g_kw;
    wire [15:0] wk{{ l.next }}_c  = c_wrap_{{ l.j }} ? 16'd0 : wk{{ l.j }}_c + 16'd1;
    wire [7:0]  wk{{ l.next }}_kw = c_wrap_{{ l.j }} ? (kw_wrap_{{ l.j }} ? 8'd0 : wk{{ l.j }}_kw + 8'd1) : wk{{ l.j }}_kw;
    wire [7:0]  wk{{ l.next }}_kh = (c_wrap_{{ l.j }} && kw_wrap_{{ l.j }}) ? wk{{ l.j }}_kh + 8'd1 : wk{{ l.j }}_kh;
    wire [31:0] ih_u_{{ l.j }} = {16'd0, w_oh} * {24'd0, g_sh} + {24'd0, wk{{ l.j }}_kh} * {24'd0, g_dh};
    wire [31:0] iw_u_{{ l.j }} = {16'd0, w_ow} * {24'd0, g_sw} + {24'd0, wk{{ l.j }}_kw} * {24'd0, g_dw};
    wire [31:0] ih_{{ l.j }}   = ih_u_{{ l.j }} - {24'd0, g_pt};
    wire        row_ok_{{ l.j }} = ih_u_{{ l.j }} >= {24'd0, g_pt} && ih_{{ l.j }} < {16'd0, g_h};
    wire [31:0] pixel_base_{{ l.j }} = ({16'd0, w_n} * {16'd0, g_h} + ih_{{ l.j }}) * {16'd0, g_w};
    wire [{{ rows - 1 }}:0] col_ok_{{ l.j }};
{%- for k in cols_os %}
    wire [31:0] iw_{{ l.j }}_{{ k }} = iw_u_{{ l.j }} + {24'd0, g_sw} * 32'd{{ k }};
    assign col_ok_{{ l.j }}[{{ k }}] = ({1'b0, w_ow} + 17'd{{ k }}) < {1'b0, g_ow}
                     && iw_{{ l.j }}_{{ k }} >= {24'd0, g_pl} && iw_{{ l.j }}_{{ k }} - {24'd0, g_pl} < {16'd0, g_w};
{%- endfor %}
    reg [15:0] lo_{{ l.j }};
    reg [15:0] cnt_{{ l.j }};
    integer k_{{ l.j }};
    always @(*) begin
        lo_{{ l.j }}  = 16'd0;
        cnt_{{ l.j }} = 16'd0;
        for (k_{{ l.j }} = {{ rows - 1 }}; k_{{ l.j }} >= 0; k_{{ l.j }} = k_{{ l.j }} - 1)
            if (col_ok_{{ l.j }}[k_{{ l.j }}]) lo_{{ l.j }} = k_{{ l.j }}[15:0];
        for (k_{{ l.j }} = 0; k_{{ l.j }} < {{ rows }}; k_{{ l.j }} = k_{{ l.j }} + 1)
            cnt_{{ l.j }} = cnt_{{ l.j }} + {15'd0, col_ok_{{ l.j }}[k_{{ l.j }}]};
    end
    wire [31:0] iw_lo_{{ l.j }} = iw_u_{{ l.j }} + {24'd0, g_sw} * {16'd0, lo_{{ l.j }}} - {24'd0, g_pl};
    wire        g_ok_{{ l.j }}  = row_ok_{{ l.j }} && cnt_{{ l.j }} != 16'd0;
    wire [31:0] g_addr_{{ l.j }}   = g_ok_{{ l.j }} ? g_base + (pixel_base_{{ l.j }} + iw_lo_{{ l.j }}) * {16'd0, g_cs} + {16'd0, wk{{ l.j }}_c} : 32'd0;
    wire [31:0] g_stride_{{ l.j }} = g_ok_{{ l.j }} ? {24'd0, g_sw} * {16'd0, g_cs} : 32'd0;
    wire [15:0] g_first_{{ l.j }}  = g_ok_{{ l.j }} ? lo_{{ l.j }} : 16'd0;
    wire [15:0] g_count_{{ l.j }}  = g_ok_{{ l.j }} ? cnt_{{ l.j }} : 16'd0;
{%- endfor %}
    // OH bounds the weight-stationary walker only; the register is written by CONFIG all the same
    wire unused_oh = ^g_oh;
{%- else %}
    wire [15:0] wk0_n  = w_n;
    wire [15:0] wk0_oh = w_oh;
    wire [15:0] wk0_ow = w_ow;
    wire [15:0] left   = g_cg - w_c;
    wire [15:0] chans  = w_c >= g_cg ? 16'd0 : (left < 16'd{{ rows }} ? left : 16'd{{ rows }});
{%- for l in lane_v %}
    // lane {{ l.j }}
    wire        ow_wrap_{{ l.j }} = wk{{ l.j }}_ow + 16'd1 == g_ow;
    wire        oh_wrap_{{ l.j }} = wk{{ l.j }}_oh + 16'd1 == g_oh;
    wire [15:0] wk{{ l.next }}_ow = ow_wrap_{{ l.j }} ? 16'd0 : wk{{ l.j }}_ow + 16'd1;
    wire [15:0] wk{{ l.next }}_oh = ow_wrap_{{ l.j }} ? (oh_wrap_{{ l.j }} ? 16'd0 : wk{{ l.j }}_oh + 16'd1) : wk{{ l.j }}_oh;
    wire [15:0] wk{{ l.next }}_n  = (ow_wrap_{{ l.j }} && oh_wrap_{{ l.j }}) ? wk{{ l.j }}_n + 16'd1 : wk{{ l.j }}_n;
    wire [31:0] ih_u_{{ l.j }} = {16'd0, wk{{ l.j }}_oh} * {24'd0, g_sh} + {24'd0, w_kh} * {24'd0, g_dh};
    wire [31:0] iw_u_{{ l.j }} = {16'd0, wk{{ l.j }}_ow} * {24'd0, g_sw} + {24'd0, w_kw} * {24'd0, g_dw};
    wire [31:0] ih_{{ l.j }}   = ih_u_{{ l.j }} - {24'd0, g_pt};
    wire        row_ok_{{ l.j }} = ih_u_{{ l.j }} >= {24'd0, g_pt} && ih_{{ l.j }} < {16'd0, g_h};
    wire [31:0] pixel_base_{{ l.j }} = ({16'd0, wk{{ l.j }}_n} * {16'd0, g_h} + ih_{{ l.j }}) * {16'd0, g_w};
    wire        col_ok_{{ l.j }} = iw_u_{{ l.j }} >= {24'd0, g_pl} && iw_u_{{ l.j }} - {24'd0, g_pl} < {16'd0, g_w};
    wire        g_ok_{{ l.j }}   = row_ok_{{ l.j }} && col_ok_{{ l.j }} && chans != 16'd0;
    wire [31:0] g_addr_{{ l.j }}   = g_ok_{{ l.j }} ? g_base + (pixel_base_{{ l.j }} + iw_u_{{ l.j }} - {24'd0, g_pl}) * {16'd0, g_cs} + {16'd0, w_c} : 32'd0;
    wire [31:0] g_stride_{{ l.j }} = g_ok_{{ l.j }} ? 32'd1 : 32'd0;
    wire [15:0] g_first_{{ l.j }}  = 16'd0;
    wire [15:0] g_count_{{ l.j }}  = g_ok_{{ l.j }} ? chans : 16'd0;
{%- endfor %}
    // KW bounds the output-stationary walker only; the register is written by CONFIG all the same
    wire unused_kw = ^g_kw;
{%- endif %}{%- endif %}

{% else %}    // ---------------------------------------------------------------- gather address generation
{%- if rs %}
    wire [31:0] ih_u = {16'd0, w_oh} * {24'd0, g_sh} + {24'd0, w_kh} * {24'd0, g_dh};
    wire [31:0] iw_u = {16'd0, w_ow} * {24'd0, g_sw} + {24'd0, w_kw} * {24'd0, g_dw};
    wire [31:0] iw   = iw_u - {24'd0, g_pl};
    wire        col_ok = iw_u >= {24'd0, g_pl} && iw < {16'd0, g_w};
    // {{ gather_dim }} = {{ rows }} input rows (oh + j)*sh + kh*dh - pt: which are inside the tensor
    wire [{{ rows - 1 }}:0] rows_ok;
{%- for j in cols_os %}
    wire [31:0] ih_u_{{ j }} = ih_u + {24'd0, g_sh} * 32'd{{ j }};
    assign rows_ok[{{ j }}] = ih_u_{{ j }} >= {24'd0, g_pt} && ih_u_{{ j }} - {24'd0, g_pt} < {16'd0, g_h};
{%- endfor %}
    reg [15:0] lo;
    reg [15:0] cnt;
    integer k;
    always @(*) begin
        lo  = 16'd0;
        cnt = 16'd0;
        for (k = {{ rows - 1 }}; k >= 0; k = k - 1)
            if (rows_ok[k]) lo = k[15:0];
        for (k = 0; k < {{ rows }}; k = k + 1)
            cnt = cnt + {15'd0, rows_ok[k]};
    end
    wire [31:0] ih_lo    = ih_u + {24'd0, g_sh} * {16'd0, lo} - {24'd0, g_pt};
    wire [31:0] row_base = ({16'd0, w_n} * {16'd0, g_h} + ih_lo) * {16'd0, g_w};
    reg  [31:0] g_addr;
    reg  [31:0] g_stride;
    reg  [15:0] g_first;
    reg  [15:0] g_count;
    // OH and OW bound no row-stationary word; the registers are written by CONFIG all the same
    wire unused_oh_ow = ^{g_oh, g_ow};
    always @(*) begin
        if (col_ok && cnt != 16'd0) begin
            g_addr   = g_base + (row_base + iw) * {16'd0, g_cs} + {16'd0, w_c};
            g_stride = {24'd0, g_sh} * {16'd0, g_w} * {16'd0, g_cs};
            g_first  = lo;
            g_count  = cnt;
        end else begin
            g_addr   = 32'd0;
            g_stride = 32'd0;
            g_first  = 16'd0;
            g_count  = 16'd0;
        end
    end
{%- else %}
    wire [31:0] ih_u = {16'd0, w_oh} * {24'd0, g_sh} + {24'd0, w_kh} * {24'd0, g_dh};
    wire [31:0] iw_u = {16'd0, w_ow} * {24'd0, g_sw} + {24'd0, w_kw} * {24'd0, g_dw};
    wire [31:0] ih   = ih_u - {24'd0, g_pt};
    wire        row_ok = ih_u >= {24'd0, g_pt} && ih < {16'd0, g_h};
    wire [31:0] pixel_base = ({16'd0, w_n} * {16'd0, g_h} + ih) * {16'd0, g_w};
    reg  [31:0] g_addr;
    reg  [31:0] g_stride;
    reg  [15:0] g_first;
    reg  [15:0] g_count;
{%- if os %}
    // {{ gather_dim }} consecutive output pixels ow + j: which are inside the output row and the tensor
    wire [{{ rows - 1 }}:0] col_ok;
{%- for j in cols_os %}
    wire [31:0] iw_{{ j }} = iw_u + {24'd0, g_sw} * 32'd{{ j }};
    assign col_ok[{{ j }}] = ({1'b0, w_ow} + 17'd{{ j }}) < {1'b0, g_ow}
                     && iw_{{ j }} >= {24'd0, g_pl} && iw_{{ j }} - {24'd0, g_pl} < {16'd0, g_w};
{%- endfor %}
    reg [15:0] lo;
    reg [15:0] cnt;
    integer k;
    always @(*) begin
        lo  = 16'd0;
        cnt = 16'd0;
        for (k = {{ rows - 1 }}; k >= 0; k = k - 1)
            if (col_ok[k]) lo = k[15:0];
        for (k = 0; k < {{ rows }}; k = k + 1)
            cnt = cnt + {15'd0, col_ok[k]};
    end
    wire [31:0] iw_lo = iw_u + {24'd0, g_sw} * {16'd0, lo} - {24'd0, g_pl};
    // OH bounds the weight-stationary walker only; the register is written by CONFIG all the same
    wire unused_oh = ^g_oh;
    always @(*) begin
        if (row_ok && cnt != 16'd0) begin
            g_addr   = g_base + (pixel_base + iw_lo) * {16'd0, g_cs} + {16'd0, w_c};
            g_stride = {24'd0, g_sw} * {16'd0, g_cs};
            g_first  = lo;
            g_count  = cnt;
        end else begin
            g_addr   = 32'd0;
            g_stride = 32'd0;
            g_first  = 16'd0;
            g_count  = 16'd0;
        end
    end
{%- else %}
    wire        col_ok = iw_u >= {24'd0, g_pl} && iw_u - {24'd0, g_pl} < {16'd0, g_w};
    // KW bounds the output-stationary walker only; the register is written by CONFIG all the same
    wire unused_kw = ^g_kw;
    wire [15:0] left   = g_cg - w_c;
    wire [15:0] chans  = w_c >= g_cg ? 16'd0 : (left < 16'd{{ rows }} ? left : 16'd{{ rows }});
    always @(*) begin
        if (row_ok && col_ok && chans != 16'd0) begin
            g_addr   = g_base + (pixel_base + iw_u - {24'd0, g_pl}) * {16'd0, g_cs} + {16'd0, w_c};
            g_stride = 32'd1;
            g_first  = 16'd0;
            g_count  = chans;
        end else begin
            g_addr   = 32'd0;
            g_stride = 32'd0;
            g_first  = 16'd0;
            g_count  = 16'd0;
        end
    end
{%- endif %}{%- endif %}

{% endif %}    // ---------------------------------------------------------------- LOAD: paced requests
{% if lanes > 1 %}    wire ld          = {{ front }} && !store_q{% if shared %} && go{% endif %};
    wire ld_left     = req_idx != count_q;
    wire [{{ credit_bits - 1 }}:0] ld_w = weight_q ? W_W : IN_W;
    wire [{{ credit_bits - 1 }}:0] ld_b = weight_q ? W_B : IN_B;
    // lane j presents request req_idx + j when j+1 words remain and the credit covers j+1 words
    wire [{{ credit_bits - 1 }}:0] ld_avail = credit + ld_w;
    wire [15:0] ld_rem = count_q - req_idx;
    wire [{{ lanes - 1 }}:0] ld_lane;
{%- for l in lane_v %}
    assign ld_lane[{{ l.j }}] = ld && ld_rem > 16'd{{ l.j }} && ld_avail >= (weight_q ? {{ credit_bits }}'d{{ l.w_need }} : {{ credit_bits }}'d{{ l.in_need }});
{%- endfor %}
    wire ld_issue    = ld_lane[0];
    // this cycle's requests (the valid lanes are a prefix) and their bytes
    wire [15:0] ld_q = {% for l in lane_v %}{15'd0, ld_lane[{{ l.j }}]}{% if !loop.last %} + {% endif %}{% endfor %};
    wire [{{ credit_bits - 1 }}:0] ld_spent = {% for l in lane_rev %}ld_lane[{{ l.j }}] ? (weight_q ? {{ credit_bits }}'d{{ l.w_need }} : {{ credit_bits }}'d{{ l.in_need }}) : {% endfor %}{{ credit_bits }}'d0;
    assign mem_rd_req_valid  = ld_lane;
    assign mem_rd_req_bytes  = {{ "{" }}{{ 16 - credit_bits }}'d0, ld_b{{ "}" }};
{%- for l in lane_v %}
    assign mem_rd_req_addr[{{ 32 * l.j }} +: 32]   = gather_q ? g_addr_{{ l.j }} : dram_q + (weight_q ? 32'd{{ l.w_off }} : 32'd{{ l.in_off }});
    assign mem_rd_req_stride[{{ 32 * l.j }} +: 32] = gather_q ? g_stride_{{ l.j }} : 32'd1;
    assign mem_rd_req_first[{{ 16 * l.j }} +: 16]  = gather_q ? g_first_{{ l.j }} : 16'd0;
    assign mem_rd_req_count[{{ 16 * l.j }} +: 16]  = gather_q ? g_count_{{ l.j }} : {{ "{" }}{{ 16 - credit_bits }}'d0, ld_b{{ "}" }};
    assign mem_rd_req_last[{{ l.j }}] = ld_rem == 16'd{{ l.next }};
{%- endfor %}
    // the walker's position after this cycle's q requests: lane q's
{%- if rs %}
    wire [7:0]  wq_kw = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_kw : {% endfor %}wk1_kw;
    wire [15:0] wq_c  = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_c : {% endfor %}wk1_c;
    wire [15:0] wq_ow = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_ow : {% endfor %}wk1_ow;
{%- else %}{%- if os %}
    wire [7:0]  wq_kh = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_kh : {% endfor %}wk1_kh;
    wire [7:0]  wq_kw = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_kw : {% endfor %}wk1_kw;
    wire [15:0] wq_c  = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_c : {% endfor %}wk1_c;
{%- else %}
    wire [15:0] wq_n  = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_n : {% endfor %}wk1_n;
    wire [15:0] wq_oh = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_oh : {% endfor %}wk1_oh;
    wire [15:0] wq_ow = {% for l in lane_rev_hi %}ld_lane[{{ l.j }}] ? wk{{ l.next }}_ow : {% endfor %}wk1_ow;
{%- endif %}{%- endif %}
    // words returned this cycle (a prefix of the lanes, word cidx/idx + j on lane j)
    wire [15:0] rd_q = {% for l in lane_v %}{15'd0, mem_rd_valid[{{ l.j }}]}{% if !loop.last %} + {% endif %}{% endfor %};
{%- if slots %}

    // the head transfer's last busy cycle: it leaves the slots at the end of it
    wire rd_fin   = cidx + rd_q == h_count;
    wire xfer_end = busy && (h_store ? mem_wr_ack : (mem_rd_valid[0] && rd_fin));
    assign trace_done = xfer_end;
    // the request side ends its transfer (request end e) and takes the next one, if any, at the end
    // of this cycle
    wire ld_fin   = ld_issue && ld_q == ld_rem;  // the transfer's last request is among this cycle's
    wire req_end  = req_busy && (store_q ? {% if st_lanes > 1 %}|mem_wr_last{% else %}mem_wr_last{% endif %} : ld_fin);
    wire req_take = (!req_busy || req_end) && (pend || start);
{%- if shared %}
    assign take = req_take;
{%- endif %}

    // LOAD: write the returned words into the head transfer's buffer
    wire rd_word   = busy && !h_store && mem_rd_valid[0];
    wire wr_weight = h_weight;
    wire [{{ ad.aw - 1 }}:0] wr_base = h_sram + {{ ad.zl }}cidx{{ ad.zr }};
{%- else %}

    // the conditions under which the sequential block below clears busy
    wire rd_fin = idx + rd_q == count_q;
    assign trace_done = busy && (store_q ? mem_wr_ack : (mem_rd_valid[0] && rd_fin));

    // LOAD: write the returned words into their buffer
    wire rd_word   = ld && mem_rd_valid[0];
    wire wr_weight = weight_q;
    wire [{{ ad.aw - 1 }}:0] wr_base = sram_q + {{ ad.zl }}idx{{ ad.zr }};
{%- endif %}
    // write lane s takes the returned word whose address is s mod {{ lanes }}: read lane (s - wr_base) mod {{ lanes }}
{%- for l in lane_v %}
    wire [{{ lp - 1 }}:0] wr_rot_{{ l.j }}  = {{ lp }}'d{{ l.j }} - wr_base[{{ lp - 1 }}:0];
    wire       wr_v_{{ l.j }}    = rd_word && mem_rd_valid[wr_rot_{{ l.j }}];
    wire [{{ ad.aw - 1 }}:0] wr_addr_{{ l.j }} = wr_base + {{ "{" }}{{ ad.aw - lp }}'d0, wr_rot_{{ l.j }}{{ "}" }};
    wire [{{ 8 * load_bytes - 1 }}:0] wr_data_{{ l.j }} = {% for m in lane_v %}{% if !loop.last %}wr_rot_{{ l.j }} == {{ lp }}'d{{ m.j }} ? mem_rd_data[{{ 8 * bus_bytes * m.j }} +: {{ 8 * load_bytes }}] : {% else %}mem_rd_data[{{ 8 * bus_bytes * m.j }} +: {{ 8 * load_bytes }}]{% endif %}{% endfor %};
    assign in_we[{{ l.j }}]   = wr_v_{{ l.j }} && !wr_weight;
    assign in_waddr[{{ ad.aw * l.j }} +: {{ ad.aw }}] = wr_addr_{{ l.j }};
    assign in_wdata[{{ in_bits * l.j }} +: {{ in_bits }}] = wr_data_{{ l.j }}[{{ in_bits - 1 }}:0];
    assign w_we[{{ l.j }}]    = wr_v_{{ l.j }} && wr_weight;
    assign w_waddr[{{ ad.aw * l.j }} +: {{ ad.aw }}] = wr_addr_{{ l.j }};
    assign w_wdata[{{ w_bits * l.j }} +: {{ w_bits }}] = wr_data_{{ l.j }}[{{ w_bits - 1 }}:0];
{%- endfor %}
{%- if bus_bytes > load_bytes %}
    // each lane of the read data bus is as wide as the widest word; loads use its low {{ load_bytes }} bytes
    wire unused_rd_data = ^{{ "{" }}{% for l in lane_v %}mem_rd_data[{{ 8 * bus_bytes * l.j + 8 * bus_bytes - 1 }}:{{ 8 * bus_bytes * l.j + 8 * load_bytes }}]{% if !loop.last %}, {% endif %}{% endfor %}{{ "}" }};
{%- endif %}
{% else %}    wire ld          = {{ front }} && !store_q{% if shared %} && go{% endif %};
    wire ld_left     = req_idx != count_q;
    wire [{{ credit_bits - 1 }}:0] ld_w = weight_q ? W_W : IN_W;
    wire [{{ credit_bits - 1 }}:0] ld_b = weight_q ? W_B : IN_B;
    wire ld_issue    = ld && ld_left && credit + ld_w >= ld_b;
    assign mem_rd_req_valid  = ld_issue;
    assign mem_rd_req_addr   = gather_q ? g_addr : dram_q;
    assign mem_rd_req_stride = gather_q ? g_stride : 32'd1;
    assign mem_rd_req_first  = gather_q ? g_first : 16'd0;
    assign mem_rd_req_count  = gather_q ? g_count : {{ "{" }}{{ 16 - credit_bits }}'d0, ld_b{{ "}" }};
    assign mem_rd_req_bytes  = {{ "{" }}{{ 16 - credit_bits }}'d0, ld_b{{ "}" }};
    assign mem_rd_req_last   = req_idx == count_q - 16'd1;
{%- if slots %}

    // the head transfer's last busy cycle: it leaves the slots at the end of it
    wire xfer_end = busy && (h_store ? mem_wr_ack : (mem_rd_valid && c_last));
    assign trace_done = xfer_end;
    // the request side ends its transfer (request end e) and takes the next one, if any, at the end
    // of this cycle
    wire req_end  = req_busy && (store_q ? mem_wr_last : (ld_issue && mem_rd_req_last));
    wire req_take = (!req_busy || req_end) && (pend || start);
{%- if shared %}
    assign take = req_take;
{%- endif %}

    // LOAD: write each returned word into the head transfer's buffer
    wire rd_word = busy && !h_store && mem_rd_valid;
    assign in_we    = rd_word && !h_weight;
    assign in_waddr = h_sram + {{ ad.zl }}cidx{{ ad.zr }};
    assign in_wdata = mem_rd_data[{{ in_bits - 1 }}:0];
    assign w_we     = rd_word && h_weight;
    assign w_waddr  = h_sram + {{ ad.zl }}cidx{{ ad.zr }};
{%- else %}

    // the conditions under which the sequential block below clears busy
    assign trace_done = busy && (store_q ? mem_wr_ack : (mem_rd_valid && last_idx));

    // LOAD: write each returned word into its buffer
    wire rd_word = ld && mem_rd_valid;
    assign in_we    = rd_word && !weight_q;
    assign in_waddr = sram_q + {{ ad.zl }}idx{{ ad.zr }};
    assign in_wdata = mem_rd_data[{{ in_bits - 1 }}:0];
    assign w_we     = rd_word && weight_q;
    assign w_waddr  = sram_q + {{ ad.zl }}idx{{ ad.zr }};
{%- endif %}
    assign w_wdata  = mem_rd_data[{{ w_bits - 1 }}:0];
{%- if bus_bytes > load_bytes %}
    // the read data bus is as wide as the widest word; loads use the low {{ load_bytes }} bytes
    wire unused_rd_data = ^mem_rd_data[{{ 8 * bus_bytes - 1 }}:{{ 8 * load_bytes }}];
{%- endif %}
{% endif %}
{%- if st_lanes > 1 %}
    // STORE: credit-paced reads of up to {{ st_lanes }} accumulator words per cycle, beat lane j reading word
    // idx + j when j+1 words remain and the credit covers j+1 words; the beats on the next cycle
    wire st_on  = {{ front }} && store_q && issuing{% if shared %} && go{% endif %};
    wire [15:0] st_rem = count_q - idx;
    wire [{{ credit_bits - 1 }}:0] st_avail = credit + ST_W;
    wire [{{ st_lanes - 1 }}:0] st_lane;
{%- for l in st_lane_v %}
    assign st_lane[{{ l.j }}] = st_on && st_rem > 16'd{{ l.j }} && st_avail >= {{ credit_bits }}'d{{ l.need }};
{%- endfor %}
    wire issue = st_lane[0];
    wire [15:0] st_q = {% for l in st_lane_v %}{15'd0, st_lane[{{ l.j }}]}{% if !loop.last %} + {% endif %}{% endfor %};
    wire [{{ credit_bits - 1 }}:0] st_spent = {% for l in st_lane_rev %}st_lane[{{ l.j }}] ? {{ credit_bits }}'d{{ l.need }} : {% endfor %}{{ credit_bits }}'d0;
    wire st_fin = issue && st_q == st_rem;  // the transfer's last word is among this cycle's
    wire [{{ ad.aw - 1 }}:0] st_base = sram_q + {{ ad.zl }}idx{{ ad.zr }};
    // read lane s reads the word whose address is s mod {{ st_lanes }}: beat lane (s - st_base) mod {{ st_lanes }}
{%- for l in st_lane_v %}
    wire [{{ slp - 1 }}:0] st_rot_{{ l.j }} = {{ slp }}'d{{ l.j }} - st_base[{{ slp - 1 }}:0];
    assign acc_re[{{ l.j }}] = st_lane[st_rot_{{ l.j }}];
    assign acc_raddr[{{ ad.aw * l.j }} +: {{ ad.aw }}] = st_base + {{ "{" }}{{ ad.aw - slp }}'d0, st_rot_{{ l.j }}{{ "}" }};
{%- endfor %}
    // the beats of the words read last cycle: beat lane j carries read lane (bt_rot_q + j) mod {{ st_lanes }}'s
    // word, at bt_addr_q + j*b
    reg [{{ slp - 1 }}:0] bt_rot_q;  // st_base mod {{ st_lanes }} of the words read last cycle
    reg [31:0] bt_addr_q;  // DRAM address of the first of them
{%- for l in st_lane_v %}
    wire [{{ slp - 1 }}:0] bt_src_{{ l.j }} = bt_rot_q + {{ slp }}'d{{ l.j }};
    wire [{{ acc_bits - 1 }}:0] bt_word_{{ l.j }} = {% for m in st_lane_v %}{% if !loop.last %}bt_src_{{ l.j }} == {{ slp }}'d{{ m.j }} ? acc_rdata[{{ acc_bits * m.j }} +: {{ acc_bits }}] : {% else %}acc_rdata[{{ acc_bits * m.j }} +: {{ acc_bits }}]{% endif %}{% endfor %};
{%- if bus_bytes > store_bytes %}
    assign mem_wr_data[{{ 8 * bus_bytes * l.j }} +: {{ 8 * bus_bytes }}] = { {{ 8 * (bus_bytes - store_bytes) }}'d0, bt_word_{{ l.j }}};
{%- else %}
    assign mem_wr_data[{{ 8 * bus_bytes * l.j }} +: {{ 8 * bus_bytes }}] = bt_word_{{ l.j }};
{%- endif %}
    assign mem_wr_addr[{{ 32 * l.j }} +: 32] = bt_addr_q + 32'd{{ l.off }};
{%- endfor %}
    assign mem_wr_bytes = 16'd{{ store_bytes }};
{%- else %}
    // STORE: credit-paced reads of the accumulator, one beat per read on the next cycle
    wire credit_ok = credit + ST_W >= ST_B;
    wire issue = {{ front }} && store_q && issuing && credit_ok{% if shared %} && go{% endif %};
    assign acc_re    = issue;
    assign acc_raddr = sram_q + {{ ad.zl }}idx{{ ad.zr }};
{%- if bus_bytes > store_bytes %}
    assign mem_wr_data  = { {{ 8 * (bus_bytes - store_bytes) }}'d0, acc_rdata};
{%- else %}
    assign mem_wr_data  = acc_rdata;
{%- endif %}
    assign mem_wr_bytes = 16'd{{ store_bytes }};
{%- endif %}

    always @(posedge clk) begin
        if (rst) begin
{%- if slots %}
            req_busy     <= 1'b0;
{%- else %}
            busy         <= 1'b0;
{%- endif %}
            store_q      <= 1'b0;
            weight_q     <= 1'b0;
            gather_q     <= 1'b0;
            count_q      <= 16'd0;
            sram_q       <= {{ ad.aw }}'d0;
            idx          <= 16'd0;
            req_idx      <= 16'd0;
            dram_q       <= 32'd0;
            issuing      <= 1'b0;
            credit       <= {{ credit_bits }}'d0;
{%- if st_lanes > 1 %}
            mem_wr_valid <= {{ st_lanes }}'d0;
            mem_wr_last  <= {{ st_lanes }}'d0;
            bt_rot_q     <= {{ slp }}'d0;
            bt_addr_q    <= 32'd0;
{%- else %}
            mem_wr_valid <= 1'b0;
            mem_wr_addr  <= 32'd0;
            mem_wr_last  <= 1'b0;
{%- endif %}
{%- if shared %}
            granted      <= 1'b0;
{%- endif %}
            g_base <= 32'd0; g_h <= 16'd0; g_w <= 16'd0; g_cs <= 16'd0; g_ow <= 16'd0; g_oh <= 16'd0;
            g_sh <= 8'd0; g_sw <= 8'd0; g_dh <= 8'd0; g_dw <= 8'd0; g_pt <= 8'd0; g_pl <= 8'd0;
            g_kw <= 8'd0; g_cg <= 16'd0;
            w_n <= 16'd0; w_oh <= 16'd0; w_ow <= 16'd0; w_kh <= 8'd0; w_kw <= 8'd0; w_c <= 16'd0;
        end else begin
{%- if st_lanes > 1 %}
            mem_wr_valid <= st_lane;
{%- for l in st_lane_v %}
            mem_wr_last[{{ l.j }}] <= st_lane[{{ l.j }}] && st_rem == 16'd{{ l.next }};
{%- endfor %}
{%- else %}
            mem_wr_valid <= issue;
            mem_wr_last  <= issue && last_idx;
{%- endif %}
{%- if shared %}
            if (grant) granted <= 1'b1;
{%- endif %}
            if (cfg_we) begin
                if (!cfg_reg) begin
                    g_base <= instr[{{ t_base.msb }}:{{ t_base.lsb }}];
                    g_h    <= instr[{{ t_h.msb }}:{{ t_h.lsb }}];
                    g_w    <= instr[{{ t_w.msb }}:{{ t_w.lsb }}];
                    g_cs   <= instr[{{ t_cs.msb }}:{{ t_cs.lsb }}];
                    g_ow   <= instr[{{ t_ow.msb }}:{{ t_ow.lsb }}];
                    g_oh   <= instr[{{ t_oh.msb }}:{{ t_oh.lsb }}];
                end else begin
                    g_sh   <= instr[{{ w_sh.msb }}:{{ w_sh.lsb }}];
                    g_sw   <= instr[{{ w_sw.msb }}:{{ w_sw.lsb }}];
                    g_dh   <= instr[{{ w_dh.msb }}:{{ w_dh.lsb }}];
                    g_dw   <= instr[{{ w_dw.msb }}:{{ w_dw.lsb }}];
                    g_pt   <= instr[{{ w_pt.msb }}:{{ w_pt.lsb }}];
                    g_pl   <= instr[{{ w_pl.msb }}:{{ w_pl.lsb }}];
                    g_kw   <= instr[{{ w_kw.msb }}:{{ w_kw.lsb }}];
                    g_cg   <= instr[{{ w_cg.msb }}:{{ w_cg.lsb }}];
                end
            end
{%- if slots %}
            if (req_take) begin
                req_busy <= 1'b1;
{%- else %}
            if (start) begin
                busy     <= 1'b1;
{%- endif %}
                store_q  <= {{ src }}store;
                weight_q <= {{ src }}to_weight;
                gather_q <= {{ src }}gather && !{{ src }}store;
                count_q  <= {{ src }}count;
                sram_q   <= {{ src }}sram_addr;
                idx      <= 16'd0;
                req_idx  <= 16'd0;
                dram_q   <= {{ src }}dram_addr;
                issuing  <= {{ src }}store;
                credit   <= {{ credit_bits }}'d0;
{%- if shared %}
                granted  <= 1'b0;
{%- endif %}
                w_n  <= {{ src }}instr[{{ g_n.msb }}:{{ g_n.lsb }}];
                w_oh <= {{ src }}instr[{{ g_oh.msb }}:{{ g_oh.lsb }}];
                w_ow <= {{ src }}instr[{{ g_ow.msb }}:{{ g_ow.lsb }}];
                w_kh <= {{ src }}instr[{{ g_kh.msb }}:{{ g_kh.lsb }}];
                w_kw <= {{ src }}instr[{{ g_kw.msb }}:{{ g_kw.lsb }}];
                w_c  <= {{ src }}instr[{{ g_c.msb }}:{{ g_c.lsb }}];
            end else if ({{ front }} && store_q) begin
{%- if st_lanes > 1 %}
                if (issuing{% if shared %} && go{% endif %}) begin
                    credit <= st_avail - st_spent;
                end
                if (issue) begin
                    idx       <= idx + st_q;
                    dram_q    <= dram_q + {{ "{" }}{{ 32 - credit_bits }}'d0, st_spent{{ "}" }};
                    bt_addr_q <= dram_q;
                    bt_rot_q  <= st_base[{{ slp - 1 }}:0];
                    if (st_fin) issuing <= 1'b0;
                end
{%- else %}
                if (issuing{% if shared %} && go{% endif %}) begin
                    credit <= credit + ST_W - (issue ? ST_B : {{ credit_bits }}'d0);
                end
                if (issue) begin
                    idx         <= idx + 16'd1;
                    dram_q      <= dram_q + 32'd{{ store_bytes }};
                    mem_wr_addr <= dram_q;
                    if (last_idx) issuing <= 1'b0;
                end
{%- endif %}
{%- if slots %}
                if ({% if st_lanes > 1 %}|mem_wr_last{% else %}mem_wr_last{% endif %}) req_busy <= 1'b0;
{%- else %}
                if (mem_wr_ack) busy <= 1'b0;
{%- endif %}
            end else if ({{ front }}) begin
                if (ld_left{% if shared %} && go{% endif %}) begin
                    credit <= {% if lanes > 1 %}ld_avail - ld_spent{% else %}credit + ld_w - (ld_issue ? ld_b : {{ credit_bits }}'d0){% endif %};
                end
                if (ld_issue) begin
{%- if lanes > 1 %}
                    req_idx <= req_idx + ld_q;
                    dram_q  <= dram_q + {{ "{" }}{{ 32 - credit_bits }}'d0, ld_spent{{ "}" }};
{%- if rs %}
                    w_kw <= wq_kw;
                    w_c  <= wq_c;
                    w_ow <= wq_ow;
{%- else %}{%- if os %}
                    w_kh <= wq_kh;
                    w_kw <= wq_kw;
                    w_c  <= wq_c;
{%- else %}
                    w_n  <= wq_n;
                    w_oh <= wq_oh;
                    w_ow <= wq_ow;
{%- endif %}{%- endif %}
{%- else %}
                    req_idx <= req_idx + 16'd1;
                    dram_q  <= dram_q + {{ "{" }}{{ 32 - credit_bits }}'d0, ld_b{{ "}" }};
{%- if rs %}
                    if (w_c + 16'd1 == g_cg) begin
                        w_c <= 16'd0;
                        if (w_kw + 8'd1 == g_kw) begin
                            w_kw <= 8'd0;
                            w_ow <= w_ow + 16'd1;
                        end else begin
                            w_kw <= w_kw + 8'd1;
                        end
                    end else begin
                        w_c <= w_c + 16'd1;
                    end
{%- else %}{%- if os %}
                    if (w_c + 16'd1 == g_cg) begin
                        w_c <= 16'd0;
                        if (w_kw + 8'd1 == g_kw) begin
                            w_kw <= 8'd0;
                            w_kh <= w_kh + 8'd1;
                        end else begin
                            w_kw <= w_kw + 8'd1;
                        end
                    end else begin
                        w_c <= w_c + 16'd1;
                    end
{%- else %}
                    if (w_ow + 16'd1 == g_ow) begin
                        w_ow <= 16'd0;
                        if (w_oh + 16'd1 == g_oh) begin
                            w_oh <= 16'd0;
                            w_n  <= w_n + 16'd1;
                        end else begin
                            w_oh <= w_oh + 16'd1;
                        end
                    end else begin
                        w_ow <= w_ow + 16'd1;
                    end
{%- endif %}{%- endif %}
{%- endif %}
                end
{%- if slots %}
{%- if lanes > 1 %}
                if (ld_fin) req_busy <= 1'b0;
{%- else %}
                if (ld_issue && mem_rd_req_last) req_busy <= 1'b0;
{%- endif %}
{%- else %}
{%- if lanes > 1 %}
                if (mem_rd_valid[0]) begin
                    idx <= idx + rd_q;
                    if (rd_fin) busy <= 1'b0;
                end
{%- else %}
                if (mem_rd_valid) begin
                    idx <= idx + 16'd1;
                    if (last_idx) busy <= 1'b0;
                end
{%- endif %}
{%- endif %}
            end
        end
    end
{%- if slots %}

    // transfers in flight: enter at issue, leave in their last busy cycle
    integer s;
    always @(posedge clk) begin
        if (rst) begin
            for (s = 0; s < {{ outstanding }}; s = s + 1) q_instr[s] <= {{ 128 - q_lsb }}'d0;
            q_store  <= {{ outstanding }}'d0;
            q_weight <= {{ outstanding }}'d0;
            q_gather <= {{ outstanding }}'d0;
            head     <= {{ ptr_bits }}'d0;
            rptr     <= {{ ptr_bits }}'d0;
            tail     <= {{ ptr_bits }}'d0;
            nfl      <= {{ nfl_bits }}'d0;
            cidx     <= 16'd0;
        end else begin
            if (start) begin
                q_instr[tail]  <= instr[127:{{ q_lsb }}];
                q_store[tail]  <= store;
                q_weight[tail] <= to_weight;
                q_gather[tail] <= gather;
                tail <= tail == LAST_SLOT ? {{ ptr_bits }}'d0 : tail + {{ ptr_bits }}'d1;
            end
            if (req_take) rptr <= rptr == LAST_SLOT ? {{ ptr_bits }}'d0 : rptr + {{ ptr_bits }}'d1;
            if (xfer_end) begin
                head <= head == LAST_SLOT ? {{ ptr_bits }}'d0 : head + {{ ptr_bits }}'d1;
                cidx <= 16'd0;
            end else if (rd_word) begin
                cidx <= cidx + {% if lanes > 1 %}rd_q{% else %}16'd1{% endif %};
            end
            nfl <= nfl + {{ "{" }}{{ nfl_bits - 1 }}'d0, start{{ "}" }} - {{ "{" }}{{ nfl_bits - 1 }}'d0, xfer_end{{ "}" }};
        end
    end
{%- endif %}
endmodule

