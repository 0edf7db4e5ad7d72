{% include "header.v" %}

// One processing element (docs/TIMING.md, "Compute unit", step 3).
// Every cycle: a_out <= a_in; psum_out <= psum_in + a_in * w (int8 x int8 sign-extended, int32
// two's-complement wrap-around). While w_shift is high the stationary weight w (= w_out, which feeds
// the PE below) loads w_in, so a column of PEs is a shift register during preload.
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        w_shift,
    input  wire [7:0]  w_in,
    output reg  [7:0]  w_out,
    input  wire [7:0]  a_in,
    output reg  [7:0]  a_out,
    input  wire [31:0] psum_in,
    output reg  [31:0] psum_out
);
    wire signed [15:0] prod = $signed(a_in) * $signed(w_out);

    always @(posedge clk) begin
        if (rst) begin
            w_out    <= 8'd0;
            a_out    <= 8'd0;
            psum_out <= 32'd0;
        end else begin
            if (w_shift) w_out <= w_in;
            a_out    <= a_in;
            psum_out <= psum_in + { {16{prod[15]}}, prod};
        end
    end
endmodule

