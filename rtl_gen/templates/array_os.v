{% include "header.v" %}

{% if !broadcast -%}
// The {{ rows }}x{{ cols }} output-stationary PE mesh (docs/TIMING.md, "Compute unit: output-stationary").
// a moves right one PE per cycle, b moves down one PE per cycle, each PE keeps its own sum; while
// `drain` is high the sums shift down one PE row per cycle (zero enters row 0).
// Inputs: a_in operand r is the a input of PE(r, 0), b_in operand c the b input of PE(0, c) (both
// already skewed by the compute unit). Output: lane c of acc_out is the sum held by PE({{ rows - 1 }}, c).
{% else -%}
// The {{ rows }}x{{ cols }} output-stationary PE mesh with row and column broadcast buses (docs/TIMING.md,
// "Interconnect options of the output-stationary array"). Each PE keeps its own sum; while `drain`
// is high the sums shift down one PE row per cycle (zero enters row 0).
// Inputs: a_in operand r is the a input of every PE of row r, b_in operand c the b input of every
// PE of column c, in the same cycle (no skew). Output: lane c of acc_out is the sum held by PE({{ rows - 1 }}, c).
{% endif -%}
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                drain,
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    input  wire [{{ w_bits - 1 }}:0]  b_in,
    output wire [{{ acc_bits - 1 }}:0] acc_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

{% if !broadcast %}    // a_bus[(r*(C+1)+c)*OB +: OB] is the a input of PE(r, c); column C is the unused a_out of the last column.
    // b_bus[(r*C+c)*OB +: OB] is the b input of PE(r, c); row R is the unused b_out of the last row.
    // s_bus[(r*C+c)*AB +: AB] is the sum of PE(r-1, c) shifted into PE(r, c); row 0 is zero, row R the output.
    /* verilator lint_off UNUSED */
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [OB*(R+1)*C-1:0] b_bus;
    /* verilator lint_on UNUSED */
    wire [AB*(R+1)*C-1:0] s_bus;

    assign b_bus[OB*C-1:0] = b_in;
    assign s_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign acc_out = s_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk    (clk),
                    .rst    (rst),
                    .drain  (drain),
                    .a_in   (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out  (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .b_in   (b_bus[OB*(r*C+c) +: OB]),
                    .b_out  (b_bus[OB*((r+1)*C+c) +: OB]),
                    .acc_in (s_bus[AB*(r*C+c) +: AB]),
                    .acc    (s_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
{% else %}    // Row r's bus is a_in[OB*r +: OB], column c's bus b_in[OB*c +: OB].
    // s_bus[(r*C+c)*AB +: AB] is the sum of PE(r-1, c) shifted into PE(r, c); row 0 is zero, row R the output.
    wire [AB*(R+1)*C-1:0] s_bus;

    assign s_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign acc_out = s_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk    (clk),
                    .rst    (rst),
                    .drain  (drain),
                    .a_in   (a_in[OB*r +: OB]),
                    .b_in   (b_in[OB*c +: OB]),
                    .acc_in (s_bus[AB*(r*C+c) +: AB]),
                    .acc    (s_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
{% endif %}endmodule

