/* The CopyData messages of a BASE_BACKUP stream (servers 15 and later),
 * and the order they must come in. Pure: the decoder points into the
 * message, the sequence checker keeps a few flags.
 *
 *   'n' archive name \0 tablespace path \0   a new archive begins
 *   'd' bytes                                data of the archive (or manifest)
 *   'p' Int64                                bytes sent so far
 *   'm'                                      the manifest follows */
#ifndef WALPULL_BBMSG_H
#define WALPULL_BBMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wp_bbmsg_kind {
    WP_BBMSG_ARCHIVE,
    WP_BBMSG_DATA,
    WP_BBMSG_PROGRESS,
    WP_BBMSG_MANIFEST,
} wp_bbmsg_kind;

typedef struct wp_bbmsg {
    wp_bbmsg_kind kind;
    const char *name;    /* ARCHIVE: both NUL-terminated inside the message */
    const char *path;    /* "" for the main data directory */
    const uint8_t *data; /* DATA */
    size_t len;
    uint64_t progress; /* PROGRESS */
} wp_bbmsg;

/* Decode one message; WP_E_PROTO when it is malformed or of no known kind. */
int wp_bbmsg_decode(const uint8_t *buf, size_t len, wp_bbmsg *ret_msg);

#define WP_BBSEQ_MAX 64

/* The order: every archive names a listed tablespace, once; data only
 * inside an archive or the manifest; one manifest, after every archive;
 * at the end, every listed tablespace came. */
typedef struct wp_bbseq {
    size_t n_ts;
    const char *const *paths; /* the listed tablespaces' paths ("" for the main one) */
    bool seen[WP_BBSEQ_MAX];
    size_t archives;
    bool open;     /* an archive (or the manifest) takes data */
    bool manifest; /* the manifest began */
} wp_bbseq;

void wp_bbseq_init(wp_bbseq *q, const char *const *paths, size_t n_ts);

/* Take the next message: 0 (*ret_index: the archive's tablespace, for
 * ARCHIVE), or WP_E_PROTO with *ret_why (a static string). */
int wp_bbseq_step(wp_bbseq *q, const wp_bbmsg *m, size_t *ret_index, const char **ret_why);

/* The stream ended: were all tablespaces there? */
int wp_bbseq_end(const wp_bbseq *q, const char **ret_why);

#endif
