{% include "header.v" %}

{% if noc_default -%}
// Weight-stationary compute unit with double-buffered weights (docs/TIMING.md, "double-buffered
// weights"). R = {{ rows }}, C = {{ cols }}. Tiles overlap: one tile may wait (issued, not streaming), one
// streams, and the one before may still drain. For COMPUTE j issued in cycle c, behind the tile that
// began streaming in cycle s' with M' rows:
//   preload:    begins at P = max(c+1, s'+R+C-1) (the switch of the tile before has reached the last
//               PE); P+i reads weight word w_addr + (R-1-i), i = 0..R-1; the shadows shift at the
//               end of P+1..P+R;
//   stream:     begins at s = max(P+R, s'+M'); s+m reads input word in_addr + m; row 0 carries the
//               switch bit, so each PE takes the new weights as the tile's first operand reaches it;
//   write back: row m is written at the end of s+R+C+m (accumulating: old word read at s+R+C+m-1);
//   done:       in the cycle of the last write, s+R+C+M-1.
// busy: some COMPUTE issued is not done; full: a tile is waiting (no COMPUTE can issue);
// prev_busy: some COMPUTE but the last issued is not done;
// prev_stream_busy: some COMPUTE but the last issued still reads its stream (SYNC prev_stream): the
// last issued waits (a COMPUTE issues only when none does) and the streaming tile, the one issued
// before it, has rows left to read.
// trace_done (observability only, combinational): high in the cycle of a tile's last write.
{%- else -%}
// Weight-stationary compute unit with double-buffered weights and {{ noc_label }}
// (docs/TIMING.md, "double-buffered weights" and "Interconnect options of the weight- and
// input-stationary arrays"). R = {{ rows }}, C = {{ cols }}, X = {{ x_sym }} = {{ x }}. Tiles overlap: one tile may
// wait (issued, not streaming), one streams, and the one before may still drain. For COMPUTE j
// issued in cycle c, behind the tile that began streaming in cycle s' with M' rows:
//   preload:    begins at P = max(c+1, s'+{{ reach_sym }}) (s'+{{ reach_sym }} = s'+{{ switch_reach }}: the switch of the tile
//               before has reached the last PE); P+i reads weight word w_addr + (R-1-i), i = 0..R-1;
//               the shadows shift at the end of P+1..P+R;
//   stream:     begins at s = max(P+R, s'+M'); s+m reads input word in_addr + m; row 0 carries the
//               switch bit{% if tree %} (no skew){% endif %}{% if systolic %}, from PE to PE{% else %}, over the row bus{% endif %}, so each PE takes the new weights as
//               the tile's first operand reaches it;
//   write back: row m is written at the end of s+(X-R)+m = s+{{ capture + 1 }}+m (accumulating: old word
//               read at s+{{ capture }}+m);
//   done:       in the cycle of the last write, s+(X-R)+M-1.
// busy: some COMPUTE issued is not done; full: a tile is waiting (no COMPUTE can issue);
// prev_busy: some COMPUTE but the last issued is not done;
// prev_stream_busy: some COMPUTE but the last issued still reads its stream (SYNC prev_stream): the
// last issued waits (a COMPUTE issues only when none does) and the streaming tile, the one issued
// before it, has rows left to read.
// trace_done (observability only, combinational): high in the cycle of a tile's last write.
{%- endif -%}
{%- if swapped %}
// Input-stationary (docs/TIMING.md, "Compute unit: input-stationary"): the top wires the preload
// port (w_*) to the input buffer and the stream port (in_*) to the weight buffer, and passes the
// COMPUTE's w_addr as in_addr and its in_addr as w_addr: the preloaded, double-buffered words are
// rows of A (byte c = column c), the streamed words columns of B (byte r = row r).
{%- endif %}
module {{ name }}_compute (
    input  wire          clk,
    input  wire          rst,
    // issue, from the controller
    input  wire          start,
    input  wire          accumulate,
    input  wire [15:0]   len,
    input  wire [{{ ad.aw - 1 }}:0]   in_addr,
    input  wire [{{ ad.aw - 1 }}:0]   w_addr,
    input  wire [{{ ad.aw - 1 }}:0]   out_addr,
    output wire          busy,
    output wire          full,
    output wire          prev_busy,
    output wire          prev_stream_busy,
    // buffer ports
    output wire          w_re,
    output wire [{{ ad.aw - 1 }}:0]   w_raddr,
    input  wire [{{ w_bits - 1 }}:0] w_rdata,
    output wire          in_re,
    output wire [{{ ad.aw - 1 }}:0]   in_raddr,
    input  wire [{{ in_bits - 1 }}:0] in_rdata,
    output wire          acc_re,
    output wire [{{ ad.aw - 1 }}:0]   acc_raddr,
    input  wire [{{ acc_bits - 1 }}:0] acc_rdata,
    output wire          acc_we,
    output wire [{{ ad.aw - 1 }}:0]   acc_waddr,
    output wire [{{ acc_bits - 1 }}:0] acc_wdata,
    // observability
    output wire          trace_done
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
{%- if !tree %}
    localparam OB = {{ ob }};   // operand bits
{%- endif %}
    localparam AB = {{ ab }};  // accumulator bits

    // ---- the waiting tile
    reg        wt_valid;
    reg        wt_acc;
    reg [15:0] wt_len;
    reg [{{ ad.aw - 1 }}:0] wt_in;
    reg [{{ ad.aw - 1 }}:0] wt_w;
    reg [{{ ad.aw - 1 }}:0] wt_out;
    reg        wt_pre;                     // its preload has begun
    reg [{{ pre_bits - 1 }}:0]  wt_tau;    // cycles since the preload began, saturating at R+1
    // ---- the streaming tile (kept after its rows are read, until the next begins)
    reg        st_acc;
    reg [15:0] st_len;
    reg [{{ ad.aw - 1 }}:0] st_in;
    reg [{{ ad.aw - 1 }}:0] st_out;
    reg [15:0] st_m;                       // rows read so far
    reg        any_stream;                 // a stream has begun since reset
    reg [{{ since_bits - 1 }}:0] since;    // cycles since the last stream began, saturating at {% if noc_default %}R+C{% else %}{{ capture + 1 }}{% endif %}
    reg        first_q;                    // the input port holds row 0 of a tile
    // ---- write back: the read side (one row per cycle) and the write side one cycle behind
    reg        wb_valid;
    reg        wb_acc;
    reg [15:0] wb_len;
    reg [{{ ad.aw - 1 }}:0] wb_out;
    reg [15:0] wb_m;
    reg        wr_valid;
    reg        wr_acc;
    reg        wr_last;
    reg [{{ ad.aw - 1 }}:0] wr_addr;
    // ---- tiles issued and not done
    reg [1:0]  inflight;

    wire switch_passed = !any_stream || since >= {{ since_bits }}'d{{ switch_reach }};
    wire begin_pre = wt_valid && !wt_pre && switch_passed;
    wire [{{ pre_bits - 1 }}:0] tau_now = begin_pre ? {{ pre_bits }}'d0 : wt_tau;
    wire preloading = wt_valid && (wt_pre || begin_pre);
    wire st_reading = st_m < st_len;
    wire begin_st = wt_valid && wt_pre && wt_tau >= {{ pre_bits }}'d{{ rows }} && !st_reading;
    wire capture = any_stream && since == {{ since_bits }}'d{{ capture }};
    wire tile_done = wr_valid && wr_last;

    assign busy      = inflight != 2'd0;
    assign full      = wt_valid;
    assign prev_busy = inflight >= 2'd2;
    assign prev_stream_busy = wt_valid && st_reading;
    assign trace_done = tile_done;

    // preload
    assign w_re    = preloading && tau_now < {{ pre_bits }}'d{{ rows }};
    assign w_raddr = wt_w + {{ ad.aw }}'d{{ rows - 1 }} - { {{ ad.aw - pre_bits }}'d0, tau_now};
    wire   w_shift = wt_valid && wt_pre && wt_tau >= {{ pre_bits }}'d1 && wt_tau <= {{ pre_bits }}'d{{ rows }};

    // stream
    assign in_re    = begin_st || st_reading;
    assign in_raddr = begin_st ? wt_in : st_in + {{ ad.zl }}st_m{{ ad.zr }};
{% if tree %}
    // no skew: byte r of the input word and the switch bit go straight to PE(r, 0){% if !systolic %} (and to all of
    // row r over its bus){% endif %}
    genvar c;

