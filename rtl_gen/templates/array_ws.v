{% include "header.v" %}

{% if systolic && !tree -%}
// The {{ rows }}x{{ cols }} weight-stationary PE mesh (docs/TIMING.md, "Compute unit: weight-stationary", steps 1 and 3).
// a moves right one PE per cycle, psum moves down one PE per cycle, weights shift down while w_shift.
// Inputs: a_in byte r is the a input of PE(r, 0) (already skewed by the compute unit); w_in byte c
// enters PE(0, c) during preload. Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
{% else -%}
// The {{ rows }}x{{ cols }} weight-stationary PE mesh with {{ noc_label }} (docs/TIMING.md,
// "Interconnect options of the weight- and input-stationary arrays"); weights shift down one row per
// cycle while w_shift.
{%- if systolic %}
// a moves right one PE per cycle: a_in byte r is the a input of PE(r, 0)
{%- else %}
// Row buses: a_in byte r is the a input of every PE of row r in the same cycle
{%- endif %}
{%- if tree %} (no skew). Every PE
// registers its product p; column c's {{ rows }} products are summed by a pipelined binary tree of {{ levels.len() }}
// register level(s): register j of level l = register 2j + register 2j+1 of level l-1 (int{{ ab }}
// wrap-around), or register 2j alone when 2j+1 does not exist; level 0 is the products in row order.
// Output: lane c of psum_out is the last register of column c's tree{% if levels.is_empty() %} (one row: the product register){% endif %}.
{%- else %}
// (already skewed by the compute unit). psum moves down one PE per cycle.
// Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
{%- endif %}
// w_in byte c enters PE(0, c) during preload.
{% endif -%}
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                w_shift,
    input  wire [{{ w_bits - 1 }}:0]  w_in,
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    output wire [{{ acc_bits - 1 }}:0] psum_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits

{% if systolic && !tree %}    // a_bus[(r*(C+1)+c)*OB +: OB] is the a input of PE(r, c); column C is the unused a_out of the last column.
    // w_bus[(r*C+c)*OB +: OB] is the weight entering PE(r, c); row R is the unused w_out of the last row.
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
    /* verilator lint_off UNUSED */
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [OB*(R+1)*C-1:0] w_bus;
    /* verilator lint_on UNUSED */
    wire [AB*(R+1)*C-1:0] p_bus;

    assign w_bus[OB*C-1:0] = w_in;
    assign p_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign psum_out = p_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .psum_in (p_bus[AB*(r*C+c) +: AB]),
                    .psum_out(p_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
{% else %}
{%- if systolic %}    // a_bus[(r*(C+1)+c)*OB +: OB] is the a input of PE(r, c); column C is the unused a_out of the last column.
{% endif %}    // w_bus[(r*C+c)*OB +: OB] is the weight entering PE(r, c); row R is the unused w_out of the last row.
{%- if tree %}
    // p_bus[(r*C+c)*AB +: AB] is the product register p of PE(r, c).
{%- else %}
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
{%- endif %}
    /* verilator lint_off UNUSED */
{%- if systolic %}
    wire [OB*R*(C+1)-1:0] a_bus;
{%- endif %}
    wire [OB*(R+1)*C-1:0] w_bus;
    /* verilator lint_on UNUSED */
{%- if tree %}
    wire [AB*R*C-1:0] p_bus;
{%- else %}
    wire [AB*(R+1)*C-1:0] p_bus;
{%- endif %}

    assign w_bus[OB*C-1:0] = w_in;
{%- if !tree %}
    assign p_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign psum_out = p_bus[AB*(R+1)*C-1:AB*R*C];
{%- endif %}

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
{%- if systolic %}
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
{%- endif %}
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
{%- if systolic %}
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
{%- else %}
                    .a_in    (a_in[OB*r +: OB]),
{%- endif %}
{%- if tree %}
                    .p       (p_bus[AB*(r*C+c) +: AB])
{%- else %}
                    .psum_in (p_bus[AB*(r*C+c) +: AB]),
                    .psum_out(p_bus[AB*((r+1)*C+c) +: AB])
{%- endif %}
                );
            end
        end
{%- if tree %}
        for (c = 0; c < C; c = c + 1) begin : g_tree
{%- if levels.is_empty() %}
            assign psum_out[AB*c +: AB] = p_bus[AB*c +: AB];
{%- else %}
{%- for lv in levels %}
            reg [AB-1:0] {% for n in lv.nodes %}t{{ lv.l }}_{{ n.j }}{% if !loop.last %}, {% endif %}{% endfor %};   // level {{ lv.l }}
{%- endfor %}
            always @(posedge clk) begin
                if (rst) begin
{%- for lv in levels %}
{%- for n in lv.nodes %}
                    t{{ lv.l }}_{{ n.j }} <= {AB{1'b0}};
{%- endfor %}
{%- endfor %}
                end else begin
{%- for lv in levels %}
{%- for n in lv.nodes %}
{%- if lv.l == 1 %}
                    t1_{{ n.j }} <= p_bus[AB*({{ n.left }}*C+c) +: AB]{% if n.pair %} + p_bus[AB*({{ n.left + 1 }}*C+c) +: AB]{% endif %};
{%- else %}
                    t{{ lv.l }}_{{ n.j }} <= t{{ lv.l - 1 }}_{{ n.left }}{% if n.pair %} + t{{ lv.l - 1 }}_{{ n.left + 1 }}{% endif %};
{%- endif %}
{%- endfor %}
{%- endfor %}
                end
            end
            assign psum_out[AB*c +: AB] = t{{ levels.len() }}_0;
{%- endif %}
        end
{%- endif %}
    endgenerate
{% endif -%}
endmodule

