{% include "header.v" %}

{% if !broadcast -%}
// Output-stationary compute unit: one array tile per COMPUTE (docs/TIMING.md, "Compute unit:
// output-stationary"). R = {{ rows }}, C = {{ cols }}, K = the len field; tau = 0 is the first busy cycle.
//   stream: during tau = k (k = 0..K-1) it reads input word in_addr + k and weight word w_addr + k; the
//           words are on the read ports during tau = k+1, masked to zero in every other cycle;
//   skew:   operand r of the input word passes r registers and is the a input of PE(r, 0) during
//           tau = k+1+r; operand c of the weight word passes c registers and is the b input of PE(0, c)
//           during tau = k+1+c, so PE(r, c) multiplies the pair k during tau = k+1+r+c;
//   drain:  the last pair reaches PE(R-1, C-1) during tau = K+R+C-2; during tau = K+R+C-1+d
//           (d = 0..R-1) PE row R-1 holds output row R-1-d, written to accumulator word
//           out_addr + R-1-d at the end of the cycle (or, accumulating, old + new lane-wise, old read
//           during the cycle before), while every PE row's sum shifts down one row;
//   busy for K+2R+C-1 cycles.
// PE and skew registers are reset once; the zeros fed outside the stream and the drain leave them at
// zero between tiles.
// trace_done (observability only, combinational): high in the last busy cycle, tau = K+2R+C-2.
{% else -%}
// Output-stationary compute unit with row and column broadcast buses: one array tile per COMPUTE
// (docs/TIMING.md, "Compute unit: output-stationary" and "Interconnect options of the
// output-stationary array"). R = {{ rows }}, C = {{ cols }}, K = the len field; tau = 0 is the first busy cycle.
//   stream: during tau = k (k = 0..K-1) it reads input word in_addr + k and weight word w_addr + k; the
//           words are on the read ports during tau = k+1, masked to zero in every other cycle;
//   buses:  operand r of the input word is the a input of every PE of row r, operand c of the weight
//           word the b input of every PE of column c, during tau = k+1 (no skew), so every PE
//           multiplies the pair k during tau = k+1;
//   drain:  the last pair is multiplied during tau = K; during tau = K+1+d (d = 0..R-1) PE row R-1
//           holds output row R-1-d, written to accumulator word out_addr + R-1-d at the end of the
//           cycle (or, accumulating, old + new lane-wise, old read during the cycle before), while
//           every PE row's sum shifts down one row;
//   busy for K+R+1 cycles.
// PE registers are reset once; the zeros fed outside the stream and the drain leave them at zero
// between tiles.
// trace_done (observability only, combinational): high in the last busy cycle, tau = K+R.
{% endif -%}
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
    output reg           busy,
    output wire          full,        // cannot take a COMPUTE: one tile at a time, so = busy
    output wire          prev_busy,   // never: no tile runs behind another
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

    assign full = busy;
    assign prev_busy = 1'b0;

    reg [{{ tau_bits - 1 }}:0] tau;
    reg        acc_q;
    reg [15:0] len_q;
    reg [{{ ad.aw - 1 }}:0] in_q;
    reg [{{ ad.aw - 1 }}:0] w_q;
    reg [{{ ad.aw - 1 }}:0] out_q;
    reg        rd_valid;   // the read ports hold a streamed word this cycle

    wire [{{ tau_bits - 1 }}:0] k_t     = { {{ tau_bits - 16 }}'d0, len_q};
    wire [{{ tau_bits - 1 }}:0] d_start = k_t + {{ tau_bits }}'d{{ drain_start }};   // {{ drain_start_sym }}: first drain cycle
    wire [{{ tau_bits - 1 }}:0] d_last  = k_t + {{ tau_bits }}'d{{ drain_last }};   // {{ drain_last_sym }}: last drain cycle
    wire last = tau == d_last;
    assign trace_done = busy && last;

    // stream
    wire streaming = busy && tau < k_t;
    assign in_re    = streaming;
    assign in_raddr = in_q + {{ ad.zl }}tau[15:0]{{ ad.zr }};
    assign w_re     = streaming;
    assign w_raddr  = w_q + {{ ad.zl }}tau[15:0]{{ ad.zr }};
    wire [OB*R-1:0] a_edge = rd_valid ? in_rdata : {(OB*R){1'b0}};
    wire [OB*C-1:0] b_edge = rd_valid ? w_rdata : {(OB*C){1'b0}};
{% if !broadcast %}
    // skew: operand r of the input word passes r registers, operand c of the weight word c registers
    wire [OB*R-1:0] a_skewed;
    wire [OB*C-1:0] b_skewed;
    assign a_skewed[OB-1:0] = a_edge[OB-1:0];
    assign b_skewed[OB-1:0] = b_edge[OB-1:0];
    genvar r, c;
    generate
        for (r = 1; r < R; r = r + 1) begin : g_skew_a
            reg [OB*r-1:0] sr;   // sr[OB*k +: OB] is operand r delayed k+1 cycles
            if (r == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) sr <= {OB{1'b0}};
                    else sr <= a_edge[OB*r +: OB];
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) sr <= {(OB*r){1'b0}};
                    else sr <= {sr[OB*r-OB-1:0], a_edge[OB*r +: OB]};
                end
            end
            assign a_skewed[OB*r +: OB] = sr[OB*r-1 -: OB];
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

    wire drain = busy && tau >= d_start;
    wire [AB*C-1:0] row_out;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .drain   (drain),
        .a_in    (a_skewed),
        .b_in    (b_skewed),
        .acc_out (row_out)
    );
{% else %}
    // buses: the masked read ports drive the array's row and column buses directly (no skew)
    genvar c;
    wire drain = busy && tau >= d_start;
    wire [AB*C-1:0] row_out;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .drain   (drain),
        .a_in    (a_edge),
        .b_in    (b_edge),
        .acc_out (row_out)
    );
{% endif %}
    // write back: row R-1-d during drain cycle d; the old row is read the cycle before
    assign acc_re    = busy && acc_q && tau >= d_start - {{ tau_bits }}'d1 && tau < d_last;
    assign acc_raddr = out_q + ({{ ad.zl }}d_last[15:0] - 16'd1 - tau[15:0]{{ ad.zr }});
    assign acc_we    = drain;
    assign acc_waddr = out_q + ({{ ad.zl }}d_last[15:0] - tau[15:0]{{ ad.zr }});
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[AB*c +: AB] = row_out[AB*c +: AB] + (acc_q ? acc_rdata[AB*c +: AB] : {AB{1'b0}});
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            busy     <= 1'b0;
            tau      <= {{ tau_bits }}'d0;
            acc_q    <= 1'b0;
            len_q    <= 16'd0;
            in_q     <= {{ ad.aw }}'d0;
            w_q      <= {{ ad.aw }}'d0;
            out_q    <= {{ ad.aw }}'d0;
            rd_valid <= 1'b0;
        end else begin
            rd_valid <= streaming;
            if (start) begin
                busy  <= 1'b1;
                tau   <= {{ tau_bits }}'d0;
                acc_q <= accumulate;
                len_q <= len;
                in_q  <= in_addr;
                w_q   <= w_addr;
                out_q <= out_addr;
            end else if (busy) begin
                tau <= tau + {{ tau_bits }}'d1;
                if (last) busy <= 1'b0;
            end
        end
    end
endmodule

