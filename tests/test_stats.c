#include "test.h"

#include <math.h>
#include <string.h>

#include "pairnet/report/results.h"

static void stats_mean_std_known_values(void)
{
    /* mean 2.5; squared deviations 2.25+0.25+0.25+2.25 = 5, 5/3 -> 1.2909944 */
    const double x[] = {1, 2, 3, 4};
    double m, s;
    pn_mean_std(x, 4, &m, &s);
    CHECK_NEAR(m, 2.5, 1e-12);
    CHECK_NEAR(s, 1.2909944487358056, 1e-12);

    const double y[] = {0.8, 0.9};
    pn_mean_std(y, 2, &m, &s);
    CHECK_NEAR(m, 0.85, 1e-12);
    CHECK_NEAR(s, 0.070710678118654752, 1e-12); /* sqrt(0.005) */
}

static void stats_mean_std_one_value(void)
{
    const double x[] = {0.875};
    double m = -1, s = -1;
    pn_mean_std(x, 1, &m, &s);
    CHECK_NEAR(m, 0.875, 0);
    CHECK(s == 0.0);
}

static void stats_mean_std_empty_is_nan(void)
{
    double m = 0, s = 0;
    pn_mean_std(NULL, 0, &m, &s);
    CHECK(isnan(m));
    CHECK(isnan(s));
}

static void stats_mean_std_large_offset(void)
{
    /* The one-pass formula sum(x^2)/n - mean^2 returns garbage here. */
    const double x[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4};
    double m, s;
    pn_mean_std(x, 4, &m, &s);
    CHECK_NEAR(m, 1e9 + 2.5, 1e-6);
    CHECK_NEAR(s, 1.2909944487358056, 1e-6);
}

static pn_round_rec round_rec(const char *model, size_t i, int diverged, double train, double test,
                              double secs)
{
    pn_round_rec r;
    memset(&r, 0, sizeof r);
    strcpy(r.model, model);
    r.round = i;
    r.seed = 100 + i;
    r.diverged = diverged;
    r.n_epochs = diverged ? 3 : 45;
    r.train_acc = diverged ? NAN : train;
    r.test_acc = diverged ? NAN : test;
    r.seconds = secs;
    return r;
}

static void stats_summarize_skips_diverged(void)
{
    pn_round_rec r[5] = {
        round_rec("cnn_ws", 0, 0, 1.00, 0.80, 2.0),
        round_rec("cnn_ws", 1, 1, 0, 0, 99.0), /* must not count anywhere */
        round_rec("cnn_ws", 2, 0, 0.98, 0.90, 4.0),
        round_rec("cnn_ws", 3, 0, 0.96, 0.85, 3.0),
        round_rec("cnn_ws", 4, 1, 0, 0, 50.0),
    };
    pn_model_summary s;
    memset(&s, 0x5a, sizeof s);
    pn_summarize(r, 5, &s);
    CHECK(strcmp(s.model, "cnn_ws") == 0);
    CHECK(s.rounds == 3);
    CHECK(s.diverged == 2);
    CHECK(s.epochs == 45);
    CHECK_NEAR(s.train_mean, 0.98, 1e-12);
    CHECK_NEAR(s.train_std, 0.02, 1e-12);
    CHECK_NEAR(s.test_mean, 0.85, 1e-12);
    CHECK_NEAR(s.test_std, 0.05, 1e-12);
    CHECK_NEAR(s.sec_per_round, 3.0, 1e-12);
    /* Left for the caller, but never garbage. */
    CHECK(s.params == 0 && s.bs == 0 && s.lr == 0.0);
}

static void stats_summarize_all_diverged(void)
{
    pn_round_rec r[2] = {round_rec("mlp", 0, 1, 0, 0, 1.0), round_rec("mlp", 1, 1, 0, 0, 1.0)};
    pn_model_summary s;
    pn_summarize(r, 2, &s);
    CHECK(strcmp(s.model, "mlp") == 0);
    CHECK(s.rounds == 0);
    CHECK(s.diverged == 2);
    CHECK(isnan(s.train_mean) && isnan(s.test_mean) && isnan(s.test_std));
    CHECK(isnan(s.sec_per_round));
    CHECK(s.epochs == 3);
}

static void stats_summarize_one_round(void)
{
    pn_round_rec r = round_rec("cnn", 0, 0, 0.99, 0.87, 5.5);
    pn_model_summary s;
    pn_summarize(&r, 1, &s);
    CHECK(s.rounds == 1 && s.diverged == 0);
    CHECK_NEAR(s.test_mean, 0.87, 1e-12);
    CHECK(s.test_std == 0.0 && s.train_std == 0.0);
    CHECK_NEAR(s.sec_per_round, 5.5, 1e-12);
}

void suite_stats(void)
{
    RUN(stats_mean_std_known_values);
    RUN(stats_mean_std_one_value);
    RUN(stats_mean_std_empty_is_nan);
    RUN(stats_mean_std_large_offset);
    RUN(stats_summarize_skips_diverged);
    RUN(stats_summarize_all_diverged);
    RUN(stats_summarize_one_round);
}
