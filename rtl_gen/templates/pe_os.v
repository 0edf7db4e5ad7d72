{% include "header.v" %}

// One output-stationary processing element (docs/TIMING.md, "Compute unit: output-stationary", step 3).
// Every cycle: a_out <= a_in; b_out <= b_in; and acc <= acc + a_in * b_in (int{{ ob }} x int{{ ob }}
// sign-extended, int{{ ab }} two's-complement wrap-around), except while `drain` is high, when
// acc <= acc_in: the sum of the PE above moves into this one (zero enters the top row), so a column
// of PEs is a shift register that empties the tile's sums row by row out of the bottom.
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        drain,
    input  wire [{{ ob - 1 }}:0]  a_in,
    output reg  [{{ ob - 1 }}:0]  a_out,
    input  wire [{{ ob - 1 }}:0]  b_in,
    output reg  [{{ ob - 1 }}:0]  b_out,
    input  wire [{{ ab - 1 }}:0] acc_in,
    output reg  [{{ ab - 1 }}:0] acc
);
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(b_in);

    always @(posedge clk) begin
        if (rst) begin
            a_out <= {{ ob }}'d0;
            b_out <= {{ ob }}'d0;
            acc   <= {{ ab }}'d0;
        end else begin
            a_out <= a_in;
            b_out <= b_in;
            if (drain) acc <= acc_in;
            else acc <= acc + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
        end
    end
endmodule

