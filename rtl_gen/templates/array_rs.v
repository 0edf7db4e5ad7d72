{% include "header.v" %}

// The {{ rows }}x{{ cols }} row-stationary PE array (docs/TIMING.md, "Compute unit: row-stationary"). Every
// PE has a register file of {{ rf }} operands, a partial sum and an output register; the compute unit
// drives the same we, mac, cap and t into every PE.
// Inputs: w_in byte r is the weight operand of every PE of row r (the preload's row bus);
// a_in[OB*(r*C+c) +: OB] is the input operand of PE(r, c) (row r's window of the input word, chosen
// by the compute unit). Output: out_all[AB*(r*C+c) +: AB] is the out register of PE(r, c).
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                we,
    input  wire                mac,
    input  wire                cap,
    input  wire [7:0]          t,
    input  wire [{{ w_bits - 1 }}:0]  w_in,
    input  wire [{{ rows * cols * ob - 1 }}:0]  a_in,
    output wire [{{ rows * cols * ab - 1 }}:0] out_all
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam F = {{ rf }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

    // the register files and partial sums are the PEs' own (outputs only for the formal proof)
    /* verilator lint_off UNUSED */
    wire [OB*F*R*C-1:0] rf_bus;
    wire [AB*R*C-1:0] ps_bus;
    /* verilator lint_on UNUSED */

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk  (clk),
                    .rst  (rst),
                    .we   (we),
                    .mac  (mac),
                    .cap  (cap),
                    .t    (t),
                    .w_in (w_in[OB*r +: OB]),
                    .a_in (a_in[OB*(r*C+c) +: OB]),
                    .rf   (rf_bus[OB*F*(r*C+c) +: OB*F]),
                    .ps   (ps_bus[AB*(r*C+c) +: AB]),
                    .out  (out_all[AB*(r*C+c) +: AB])
                );
            end
        end
    endgenerate
endmodule

