/* Evaluation: one or more graphs over a set of pairs, on one or several
 * views of every image (test-time augmentation), answered by the decision
 * rules (pn_decide). The graph is asked for its outputs by name
 * (PN_OUT_LOGITS, PN_OUT_DIGITS) and their shapes; nothing here reads a
 * node. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pairnet/ops/kernels.h"
#include "train_impl.h"

#define N_CLASSES 10 /* digit classes */
#define N_HEAD 2     /* the head's two answers: d1 > d2, d1 <= d2 */

/* What a pair accumulates over members and views: the head's two values,
 * then the ten of each image (probabilities, or raw logits with one graph
 * and one view). */
enum { ACC_HEAD = 0, ACC_DIGIT1 = N_HEAD, ACC_DIGIT2 = N_HEAD + N_CLASSES,
       ACC_FLOATS = N_HEAD + 2 * N_CLASSES };

/* At most this many pairs per evaluation forward. The chunking is part of
 * the numbers: a kernel may round a row differently at another batch. */
#define EVAL_CHUNK 256

/* The fixed views of test-time augmentation: the image itself, then moved by
 * one pixel (the four neighbours, then the diagonals). */
static const int tta_shift[PN_MAX_TTA][2] = {{0, 0},  {1, 0},  {-1, 0}, {0, 1},  {0, -1},
                                             {1, 1},  {1, -1}, {-1, 1}, {-1, -1}};

/* The softmax of k logits (the op's own kernel: the same bits as a graph's
 * softmax). */
static void probs(float *out, const float *logits, size_t k)
{
    pn_softmax_forward(out, logits, 1, k);
}

