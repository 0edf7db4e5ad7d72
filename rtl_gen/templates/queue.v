{% include "header.v" %}

// Program queue: {{ depth }} instructions of 128 bits (docs/TIMING.md, "Controller"). The host writes one
// instruction per cycle through push/wdata when `ready` (the queue is not full); the controller reads
// the head (`valid`, `head`) and removes it with `pop`. A push and a pop may share a cycle. Every
// register is reset (the queue is empty after reset).
module {{ name }}_queue (
    input  wire          clk,
    input  wire          rst,
    input  wire          push,
    input  wire [127:0]  wdata,
    output wire          ready,
    input  wire          pop,
    output wire          valid,
    output reg  [127:0]  head
);
{%- for i in slots %}
    reg [127:0] slot_{{ i }};
{%- endfor %}
    reg [{{ aw - 1 }}:0] rd;
    reg [{{ aw - 1 }}:0] wr;
    reg [{{ aw }}:0]   count;

    assign ready = count != {{ aw + 1 }}'d{{ depth }};
    assign valid = count != {{ aw + 1 }}'d0;
    wire push_ok = push && ready;
    wire pop_ok  = pop && valid;

    always @(*) begin
        case (rd)
{%- for i in slots %}
            {{ aw }}'d{{ i }}: head = slot_{{ i }};
{%- endfor %}
            default: head = 128'd0;
        endcase
    end

    always @(posedge clk) begin
        if (rst) begin
{%- for i in slots %}
            slot_{{ i }} <= 128'd0;
{%- endfor %}
            rd    <= {{ aw }}'d0;
            wr    <= {{ aw }}'d0;
            count <= {{ aw + 1 }}'d0;
        end else begin
            if (push_ok) begin
                case (wr)
{%- for i in slots %}
                    {{ aw }}'d{{ i }}: slot_{{ i }} <= wdata;
{%- endfor %}
                    default: ;
                endcase
                wr <= wr + {{ aw }}'d1;
            end
            if (pop_ok) rd <= rd + {{ aw }}'d1;
            count <= count + { {{ aw }}'d0, push_ok } - { {{ aw }}'d0, pop_ok };
        end
    end
endmodule

