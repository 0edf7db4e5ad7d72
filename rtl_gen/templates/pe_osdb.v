{% include "header.v" %}

// One output-stationary processing element with double-buffered sums (docs/TIMING.md, "Compute
// unit: output-stationary with double-buffered sums"){% if broadcast %}, with row and column broadcast
// buses: a_in, b_in and l_in come from the PE's row and column buses, so there are no a_out, b_out
// and l_out registers{% endif %}. `acc` accumulates the tile streaming now, `dr` holds a finished
// sum for the drain. With s = acc + a_in * b_in (int{{ ob }} x int{{ ob }} sign-extended, int{{ ab }}
// two's-complement wrap-around), every cycle:{% if !broadcast %} a_out <= a_in; b_out <= b_in; l_out <= l_in;{% endif %}
//   if l_in (the tile's last pair is here): dr <= s, acc <= 0;
//   else: acc <= s, and while `drain` is high dr <= dr_in (the drain register of the PE above;
//   zero enters the top row), so a column's drain registers are a shift register that empties the
//   finished tile row by row out of the bottom while the next tile accumulates.
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        drain,
    input  wire        l_in,
    input  wire [{{ ob - 1 }}:0]  a_in,
{%- if !broadcast %}
    output reg  [{{ ob - 1 }}:0]  a_out,
{%- endif %}
    input  wire [{{ ob - 1 }}:0]  b_in,
{%- if !broadcast %}
    output reg  [{{ ob - 1 }}:0]  b_out,
    output reg         l_out,
{%- endif %}
    input  wire [{{ ab - 1 }}:0] dr_in,
    output reg  [{{ ab - 1 }}:0] acc,
    output reg  [{{ ab - 1 }}:0] dr
);
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(b_in);
    wire [{{ ab - 1 }}:0] s = acc + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};

    always @(posedge clk) begin
        if (rst) begin
{%- if !broadcast %}
            a_out <= {{ ob }}'d0;
            b_out <= {{ ob }}'d0;
            l_out <= 1'b0;
{%- endif %}
            acc   <= {{ ab }}'d0;
            dr    <= {{ ab }}'d0;
        end else begin
{%- if !broadcast %}
            a_out <= a_in;
            b_out <= b_in;
            l_out <= l_in;
{%- endif %}
            if (l_in) begin
                dr  <= s;
                acc <= {{ ab }}'d0;
            end else begin
                acc <= s;
                if (drain) dr <= dr_in;
            end
        end
    end
endmodule