static size_t argmax10(const float *v)
{
    size_t best = 0;
    for (size_t k = 1; k < N_CLASSES; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}

/* a = the k logits (raw), or a += their probabilities. */
static void add_answer(float *a, const float *logits, size_t k, int raw)
{
    if (raw) {
        memcpy(a, logits, k * sizeof *a);
        return;
    }
    float pr[N_CLASSES];
    probs(pr, logits, k);
    for (size_t c = 0; c < k; c++)
        a[c] += pr[c];
}

/* The digit logits of g, if it has them in one of the two layouts:
 * [2B,10] (image 1 of pair i in row i, image 2 in row B + i) or [B,20]. */
static const float *digit_logits(const pn_graph *g, size_t *rmul)
{
    size_t cols = 0;
    const float *d = pn_graph_output(g, PN_OUT_DIGITS, rmul, &cols);
    const int known = (*rmul == 2 && cols == N_CLASSES) || (*rmul == 1 && cols == 2 * N_CLASSES);
    return d && known ? d : NULL;
}

/* Adds the answers of g's last forward, over n pairs, to acc [n, ACC_FLOATS]. */
static void accumulate(const pn_graph *g, size_t n, int raw, float *acc)
{
    const float *o = pn_graph_output(g, PN_OUT_LOGITS, NULL, NULL);
    size_t rmul = 0;
    const float *dv = digit_logits(g, &rmul);
    for (size_t i = 0; i < n; i++) {
        float *a = acc + ACC_FLOATS * i;
        add_answer(a + ACC_HEAD, o + N_HEAD * i, N_HEAD, raw);
        if (!dv)
            continue;
        const float *l1 = rmul == 2 ? dv + N_CLASSES * i : dv + 2 * N_CLASSES * i;
        const float *l2 = rmul == 2 ? dv + N_CLASSES * (n + i) : l1 + N_CLASSES;
        add_answer(a + ACC_DIGIT1, l1, N_CLASSES, raw);
        add_answer(a + ACC_DIGIT2, l2, N_CLASSES, raw);
    }
}

/* The accuracies of the accumulated answers acc over p; votes: members
 * times views that were added up. */
static void score(const float *acc, const pn_pairs *p, size_t votes, int raw, int has_digits,
                  pn_eval_acc *out)
{
    size_t head = 0, digits = 0, compared = 0, prob = 0;
    const float inv = 1.0f / (float)votes;
    for (size_t i = 0; i < p->n; i++) {
        const float *a = acc + ACC_FLOATS * i;
        const int t = p->target[i] != 0;
        head += (a[ACC_HEAD + 1] > a[ACC_HEAD]) == t;
        if (!has_digits)
            continue;
        const size_t c1 = argmax10(a + ACC_DIGIT1), c2 = argmax10(a + ACC_DIGIT2);
        digits += (c1 == p->digit[2 * i]) + (c2 == p->digit[2 * i + 1]);
        compared += (c1 <= c2) == t;
        float p1[N_CLASSES], p2[N_CLASSES];
        if (raw) {
            probs(p1, a + ACC_DIGIT1, N_CLASSES);
            probs(p2, a + ACC_DIGIT2, N_CLASSES);
        } else {
            for (int c = 0; c < N_CLASSES; c++) {
                p1[c] = a[ACC_DIGIT1 + c] * inv;
                p2[c] = a[ACC_DIGIT2 + c] * inv;
            }
        }
        prob += (pn_prob_le_of(p1, p2) >= 0.5f) == t;
    }
    const double np = (double)p->n;
    out->head = (double)head / np;
    out->digit = out->argmax = out->prob = NAN;
    if (has_digits) {
        out->digit = (double)digits / (2.0 * np);
        out->argmax = (double)compared / np;
        out->prob = (double)prob / np;
    }
}

/* Runs graph g over p on every view, adding its answers to acc. */
static void run_graph(pn_graph *g, size_t views, float fill, const pn_pairs *p, int raw,
                      pn_batch *b, float *acc)
{
    const size_t step = g->max_batch < EVAL_CHUNK ? g->max_batch : EVAL_CHUNK;
    for (size_t at = 0; at < p->n; at += step) {
        const size_t n = p->n - at < step ? p->n - at : step;
        for (size_t v = 0; v < views; v++) {
            pn_batch_slice(b, p, at, n);
            pn_batch_shift(b, tta_shift[v][0], tta_shift[v][1], fill);
            pn_bind_batch(g, b, NULL); /* the shapes were checked by the first step */
            pn_graph_forward(g, n, 0);
            accumulate(g, n, raw, acc + ACC_FLOATS * at);
        }
    }
}

/* Every pair's answers of the k graphs on every view, accumulated
 * [p->n, ACC_FLOATS] (malloc'ed), or NULL out of memory or without
 * PN_OUT_LOGITS. */
static float *accumulate_all(pn_graph *const *gs, size_t k, size_t views, float fill,
                             const pn_pairs *p)
{
    if (!pn_graph_output(gs[0], PN_OUT_LOGITS, NULL, NULL))
        return NULL;
    const int raw = k * views == 1;
    pn_batch b;
    float *acc = calloc(ACC_FLOATS * (p->n ? p->n : 1), sizeof *acc);
    if (!acc || pn_batch_alloc(&b, gs[0]->max_batch < EVAL_CHUNK ? gs[0]->max_batch
                                                                  : EVAL_CHUNK) != 0) {
        free(acc);
        return NULL;
    }
    for (size_t m = 0; m < k; m++)
        run_graph(gs[m], views, fill, p, raw, &b, acc);
    pn_batch_free(&b);
    return acc;
}

void pn_eval_graphs(pn_graph *const *gs, size_t k, size_t views, float fill, const pn_pairs *p,
                    pn_eval_acc *out)
{
    out->head = out->digit = out->argmax = out->prob = NAN;
    size_t rmul;
    float *acc = accumulate_all(gs, k, views, fill, p);
    if (!acc)
        return;
    score(acc, p, k * views, k * views == 1, digit_logits(gs[0], &rmul) != NULL, out);
    free(acc);
}

/* The gap between the largest and the second largest of ten values. */
static float top_gap(const float *v)
{
    const size_t c = argmax10(v);
    float second = -INFINITY;
    for (size_t j = 0; j < N_CLASSES; j++)
        if (j != c && v[j] > second)
            second = v[j];
    return v[c] - second;
}

/* Pair i's answer under rule d and its margin (see pn_eval_answers), from
 * its accumulated values a, as score() decides them. */
static float answer_of(const float *a, size_t votes, int raw, int has_digits, int d,
                       uint8_t *ans)
{
    const float inv = 1.0f / (float)votes;
    if (d == PN_DECIDE_ARGMAX && has_digits) {
        *ans = argmax10(a + ACC_DIGIT1) <= argmax10(a + ACC_DIGIT2);
        const float g1 = top_gap(a + ACC_DIGIT1), g2 = top_gap(a + ACC_DIGIT2);
        return (*ans ? 1.0f : -1.0f) * (g1 < g2 ? g1 : g2) * (raw ? 1.0f : inv);
    }
    if (d == PN_DECIDE_PROB && has_digits) {
        float p1[N_CLASSES], p2[N_CLASSES];
        if (raw) {
            probs(p1, a + ACC_DIGIT1, N_CLASSES);
            probs(p2, a + ACC_DIGIT2, N_CLASSES);
        } else {
            for (int c = 0; c < N_CLASSES; c++) {
                p1[c] = a[ACC_DIGIT1 + c] * inv;
                p2[c] = a[ACC_DIGIT2 + c] * inv;
            }
        }
        const float pr = pn_prob_le_of(p1, p2);
        *ans = pr >= 0.5f;
        return pr - 0.5f;
    }
    *ans = a[ACC_HEAD + 1] > a[ACC_HEAD];
    return (a[ACC_HEAD + 1] - a[ACC_HEAD]) * (raw ? 1.0f : inv);
}

int pn_eval_answers(pn_graph *const *gs, size_t k, size_t tta, int decide, float fill,
                    const pn_pairs *p, uint8_t *answer, float *margin)
{
    const size_t views = tta > 1 ? tta : 1;
    size_t rmul;
    float *acc = accumulate_all(gs, k, views, fill, p);
    if (!acc)
        return -1;
    const int has_digits = digit_logits(gs[0], &rmul) != NULL;
    for (size_t i = 0; i < p->n; i++)
        margin[i] = answer_of(acc + ACC_FLOATS * i, k * views, k * views == 1, has_digits,
                              decide, &answer[i]);
    free(acc);
    return 0;
}

double pn_evaluate_ensemble(pn_graph *const *gs, size_t k, size_t tta, int decide, float fill,
                            const pn_pairs *p)
{
    pn_eval_acc a;
    pn_eval_graphs(gs, k, tta > 1 ? tta : 1, fill, p, &a);
    return pn_eval_decided(&a, decide);
}

double pn_eval_decided(const pn_eval_acc *a, int d)
{
    if (d == PN_DECIDE_ARGMAX && !isnan(a->argmax))
        return a->argmax;
    if (d == PN_DECIDE_PROB && !isnan(a->prob))
        return a->prob;
    return a->head;
}

double pn_evaluate(pn_graph *g, const pn_pairs *p)
{
    pn_eval_acc a;
    pn_eval_graphs(&g, 1, 1, 0.0f, p, &a);
    return a.head;
}

void pn_evaluate_digits(pn_graph *g, const pn_pairs *p, double *digit_acc, double *argmax_acc)
{
    *digit_acc = *argmax_acc = NAN;
    size_t rmul;
    if (!digit_logits(g, &rmul))
        return;
    pn_eval_acc a;
    pn_eval_graphs(&g, 1, 1, 0.0f, p, &a);
    *digit_acc = a.digit;
    *argmax_acc = a.argmax;
}
