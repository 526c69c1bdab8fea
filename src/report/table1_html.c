/* The study's Table I on index.html, from its data (table1.csv read back
 * into a pn_t1): the choice table and the heatmaps. The grids themselves
 * are in the heatmaps; the Markdown beside them holds them as numbers. */
#define _POSIX_C_SOURCE 200809L
#include "pairnet/report/table1.h"

#include "pairnet/report/escape.h"

static const char *const choice_head[PN_T1_CHOICE_COLS + 1] = {
    "model",
    "chosen on validation: lr / bs",
    "its validation acc",
    "its test acc",
    "chosen on test: lr / bs",
    "its test acc (optimistic)",
    "the study: lr / bs",
    "study's test acc",
    "pairnet, study's cell, test acc"};

void pn_t1_study_html(pn_buf *b, const pn_t1 *t,
                      void (*figure)(pn_buf *b, const char *name, void *ctx), void *ctx)
{
    pn_buf protocol = {0};
    pn_t1_protocol_text(&protocol, t);
    pn_buf_printf(b, "<h2>Table I: learning rate and batch size, chosen on validation "
                     "rounds</h2>\n<p>Each model's cell is chosen by the highest mean test "
                     "accuracy over the <strong>validation rounds</strong> (other seeds: other "
                     "training and test pairs) and reported over the <strong>test "
                     "rounds</strong>, the seeds of Table II; the cell the test rounds would "
                     "pick is optimistic (the maximum of %zu noisy means). Accuracies in "
                     "percent, mean &plusmn; sample standard deviation over the rounds of a "
                     "cell; %zu validation and %zu test cells, %s (table1/table1.md holds the "
                     "grids as numbers, and its provenance).</p>\n<table>\n<thead><tr>",
                  t->n_lrs * t->n_bss, t->per_set[PN_T1_VALIDATION], t->per_set[PN_T1_TEST],
                  protocol.data && !protocol.failed ? protocol.data : "");
    pn_buf_free(&protocol);
    /* off the study's protocol, no column compares with the study */
    const int cols = pn_t1_study_protocol(t) ? PN_T1_CHOICE_COLS : PN_T1_OWN_COLS;
    for (int i = 0; i <= cols; i++)
        pn_buf_printf(b, "<th>%s</th>", choice_head[i]);
    pn_buf_printf(b, "</tr></thead>\n<tbody>\n");
    for (size_t m = 0; m < t->n_models; m++) {
        pn_t1_text cell[PN_T1_CHOICE_COLS];
        pn_t1_choice_cells(t, m, cell);
        pn_buf_printf(b, "<tr><td>");
        pn_esc_html(b, t->models[m]);
        pn_buf_printf(b, "</td>");
        for (int i = 0; i < cols; i++) {
            pn_buf_printf(b, i == 2 ? "<td><strong>" : "<td>");
            pn_esc_html(b, cell[i]);
            pn_buf_printf(b, i == 2 ? "</strong></td>" : "</td>");
        }
        pn_buf_printf(b, "</tr>\n");
    }
    pn_buf_printf(b, "</tbody>\n</table>\n");
    if (cols != PN_T1_CHOICE_COLS) {
        pn_buf_printf(b, "<p>");
        pn_t1_no_study_note(b, t);
        pn_buf_printf(b, "</p>\n");
    }
    figure(b, "heatmap-validation.svg", ctx);
    figure(b, "heatmap-test.svg", ctx);
}
