/* The seeding engine, shared by `walpull seed` and the pg_basebackup
 * front end: BASE_BACKUP extracted (or written as tar files) as it
 * arrives, the WAL streamed beside it, cleanup on failure. */
#ifndef WALPULL_CMD_SEED_H
#define WALPULL_CMD_SEED_H

#include "walpull/basebackup.h"
#include "walpull/conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { WP_CHECKPOINT_SPREAD, WP_CHECKPOINT_FAST };

typedef enum wp_wal_mode {
    WP_WAL_STREAM,
    WP_WAL_FETCH,
    WP_WAL_NONE,
} wp_wal_mode;

typedef enum wp_seed_format {
    WP_FORMAT_PLAIN,
    WP_FORMAT_TAR,
} wp_seed_format;

typedef struct wp_seed_opts {
    wp_conn_opts conn;
    const char *dir; /* "-" with WP_FORMAT_TAR: the one archive to stdout */
    const char *slot;
    bool create_slot;
    bool no_slot;             /* -X stream without a temporary slot */
    int status_interval_secs; /* of the WAL stream; 0: 10 */
    bool write_recovery;
    int checkpoint; /* WP_CHECKPOINT_* */
    bool progress;
    bool estimate_size; /* ask the server for sizes (with or without -P) */
    uint32_t max_rate;
    /* -T OLDDIR=NEWDIR, pointing into argv: OLDDIR is map_old_len bytes. */
    const char *map_old[WP_MAX_TABLESPACES];
    size_t map_old_len[WP_MAX_TABLESPACES];
    const char *map_new[WP_MAX_TABLESPACES];
    size_t n_map;
    int wal;            /* wp_wal_mode */
    const char *waldir; /* plain: pg_wal becomes a symlink to this */
    int format;         /* wp_seed_format */
    int gzip_level;     /* tar: client-side gzip, 0 for none */
    bool manifest;
    bool manifest_force_encode;
    const char *manifest_checksums;
    bool verify_checksums;
    const char *target;          /* a server-side target (no files here) */
    const char *target_detail;   /* its detail ("server": the directory) */
    const char *server_compress; /* server-side compression method, or NULL */
    const char *server_compress_detail;
    bool sync;
    bool direct_io;
    bool clean;
    const char *label;
    /* Speak as pg_basebackup where scripts read the words. */
    bool pg_messages;
} wp_seed_opts;

/* Defaults every caller starts from. */
#define WP_SEED_OPTS_DEFAULT                                                                       \
    {                                                                                              \
        .manifest = true, .verify_checksums = true, .estimate_size = true, .sync = true,           \
        .direct_io = true, .clean = true, .wal = WP_WAL_STREAM, .label = "walpull base backup"     \
    }

/* Run with the options parsed and checked: the exit code. */
int wp_seed_main(const wp_seed_opts *o);

#endif
