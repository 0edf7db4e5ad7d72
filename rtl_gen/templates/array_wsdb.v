{% include "header.v" %}

// The {{ rows }}x{{ cols }} weight-stationary PE mesh with double-buffered weights (docs/TIMING.md, "double-buffered
// weights"). a and the switch bit move right one PE per cycle, psum moves down one PE per cycle,
// shadow weights shift down while w_shift. Inputs: a_in byte r and sw_in bit r are the a and switch
// inputs of PE(r, 0) (already skewed by the compute unit); w_in byte c enters PE(0, c)'s shadow.
// Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                w_shift,
    input  wire [{{ w_bits - 1 }}:0]  w_in,
    input  wire [{{ rows - 1 }}:0]  sw_in,
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    output wire [{{ acc_bits - 1 }}:0] psum_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

    // a_bus / s_bus: the a and switch inputs of PE(r, c) at index r*(C+1)+c; column C is unused.
    // w_bus[(r*C+c)*OB +: OB] is the shadow weight entering PE(r, c); row R is unused.
    // act_bus: the active weights, observability only.
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
    /* verilator lint_off UNUSED */
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [R*(C+1)-1:0]    s_bus;
    wire [OB*(R+1)*C-1:0] w_bus;
    wire [OB*R*C-1:0]     act_bus;
    /* verilator lint_on UNUSED */
    wire [AB*(R+1)*C-1:0] p_bus;

    assign w_bus[OB*C-1:0] = w_in;
    assign p_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign psum_out = p_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            assign s_bus[r*(C+1)] = sw_in[r];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
                    .w_act   (act_bus[OB*(r*C+c) +: OB]),
                    .sw_in   (s_bus[r*(C+1)+c]),
                    .sw_out  (s_bus[r*(C+1)+c+1]),
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .psum_in (p_bus[AB*(r*C+c) +: AB]),
                    .psum_out(p_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
endmodule

