/* pairnet's own exp and log, so that results do not depend on the C
 * library's version, its run-time choice of variant (glibc picks an FMA
 * build of expf on CPUs with FMA) or the platform. Both are plain IEEE
 * double arithmetic with every fused multiply-add written out: the same
 * bits on every CPU and compiler (-ffp-contract=off).
 *
 * pn_expf rounds to the same float as glibc 2.28+'s expf on x86-64 CPUs
 * with FMA (the machine the committed tables were made on) for every
 * float input: it is the same algorithm (a 32-entry table of 2^(i/32)
 * and a cubic in double, from the published ARM optimized-routines
 * design), with the fusions that build makes. Max error 0.502 ulp.
 * pn_log is within 1 ulp of log (double); only the reported loss uses it. */
#ifndef PAIRNET_MATHF_H
#define PAIRNET_MATHF_H

float pn_expf(float x);
double pn_log(double x);

#endif
