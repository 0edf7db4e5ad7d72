{% include "header.v" %}

// DMA unit (docs/TIMING.md, "DMA unit and the DRAM port"). One transfer at a time; busy is set at the
// end of the issue cycle, so tau = 0 is the first busy cycle.
// LOAD (count = n words of b bytes, b = {{ in_bits / 8 }} for the input buffer, {{ w_bits / 8 }} for the weight buffer):
//   tau = 0: mem_rd_req_* presents (addr, n, b) for one cycle. The DRAM returns word i on
//   mem_rd_valid/mem_rd_data (low b bytes) during tau = L + k_i; it is written to sram_addr + i at the
//   end of that cycle. The cycle word n-1 arrives is the last busy cycle.
// STORE (count = n accumulator words of b = {{ store_bytes }} bytes):
//   word i is read from the accumulator in tau = k_i and presented as write beat i (mem_wr_*, address
//   dram_addr + i*b, mem_wr_last on beat n-1) during tau = k_i + 1. k_i comes from a credit counter:
//   word i may go in cycle tau when (i+1)*b <= (tau+1)*W (at most one word per cycle), which is
//   k_i = max(i, ceil((i+1)*b/W) - 1). The cycle of mem_wr_ack (tau = k_(n-1) + 1 + L) is the last busy
//   cycle. W = {{ bytes_per_cycle }} here; the counter uses min(W, b) = {{ w_eff }}, which gives the same schedule.
// The unit does not know L: it ends a LOAD on the last data beat and a STORE on the acknowledgement.
// count = 0 is illegal (the contract forbids it); this unit would wait forever.
// trace_done (observability only, combinational): high in the unit's last busy cycle, i.e. the cycle
// at whose end busy clears.
module {{ name }}_dma (
    input  wire          clk,
    input  wire          rst,
    // issue, from the controller
    input  wire          start,
    input  wire          store,       // 1: STORE, 0: LOAD
    input  wire          to_weight,   // LOAD: 1 weight buffer, 0 input buffer
    input  wire [15:0]   count,
    input  wire [31:0]   dram_addr,
    input  wire [15:0]   sram_addr,
    output reg           busy,
    // DRAM port
    output reg           mem_rd_req_valid,
    output wire [31:0]   mem_rd_req_addr,
    output wire [15:0]   mem_rd_req_count,
    output wire [15:0]   mem_rd_req_bytes,
    input  wire          mem_rd_valid,
    input  wire [{{ 8 * bus_bytes - 1 }}:0] mem_rd_data,
    output reg           mem_wr_valid,
    output reg  [31:0]   mem_wr_addr,
    output wire [{{ 8 * bus_bytes - 1 }}:0] mem_wr_data,
    output wire [15:0]   mem_wr_bytes,
    output reg           mem_wr_last,
    input  wire          mem_wr_ack,
    // buffer ports
    output wire          in_we,
    output wire [15:0]   in_waddr,
    output wire [{{ in_bits - 1 }}:0] in_wdata,
    output wire          w_we,
    output wire [15:0]   w_waddr,
    output wire [{{ w_bits - 1 }}:0] w_wdata,
    output wire          acc_re,
    output wire [15:0]   acc_raddr,
    input  wire [{{ acc_bits - 1 }}:0] acc_rdata,
    // observability
    output wire          trace_done
);
    reg        store_q;
    reg        weight_q;
    reg [15:0] count_q;
    reg [15:0] sram_q;
    reg [15:0] idx;       // LOAD: words received; STORE: words read
    reg [31:0] dram_q;    // LOAD: request address; STORE: address of the next beat
    reg        issuing;   // STORE: words left to read
    reg [{{ credit_bits - 1 }}:0] credit;    // STORE: bytes of credit accumulated and not yet spent, < {{ store_bytes }}

    wire last_idx = idx == count_q - 16'd1;

    // the conditions under which the sequential block below clears busy
    assign trace_done = busy && (store_q ? mem_wr_ack : (mem_rd_valid && last_idx));

    // LOAD: write each returned word into its buffer
    wire rd_word = busy && !store_q && mem_rd_valid;
    assign in_we    = rd_word && !weight_q;
    assign in_waddr = sram_q + idx;
    assign in_wdata = mem_rd_data[{{ in_bits - 1 }}:0];
    assign w_we     = rd_word && weight_q;
    assign w_waddr  = sram_q + idx;
    assign w_wdata  = mem_rd_data[{{ w_bits - 1 }}:0];
{%- if bus_bytes > load_bytes %}
    // the read data bus is as wide as the widest word; loads use the low {{ load_bytes }} bytes
    wire unused_rd_data = ^mem_rd_data[{{ 8 * bus_bytes - 1 }}:{{ 8 * load_bytes }}];
{%- endif %}

    assign mem_rd_req_addr  = dram_q;
    assign mem_rd_req_count = count_q;
    assign mem_rd_req_bytes = weight_q ? 16'd{{ w_bits / 8 }} : 16'd{{ in_bits / 8 }};

    // STORE: credit-paced reads of the accumulator, one beat per read on the next cycle
    wire credit_ok = credit + {{ credit_bits }}'d{{ w_eff }} >= {{ credit_bits }}'d{{ store_bytes }};
    wire issue = busy && store_q && issuing && credit_ok;
    assign acc_re    = issue;
    assign acc_raddr = sram_q + idx;
{%- if bus_bytes > store_bytes %}
    assign mem_wr_data  = { {{ 8 * (bus_bytes - store_bytes) }}'d0, acc_rdata};
{%- else %}
    assign mem_wr_data  = acc_rdata;
{%- endif %}
    assign mem_wr_bytes = 16'd{{ store_bytes }};

    always @(posedge clk) begin
        if (rst) begin
            busy             <= 1'b0;
            store_q          <= 1'b0;
            weight_q         <= 1'b0;
            count_q          <= 16'd0;
            sram_q           <= 16'd0;
            idx              <= 16'd0;
            dram_q           <= 32'd0;
            issuing          <= 1'b0;
            credit           <= {{ credit_bits }}'d0;
            mem_rd_req_valid <= 1'b0;
            mem_wr_valid     <= 1'b0;
            mem_wr_addr      <= 32'd0;
            mem_wr_last      <= 1'b0;
        end else begin
            mem_rd_req_valid <= 1'b0;
            mem_wr_valid     <= issue;
            mem_wr_last      <= issue && last_idx;
            if (start) begin
                busy             <= 1'b1;
                store_q          <= store;
                weight_q         <= to_weight;
                count_q          <= count;
                sram_q           <= sram_addr;
                idx              <= 16'd0;
                dram_q           <= dram_addr;
                issuing          <= store;
                credit           <= {{ credit_bits }}'d0;
                mem_rd_req_valid <= !store;
            end else if (busy && store_q) begin
                if (issuing) begin
                    credit <= credit + {{ credit_bits }}'d{{ w_eff }} - (issue ? {{ credit_bits }}'d{{ store_bytes }} : {{ credit_bits }}'d0);
                end
                if (issue) begin
                    idx         <= idx + 16'd1;
                    dram_q      <= dram_q + 32'd{{ store_bytes }};
                    mem_wr_addr <= dram_q;
                    if (last_idx) issuing <= 1'b0;
                end
                if (mem_wr_ack) busy <= 1'b0;
            end else if (busy && mem_rd_valid) begin
                idx <= idx + 16'd1;
                if (last_idx) busy <= 1'b0;
            end
        end
    end
endmodule

