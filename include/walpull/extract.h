/* A wp_tar_sink that extracts members into a directory.
 *
 * Safety: member paths are checked with wp_tar_path_safe, and every
 * directory on the way is opened with O_NOFOLLOW from the root, so nothing
 * is ever written through a symbolic link, whatever the stream says: no
 * byte lands outside the root. Symlinks named pg_tblspc/<oid> point to the
 * tablespace's mapped location; other symlinks are created as they are
 * (and never followed). Regular files are created exclusively (O_EXCL),
 * preallocated from the size in their header when large enough, and
 * written with pwritev, or with O_DIRECT through a staging buffer (dio.h)
 * from `direct_min` bytes on; nothing is fsync'd here (the caller syncs
 * the whole tree once at the end). A staged file's buffer is lent out
 * (tar_parser.h), so its bytes can be read into it with no copy. */
#ifndef WALPULL_EXTRACT_H
#define WALPULL_EXTRACT_H

#include "walpull/tar_parser.h"

#include <stdint.h>

typedef struct wp_tblspc_map {
    uint32_t oid;
    const char *target; /* borrowed */
} wp_tblspc_map;

typedef struct wp_extract_stats {
    uint64_t files;
    uint64_t bytes;
    uint64_t write_calls;
    uint64_t copied; /* bytes copied into a staging buffer (not read into it) */
} wp_extract_stats;

typedef struct wp_extract_opts {
    const char *root;            /* existing directory; copied */
    const wp_tblspc_map *tblspc; /* borrowed for the extractor's life */
    size_t n_tblspc;
    uint64_t prealloc_min;   /* preallocate files at least this big */
    uint64_t direct_min;     /* O_DIRECT for files at least this big; 0: never */
    wp_extract_stats *stats; /* borrowed, may be NULL */
    /* A member written under its name plus WP_EXTRACT_HELD_SUFFIX, for the
     * caller to rename once everything else is complete (NULL: none). */
    const char *hold_back;
} wp_extract_opts;

#define WP_EXTRACT_HELD_SUFFIX ".walpull-incomplete"

int wp_extractor_new(const wp_extract_opts *opts, wp_tar_sink **ret_sink, wp_error *err);

#endif
