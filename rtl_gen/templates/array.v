{% include "header.v" %}

// The {{ rows }}x{{ cols }} PE mesh (docs/TIMING.md, "Compute unit", steps 1 and 3).
// a moves right one PE per cycle, psum moves down one PE per cycle, weights shift down while w_shift.
// Inputs: a_in byte r is the a input of PE(r, 0) (already skewed by the compute unit); w_in byte c
// enters PE(0, c) during preload. Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                w_shift,
    input  wire [{{ 8 * cols - 1 }}:0]  w_in,
    input  wire [{{ 8 * rows - 1 }}:0]  a_in,
    output wire [{{ 32 * cols - 1 }}:0] psum_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};

    // a_bus[(r*(C+1)+c)*8 +: 8] is the a input of PE(r, c); column C is the unused a_out of the last column.
    // w_bus[(r*C+c)*8 +: 8] is the weight entering PE(r, c); row R is the unused w_out of the last row.
    // p_bus[(r*C+c)*32 +: 32] is the psum input of PE(r, c); row R holds the array outputs.
    /* verilator lint_off UNUSED */
    wire [8*R*(C+1)-1:0] a_bus;
    wire [8*(R+1)*C-1:0] w_bus;
    /* verilator lint_on UNUSED */
    wire [32*(R+1)*C-1:0] p_bus;

    assign w_bus[8*C-1:0] = w_in;
    assign p_bus[32*C-1:0] = {(32*C){1'b0}};
    assign psum_out = p_bus[32*(R+1)*C-1:32*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[8*r*(C+1) +: 8] = a_in[8*r +: 8];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[8*(r*C+c) +: 8]),
                    .w_out   (w_bus[8*((r+1)*C+c) +: 8]),
                    .a_in    (a_bus[8*(r*(C+1)+c) +: 8]),
                    .a_out   (a_bus[8*(r*(C+1)+c+1) +: 8]),
                    .psum_in (p_bus[32*(r*C+c) +: 32]),
                    .psum_out(p_bus[32*((r+1)*C+c) +: 32])
                );
            end
        end
    endgenerate
endmodule

