/* What the two readers of BASE_BACKUP's answer share (basebackup.c reads
 * it through libpq, basebackup_raw.c from the socket): the run's state
 * and the handling of what the answer holds. Internal to src/conn. */
#ifndef WALPULL_CONN_BBRUN_H
#define WALPULL_CONN_BBRUN_H

#include "walpull/basebackup.h"
#include "walpull/bbmsg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct run_state {
    wp_conn *conn;
    const wp_basebackup_handler *h;
    wp_tablespace ts[WP_MAX_TABLESPACES];
    size_t n_ts;
    int results; /* tuple results seen */
    wp_link *link;
    size_t next_archive;                   /* 13/14: index of the next COPY */
    const char *paths[WP_MAX_TABLESPACES]; /* each tablespace's, "" for the main one */
    wp_bbseq seq;                          /* 15+: the order of the stream */
    bool manifest_seen;                    /* 13/14: the manifest's COPY came */
    uint64_t bytes;
    wp_lsn end;
    uint32_t end_tli;
    wp_basebackup_stats stats;
} run_state;

/* A result set's rows, whichever way they were read: values as C
 * strings, NULL for SQL NULL. n counts every row; the first
 * WP_MAX_TABLESPACES are kept. */
#define ROW_FIELDS 3

typedef struct bb_rows {
    int n, nfields;
    const char *val[WP_MAX_TABLESPACES][ROW_FIELDS];
} bb_rows;

/* While an archive streams, sleep until a batch of data is queued
 * (SO_RCVLOWAT) or a short while has passed, instead of waking for every
 * message: the server reads slower than walpull writes, and one wake-up per
 * 32 kB message cost a fifth of a seed's CPU in scheduler switches. */
#define WAKE_BYTES (256 * 1024)
#define WAKE_MS    5

/* An open archive or manifest link ends well (finalized) and goes. */
int bb_close_link(run_state *s, wp_error *err);
/* A result boundary: an archive still open ends well (finalized), or,
 * when the result is an error, is dropped unfinished: a cut file never
 * gets its final name. */
int bb_end_link(run_state *s, bool failed, wp_error *err);
/* len more bytes of archive data, for the progress count. */
void bb_count_bytes(run_state *s, size_t len);
/* Hand bytes to the open link (count: archive data, not the manifest). */
int bb_feed(run_state *s, const uint8_t *data, size_t len, bool count, wp_error *err);
/* A message of the 15+ stream where the stream's order allows it
 * (*ret_idx: the tablespace an archive message names). */
int bb_step(run_state *s, const wp_bbmsg *m, size_t *ret_idx, wp_error *err);
/* One whole CopyData message of the 15+ stream. */
int bb_handle_message(run_state *s, const uint8_t *buf, size_t len, wp_error *err);
/* The driver's say: go on, or abandon the backup. */
int bb_check_abort(const run_state *s, wp_error *err);
/* A COPY begins (13/14: the next archive or the manifest). */
int bb_copy_begin(run_state *s, bool *ret_in_manifest, wp_error *err);
/* A complete result set: the start position, the tablespaces, the end. */
int bb_tuples(run_state *s, const bb_rows *rows, wp_lsn *ret_start, uint32_t *ret_tli,
              wp_error *err);
/* The stock tool's words for a backup refused before it began. */
void bb_refused_wording(const run_state *s, const char *severity, const char *primary,
                        wp_error *err);

/* The whole answer to sql, read from the socket (basebackup_raw.c). */
int bb_raw_results(run_state *s, const char *sql, wp_error *err);

#endif
