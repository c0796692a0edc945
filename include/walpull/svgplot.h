/* A throughput-over-time chart as a self-contained SVG: one line for
 * MiB/s (left axis) and one for lag (right axis). Pure: writes to a FILE. */
#ifndef WALPULL_SVGPLOT_H
#define WALPULL_SVGPLOT_H

#include <stddef.h>
#include <stdio.h>

typedef struct wp_plot_point {
    double t;      /* seconds since the start */
    double mibps;  /* throughput over the interval ending at t */
    double lag_kb; /* lag in kB at t */
} wp_plot_point;

/* title is plain text without markup characters. */
int wp_svgplot_write(FILE *out, const char *title, const wp_plot_point *pts, size_t n);

#endif
