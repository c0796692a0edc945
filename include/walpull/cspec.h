/* Compression specifications as PostgreSQL 15's client tools take them:
 * "METHOD[:DETAIL]", where DETAIL is a bare level or a comma-separated
 * list of level=N and workers=N; a bare integer alone is the old form
 * (0: none, else a gzip level); pg_basebackup also takes a "client-" or
 * "server-" prefix. The error messages are the tools' own wording, which
 * scripts and test suites match. Pure. */
#ifndef WALPULL_CSPEC_H
#define WALPULL_CSPEC_H

#include "walpull/error.h"

#include <stdbool.h>

typedef enum wp_cspec_algo {
    WP_CSPEC_NONE,
    WP_CSPEC_GZIP,
    WP_CSPEC_LZ4,
    WP_CSPEC_ZSTD,
} wp_cspec_algo;

typedef enum wp_cspec_where {
    WP_CSPEC_UNSPECIFIED,
    WP_CSPEC_CLIENT,
    WP_CSPEC_SERVER,
} wp_cspec_where;

typedef struct wp_cspec {
    wp_cspec_where where;
    char algo_name[32]; /* as written (after the prefix); truncated if longer */
    const char *detail; /* points into the text given; NULL when none */
    bool legacy;        /* the bare-integer form */
    /* Filled by wp_cspec_check: */
    wp_cspec_algo algo;
    int level; /* -1: the method's default */
    int workers;
    bool has_workers;
} wp_cspec;

/* Split text into location, method and detail (no checking yet). With
 * allow_where false a "client-"/"server-" prefix is part of the name. */
void wp_cspec_split(const char *text, bool allow_where, wp_cspec *ret);

/* Check the method and detail the way the tools do. On error, err holds
 * the message ("unrecognized compression algorithm: ..." or "invalid
 * compression specification: ...") and WP_E_USAGE is returned. */
int wp_cspec_check(wp_cspec *spec, wp_error *err);

/* The method's name as the server and the tools spell it. */
const char *wp_cspec_algo_name(wp_cspec_algo algo);

#endif
