{% include "header.v" %}

// Instruction memory: {{ depth }} words of 128 bits (docs/TIMING.md, "Controller"). Read asynchronously
// by the controller's pc; written one word per cycle through the top-level imem_* port before `start`.
// A black box in synthesis. Zero-initialised in simulation (not under SYNTHESIS; opcode 0 is HALT); no reset.
module {{ name }}_imem (
    input  wire          clk,
    input  wire          we,
    input  wire [{{ aw - 1 }}:0]  waddr,
    input  wire [127:0]  wdata,
    input  wire [{{ aw - 1 }}:0]  raddr,
    output wire [127:0]  rdata
);
    reg [127:0] mem [0:{{ depth - 1 }}];

`ifndef SYNTHESIS
    integer i;
    initial begin
        for (i = 0; i < {{ depth }}; i = i + 1) mem[i] = 128'd0;
    end
`endif

    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end

    assign rdata = mem[raddr];
endmodule

