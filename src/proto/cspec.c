#include "walpull/cspec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const algo_names[] = {"none", "gzip", "lz4", "zstd"};

const char *wp_cspec_algo_name(wp_cspec_algo algo)
{
    return algo_names[algo];
}

/* All of text (at least one character) a decimal int. */
static bool whole_int(const char *text, size_t len, int *ret)
{
    if (len == 0 || len > 15)
        return false;
    char buf[16];
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (end == buf || *end != '\0' || errno != 0 || v < INT_MIN || v > INT_MAX)
        return false;
    *ret = (int)v;
    return true;
}

void wp_cspec_split(const char *text, bool allow_where, wp_cspec *ret)
{
    *ret = (wp_cspec){.level = -1};
    int bare;
    if (whole_int(text, strlen(text), &bare)) {
        /* The old form: a gzip level, 0 meaning none. */
        ret->legacy = true;
        snprintf(ret->algo_name, sizeof(ret->algo_name), "%s", bare == 0 ? "none" : "gzip");
        ret->detail = bare == 0 ? NULL : text;
        return;
    }
    if (allow_where && strncmp(text, "server-", 7) == 0) {
        ret->where = WP_CSPEC_SERVER;
        text += 7;
    } else if (allow_where && strncmp(text, "client-", 7) == 0) {
        ret->where = WP_CSPEC_CLIENT;
        text += 7;
    }
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    if (n >= sizeof(ret->algo_name))
        n = sizeof(ret->algo_name) - 1;
    memcpy(ret->algo_name, text, n);
    ret->algo_name[n] = '\0';
    ret->detail = colon ? colon + 1 : NULL;
}

#define INVALID "invalid compression specification: "

/* One "keyword[=value]" of the detail list. */
static int take_option(wp_cspec *spec, const char *kw, size_t kwlen, const char *value, size_t vlen,
                       wp_error *err)
{
    int *target;
    if (kwlen == 5 && memcmp(kw, "level", 5) == 0) {
        target = &spec->level;
    } else if (kwlen == 7 && memcmp(kw, "workers", 7) == 0) {
        target = &spec->workers;
        spec->has_workers = true;
    } else {
        return wp_error_set(err, WP_E_USAGE, INVALID "unrecognized compression option: \"%.*s\"",
                            (int)kwlen, kw);
    }
    if (!value)
        return wp_error_set(err, WP_E_USAGE, INVALID "compression option \"%.*s\" requires a value",
                            (int)kwlen, kw);
    if (!whole_int(value, vlen, target))
        return wp_error_set(err, WP_E_USAGE,
                            INVALID "value for compression option \"%.*s\" must be an integer",
                            (int)kwlen, kw);
    return 0;
}

static int parse_detail(wp_cspec *spec, const char *p, wp_error *err)
{
    int bare;
    if (whole_int(p, strlen(p), &bare)) {
        spec->level = bare;
        return 0;
    }
    for (;;) {
        size_t kwlen = strcspn(p, ",=");
        if (kwlen == 0)
            return wp_error_set(err, WP_E_USAGE,
                                INVALID "found empty string where a compression option was "
                                        "expected");
        const char *value = NULL;
        size_t vlen = 0;
        const char *next = p + kwlen;
        if (*next == '=') {
            value = next + 1;
            vlen = strcspn(value, ",");
            next = value + vlen;
        }
        int r = take_option(spec, p, kwlen, value, vlen, err);
        if (r < 0)
            return r;
        if (*next == '\0')
            return 0;
        p = next + 1;
    }
}

int wp_cspec_check(wp_cspec *spec, wp_error *err)
{
    size_t i = 0;
    while (i < sizeof(algo_names) / sizeof(algo_names[0]) &&
           strcmp(spec->algo_name, algo_names[i]) != 0)
        i++;
    if (i == sizeof(algo_names) / sizeof(algo_names[0]))
        return wp_error_set(err, WP_E_USAGE, "unrecognized compression algorithm: \"%s\"",
                            spec->algo_name);
    spec->algo = (wp_cspec_algo)i;
    /* A level of 0 stands for "the default" to the tools' checks; none's
     * default is 0 itself. */
    spec->level = spec->algo == WP_CSPEC_NONE ? 0 : -1;
    if (spec->detail) {
        int r = parse_detail(spec, spec->detail, err);
        if (r < 0)
            return r;
    }
    switch (spec->algo) {
    case WP_CSPEC_NONE:
        if (spec->level != 0)
            return wp_error_set(err, WP_E_USAGE,
                                INVALID "compression algorithm \"none\" does not accept a "
                                        "compression level");
        break;
    case WP_CSPEC_GZIP:
        if ((spec->level < 1 || spec->level > 9) && spec->level != -1)
            return wp_error_set(err, WP_E_USAGE,
                                INVALID "compression algorithm \"gzip\" expects a compression "
                                        "level between 1 and 9 (default at -1)");
        break;
    case WP_CSPEC_LZ4:
    case WP_CSPEC_ZSTD:
        /* Named for what this build lacks, before any detail is judged. */
        return wp_error_set(err, WP_E_USAGE,
                            INVALID "this build does not support compression with %s",
                            spec->algo == WP_CSPEC_LZ4 ? "LZ4" : "ZSTD");
    }
    if (spec->has_workers)
        return wp_error_set(err, WP_E_USAGE,
                            INVALID "compression algorithm \"%s\" does not accept a worker count",
                            algo_names[spec->algo]);
    return 0;
}
