{% include "header.v" %}

// Behavioural model of one SRAM bank with one write port and one read port (a macro in a real flow:
// synthesis treats this module as a black box). Reads are synchronous (docs/TIMING.md, "Word
// widths"): raddr is sampled at the end of the cycle in which re is high, rdata holds the word during
// the next cycle and keeps it until the next read. A read and a write of the same word in the same
// cycle return the old word. The array is zero-initialised in simulation (not under SYNTHESIS); it has no reset.
module {{ name }}_sram #(
    parameter WIDTH = 8,
    parameter DEPTH = 2,
    parameter AW    = 1
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata,
    input  wire             re,
    input  wire [AW-1:0]    raddr,
    output reg  [WIDTH-1:0] rdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];

`ifndef SYNTHESIS
    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) mem[i] = {WIDTH{1'b0}};
    end
`endif

    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end

    always @(posedge clk) begin
        if (rst) rdata <= {WIDTH{1'b0}};
        else if (re) rdata <= mem[raddr];
    end
endmodule

