{% include "header.v" %}

{% if !broadcast -%}
// One output-stationary processing element (docs/TIMING.md, "Compute unit: output-stationary", step 3).
// Every cycle: a_out <= a_in; b_out <= b_in; and acc <= acc + a_in * b_in (int{{ ob }} x int{{ ob }}
// sign-extended, int{{ ab }} two's-complement wrap-around), except while `drain` is high, when
// acc <= acc_in: the sum of the PE above moves into this one (zero enters the top row), so a column
// of PEs is a shift register that empties the tile's sums row by row out of the bottom.
{% else -%}
// One output-stationary processing element with row and column broadcast buses (docs/TIMING.md,
// "Interconnect options of the output-stationary array"). a_in comes from the row's bus and b_in
// from the column's (the same operands reach every PE of the row or column in the same cycle), so
// there are no a_out and b_out registers. Every cycle: acc <= acc + a_in * b_in (int{{ ob }} x int{{ ob }}
// sign-extended, int{{ ab }} two's-complement wrap-around), except while `drain` is high, when
// acc <= acc_in: the sum of the PE above moves into this one (zero enters the top row), so a column
// of PEs is a shift register that empties the tile's sums row by row out of the bottom.
{% endif -%}
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        drain,
    input  wire [{{ ob - 1 }}:0]  a_in,
{%- if !broadcast %}
    output reg  [{{ ob - 1 }}:0]  a_out,
{%- endif %}
    input  wire [{{ ob - 1 }}:0]  b_in,
{%- if !broadcast %}
    output reg  [{{ ob - 1 }}:0]  b_out,
{%- endif %}
    input  wire [{{ ab - 1 }}:0] acc_in,
    output reg  [{{ ab - 1 }}:0] acc
);
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(b_in);

    always @(posedge clk) begin
        if (rst) begin
{%- if !broadcast %}
            a_out <= {{ ob }}'d0;
            b_out <= {{ ob }}'d0;
{%- endif %}
            acc   <= {{ ab }}'d0;
        end else begin
{%- if !broadcast %}
            a_out <= a_in;
            b_out <= b_in;
{%- endif %}
            if (drain) acc <= acc_in;
            else acc <= acc + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
        end
    end
endmodule

