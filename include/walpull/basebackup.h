/* BASE_BACKUP over a replication connection: the command text for each
 * server major, and the driver that reads its results and COPY data.
 *
 * 15 and later send one COPY stream whose CopyData messages carry a kind
 * byte: 'n' new archive, 'd' data, 'p' progress, 'm' manifest follows. 13
 * and 14 send one raw tar COPY per tablespace, then one for the manifest.
 * The driver hides the difference: each archive and the manifest are
 * handed to links the caller makes. On an unencrypted connection it reads
 * the answer from the socket itself, and a file's bytes go from the kernel
 * straight into the link's staging buffer; otherwise the data is passed
 * from libpq's buffers. */
#ifndef WALPULL_BASEBACKUP_H
#define WALPULL_BASEBACKUP_H

#include "walpull/conn.h"
#include "walpull/buf.h"
#include "walpull/link.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct wp_basebackup_opts {
    const char *label;
    bool fast_checkpoint;
    bool progress;     /* ask the server to estimate sizes */
    bool include_wal;  /* -X fetch: WAL inside the main archive */
    bool nowait;       /* do not wait for WAL archiving at the end */
    uint32_t max_rate; /* kB/s, 0 for no limit */
    bool manifest;
    bool manifest_force_encode;
    const char *manifest_checksums; /* NULL: CRC32C */
    bool no_verify_checksums;
    bool tablespace_map; /* tablespace_map in the main archive (tar output) */
    /* 15 and later only (wp_basebackup_command refuses them before): */
    const char *target;        /* NULL: to the client; "blackhole", "server" */
    const char *target_detail; /* the server's directory for "server" */
    const char *compression;   /* server-side method, e.g. "gzip"; NULL none */
    const char *compression_detail;
    /* Read the answer from the socket itself where the connection allows
     * (rawcopy.h): bytes for a link that lends its memory (link.h) go
     * straight into it. Otherwise, and when false, through libpq. */
    bool zero_copy;
} wp_basebackup_opts;

/* How the stream was read. */
typedef struct wp_basebackup_stats {
    bool zero_copy;    /* read from the socket, not through libpq */
    uint64_t straight; /* bytes read straight into a link's memory */
    uint64_t handed;   /* bytes handed over with content() */
} wp_basebackup_stats;

typedef struct wp_tablespace {
    uint32_t oid; /* 0 for the main data directory */
    char location[1024];
    int64_t size_kb; /* -1 when unknown */
} wp_tablespace;

#define WP_MAX_TABLESPACES 64

typedef struct wp_basebackup_handler {
    /* The backup started at start on tli; tablespaces as the server lists
     * them. Called once, before any archive. */
    int (*started)(void *user, wp_lsn start, uint32_t tli, const wp_tablespace *ts, size_t n,
                   wp_error *err);
    /* An archive begins (tablespace index into the list above): return
     * the link that takes its tar bytes, owned by the driver. */
    int (*archive)(void *user, size_t tablespace, wp_link **ret_link, wp_error *err);
    /* The manifest begins: the link that takes it. */
    int (*manifest)(void *user, wp_link **ret_link, wp_error *err);
    /* Bytes of archive data so far (cumulative). */
    void (*progress)(void *user, uint64_t bytes);
    /* Polled after each message and during every wait; a reason (a static
     * string) abandons the backup, NULL goes on. May be NULL. */
    const char *(*should_abort)(void *user);
    void *user;
} wp_basebackup_handler;

/* The BASE_BACKUP command for a server of this version (e.g. 150004),
 * appended to out. Pure. 0, -ENOMEM, or WP_E_UNSUPPORTED for a backup
 * target or server-side compression before 15 (err says which). */
int wp_basebackup_command(const wp_basebackup_opts *opts, int server_version, wp_buf *out,
                          wp_error *err);

/* Run it: results, archives, manifest, end position; ret_stats (may be
 * NULL) says how the stream was read. */
int wp_basebackup_run(wp_conn *conn, const wp_basebackup_opts *opts, const wp_basebackup_handler *h,
                      wp_lsn *ret_end, uint32_t *ret_tli, wp_basebackup_stats *ret_stats,
                      wp_error *err);

#endif
