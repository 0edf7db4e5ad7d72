{% include "header.v" %}

// The {{ rows }}x{{ cols }} weight-stationary PE mesh (docs/TIMING.md, "Compute unit: weight-stationary", steps 1 and 3).
// a moves right one PE per cycle, psum moves down one PE per cycle, weights shift down while w_shift.
// Inputs: a_in byte r is the a input of PE(r, 0) (already skewed by the compute unit); w_in byte c
// enters PE(0, c) during preload. Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                w_shift,
    input  wire [{{ w_bits - 1 }}:0]  w_in,
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    output wire [{{ acc_bits - 1 }}:0] psum_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

    // a_bus[(r*(C+1)+c)*OB +: OB] is the a input of PE(r, c); column C is the unused a_out of the last column.
    // w_bus[(r*C+c)*OB +: OB] is the weight entering PE(r, c); row R is the unused w_out of the last row.
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
    /* verilator lint_off UNUSED */
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [OB*(R+1)*C-1:0] w_bus;
    /* verilator lint_on UNUSED */
    wire [AB*(R+1)*C-1:0] p_bus;

    assign w_bus[OB*C-1:0] = w_in;
    assign p_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign psum_out = p_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .psum_in (p_bus[AB*(r*C+c) +: AB]),
                    .psum_out(p_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
endmodule

