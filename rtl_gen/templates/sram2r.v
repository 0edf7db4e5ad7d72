{% include "header.v" %}

// Behavioural model of one SRAM bank with one write port and two read ports (the accumulator: port a
// for the compute unit's accumulate read, port b for the DMA's store read). A black box in synthesis.
// Both read ports are synchronous like {{ name }}_sram: the address is sampled at the end of the cycle
// in which re_* is high, the word is on rdata_* during the next cycle and held until the next read.
// A read and a write of the same word in the same cycle return the old word.
module {{ name }}_sram2r #(
    parameter WIDTH = 8,
    parameter DEPTH = 2,
    parameter AW    = 1
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             we,
    input  wire [AW-1:0]    waddr,
    input  wire [WIDTH-1:0] wdata,
    input  wire             re_a,
    input  wire [AW-1:0]    raddr_a,
    output reg  [WIDTH-1:0] rdata_a,
    input  wire             re_b,
    input  wire [AW-1:0]    raddr_b,
    output reg  [WIDTH-1:0] rdata_b
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
        if (rst) begin
            rdata_a <= {WIDTH{1'b0}};
            rdata_b <= {WIDTH{1'b0}};
        end else begin
            if (re_a) rdata_a <= mem[raddr_a];
            if (re_b) rdata_b <= mem[raddr_b];
        end
    end
endmodule

