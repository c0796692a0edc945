/* The seeding engine, shared by `walpull seed` and the pg_basebackup
 * front end: BASE_BACKUP extracted (or written as tar files) as it
 * arrives, the WAL streamed beside it, cleanup on failure. */
#ifndef WALPULL_CMD_SEED_H
#define WALPULL_CMD_SEED_H

#include "walpull/basebackup.h"
#include "walpull/conn.h"
#include "walpull/treesync.h"

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
    const char *label;
    const char *waldir; /* plain: pg_wal becomes a symlink to this */
    const char *manifest_checksums;
    const char *target;                 /* a server-side target (no files here) */
    const char *target_detail;          /* its detail ("server": the directory) */
    const char *server_compress;        /* server-side compression method, or NULL */
    const char *server_compress_detail; /* as given, for the server to judge */
    /* -T OLDDIR=NEWDIR, pointing into argv: OLDDIR is map_old_len bytes. */
    const char *map_old[WP_MAX_TABLESPACES];
    size_t map_old_len[WP_MAX_TABLESPACES];
    const char *map_new[WP_MAX_TABLESPACES];
    size_t n_map;
    uint32_t max_rate;
    int status_interval_secs; /* of the WAL stream; 0: 10 */
    int checkpoint;           /* WP_CHECKPOINT_* */
    int wal;                  /* wp_wal_mode */
    int format;               /* wp_seed_format */
    int gzip_level;           /* tar: client-side gzip, 0 for none */
    bool create_slot;
    bool no_slot; /* -X stream without a temporary slot */
    bool write_recovery;
    bool progress;
    bool estimate_size; /* ask the server for sizes (with -P) */
    bool manifest;
    bool manifest_force_encode;
    bool verify_checksums;
    bool sync;
    int sync_method; /* wp_sync_method (treesync.h) */
    bool direct_io;
    bool no_zero_copy; /* read the backup through libpq */
    bool clean;
    bool pg_messages; /* speak as pg_basebackup where scripts read the words */
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
