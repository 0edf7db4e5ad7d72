{% include "header.v" %}

// Row-stationary compute unit: one pass per COMPUTE (docs/TIMING.md, "Compute unit: row-stationary").
// R = {{ rows }}, C = {{ cols }}, F = {{ rf }}; the pass: E = the len field, T = steps, H = block_rows, B = blocks,
// step = row_step; tau = 0 is the first busy cycle.
//   issue:      row r's offset o(r) = (r mod H)*step and block r / H are computed from H and step
//               (row by row: r mod H restarts at 0 and the block advances where r mod H would reach H)
//               and latched with the pass;
//   preload:    tau = t (t = 0..T-1) reads weight word w_addr + t; at the end of tau = t+1 every PE of
//               row r writes byte r of it into RF[t];
//   stream:     tau = T+i (i = 0..E*T-1) reads input word in_addr + i;
//   MAC:        during tau = T+1+i, with x = i / T and t = i mod T, PE(r, c) takes byte o(r)+c of the
//               word on the port: ps <= (t == 0 ? 0 : ps) + a * RF[t];
//   capture:    at the end of tau = T(x+2)+1 (the cycle after output x's last step) every PE: out <= ps;
//   write back: during tau = T(x+2)+2+b (b = 0..B-1) lane c of the block sum is the sum of out of
//               PE(b*H+h, c) over h < H (rows whose block is b), written to accumulator word
//               out_addr + b*E + x at the end of the cycle, or (accumulate) old + new lane-wise, old
//               read during the cycle before;
//   busy for T*(E+1)+B+2 cycles (the last: tau = T(E+1)+B+1, output E-1's block B-1).
// The sequencer runs on counters (step, output, input word, block), not on tau: the cycle after a
// read its word is on the port (the MAC side), the cycle after an output's last step is its capture
// and its first accumulator read, and each block's write follows its read by one cycle.
// PE registers (RF, ps, out) are reset once and never cleared between passes.
// trace_done (observability only, combinational): high in the last busy cycle.
module {{ name }}_compute (
    input  wire          clk,
    input  wire          rst,
    // issue, from the controller
    input  wire          start,
    input  wire          accumulate,
    input  wire [15:0]   len,
    input  wire [{{ ad.aw - 1 }}:0]   in_addr,
    input  wire [{{ ad.aw - 1 }}:0]   w_addr,
    input  wire [{{ ad.aw - 1 }}:0]   out_addr,
    input  wire [7:0]    steps,       // T
    input  wire [7:0]    block_rows,  // H
    input  wire [7:0]    blocks,      // B
    input  wire [7:0]    row_step,    // step
    output reg           busy,
    output wire          full,        // cannot take a COMPUTE: one pass at a time, so = busy
    output wire          prev_busy,   // never: no pass runs behind another
    // buffer ports
    output wire          w_re,
    output wire [{{ ad.aw - 1 }}:0]   w_raddr,
    input  wire [{{ w_bits - 1 }}:0] w_rdata,
    output wire          in_re,
    output wire [{{ ad.aw - 1 }}:0]   in_raddr,
    input  wire [{{ in_bits - 1 }}:0] in_rdata,
    output wire          acc_re,
    output wire [{{ ad.aw - 1 }}:0]   acc_raddr,
    input  wire [{{ acc_bits - 1 }}:0] acc_rdata,
    output wire          acc_we,
    output wire [{{ ad.aw - 1 }}:0]   acc_waddr,
    output wire [{{ acc_bits - 1 }}:0] acc_wdata,
    // observability
    output wire          trace_done
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits
    localparam IW = OB*(R+C-1);   // input word bits

    assign full = busy;
    assign prev_busy = 1'b0;

    // the pass, latched at issue
    reg        acc_q;
    reg [15:0] len_q;
    reg [{{ ad.aw - 1 }}:0] in_q;
    reg [{{ ad.aw - 1 }}:0] w_q;
    reg [7:0]  t_q;     // T
    reg [7:0]  b_q;     // B
    reg [8*R-1:0] off_q;   // off_q[8*r +: 8]: row r's offset o(r) into the input word
    reg [8*R-1:0] blk_q;   // blk_q[8*r +: 8]: row r's block, r / H

    // row offsets and blocks of the issuing pass, row by row from row 0 (offset 0, block 0): r mod H
    // restarts at 0 where it would reach H, and the block advances there
    reg [8*R-1:0] off_n;
    reg [8*R-1:0] blk_n;
    reg [7:0] h_r;
    reg [7:0] off_r;
    reg [7:0] blk_r;
    integer q;
    always @(*) begin
        h_r   = 8'd0;
        off_r = 8'd0;
        blk_r = 8'd0;
        off_n = {(8*R){1'b0}};
        blk_n = {(8*R){1'b0}};
        for (q = 1; q < R; q = q + 1) begin
            if (h_r + 8'd1 == block_rows) begin
                h_r   = 8'd0;
                off_r = 8'd0;
                blk_r = blk_r + 8'd1;
            end else begin
                h_r   = h_r + 8'd1;
                off_r = off_r + row_step;
            end
            off_n[8*q +: 8] = off_r;
            blk_n[8*q +: 8] = blk_r;
        end
    end
    genvar r, c;

    // read side: the preload (pre, k = the weight word) and the stream (strm, k = the step t of the
    // word read, x = its output, i = its input word)
    reg        pre;
    reg        strm;
    reg [7:0]  k;
    reg [15:0] x;
    reg [{{ ad.aw - 1 }}:0] i;
    wire k_last = k == t_q - 8'd1;
    wire x_last = x == len_q - 16'd1;
    assign w_re     = pre;
    assign w_raddr  = w_q + { {{ ad.aw - 8 }}'d0, k};
    assign in_re    = strm;
    assign in_raddr = in_q + i;

    // port side, one cycle later: the word read is on the port
    reg        rf_we;     // preload: RF[pk] <= byte r of the weight word
    reg        mac;       // stream: the PEs make step pk
    reg [7:0]  pk;
    reg        m_last;    // the step is its output's last (t = T-1)
    reg        m_final;   // ... and the output is the pass's last (x = E-1)
    // capture: the cycle after an output's last step
    reg        cap;
    reg        cap_final;

    // write back: block b of an output is read (accumulating) during capture + b and written one
    // cycle later; obase is block 0's accumulator word of the next output captured, out_addr + x
    reg [{{ ad.aw - 1 }}:0] obase;
    reg        rb_more;   // blocks 1..B-1 of the output captured are still to be read
    reg [7:0]  rb_b;
    reg [{{ ad.aw - 1 }}:0] rb_addr;
    reg        rb_final;
    wire       rd_on    = cap || rb_more;
    wire [7:0] rd_b     = cap ? 8'd0 : rb_b;
    wire [{{ ad.aw - 1 }}:0] rd_addr = cap ? obase : rb_addr;
    wire       rd_final = cap ? cap_final : rb_final;
    wire       rd_blast = rd_b == b_q - 8'd1;
    reg        wr_on;
    reg [7:0]  wr_b;
    reg [{{ ad.aw - 1 }}:0] wr_addr;
    reg        wr_last;   // the pass's last write: output E-1, block B-1
    wire last = wr_on && wr_last;
    assign trace_done = busy && last;

    // the array: row r's window is C bytes of the input word from byte o(r)
    wire [OB*R*C-1:0] a_win;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_win
            /* verilator lint_off UNUSED */
            wire [IW-1:0] sh = in_rdata >> (OB * off_q[8*r +: 8]);
            /* verilator lint_on UNUSED */
            assign a_win[OB*C*r +: OB*C] = sh[OB*C-1:0];
        end
    endgenerate
    wire [AB*R*C-1:0] out_all;
    {{ name }}_array u_array (
        .clk     (clk),
        .rst     (rst),
        .we      (rf_we),
        .mac     (mac),
        .cap     (cap),
        .t       (pk),
        .w_in    (w_rdata),
        .a_in    (a_win),
        .out_all (out_all)
    );

    // block sums: lane c adds the out of every row whose block is wr_b
    reg [AB*C-1:0] bsum;
    integer br, bc;
    always @(*) begin
        bsum = {(AB*C){1'b0}};
        for (bc = 0; bc < C; bc = bc + 1) begin
            for (br = 0; br < R; br = br + 1) begin
                if (blk_q[8*br +: 8] == wr_b) bsum[AB*bc +: AB] = bsum[AB*bc +: AB] + out_all[AB*(br*C+bc) +: AB];
            end
        end
    end
    generate
        for (c = 0; c < C; c = c + 1) begin : g_lane
            assign acc_wdata[AB*c +: AB] = bsum[AB*c +: AB] + (acc_q ? acc_rdata[AB*c +: AB] : {AB{1'b0}});
        end
    endgenerate
    assign acc_re    = acc_q && rd_on;
    assign acc_raddr = rd_addr;
    assign acc_we    = wr_on;
    assign acc_waddr = wr_addr;

    always @(posedge clk) begin
        if (rst) begin
            busy      <= 1'b0;
            acc_q     <= 1'b0;
            len_q     <= 16'd0;
            in_q      <= {{ ad.aw }}'d0;
            w_q       <= {{ ad.aw }}'d0;
            t_q       <= 8'd0;
            b_q       <= 8'd0;
            off_q     <= {(8*R){1'b0}};
            blk_q     <= {(8*R){1'b0}};
            pre       <= 1'b0;
            strm      <= 1'b0;
            k         <= 8'd0;
            x         <= 16'd0;
            i         <= {{ ad.aw }}'d0;
            obase     <= {{ ad.aw }}'d0;
            rf_we     <= 1'b0;
            mac       <= 1'b0;
            pk        <= 8'd0;
            m_last    <= 1'b0;
            m_final   <= 1'b0;
            cap       <= 1'b0;
            cap_final <= 1'b0;
            rb_more   <= 1'b0;
            rb_b      <= 8'd0;
            rb_addr   <= {{ ad.aw }}'d0;
            rb_final  <= 1'b0;
            wr_on     <= 1'b0;
            wr_b      <= 8'd0;
            wr_addr   <= {{ ad.aw }}'d0;
            wr_last   <= 1'b0;
        end else begin
            if (start) begin
                busy  <= 1'b1;
                acc_q <= accumulate;
                len_q <= len;
                in_q  <= in_addr;
                w_q   <= w_addr;
                t_q   <= steps;
                b_q   <= blocks;
                off_q <= off_n;
                blk_q <= blk_n;
                pre   <= 1'b1;
                strm  <= 1'b0;
                k     <= 8'd0;
                x     <= 16'd0;
                i     <= {{ ad.aw }}'d0;
                obase <= out_addr;
            end else begin
                if (pre) begin
                    if (k_last) begin
                        pre  <= 1'b0;
                        strm <= 1'b1;
                        k    <= 8'd0;
                    end else begin
                        k <= k + 8'd1;
                    end
                end else if (strm) begin
                    i <= i + {{ ad.aw }}'d1;
                    if (k_last) begin
                        k <= 8'd0;
                        if (x_last) strm <= 1'b0;
                        else x <= x + 16'd1;
                    end else begin
                        k <= k + 8'd1;
                    end
                end
                if (cap) obase <= obase + {{ ad.aw }}'d1;
                if (last) busy <= 1'b0;
            end
            // port side and capture
            rf_we     <= pre;
            mac       <= strm;
            pk        <= k;
            m_last    <= strm && k_last;
            m_final   <= strm && k_last && x_last;
            cap       <= mac && m_last;
            cap_final <= mac && m_final;
            // write back
            rb_more   <= rd_on && !rd_blast;
            rb_b      <= rd_b + 8'd1;
            rb_addr   <= rd_addr + {{ ad.zl }}len_q{{ ad.zr }};
            rb_final  <= rd_final;
            wr_on     <= rd_on;
            wr_b      <= rd_b;
            wr_addr   <= rd_addr;
            wr_last   <= rd_on && rd_final && rd_blast;
        end
    end
endmodule

