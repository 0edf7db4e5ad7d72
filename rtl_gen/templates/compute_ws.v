{% include "header.v" %}

{% if systolic && !tree -%}
// Weight-stationary compute unit: one array tile per COMPUTE (docs/TIMING.md, "Compute unit:
// weight-stationary"). R = {{ rows }}, C = {{ cols }}, M = the len field; tau = 0 is the first busy cycle.
//   preload:    tau = 0..R-1 reads weight word w_addr + (R-1-tau); tau = 1..R shifts it into row 0
//               (every row's weight shifts down), so PE row r then holds word w_addr + r;
//   stream:     tau = R+m reads input word in_addr + m; byte r passes r skew registers and is the a
//               input of PE(r, 0) during tau = R+1+m+r;
//   deskew:     column c of the array output passes C-1-c registers: output row m is complete during
//               tau = 2R+C+m;
//   write back: accumulator word out_addr + m is written at the end of tau = 2R+C+m with the new row,
//               or (accumulate) with old + new lane-wise, old read during tau = 2R+C+m-1;
//   busy for 2R+C+M cycles.
// PE, skew and deskew registers are reset once and never cleared between tiles.
{%- else %}
// Weight-stationary compute unit with {{ noc_label }}: one array tile per
// COMPUTE (docs/TIMING.md, "Compute unit: weight-stationary" and "Interconnect options of the
// weight- and input-stationary arrays"). R = {{ rows }}, C = {{ cols }}, M = the len field; tau = 0 is the first busy cycle; X = {{ x_sym }} = {{ wb_start }}.
//   preload:    tau = 0..R-1 reads weight word w_addr + (R-1-tau); tau = 1..R shifts it into row 0
//               (every row's weight shifts down), so PE row r then holds word w_addr + r;
//   stream:     tau = R+m reads input word in_addr + m;
{%- if tree %} byte r (no skew) is the a input of
//               {% if systolic %}PE(r, 0) during tau = R+1+m, of PE(r, c) during tau = R+1+m+c{% else %}PE(r, c) for every c during tau = R+1+m{% endif %};
//   reduce:     every PE registers its product; column c's adder tree of D = {{ levels }} level(s) has the
//               sum of row m during tau = R+2+D+m{% if systolic %}+c{% endif %};
{%- else %} byte r passes r skew registers and is the a input of
//               PE(r, {% if systolic %}0{% else %}c) for every c{% endif %} during tau = R+1+m+r;
//               column c's sum of row m is psum_out of PE(R-1, c) during tau = 2R+1+m{% if systolic %}+c{% endif %};
{%- endif %}
{%- if systolic %}
//   deskew:     column c of the array output passes C-1-c registers: output row m is complete during
//               tau = X+m;
{%- else %}
//   no deskew:  every column's sum of row m is there in the same cycle, tau = X+m;
{%- endif %}
//   write back: accumulator word out_addr + m is written at the end of tau = X+m with the new row,
//               or (accumulate) with old + new lane-wise, old read during tau = X+m-1;
//   busy for X+M cycles.
// PE{% if !tree %}, skew{% endif %}{% if systolic %}, deskew{% endif %}{% if tree %} and tree{% endif %} registers are reset once and never cleared between tiles.
{%- endif %}
{%- if swapped %}
// Input-stationary (docs/TIMING.md, "Compute unit: input-stationary"): the top wires the preload
// port (w_*) to the input buffer and the stream port (in_*) to the weight buffer, and passes the
// COMPUTE's w_addr as in_addr and its in_addr as w_addr: the preload words are rows of A (byte c =
// column c), the streamed words columns of B (byte r = row r).
{%- endif %}
// trace_done (observability only, combinational): high in the last busy cycle, tau = {{ x_sym }}+M-1.
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
{%- if !tree %}
    localparam R = {{ rows }};
{%- endif %}
    localparam C = {{ cols }};
{%- if !tree %}
    localparam OB = {{ ob }};   // operand bits
{%- endif %}
    localparam AB = {{ ab }};  // accumulator bits

    assign full = busy;
    assign prev_busy = 1'b0;

    reg [{{ tau_bits - 1 }}:0] tau;
    reg        acc_q;
    reg [15:0] len_q;
    reg [{{ ad.aw - 1 }}:0] in_q;
    reg [{{ ad.aw - 1 }}:0] w_q;
    reg [{{ ad.aw - 1 }}:0] out_q;

    wire [{{ tau_bits - 1 }}:0] m_t       = { {{ tau_bits - 16 }}'d0, len_q};
    wire [{{ tau_bits - 1 }}:0] in_end    = {{ tau_bits }}'d{{ rows }} + m_t;         // input reads: R <= tau < R+M
    wire [{{ tau_bits - 1 }}:0] acc_rd_end = {{ tau_bits }}'d{{ wb_start - 1 }} + m_t;  // accumulate reads: {{ x_sym }}-1 <= tau < {{ x_sym }}-1+M
    wire [{{ tau_bits - 1 }}:0] wb_end    = {{ tau_bits }}'d{{ wb_start }} + m_t;     // writes: {{ x_sym }} <= tau < {{ x_sym }}+M
    wire last = tau == wb_end - {{ tau_bits }}'d1;
    assign trace_done = busy && last;

    // preload
    assign w_re    = busy && tau < {{ tau_bits }}'d{{ rows }};
    assign w_raddr = w_q + {{ ad.aw }}'d{{ rows - 1 }} - {{ ad.zl }}tau[15:0]{{ ad.zr }};
    wire   w_shift = busy && tau >= {{ tau_bits }}'d1 && tau <= {{ tau_bits }}'d{{ rows }};

    // stream
    assign in_re    = busy && tau >= {{ tau_bits }}'d{{ rows }} && tau < in_end;
    assign in_raddr = in_q + ({{ ad.zl }}tau[15:0] - 16'd{{ rows }}{{ ad.zr }});

{% if !tree %}    // skew: byte r of the input word passes r registers
    wire [OB*R-1:0] a_skewed;
    assign a_skewed[OB-1:0] = in_rdata[OB-1:0];
    genvar r, c;
    generate
        for (r = 1; r < R; r = r + 1) begin : g_skew
            reg [OB*r-1:0] sr;   // sr[OB*k +: OB] is operand r delayed k+1 cycles
            if (r == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) sr <= {OB{1'b0}};
                    else sr <= in_rdata[OB*r +: OB];
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) sr <= {(OB*r){1'b0}};
                    else sr <= {sr[OB*r-OB-1:0], in_rdata[OB*r +: OB]};
                end
            end
            assign a_skewed[OB*r +: OB] = sr[OB*r-1 -: OB];
        end
    endgenerate

{% else %}    // no skew: byte r of the input word is the a input of PE(r, 0){% if !systolic %} (and of all of row r){% endif %}
    genvar c;

{% endif %}    wire [AB*C-1:0] psum;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .w_shift (w_shift),
        .w_in    (w_rdata),
        .a_in    ({% if tree %}in_rdata{% else %}a_skewed{% endif %}),
        .psum_out(psum)
    );

{% if systolic -%}
{% include "deskew_ws.v" %}
{%- else %}    // no deskew: the row buses bring every column's sum of a row in the same cycle
    wire [AB*C-1:0] row_new = psum;
{%- endif %}

    // write back
    assign acc_re    = busy && acc_q && tau >= {{ tau_bits }}'d{{ wb_start - 1 }} && tau < acc_rd_end;
    assign acc_raddr = out_q + ({{ ad.zl }}tau[15:0] - 16'd{{ wb_start - 1 }}{{ ad.zr }});
    assign acc_we    = busy && tau >= {{ tau_bits }}'d{{ wb_start }} && tau < wb_end;
    assign acc_waddr = out_q + ({{ ad.zl }}tau[15:0] - 16'd{{ wb_start }}{{ ad.zr }});
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[AB*c +: AB] = row_new[AB*c +: AB] + (acc_q ? acc_rdata[AB*c +: AB] : {AB{1'b0}});
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            busy   <= 1'b0;
            tau    <= {{ tau_bits }}'d0;
            acc_q  <= 1'b0;
            len_q  <= 16'd0;
            in_q   <= {{ ad.aw }}'d0;
            w_q    <= {{ ad.aw }}'d0;
            out_q  <= {{ ad.aw }}'d0;
        end else if (start) begin
            busy   <= 1'b1;
            tau    <= {{ tau_bits }}'d0;
            acc_q  <= accumulate;
            len_q  <= len;
            in_q   <= in_addr;
            w_q    <= w_addr;
            out_q  <= out_addr;
        end else if (busy) begin
            tau <= tau + {{ tau_bits }}'d1;
            if (last) busy <= 1'b0;
        end
    end
endmodule

