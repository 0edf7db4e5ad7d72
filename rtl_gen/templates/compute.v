{% include "header.v" %}

// Compute unit: one array tile per COMPUTE (docs/TIMING.md, "Compute unit"). R = {{ rows }}, C = {{ cols }},
// M = rows field; tau = 0 is the first busy cycle.
//   preload:    tau = 0..R-1 reads weight word w_addr + (R-1-tau); tau = 1..R shifts it into row 0
//               (every row's weight shifts down), so PE row r then holds word w_addr + r;
//   stream:     tau = R+m reads input word in_addr + m; byte r passes r skew registers and is the a
//               input of PE(r, 0) during tau = R+1+m+r;
//   deskew:     column c of the array output passes C-1-c registers: output row m is complete during
//               tau = 2R+C+m;
//   write back: accumulator word out_addr + m is written at the end of tau = 2R+C+m with the new row,
//               or (accumulate) with old + new lane-wise, old read during tau = 2R+C+m-1;
//   busy for 2R+C+M cycles.
// PE, skew and deskew registers are reset once and never cleared between tiles.
// trace_done (observability only, combinational): high in the last busy cycle, tau = 2R+C+M-1.
module {{ name }}_compute (
    input  wire          clk,
    input  wire          rst,
    // issue, from the controller
    input  wire          start,
    input  wire          accumulate,
    input  wire [15:0]   rows,
    input  wire [15:0]   in_addr,
    input  wire [15:0]   w_addr,
    input  wire [15:0]   out_addr,
    output reg           busy,
    // buffer ports
    output wire          w_re,
    output wire [15:0]   w_raddr,
    input  wire [{{ 8 * cols - 1 }}:0] w_rdata,
    output wire          in_re,
    output wire [15:0]   in_raddr,
    input  wire [{{ 8 * rows - 1 }}:0] in_rdata,
    output wire          acc_re,
    output wire [15:0]   acc_raddr,
    input  wire [{{ 32 * cols - 1 }}:0] acc_rdata,
    output wire          acc_we,
    output wire [15:0]   acc_waddr,
    output wire [{{ 32 * cols - 1 }}:0] acc_wdata,
    // observability
    output wire          trace_done
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};

    reg [{{ tau_bits - 1 }}:0] tau;
    reg        acc_q;
    reg [15:0] rows_q;
    reg [15:0] in_q;
    reg [15:0] w_q;
    reg [15:0] out_q;

    wire [{{ tau_bits - 1 }}:0] m_t       = { {{ tau_bits - 16 }}'d0, rows_q};
    wire [{{ tau_bits - 1 }}:0] in_end    = {{ tau_bits }}'d{{ rows }} + m_t;         // input reads: R <= tau < R+M
    wire [{{ tau_bits - 1 }}:0] acc_rd_end = {{ tau_bits }}'d{{ wb_start - 1 }} + m_t;  // accumulate reads: 2R+C-1 <= tau < 2R+C-1+M
    wire [{{ tau_bits - 1 }}:0] wb_end    = {{ tau_bits }}'d{{ wb_start }} + m_t;     // writes: 2R+C <= tau < 2R+C+M
    wire last = tau == wb_end - {{ tau_bits }}'d1;
    assign trace_done = busy && last;

    // preload
    assign w_re    = busy && tau < {{ tau_bits }}'d{{ rows }};
    assign w_raddr = w_q + 16'd{{ rows - 1 }} - tau[15:0];
    wire   w_shift = busy && tau >= {{ tau_bits }}'d1 && tau <= {{ tau_bits }}'d{{ rows }};

    // stream
    assign in_re    = busy && tau >= {{ tau_bits }}'d{{ rows }} && tau < in_end;
    assign in_raddr = in_q + (tau[15:0] - 16'd{{ rows }});

    // skew: byte r of the input word passes r registers
    wire [8*R-1:0] a_skewed;
    assign a_skewed[7:0] = in_rdata[7:0];
    genvar r, c;
    generate
        for (r = 1; r < R; r = r + 1) begin : g_skew
            reg [8*r-1:0] sr;   // sr[8*k +: 8] is byte r delayed k+1 cycles
            if (r == 1) begin : g_one
                always @(posedge clk) begin
                    if (rst) sr <= 8'd0;
                    else sr <= in_rdata[8*r +: 8];
                end
            end else begin : g_chain
                always @(posedge clk) begin
                    if (rst) sr <= {(8*r){1'b0}};
                    else sr <= {sr[8*r-9:0], in_rdata[8*r +: 8]};
                end
            end
            assign a_skewed[8*r +: 8] = sr[8*r-1 -: 8];
        end
    endgenerate

    wire [32*C-1:0] psum;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .w_shift (w_shift),
        .w_in    (w_rdata),
        .a_in    (a_skewed),
        .psum_out(psum)
    );

    // deskew: column c passes C-1-c registers
    wire [32*C-1:0] row_new;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_deskew
            if (c == C - 1) begin : g_none
                assign row_new[32*c +: 32] = psum[32*c +: 32];
            end else if (c == C - 2) begin : g_one
                reg [31:0] dr;
                always @(posedge clk) begin
                    if (rst) dr <= 32'd0;
                    else dr <= psum[32*c +: 32];
                end
                assign row_new[32*c +: 32] = dr;
            end else begin : g_chain
                reg [32*(C-1-c)-1:0] dr;   // dr[32*k +: 32] is column c delayed k+1 cycles
                always @(posedge clk) begin
                    if (rst) dr <= {(32*(C-1-c)){1'b0}};
                    else dr <= {dr[32*(C-1-c)-33:0], psum[32*c +: 32]};
                end
                assign row_new[32*c +: 32] = dr[32*(C-1-c)-1 -: 32];
            end
        end
    endgenerate

    // write back
    assign acc_re    = busy && acc_q && tau >= {{ tau_bits }}'d{{ wb_start - 1 }} && tau < acc_rd_end;
    assign acc_raddr = out_q + (tau[15:0] - 16'd{{ wb_start - 1 }});
    assign acc_we    = busy && tau >= {{ tau_bits }}'d{{ wb_start }} && tau < wb_end;
    assign acc_waddr = out_q + (tau[15:0] - 16'd{{ wb_start }});
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[32*c +: 32] = row_new[32*c +: 32] + (acc_q ? acc_rdata[32*c +: 32] : 32'd0);
        end
    endgenerate

    always @(posedge clk) begin
        if (rst) begin
            busy   <= 1'b0;
            tau    <= {{ tau_bits }}'d0;
            acc_q  <= 1'b0;
            rows_q <= 16'd0;
            in_q   <= 16'd0;
            w_q    <= 16'd0;
            out_q  <= 16'd0;
        end else if (start) begin
            busy   <= 1'b1;
            tau    <= {{ tau_bits }}'d0;
            acc_q  <= accumulate;
            rows_q <= rows;
            in_q   <= in_addr;
            w_q    <= w_addr;
            out_q  <= out_addr;
        end else if (busy) begin
            tau <= tau + {{ tau_bits }}'d1;
            if (last) busy <= 1'b0;
        end
    end
endmodule

