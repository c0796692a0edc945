/* Small statistics for benchmark reports. Pure. */
#ifndef WALPULL_STATS_H
#define WALPULL_STATS_H

#include <stddef.h>

/* The p-th percentile (0..100) of values, nearest-rank method; sorts
 * values in place. 0 for an empty set. */
double wp_percentile(double *values, size_t n, double p);

/* Median of n values (sorts in place). */
double wp_median(double *values, size_t n);

#endif
