/* Checking a WAL archive as recovery would read it: file names and sizes,
 * no gap on any timeline from its oldest segment to its newest, history
 * files that parse and agree with the segments (each switch point
 * present), gzip integrity, and (with decode) every page header and the
 * CRC-32C of every record, followed across pages and segments.
 *
 * Problems are reported one by one through a callback, oldest first per
 * timeline; the run goes on after each, so one pass finds them all. */
#ifndef WALPULL_WALVERIFY_H
#define WALPULL_WALVERIFY_H

#include "walpull/error.h"
#include "walpull/lsn.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct wp_walverify_opts {
    const char *dir;
    bool decode; /* false: names, sizes, gaps and histories only (a quick scan) */
    /* Called for each problem: the file (may be "" for the directory as a
     * whole) and the first LSN it concerns (0 when none). */
    void (*problem)(void *user, const char *file, wp_lsn lsn, const char *message);
    void *user;
} wp_walverify_opts;

typedef struct wp_walverify_report {
    uint64_t segsize;
    uint64_t segments; /* distinct segments (one per name, whatever its forms) */
    uint64_t histories;
    uint32_t timelines;
    uint32_t newest_tli;
    char newest[48];     /* the newest segment file, "" when none */
    wp_lsn newest_start; /* where the newest segment begins */
    wp_lsn first_lsn;    /* start of the oldest segment */
    wp_lsn end_lsn;      /* end of the last complete record (decode), else of the newest file */
    uint64_t bytes;      /* of WAL read (decompressed) */
    uint64_t records;    /* decode: records whose CRC was checked */
    uint64_t problems;
    int64_t newest_mtime; /* seconds since the epoch, of the newest file */
    int major;            /* from the page magic, 0 when unknown or not decoded */
} wp_walverify_report;

/* 0 when the archive could be read at all (problems or none: see
 * report.problems); an error when the directory itself could not. */
int wp_walverify_run(const wp_walverify_opts *opts, wp_walverify_report *ret_report, wp_error *err);

#endif