{% else %}
    // skew: byte r of the input word and its switch bit pass r registers
    wire [OB*R-1:0] a_skewed;
    wire [R-1:0]    sw_skewed;
    assign a_skewed[OB-1:0] = in_rdata[OB-1:0];
    assign sw_skewed[0] = first_q;
    genvar r, c;
    generate
        for (r = 1; r < R; r = r + 1) begin : g_skew
            reg [OB*r-1:0] sr;   // sr[OB*k +: OB] is operand r delayed k+1 cycles
            reg [r-1:0]    ss;   // ss[k] is the switch bit delayed k+1 cycles
            if (r == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) begin
                        sr <= {OB{1'b0}};
                        ss <= 1'b0;
                    end else begin
                        sr <= in_rdata[OB*r +: OB];
                        ss <= first_q;
                    end
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) begin
                        sr <= {(OB*r){1'b0}};
                        ss <= {r{1'b0}};
                    end else begin
                        sr <= {sr[OB*r-OB-1:0], in_rdata[OB*r +: OB]};
                        ss <= {ss[r-2:0], first_q};
                    end
                end
            end
            assign a_skewed[OB*r +: OB] = sr[OB*r-1 -: OB];
            assign sw_skewed[r] = ss[r-1];
        end
    endgenerate

{% endif %}    wire [AB*C-1:0] psum;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .w_shift (w_shift),
        .w_in    (w_rdata),
{%- if tree %}
        .sw_in   ({R{first_q}}),
        .a_in    (in_rdata),
{%- else %}
        .sw_in   (sw_skewed),
        .a_in    (a_skewed),
{%- endif %}
        .psum_out(psum)
    );

{% if systolic -%}
{% include "deskew_ws.v" %}
{%- else %}    // no deskew: the row buses bring every column's sum of a row in the same cycle
    wire [AB*C-1:0] row_new = psum;
{%- endif %}

    // write back: the read side walks the rows from the capture ({% if noc_default %}s+R+C-1{% else %}s+X-R-1 = s+{{ capture }}{% endif %}) on; the write side
    // follows one cycle later with the deskewed row
    wire       rd_valid = capture || wb_valid;
    wire [15:0] rd_m    = capture ? 16'd0 : wb_m;
    wire [15:0] rd_len  = capture ? st_len : wb_len;
    wire        rd_acc  = capture ? st_acc : wb_acc;
    wire [{{ ad.aw - 1 }}:0] rd_out  = capture ? st_out : wb_out;
    assign acc_re    = rd_valid && rd_acc;
    assign acc_raddr = rd_out + {{ ad.zl }}rd_m{{ ad.zr }};
    assign acc_we    = wr_valid;
    assign acc_waddr = wr_addr;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[AB*c +: AB] = row_new[AB*c +: AB] + (wr_acc ? acc_rdata[AB*c +: AB] : {AB{1'b0}});
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            wt_valid   <= 1'b0;
            wt_acc     <= 1'b0;
            wt_len     <= 16'd0;
            wt_in      <= {{ ad.aw }}'d0;
            wt_w       <= {{ ad.aw }}'d0;
            wt_out     <= {{ ad.aw }}'d0;
            wt_pre     <= 1'b0;
            wt_tau     <= {{ pre_bits }}'d0;
            st_acc     <= 1'b0;
            st_len     <= 16'd0;
            st_in      <= {{ ad.aw }}'d0;
            st_out     <= {{ ad.aw }}'d0;
            st_m       <= 16'd0;
            any_stream <= 1'b0;
            since      <= {{ since_bits }}'d0;
            first_q    <= 1'b0;
            wb_valid   <= 1'b0;
            wb_acc     <= 1'b0;
            wb_len     <= 16'd0;
            wb_out     <= {{ ad.aw }}'d0;
            wb_m       <= 16'd0;
            wr_valid   <= 1'b0;
            wr_acc     <= 1'b0;
            wr_last    <= 1'b0;
            wr_addr    <= {{ ad.aw }}'d0;
            inflight   <= 2'd0;
        end else begin
            // tiles in flight
            inflight <= inflight + {1'b0, start} - {1'b0, tile_done};
            // the waiting tile: issued, preloading, then streaming
            if (start) begin
                wt_valid <= 1'b1;
                wt_acc   <= accumulate;
                wt_len   <= len;
                wt_in    <= in_addr;
                wt_w     <= w_addr;
                wt_out   <= out_addr;
                wt_pre   <= 1'b0;
                wt_tau   <= {{ pre_bits }}'d0;
            end else if (begin_st) begin
                wt_valid <= 1'b0;
                wt_pre   <= 1'b0;
            end else if (begin_pre) begin
                wt_pre   <= 1'b1;
                wt_tau   <= {{ pre_bits }}'d1;
            end else if (wt_pre && wt_tau <= {{ pre_bits }}'d{{ rows }}) begin
                wt_tau   <= wt_tau + {{ pre_bits }}'d1;
            end
            // the streaming tile
            first_q <= begin_st;
            if (begin_st) begin
                st_acc     <= wt_acc;
                st_len     <= wt_len;
                st_in      <= wt_in;
                st_out     <= wt_out;
                st_m       <= 16'd1;
                any_stream <= 1'b1;
                since      <= {{ since_bits }}'d1;
            end else begin
                if (st_reading) st_m <= st_m + 16'd1;
                if (since < {{ since_bits }}'d{{ capture + 1 }}) since <= since + {{ since_bits }}'d1;
            end
            // write back
            if (rd_valid) begin
                wb_valid <= rd_m + 16'd1 < rd_len;
                wb_acc   <= rd_acc;
                wb_len   <= rd_len;
                wb_out   <= rd_out;
                wb_m     <= rd_m + 16'd1;
            end
            wr_valid <= rd_valid;
            wr_acc   <= rd_acc;
            wr_last  <= rd_valid && rd_m + 16'd1 == rd_len;
            wr_addr  <= rd_out + {{ ad.zl }}rd_m{{ ad.zr }};
        end
    end
endmodule

