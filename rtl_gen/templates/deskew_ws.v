    // deskew: column c passes C-1-c registers
    wire [AB*C-1:0] row_new;
    generate
        for (c = 0; c < C; c = c + 1) begin : g_deskew
            if (c == C - 1) begin : g_none
                assign row_new[AB*c +: AB] = psum[AB*c +: AB];
            end else if (c == C - 2) begin : g_one
                reg [AB-1:0] dr;
                always @(posedge clk) begin
                    if (rst) dr <= {AB{1'b0}};
                    else dr <= psum[AB*c +: AB];
                end
                assign row_new[AB*c +: AB] = dr;
            end else begin : g_chain
                reg [AB*(C-1-c)-1:0] dr;   // dr[AB*k +: AB] is column c delayed k+1 cycles
                always @(posedge clk) begin
                    if (rst) dr <= {(AB*(C-1-c)){1'b0}};
                    else dr <= {dr[AB*(C-1-c)-AB-1:0], psum[AB*c +: AB]};
                end
                assign row_new[AB*c +: AB] = dr[AB*(C-1-c)-1 -: AB];
            end
        end
    endgenerate{# The output deskew of the weight-stationary compute units (docs/TIMING.md, step 4): column c of
   the array output passes C-1-c registers. Expects psum, clk, rst, C and AB; declares row_new. #}