{% include "header.v" %}

// One weight-stationary processing element (docs/TIMING.md, "Compute unit: weight-stationary", step 3).
// Every cycle: a_out <= a_in; psum_out <= psum_in + a_in * w (int{{ ob }} x int{{ ob }} sign-extended,
// int{{ ab }} two's-complement wrap-around). While w_shift is high the stationary weight w (= w_out, which feeds
// the PE below) loads w_in, so a column of PEs is a shift register during preload.
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        w_shift,
    input  wire [{{ ob - 1 }}:0]  w_in,
    output reg  [{{ ob - 1 }}:0]  w_out,
    input  wire [{{ ob - 1 }}:0]  a_in,
    output reg  [{{ ob - 1 }}:0]  a_out,
    input  wire [{{ ab - 1 }}:0] psum_in,
    output reg  [{{ ab - 1 }}:0] psum_out
);
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(w_out);

    always @(posedge clk) begin
        if (rst) begin
            w_out    <= {{ ob }}'d0;
            a_out    <= {{ ob }}'d0;
            psum_out <= {{ ab }}'d0;
        end else begin
            if (w_shift) w_out <= w_in;
            a_out    <= a_in;
            psum_out <= psum_in + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
        end
    end
endmodule

