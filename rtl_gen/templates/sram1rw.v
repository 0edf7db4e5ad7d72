{% include "header.v" %}

// Behavioural model of one SRAM bank with one read-write port (a macro in a real flow: synthesis
// treats this module as a black box), for the input and weight buffers with `ports: OneReadWrite`
// (docs/TIMING.md, "Single-ported banks"). In a cycle the port writes (we: wdata into word addr at
// the end of the cycle) or reads (re: addr is sampled at the end of the cycle, rdata holds the word
// during the next cycle and keeps it until the next read), never both: a program never has a
// write and a read of one single-ported SRAM in one cycle. In simulation a cycle with both is a
// contract violation: the model says so on stderr and stops ($fatal; the testbench reports it).
// Under SYNTHESIS the write takes the port and the read is dropped. The array is zero-initialised
// in simulation (not under SYNTHESIS); it has no reset.
module {{ name }}_sram1rw #(
    parameter WIDTH = 8,
    parameter DEPTH = 2,
    parameter AW    = 1
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             we,
    input  wire             re,
    input  wire [AW-1:0]    addr,
    input  wire [WIDTH-1:0] wdata,
    output reg  [WIDTH-1:0] rdata
);
    reg [WIDTH-1:0] mem [0:DEPTH-1];

`ifndef SYNTHESIS
    integer i;
    initial begin
        for (i = 0; i < DEPTH; i = i + 1) mem[i] = {WIDTH{1'b0}};
    end

    always @(posedge clk) begin
        if (!rst && we && re) begin
            $fwrite(32'h80000002, "CONTRACT VIOLATION: single-ported SRAM %m read and written in one cycle (docs/TIMING.md, \"Single-ported banks\")\n");
            $fatal;
        end
    end
`endif

    always @(posedge clk) begin
        if (we) mem[addr] <= wdata;
    end

    always @(posedge clk) begin
        if (rst) rdata <= {WIDTH{1'b0}};
        else if (re && !we) rdata <= mem[addr];
    end
endmodule

