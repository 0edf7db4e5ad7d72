{% include "header.v" %}

// One weight-stationary processing element with double-buffered weights (docs/TIMING.md,
// "double-buffered weights"). Every cycle: a_out <= a_in; sw_out <= sw_in; psum_out <= psum_in +
// a_in * w_use (int{{ ob }} x int{{ ob }} sign-extended, int{{ ab }} two's-complement wrap-around), where w_use is the
// shadow weight while sw_in is high (the first input row of a tile passes) and the active weight
// otherwise; while sw_in is high the active weight takes the shadow. While w_shift is high the shadow
// (= w_out, which feeds the PE below) loads w_in, so a column of shadows is a shift register.
// w_act is an output for observability (the formal check); the array leaves it unused.
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        w_shift,
    input  wire [{{ ob - 1 }}:0]  w_in,
    output reg  [{{ ob - 1 }}:0]  w_out,
    output reg  [{{ ob - 1 }}:0]  w_act,
    input  wire        sw_in,
    output reg         sw_out,
    input  wire [{{ ob - 1 }}:0]  a_in,
    output reg  [{{ ob - 1 }}:0]  a_out,
    input  wire [{{ ab - 1 }}:0] psum_in,
    output reg  [{{ ab - 1 }}:0] psum_out
);
    wire [{{ ob - 1 }}:0] w_use = sw_in ? w_out : w_act;
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(w_use);

    always @(posedge clk) begin
        if (rst) begin
            w_out    <= {{ ob }}'d0;
            w_act    <= {{ ob }}'d0;
            sw_out   <= 1'b0;
            a_out    <= {{ ob }}'d0;
            psum_out <= {{ ab }}'d0;
        end else begin
            if (w_shift) w_out <= w_in;
            if (sw_in) w_act <= w_out;
            sw_out   <= sw_in;
            a_out    <= a_in;
            psum_out <= psum_in + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
        end
    end
endmodule

