/* A link in front of a tar file that adds members at the end of the
 * archive: what passes through is forwarded unchanged, except the
 * end-of-archive blocks (held back, then written after the new members);
 * the content of one member may be captured on the way, for the new ones
 * to extend (pg_basebackup -R -F t: postgresql.auto.conf as the server
 * sent it, then the standby settings, and standby.signal). Duplicate
 * member names are fine in tar: the later one wins on extraction. */
#ifndef WALPULL_TAR_APPEND_H
#define WALPULL_TAR_APPEND_H

#include "walpull/buf.h"
#include "walpull/link.h"

#include <stdbool.h>

/* Called once the archive is complete: append whole members (header,
 * data, padding; wp_tar_header_build) to out. captured holds the member
 * named capture (empty when the archive had none). */
typedef int (*wp_tar_append_fn)(void *user, const wp_buf *captured, wp_buf *out, wp_error *err);

typedef struct wp_tar_append_opts {
    bool has_end_marker; /* the stream ends with two zero blocks (servers 15+) */
    const char *capture; /* member path to capture (borrowed), or NULL */
    wp_tar_append_fn append;
    void *user;
} wp_tar_append_opts;

/* next is owned by the new link (freed on failure too). */
int wp_tar_append_link_new(wp_link *next, const wp_tar_append_opts *opts, wp_link **ret_link,
                           wp_error *err);

#endif
