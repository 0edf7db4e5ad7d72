{% include "header.v" %}

{% if systolic && !tree -%}
// One weight-stationary processing element (docs/TIMING.md, "Compute unit: weight-stationary", step 3).
// Every cycle: a_out <= a_in; psum_out <= psum_in + a_in * w (int{{ ob }} x int{{ ob }} sign-extended,
// int{{ ab }} two's-complement wrap-around). While w_shift is high the stationary weight w (= w_out, which feeds
// the PE below) loads w_in, so a column of PEs is a shift register during preload.
{% else -%}
// One weight-stationary processing element with {{ noc_label }}
// (docs/TIMING.md, "Interconnect options of the weight- and input-stationary arrays"; the
// input-stationary array uses it too). Every cycle:
{%- if tree %}{% if systolic %} a_out <= a_in;{% endif %} p <= a_in * w (int{{ ob }} x int{{ ob }}, sign-extended
// to int{{ ab }}): the PE registers its product, which the column's adder tree (in the array) sums.
{%- else %} psum_out <= psum_in + a_in * w (int{{ ob }} x int{{ ob }} sign-extended,
// int{{ ab }} two's-complement wrap-around).
{%- endif %}
{%- if !systolic %}
// a_in comes from the row's bus (the same operand reaches every PE of the row in the same cycle),
// so there is no a_out register.
{%- endif %}
// While w_shift is high the stationary weight w (= w_out, which feeds the PE below) loads w_in, so a
// column of PEs is a shift register during preload.
{% endif -%}
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        w_shift,
    input  wire [{{ ob - 1 }}:0]  w_in,
    output reg  [{{ ob - 1 }}:0]  w_out,
    input  wire [{{ ob - 1 }}:0]  a_in,
{%- if systolic %}
    output reg  [{{ ob - 1 }}:0]  a_out,
{%- endif %}
{%- if tree %}
    output reg  [{{ ab - 1 }}:0] p
{%- else %}
    input  wire [{{ ab - 1 }}:0] psum_in,
    output reg  [{{ ab - 1 }}:0] psum_out
{%- endif %}
);
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(w_out);

    always @(posedge clk) begin
        if (rst) begin
            w_out    <= {{ ob }}'d0;
{%- if systolic %}
            a_out    <= {{ ob }}'d0;
{%- endif %}
{%- if tree %}
            p        <= {{ ab }}'d0;
{%- else %}
            psum_out <= {{ ab }}'d0;
{%- endif %}
        end else begin
            if (w_shift) w_out <= w_in;
{%- if systolic %}
            a_out    <= a_in;
{%- endif %}
{%- if tree %}
            p        <= {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
{%- else %}
            psum_out <= psum_in + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
{%- endif %}
        end
    end
endmodule

