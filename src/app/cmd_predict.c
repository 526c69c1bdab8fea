/* `pairnet predict --load MODEL A B`: a trained model asked about two digit
 * pictures of the user's own (PGM or PNG). Each is brought to MNIST's form
 * (digit_image.h), pooled to 14x14 and standardized with the statistics of
 * the checkpoint's round (redrawn from MNIST as `eval` redraws it), then run
 * as one pair in evaluation mode. --show DIR writes what the network saw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pairnet/app/cli.h"
#include "pairnet/base/file.h"
#include "pairnet/data/digit_image.h"
#include "pairnet/data/mnist.h"
#include "pairnet/train/predict.h"
#include "pairnet/train/train.h"

typedef struct digit_in {
    const char *path, *tag; /* tag: "A" or "B" */
    uint8_t img28[PN_DIGIT_CANVAS * PN_DIGIT_CANVAS];
    uint16_t q14[PN_PIXELS];
} digit_in;

/* The picture at d->path in MNIST's 28x28 form and the protocol's 14x14. */
static int read_digit(digit_in *d, pn_err *err)
{
    pn_image img;
    int rc = pn_image_load(d->path, &img, err);
    if (rc == PN_OK)
        rc = pn_digit_from_image(&img, d->img28, d->path, err);
    pn_image_free(&img);
    if (rc == PN_OK)
        pn_downsample(d->img28, d->q14);
    return rc;
}

/* One PGM of w x h samples into dir/name. */
static int write_pgm(const char *dir, const char *name, const uint16_t *pix, size_t side,
                     unsigned maxval, pn_err *err)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = pn_path_join(path, sizeof path, dir, name, err);
    if (rc == PN_OK)
        rc = pn_pgm_encode(pix, side, side, maxval, &buf, &len, err);
    if (rc == PN_OK)
        rc = pn_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}

/* --show: DIR/A-28.pgm (MNIST's form, 0..255) and DIR/A-14.pgm (the input:
 * 2x2 sums, 0..1020, which standardization maps affinely), and B's. */
static int show(const char *dir, const digit_in *d, pn_err *err)
{
    uint16_t p28[PN_DIGIT_CANVAS * PN_DIGIT_CANVAS];
    for (size_t i = 0; i < sizeof p28 / sizeof p28[0]; i++)
        p28[i] = d->img28[i];
    char n28[16], n14[16];
    snprintf(n28, sizeof n28, "%s-28.pgm", d->tag);
    snprintf(n14, sizeof n14, "%s-14.pgm", d->tag);
    int rc = write_pgm(dir, n28, p28, PN_DIGIT_CANVAS, 255, err);
    if (rc == PN_OK)
        rc = write_pgm(dir, n14, d->q14, PN_SIDE, 4 * 255, err);
    return rc;
}

/* The mean and std that standardized the model's round
 * (pn_round_data_make). */
static int round_stats(const pn_loaded_model *pr, const char *data, double *mean, double *std,
                       pn_err *err)
{
    pn_mnist m;
    int rc = pn_mnist_load(pn_mnist_dir(data), &m, err);
    if (rc != PN_OK)
        return rc;
    pn_round_data d;
    rc = pn_round_data_make(&m, pr->cfg.n_pairs, pr->seed, &d, err);
    if (rc == PN_OK) {
        *mean = d.mean;
        *std = d.std;
        pn_round_data_free(&d);
    }
    pn_mnist_free(&m);
    return rc;
}

static void print_answer(const digit_in *d, const pn_prediction *p)
{
    for (int k = 0; k < 2; k++) {
        if (p->has_digits)
            printf("%s = %s: read as %d (probability %.3f)\n", d[k].tag, d[k].path, p->digit[k],
                   (double)p->prob[k][p->digit[k]]);
        else
            printf("%s = %s\n", d[k].tag, d[k].path);
    }
    printf("A <= B: %s (probability of A <= B: %.3f)\n", p->answer ? "yes" : "no",
           (double)p->p_le);
}

int pn_cmd_predict(const pn_cli_opts *o, pn_err *err)
{
    const char *show_dir = o->show;
    digit_in d[2] = {{.path = o->images[0], .tag = "A"}, {.path = o->images[1], .tag = "B"}};
    pn_loaded_model pr;
    int rc = read_digit(&d[0], err);
    if (rc == PN_OK)
        rc = read_digit(&d[1], err);
    if (rc == PN_OK && show_dir && mkdir(show_dir, 0777) != 0 && errno != EEXIST)
        rc = pn_fail(err, PN_ERR_RUNTIME, "--show: cannot create directory %s: %s", show_dir,
                     strerror(errno));
    if (rc == PN_OK && show_dir)
        for (int k = 0; k < 2 && rc == PN_OK; k++)
            rc = show(show_dir, &d[k], err);
    if (rc != PN_OK || (rc = pn_model_file_load(o->load, &pr, err)) != PN_OK)
        return rc;
    double mean = 0.0, std = 1.0;
    pn_prediction p;
    rc = round_stats(&pr, o->data, &mean, &std, err);
    if (rc == PN_OK)
        rc = pn_predict_pair(&pr, d[0].q14, d[1].q14, mean, std, &p, err);
    if (rc == PN_OK) {
        printf("model %s (round seed %llu, %zu pairs)\n", pr.cfg.model->name,
               (unsigned long long)pr.seed, pr.cfg.n_pairs);
        print_answer(d, &p);
    }
    pn_loaded_model_free(&pr);
    return rc;
}
