{% include "header.v" %}

{% if noc_default -%}
// One weight-stationary processing element with double-buffered weights (docs/TIMING.md,
// "double-buffered weights"). Every cycle: a_out <= a_in; sw_out <= sw_in; psum_out <= psum_in +
// a_in * w_use (int{{ ob }} x int{{ ob }} sign-extended, int{{ ab }} two's-complement wrap-around), where w_use is the
// shadow weight while sw_in is high (the first input row of a tile passes) and the active weight
// otherwise; while sw_in is high the active weight takes the shadow. While w_shift is high the shadow
// (= w_out, which feeds the PE below) loads w_in, so a column of shadows is a shift register.
// w_act is an output for observability (the formal check); the array leaves it unused.
{% else -%}
// One weight-stationary processing element with double-buffered weights (docs/TIMING.md,
// "double-buffered weights") and {{ noc_label }} ("Interconnect options of the
// weight- and input-stationary arrays"). Every cycle:{% if systolic %} a_out <= a_in; sw_out <= sw_in;{% endif %}
{%- if tree %}
// p <= a_in * w_use (int{{ ob }} x int{{ ob }}, sign-extended to int{{ ab }}): the PE registers its product,
// which the column's adder tree (in the array) sums;
{%- else %}
// psum_out <= psum_in + a_in * w_use (int{{ ob }} x int{{ ob }} sign-extended, int{{ ab }} two's-complement
// wrap-around);
{%- endif %}
// w_use is the shadow weight while sw_in is high (the first input row of a tile passes) and the
// active weight otherwise; while sw_in is high the active weight takes the shadow.
{%- if !systolic %}
// a_in and sw_in come from the row's bus (the same operand and switch bit reach every PE of the
// row in the same cycle), so there are no a_out and sw_out registers.
{%- endif %}
// While w_shift is high the shadow (= w_out, which feeds the PE below) loads w_in, so a column of
// shadows is a shift register. w_act is an output for observability (the formal check); the array
// leaves it unused.
{% endif -%}
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        w_shift,
    input  wire [{{ ob - 1 }}:0]  w_in,
    output reg  [{{ ob - 1 }}:0]  w_out,
    output reg  [{{ ob - 1 }}:0]  w_act,
    input  wire        sw_in,
{%- if systolic %}
    output reg         sw_out,
{%- endif %}
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
    wire [{{ ob - 1 }}:0] w_use = sw_in ? w_out : w_act;
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(w_use);

    always @(posedge clk) begin
        if (rst) begin
            w_out    <= {{ ob }}'d0;
            w_act    <= {{ ob }}'d0;
{%- if systolic %}
            sw_out   <= 1'b0;
            a_out    <= {{ ob }}'d0;
{%- endif %}
{%- if tree %}
            p        <= {{ ab }}'d0;
{%- else %}
            psum_out <= {{ ab }}'d0;
{%- endif %}
        end else begin
            if (w_shift) w_out <= w_in;
            if (sw_in) w_act <= w_out;
{%- if systolic %}
            sw_out   <= sw_in;
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

