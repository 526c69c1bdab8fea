/* Cross-entropy of logits against labels, optionally smoothed (PyTorch's
 * label_smoothing), mean over rows. */
#include "pairnet/base/mathf.h"

#include "op_helpers.h"
#include "pairnet/ops/kernels.h"

float pn_cross_entropy_forward(float *prob, const float *logits, const uint8_t *labels,
                               size_t R, size_t K, float eps)
{
    double total = 0.0;
    for (size_t r = 0; r < R; r++) {
        const float *z = logits + r * K;
        float *p = prob + r * K;
        float mx = z[0];
        for (size_t j = 1; j < K; j++)
            mx = z[j] > mx ? z[j] : mx;
        double se = 0.0;
        for (size_t j = 0; j < K; j++) {
            p[j] = pn_expf(z[j] - mx);
            se += p[j];
        }
        const float inv = (float)(1.0 / se);
        for (size_t j = 0; j < K; j++)
            p[j] *= inv;
        /* -log softmax(z)[y] = log(sum exp(z - mx)) - (z[y] - mx) */
        total += pn_log(se) - (double)(z[labels[r]] - mx);
        /* smoothed: + eps (mean_j -log p_j - (-log p_y)) = eps ((z[y] - mx) -
         * mean_j (z_j - mx)); skipped at eps 0, so that loss stays the bits
         * of the one-hot's */
        if (eps > 0.0f) {
            double sz = 0.0;
            for (size_t j = 0; j < K; j++)
                sz += (double)(z[j] - mx);
            total += (double)eps * ((double)(z[labels[r]] - mx) - sz / (double)K);
        }
    }
    return (float)(total / (double)R);
}

void pn_cross_entropy_backward(float *dlogits, const float *prob, const uint8_t *labels,
                               float dloss, size_t R, size_t K, float eps)
{
    const float s = dloss / (float)R;
    /* q = (1 - eps) onehot + eps / K; eps 0: exactly 0 and 1 */
    const float off = eps / (float)K, on = 1.0f - eps + off;
    for (size_t r = 0; r < R; r++) {
        const float *p = prob + r * K;
        float *d = dlogits + r * K;
        for (size_t j = 0; j < K; j++)
            d[j] += s * (p[j] - (j == labels[r] ? on : off));
    }
}

/* ---- the op: one scalar from the logits [rows, K] ---- */

static int ce_shape(const pn_shape *in, size_t n_in, pn_op_attr *a, pn_shape *out,
                    pn_op_sizes *sz)
{
    (void)n_in;
    (void)a;
    (void)sz;
    *out = (pn_shape){.rmul = 0, .c = 1, .h = 1, .w = 1};
    return in->rmul > 0;
}

static void ce_buffers(const pn_op_call *c, size_t len[PN_MAX_BUFS])
{
    len[0] = c->in[0].rows * pn_row_size(&c->in[0]);
}

static void ce_forward(const pn_op_call *c)
{
    c->out.val[0] = pn_cross_entropy_forward(c->buf[0], c->in[0].val, c->labels, c->in[0].rows,
                                             pn_row_size(&c->in[0]), c->a->ce.smoothing);
}

static void ce_backward(const pn_op_call *c)
{
    if (c->in[0].grad)
        pn_cross_entropy_backward(c->in[0].grad, c->buf[0], c->labels, c->out.grad[0],
                                  c->in[0].rows, pn_row_size(&c->in[0]), c->a->ce.smoothing);
}

const pn_op_desc pn_op_cross_entropy = {
    .name = "cross_entropy",
    .flags = PN_OPF_LABELS,
    .shape = ce_shape,
    .buffers = ce_buffers,
    .bufs = {"softmax of the logits, for backward"},
    .forward = ce_forward,
    .backward = ce_backward,
};
