/* A sink link that writes its content into one file, at increasing
 * offsets from a start offset: one pwritev per content() call through the
 * page cache, or staged O_DIRECT writes (below).
 *
 * The file is created (or opened without truncation, unless `truncate`)
 * at the first content() or sync(), so a file appears only once there is
 * something to put in it. With `prealloc` > 0 the file is extended to that
 * size with fallocate (zero-filled only where the filesystem cannot), so
 * later writes need no metadata updates.
 *
 * With a staging buffer (`dio`, see dio.h) the file is written with
 * O_DIRECT: each content() call stages its bytes and hands all of them to
 * the kernel before returning, so what content() accepted has been
 * written, as in the buffered case. Without one, writes go through the
 * page cache and writeback is started after each (sync_file_range), so
 * sync() and finalize() find little to do. */
#ifndef WALPULL_FILE_LINK_H
#define WALPULL_FILE_LINK_H

#include "walpull/dio.h"
#include "walpull/link.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct wp_file_link_opts {
    int dirfd;        /* directory the path is relative to; borrowed */
    const char *path; /* copied */
    uint64_t offset;  /* where the first byte goes */
    uint64_t prealloc;
    bool truncate;
    unsigned mode; /* of a file it creates; 0 means 0600 */
    wp_dio *dio;   /* borrowed staging buffer, NULL for buffered writes; one
                    file link may use it at a time, until finalize() */
} wp_file_link_opts;

typedef struct wp_io_stats {
    uint64_t write_calls;
    uint64_t direct_calls; /* of those, with O_DIRECT */
    uint64_t bytes_written;
    uint64_t sync_calls;
} wp_io_stats;

/* stats may be NULL; when given it is borrowed and updated. */
int wp_file_link_new(const wp_file_link_opts *opts, wp_io_stats *stats, wp_link **ret_link,
                     wp_error *err);

#endif
