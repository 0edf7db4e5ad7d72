{% include "header.v" %}

// The {{ rows }}x{{ cols }} output-stationary PE mesh with double-buffered sums (docs/TIMING.md, "Compute
// unit: output-stationary with double-buffered sums"). {% if !broadcast %}a and the last bit move right one PE per
// cycle, b moves down one PE per cycle{% else %}Row and column broadcast buses: a_in operand r and l_in reach every PE of row r,
// b_in operand c every PE of column c, in the same cycle{% endif %}; each PE accumulates its own sum and, with
// its tile's last pair, moves it into its drain register; while `drain` is high the drain registers
// shift down one PE row per cycle (zero enters row 0).
{% if !broadcast %}// Inputs: a_in operand r and l_in bit r reach PE(r, 0), b_in operand c PE(0, c) (all already
// skewed by the compute unit).
{% endif %}// Outputs: lane c of acc_out is the drain register of PE({{ rows - 1 }}, c); `land` is the last bit
// at PE({{ rows - 1 }}, {{ cols - 1 }}) this cycle (its tile's sums are all in the drain registers next cycle).
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                drain,
{%- if !broadcast %}
    input  wire [{{ rows - 1 }}:0]         l_in,
{%- else %}
    input  wire                l_in,
{%- endif %}
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    input  wire [{{ w_bits - 1 }}:0]  b_in,
    output wire [{{ acc_bits - 1 }}:0] acc_out,
    output wire                land
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

    // d_bus[(r*C+c)*AB +: AB] is the drain register of PE(r-1, c) shifted into PE(r, c); row 0 is
    // zero, row R the output. The accumulating sums are the PEs' own (unused outside them).
    wire [AB*(R+1)*C-1:0] d_bus;
    /* verilator lint_off UNUSED */
    wire [AB*R*C-1:0] acc_bus;
{%- if !broadcast %}
    // a_bus[(r*(C+1)+c)*OB +: OB] / l_bus[r*(C+1)+c] are the a input / last bit of PE(r, c); column
    // C is the unused a_out / l_out of the last column. b_bus[(r*C+c)*OB +: OB] is the b input of
    // PE(r, c); row R is the unused b_out of the last row.
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [R*(C+1)-1:0]    l_bus;
    wire [OB*(R+1)*C-1:0] b_bus;
{%- endif %}
    /* verilator lint_on UNUSED */

    assign d_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign acc_out = d_bus[AB*(R+1)*C-1:AB*R*C];
{%- if !broadcast %}
    assign b_bus[OB*C-1:0] = b_in;
    assign land = l_bus[(R-1)*(C+1)+C-1];
{%- else %}
    assign land = l_in;
{%- endif %}

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
{%- if !broadcast %}
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            assign l_bus[r*(C+1)] = l_in[r];
{%- endif %}
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk    (clk),
                    .rst    (rst),
                    .drain  (drain),
{%- if !broadcast %}
                    .l_in   (l_bus[r*(C+1)+c]),
                    .a_in   (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out  (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .b_in   (b_bus[OB*(r*C+c) +: OB]),
                    .b_out  (b_bus[OB*((r+1)*C+c) +: OB]),
                    .l_out  (l_bus[r*(C+1)+c+1]),
{%- else %}
                    .l_in   (l_in),
                    .a_in   (a_in[OB*r +: OB]),
                    .b_in   (b_in[OB*c +: OB]),
{%- endif %}
                    .dr_in  (d_bus[AB*(r*C+c) +: AB]),
                    .acc    (acc_bus[AB*(r*C+c) +: AB]),
                    .dr     (d_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
endmodule

