/* Making a freshly written tree durable: an fsync of every file and
 * directory in it, or one syncfs of its file system, and how to choose.
 *
 * syncfs flushes every dirty page of the file system, other programs'
 * included; its cost grows with what they have not written yet. An fsync
 * per file flushes only the tree's own data, but each one is a journal
 * commit and a disk cache flush. docs/performance.md ("Making the copy
 * durable") measures both; wp_sync_auto picks by the page cache's dirty
 * bytes at the time. */
#ifndef WALPULL_TREESYNC_H
#define WALPULL_TREESYNC_H

#include "walpull/error.h"

#include <stdint.h>

typedef enum wp_sync_method {
    WP_SYNC_AUTO,
    WP_SYNC_FSYNC,
    WP_SYNC_SYNCFS,
} wp_sync_method;

/* The option's values, in wp_sync_method's order. */
#define WP_SYNC_METHODS                                                                            \
    {                                                                                              \
        "auto", "fsync", "syncfs", NULL                                                            \
    }

/* Below this much dirty data in the page cache, syncfs is chosen
 * whatever the tree: its flush costs about what a few hundred fsyncs do. */
#define WP_SYNC_AUTO_MIN_DIRTY ((uint64_t)64 << 20)
/* Per file of the tree, syncfs may flush this much more of other
 * programs' data before an fsync per file is the cheaper way (measured:
 * about 0.25 ms per fsync, about 1 GB/s of writeback). */
#define WP_SYNC_AUTO_DIRTY_PER_FILE ((uint64_t)256 << 10)

/* WP_SYNC_SYNCFS or WP_SYNC_FSYNC for a tree of `files` files while
 * `dirty` bytes of the page cache wait for writeback. */
wp_sync_method wp_sync_auto(uint64_t dirty, uint64_t files);

/* Dirty plus Writeback from the text of /proc/meminfo, in bytes; -EINVAL
 * when either line is missing. */
int wp_meminfo_dirty(const char *meminfo, uint64_t *ret_bytes);

/* The same, read from /proc/meminfo now. */
int wp_dirty_bytes(uint64_t *ret_bytes);

/* fsync every file and directory below and including root, directories
 * after what they hold; symbolic links are not followed (their
 * directory's fsync covers them). */
int wp_tree_fsync(const char *root, wp_error *err);

/* fsync the directory holding path, so that path's own entry (a
 * directory just created, say) is durable too. */
int wp_fsync_parent(const char *path, wp_error *err);

#endif
