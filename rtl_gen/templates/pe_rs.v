{% include "header.v" %}

// One row-stationary processing element (docs/TIMING.md, "Compute unit: row-stationary": the PE
// and steps 1, 3 and 4). It holds a register file RF of F = {{ rf }} operands (entry j is
// rf[{{ ob }}*j +: {{ ob }}]), a partial sum ps and an output register out (int{{ ab }}). Each cycle:
//   we:  RF[t] <= w_in                            (preload: every PE of row r takes byte r of the weight word)
//   mac: ps <= (t == 0 ? 0 : ps) + a_in * RF[t]   (int{{ ob }} x int{{ ob }} sign-extended, int{{ ab }} wrap-around;
//                                                 RF[t] as it was before this cycle's write)
//   cap: out <= ps                               (ps as it was before this cycle's MAC)
// and each register holds otherwise. An index t >= F names no entry: a write to it is dropped and
// a read of it is zero (the compute unit never makes either: a pass has T <= F steps).
module {{ name }}_pe (
    input  wire        clk,
    input  wire        rst,
    input  wire        we,
    input  wire        mac,
    input  wire        cap,
    input  wire [7:0]  t,
    input  wire [{{ ob - 1 }}:0]  w_in,
    input  wire [{{ ob - 1 }}:0]  a_in,
    output reg  [{{ rf * ob - 1 }}:0] rf,
    output reg  [{{ ab - 1 }}:0] ps,
    output reg  [{{ ab - 1 }}:0] out
);
    localparam F = {{ rf }};
    localparam OB = {{ ob }};   // operand bits

    // RF[t]: entry t, or zero when t >= F. The read is an indexed part-select of `rf` at bit
    // sel = OB*t (a multiplexer; a simulator evaluates it as one shift where a loop over F
    // comparators, evaluated whenever t or the file changes, made a 224-entry array's Verilator
    // model six times slower). The write below compares t with each entry's index (a decoder,
    // and evaluated only on the clock edge).
    wire hit = {{ in_range }};
    wire [{{ sel_bits - 1 }}:0] sel = {{ sel_expr }};
    wire [OB-1:0] w_t = hit ? rf[sel +: OB] : {OB{1'b0}};
    wire signed [{{ 2 * ob - 1 }}:0] prod = $signed(a_in) * $signed(w_t);
    wire [{{ ab - 1 }}:0] base = (t == 8'd0) ? {{ ab }}'d0 : ps;

    integer k;
    always @(posedge clk) begin
        if (rst) begin
            rf  <= {{ rf * ob }}'d0;
            ps  <= {{ ab }}'d0;
            out <= {{ ab }}'d0;
        end else begin
            if (we) begin
                for (k = 0; k < F; k = k + 1) begin
                    if (t == k[7:0]) rf[OB*k +: OB] <= w_in;
                end
            end
            if (mac) ps <= base + {% if ab > 2 * ob %}{ { {{ ab - 2 * ob }}{prod[{{ 2 * ob - 1 }}]} }, prod}{% else %}prod{% endif %};
            if (cap) out <= ps;
        end
    end
endmodule

