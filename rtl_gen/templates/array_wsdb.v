{% include "header.v" %}

{% if noc_default -%}
// The {{ rows }}x{{ cols }} weight-stationary PE mesh with double-buffered weights (docs/TIMING.md, "double-buffered
// weights"). a and the switch bit move right one PE per cycle, psum moves down one PE per cycle,
// shadow weights shift down while w_shift. Inputs: a_in byte r and sw_in bit r are the a and switch
// inputs of PE(r, 0) (already skewed by the compute unit); w_in byte c enters PE(0, c)'s shadow.
// Output: lane c of psum_out is psum_out of PE({{ rows - 1 }}, c).
{% else -%}
// The {{ rows }}x{{ cols }} weight-stationary PE mesh with double-buffered weights and {{ noc_label }}
// (docs/TIMING.md, "double-buffered weights" and "Interconnect options of the weight- and
// input-stationary arrays"); shadow weights shift down one row per cycle while w_shift.
{%- if systolic %}
// a and the switch bit move right one PE per cycle: a_in byte r and sw_in bit r are the a and
// switch inputs of PE(r, 0)
{%- else %}
// Row buses: a_in byte r and sw_in bit r are the a and switch inputs of every PE of row r in the
// same cycle
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
// w_in byte c enters PE(0, c)'s shadow.
{% endif -%}
module {{ name }}_array (
    input  wire                clk,
    input  wire                rst,
    input  wire                w_shift,
    input  wire [{{ w_bits - 1 }}:0]  w_in,
    input  wire [{{ rows - 1 }}:0]  sw_in,
    input  wire [{{ in_bits - 1 }}:0]  a_in,
    output wire [{{ acc_bits - 1 }}:0] psum_out
);
    localparam R = {{ rows }};
    localparam C = {{ cols }};
    localparam OB = {{ ob }};   // operand bits
    localparam AB = {{ ab }};  // accumulator bits
{% if noc_default %}
    // a_bus / s_bus: the a and switch inputs of PE(r, c) at index r*(C+1)+c; column C is unused.
    // w_bus[(r*C+c)*OB +: OB] is the shadow weight entering PE(r, c); row R is unused.
    // act_bus: the active weights, observability only.
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
    /* verilator lint_off UNUSED */
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [R*(C+1)-1:0]    s_bus;
    wire [OB*(R+1)*C-1:0] w_bus;
    wire [OB*R*C-1:0]     act_bus;
    /* verilator lint_on UNUSED */
    wire [AB*(R+1)*C-1:0] p_bus;

    assign w_bus[OB*C-1:0] = w_in;
    assign p_bus[AB*C-1:0] = {(AB*C){1'b0}};
    assign psum_out = p_bus[AB*(R+1)*C-1:AB*R*C];

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_row
            assign a_bus[OB*r*(C+1) +: OB] = a_in[OB*r +: OB];
            assign s_bus[r*(C+1)] = sw_in[r];
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
                    .w_act   (act_bus[OB*(r*C+c) +: OB]),
                    .sw_in   (s_bus[r*(C+1)+c]),
                    .sw_out  (s_bus[r*(C+1)+c+1]),
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
                    .psum_in (p_bus[AB*(r*C+c) +: AB]),
                    .psum_out(p_bus[AB*((r+1)*C+c) +: AB])
                );
            end
        end
    endgenerate
{% else %}
{% if systolic %}    // a_bus / s_bus: the a and switch inputs of PE(r, c) at index r*(C+1)+c; column C is unused.
{% endif %}    // w_bus[(r*C+c)*OB +: OB] is the shadow weight entering PE(r, c); row R is unused.
    // act_bus: the active weights, observability only.
{%- if tree %}
    // p_bus[(r*C+c)*AB +: AB] is the product register p of PE(r, c).
{%- else %}
    // p_bus[(r*C+c)*AB +: AB] is the psum input of PE(r, c); row R holds the array outputs.
{%- endif %}
    /* verilator lint_off UNUSED */
{%- if systolic %}
    wire [OB*R*(C+1)-1:0] a_bus;
    wire [R*(C+1)-1:0]    s_bus;
{%- endif %}
    wire [OB*(R+1)*C-1:0] w_bus;
    wire [OB*R*C-1:0]     act_bus;
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
            assign s_bus[r*(C+1)] = sw_in[r];
{%- endif %}
            for (c = 0; c < C; c = c + 1) begin : g_col
                {{ name }}_pe u_pe (
                    .clk     (clk),
                    .rst     (rst),
                    .w_shift (w_shift),
                    .w_in    (w_bus[OB*(r*C+c) +: OB]),
                    .w_out   (w_bus[OB*((r+1)*C+c) +: OB]),
                    .w_act   (act_bus[OB*(r*C+c) +: OB]),
{%- if systolic %}
                    .sw_in   (s_bus[r*(C+1)+c]),
                    .sw_out  (s_bus[r*(C+1)+c+1]),
                    .a_in    (a_bus[OB*(r*(C+1)+c) +: OB]),
                    .a_out   (a_bus[OB*(r*(C+1)+c+1) +: OB]),
{%- else %}
                    .sw_in   (sw_in[r]),
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

