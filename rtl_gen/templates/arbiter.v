{% include "sys_header.v" %}

// Arbiter of the shared DRAM channel (docs/TIMING.md, "Systems: sub-accelerators sharing one DRAM
// channel"): one transfer holds the channel at a time; in a cycle in which none holds it, the channel
// is granted to the DMA unit that has requested longest, ties (units that began requesting in the
// same cycle) to the lower sub-accelerator index. The grant is combinational and takes effect in the
// cycle it is made (tau = 0 of the transfer).
//
// FIFO by tickets: a unit requests from the cycle after its issue pulse until it is granted, so in
// the cycle of `issue[s]` it takes ticket `next + (lower-index units issuing in the same cycle)`, and
// `next` advances by the units issuing. The unit whose ticket equals `serving` is granted when it
// wants the channel and no transfer holds it; `serving` then advances. A unit requests for one
// transfer at a time (with several transfer slots, the next one from the cycle after its current
// one's request end), so at most one ticket per unit is outstanding, and {{ tb }}-bit tickets never
// collide.
//
//   issue[s]  sub-accelerator s's DMA begins to request: it wants the channel from the next cycle
//             (its start pulse; with several slots, its request side taking the next transfer)
//   want[s]   busy and not yet granted (from registers)
//   hold[s]   its granted transfer still holds the channel (from registers; the grant cycle itself
//             is covered by granting one unit per cycle)
//   grant[s]  granted this cycle
module {{ name }}_arbiter (
    input  wire          clk,
    input  wire          rst,
    input  wire [{{ n - 1 }}:0]    issue,
    input  wire [{{ n - 1 }}:0]    want,
    input  wire [{{ n - 1 }}:0]    hold,
    output wire [{{ n - 1 }}:0]    grant
);
    reg  [{{ tb - 1 }}:0] next_t;    // the ticket the next issuing unit takes
    reg  [{{ tb - 1 }}:0] serving;   // the ticket granted next
    wire free = ~|hold;
{%- for s in subs %}
    reg  [{{ tb - 1 }}:0] ticket_{{ s.idx }};
    // units of lower index issuing in the same cycle
    wire [{{ tb - 1 }}:0] ahead_{{ s.idx }} = {{ tb }}'d0{% for j in s.lower %} + { {{ tb - 1 }}'d0, issue[{{ j }}]}{% endfor %};
    assign grant[{{ s.idx }}] = free && want[{{ s.idx }}] && ticket_{{ s.idx }} == serving;
{%- endfor %}
    wire [{{ tb - 1 }}:0] issued = ahead_{{ n - 1 }} + { {{ tb - 1 }}'d0, issue[{{ n - 1 }}]};

    always @(posedge clk) begin
        if (rst) begin
            next_t  <= {{ tb }}'d0;
            serving <= {{ tb }}'d0;
{%- for s in subs %}
            ticket_{{ s.idx }} <= {{ tb }}'d0;
{%- endfor %}
        end else begin
            next_t <= next_t + issued;
            if (|grant) serving <= serving + {{ tb }}'d1;
{%- for s in subs %}
            if (issue[{{ s.idx }}]) ticket_{{ s.idx }} <= next_t + ahead_{{ s.idx }};
{%- endfor %}
        end
    end
endmodule

