{% include "header.v" %}

// Output-stationary compute unit with double-buffered sums (docs/TIMING.md, "Compute unit:
// output-stationary with double-buffered sums"){% if broadcast %}, with row and column broadcast buses{% endif %}.
// R = {{ rows }}, C = {{ cols }}, F = {{ fill }} ({% if broadcast %}buses{% else %}R + C - 1{% endif %}); tile j has K_j = its len field.
//   stream: a tile streams from s_j = max(c_j + 1, s_{j-1} + K_{j-1}, D_{j-1} + 1 - K_j): the
//           previous stream has read all its words and this tile's sums land after the previous
//           drain. Here: the tile waits until no stream reads and `since` (cycles since the last
//           stream read, saturating at F+R+1 = {{ gap + 1 }}) + K_j > F+R = {{ gap }}. During s_j + k it reads input
//           word in_addr + k and weight word w_addr + k; the words are on the read ports during
//           s_j + k + 1 (masked to zero in every other cycle), with the last bit high with k = K_j - 1;
//   {% if broadcast %}buses:  operand r of the input word and the last bit reach every PE of row r, operand c of the
//           weight word every PE of column c, during s_j + k + 1;{% else %}skew:   operand r of the input word and the last bit pass r registers, operand c of the weight
//           word c registers, so PE(r, c) multiplies pair k during s_j + k + 1 + r + c;{% endif %}
//   land:   with its last pair each PE moves its sum into its drain register; the last PE,
//           PE(R-1, C-1), does so during s_j + K_j + F - 1 (the array's `land`);
//   drain:  during s_j + K_j + F + d (d = 0..R-1) PE row R-1's drain registers hold output row
//           R-1-d, written to accumulator word out_addr + R-1-d at the end of the cycle (or,
//           accumulating, old + new lane-wise, old read during the cycle before), while every
//           drain register shifts down one row; D_j = s_j + K_j + F + R - 1 is the tile's last cycle.
// busy: some COMPUTE issued is not done; full: a tile is waiting (no COMPUTE can issue);
// prev_busy: some COMPUTE but the last issued is not done;
// prev_stream_busy: some COMPUTE but the last issued still reads its stream (SYNC prev_stream): the
// last issued waits (a COMPUTE issues only when none does) and the streaming tile, the one issued
// before it, has k-steps left to read.
// trace_done (observability only, combinational): high in a tile's last cycle, D_j.
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
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

    // ---- the waiting tile
    reg        wt_valid;
    reg        wt_acc;
    reg [15:0] wt_len;
    reg [{{ ad.aw - 1 }}:0] wt_in;
    reg [{{ ad.aw - 1 }}:0] wt_w;
    reg [{{ ad.aw - 1 }}:0] wt_out;
    // ---- the streaming tile (kept after its words are read, until the next begins)
    reg        st_acc;
    reg [15:0] st_len;
    reg [{{ ad.aw - 1 }}:0] st_in;
    reg [{{ ad.aw - 1 }}:0] st_w;
    reg [{{ ad.aw - 1 }}:0] st_out;
    reg [15:0] st_k;                       // k-steps read so far
    reg [16:0] since;                      // cycles since the last stream read, saturating at {{ gap + 1 }}
    reg        rd_valid;                   // the read ports hold a streamed word this cycle
    reg        rd_last;                    // ... and it is its tile's last
    // ---- the tile whose sums are landing (from its last read until its drain begins)
    reg        ln_acc;
    reg [{{ ad.aw - 1 }}:0] ln_out;
    // ---- the draining tile
    reg        dn_valid;
    reg        dn_acc;
    reg [{{ ad.aw - 1 }}:0] dn_out;
    reg [15:0] dn_d;                       // drain cycle d
    // ---- tiles issued and not done
    reg [1:0]  inflight;

    wire st_reading = st_k < st_len;
    wire begin_st = wt_valid && !st_reading && (since + {1'b0, wt_len}) > 17'd{{ gap }};
    wire reading = begin_st || st_reading;
    wire [15:0] rd_k = begin_st ? 16'd0 : st_k;
    wire [15:0] rd_len = begin_st ? wt_len : st_len;
    wire last_read = reading && rd_k + 16'd1 == rd_len;
    wire tile_done = dn_valid && dn_d == 16'd{{ rows - 1 }};
    wire land;

    assign busy      = inflight != 2'd0;
    assign full      = wt_valid;
    assign prev_busy = inflight >= 2'd2;
    assign prev_stream_busy = wt_valid && st_reading;
    assign trace_done = tile_done;

    // stream
    assign in_re    = reading;
    assign in_raddr = begin_st ? wt_in : st_in + {{ ad.zl }}st_k{{ ad.zr }};
    assign w_re     = reading;
    assign w_raddr  = begin_st ? wt_w : st_w + {{ ad.zl }}st_k{{ ad.zr }};
    wire [OB*R-1:0] a_edge = rd_valid ? in_rdata : {(OB*R){1'b0}};
    wire [OB*C-1:0] b_edge = rd_valid ? w_rdata : {(OB*C){1'b0}};
    wire            l_edge = rd_valid && rd_last;
    wire [AB*C-1:0] row_out;
{% if !broadcast %}
    // skew: operand r of the input word and the last bit pass r registers, operand c of the
    // weight word c registers
    wire [OB*R-1:0] a_skewed;
    wire [R-1:0]    l_skewed;
    wire [OB*C-1:0] b_skewed;
    assign a_skewed[OB-1:0] = a_edge[OB-1:0];
    assign l_skewed[0] = l_edge;
    assign b_skewed[OB-1:0] = b_edge[OB-1:0];
    genvar r, c;
    generate
        for (r = 1; r < R; r = r + 1) begin : g_skew_a
            reg [OB*r-1:0] sr;   // sr[OB*k +: OB] is operand r delayed k+1 cycles
            reg [r-1:0]    sl;   // sl[k] is the last bit delayed k+1 cycles
            if (r == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) begin
                        sr <= {OB{1'b0}};
                        sl <= 1'b0;
                    end else begin
                        sr <= a_edge[OB*r +: OB];
                        sl <= l_edge;
                    end
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) begin
                        sr <= {(OB*r){1'b0}};
                        sl <= {r{1'b0}};
                    end else begin
                        sr <= {sr[OB*r-OB-1:0], a_edge[OB*r +: OB]};
                        sl <= {sl[r-2:0], l_edge};
                    end
                end
            end
            assign a_skewed[OB*r +: OB] = sr[OB*r-1 -: OB];
            assign l_skewed[r] = sl[r-1];
        end
        for (c = 1; c < C; c = c + 1) begin : g_skew_b
            reg [OB*c-1:0] sr;   // sr[OB*k +: OB] is operand c delayed k+1 cycles
            if (c == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) sr <= {OB{1'b0}};
                    else sr <= b_edge[OB*c +: OB];
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) sr <= {(OB*c){1'b0}};
                    else sr <= {sr[OB*c-OB-1:0], b_edge[OB*c +: OB]};
                end
            end
            assign b_skewed[OB*c +: OB] = sr[OB*c-1 -: OB];
        end
    endgenerate

    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .drain   (dn_valid),
        .l_in    (l_skewed),
        .a_in    (a_skewed),
        .b_in    (b_skewed),
        .acc_out (row_out),
        .land    (land)
    );
{% else %}
    // buses: the masked read ports drive the array's row and column buses directly (no skew)
    genvar c;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .drain   (dn_valid),
        .l_in    (l_edge),
        .a_in    (a_edge),
        .b_in    (b_edge),
        .acc_out (row_out),
        .land    (land)
    );
{% endif %}
    // write back: the old row R-1 is read while the last PE lands (its tile's drain follows), row
    // R-2-d during drain cycle d; row R-1-d is written at the end of drain cycle d
    wire [{{ ad.aw - 1 }}:0] rd_row = {{ ad.aw }}'d{{ rows - 1 }} - (land ? {{ ad.aw }}'d0 : {{ ad.aw }}'d1 + {{ ad.zl }}dn_d{{ ad.zr }});
    assign acc_re    = land ? ln_acc : dn_valid && dn_acc && !tile_done;
    assign acc_raddr = (land ? ln_out : dn_out) + rd_row;
    assign acc_we    = dn_valid;
    assign acc_waddr = dn_out + ({{ ad.aw }}'d{{ rows - 1 }} - {{ ad.zl }}dn_d{{ ad.zr }});
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[AB*c +: AB] = row_out[AB*c +: AB] + (dn_acc ? acc_rdata[AB*c +: AB] : {AB{1'b0}});
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            wt_valid <= 1'b0;
            wt_acc   <= 1'b0;
            wt_len   <= 16'd0;
            wt_in    <= {{ ad.aw }}'d0;
            wt_w     <= {{ ad.aw }}'d0;
            wt_out   <= {{ ad.aw }}'d0;
            st_acc   <= 1'b0;
            st_len   <= 16'd0;
            st_in    <= {{ ad.aw }}'d0;
            st_w     <= {{ ad.aw }}'d0;
            st_out   <= {{ ad.aw }}'d0;
            st_k     <= 16'd0;
            since    <= 17'd{{ gap + 1 }};
            rd_valid <= 1'b0;
            rd_last  <= 1'b0;
            ln_acc   <= 1'b0;
            ln_out   <= {{ ad.aw }}'d0;
            dn_valid <= 1'b0;
            dn_acc   <= 1'b0;
            dn_out   <= {{ ad.aw }}'d0;
            dn_d     <= 16'd0;
            inflight <= 2'd0;
        end else begin
            rd_valid <= reading;
            rd_last  <= last_read;
            if (reading) since <= 17'd1;
            else if (since < 17'd{{ gap + 1 }}) since <= since + 17'd1;
            if (start) begin
                wt_valid <= 1'b1;
                wt_acc   <= accumulate;
                wt_len   <= len;
                wt_in    <= in_addr;
                wt_w     <= w_addr;
                wt_out   <= out_addr;
            end else if (begin_st) begin
                wt_valid <= 1'b0;
            end
            if (begin_st) begin
                st_acc <= wt_acc;
                st_len <= wt_len;
                st_in  <= wt_in;
                st_w   <= wt_w;
                st_out <= wt_out;
                st_k   <= 16'd1;
            end else if (st_reading) begin
                st_k <= st_k + 16'd1;
            end
            if (last_read) begin
                ln_acc <= begin_st ? wt_acc : st_acc;
                ln_out <= begin_st ? wt_out : st_out;
            end
            if (land) begin
                dn_valid <= 1'b1;
                dn_acc   <= ln_acc;
                dn_out   <= ln_out;
                dn_d     <= 16'd0;
            end else if (tile_done) begin
                dn_valid <= 1'b0;
            end else if (dn_valid) begin
                dn_d <= dn_d + 16'd1;
            end
            inflight <= inflight + {1'b0, start} - {1'b0, tile_done};
        end
    end
endmodule

