/* A directory of WAL segment files: the sink `walpull archive` and the WAL
 * stream of seeding write into.
 *
 * Each segment is written as "<name>.partial" (or "<name>.gz.partial") and
 * renamed to its final name only once complete and fdatasync'd, followed by
 * an fsync of the directory. Without a partial suffix (seeding into
 * pg_wal), segments carry their final name from the start, preallocated to
 * full size, which is what the server itself expects in pg_wal.
 *
 * Files are created 0640 in a directory the group may read (0750, the
 * server's data_directory_mode convention), 0600 otherwise, unless the
 * options name a mode. */
#ifndef WALPULL_WALARCHIVE_H
#define WALPULL_WALARCHIVE_H

#include "walpull/file_link.h"
#include "walpull/walsink.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum wp_compress {
    WP_COMPRESS_NONE,
    WP_COMPRESS_GZIP,
} wp_compress;

typedef struct wp_walarchive_opts {
    const char *dir;
    uint64_t segsize;
    wp_compress compress;
    int gzip_level;      /* 1..9 */
    bool partial_suffix; /* write ".partial" names until complete */
    bool direct;         /* uncompressed segments with O_DIRECT (dio.h) */
    unsigned file_mode;  /* of the files it creates; 0: by the directory's */
    wp_io_stats *stats;  /* borrowed, may be NULL */
    /* Told of each segment made complete and durable under its final name:
     * how long from its first byte to that (may be NULL). */
    void (*on_segment)(void *user, const char *name, uint64_t wal_bytes, double secs);
    void *user;
} wp_walarchive_opts;

/* Where a directory says streaming should resume. */
typedef struct wp_archive_resume {
    bool found; /* any segment at all */
    uint32_t tli;
    wp_lsn start;    /* segment start to stream from */
    char newest[64]; /* the file it was derived from */
    /* With WP_SCAN_SKIP_BAD_SIZE: a complete segment of the wrong size,
     * left out (the first one's name; empty when none). */
    char skipped[64];
} wp_archive_resume;

/* pg_receivewal's rule: a complete segment of the wrong size (a disk that
 * filled up) is skipped with a warning instead of stopping the archiver. */
#define WP_SCAN_SKIP_BAD_SIZE 1u

/* Scan dir for segment files (plain, .gz, .partial, .gz.partial) and find
 * where to resume: after the newest complete segment, or at the start of a
 * newer partial one (rewritten, never trusted). Checks that the newest
 * files belong to system `sysid` (0: do not check) and segment size segsize;
 * a mismatch is a WP_E_STATE error naming the file. */
int wp_walarchive_scan(const char *dir, uint64_t segsize, uint64_t sysid, unsigned flags,
                       wp_archive_resume *ret_resume, wp_error *err);

/* Open dir (which must exist and be writable) as a sink. */
int wp_walarchive_open(const wp_walarchive_opts *opts, wp_walsink **ret_sink, wp_error *err);

/* Write "<tli>.history" atomically (temporary name, fsync, rename, fsync of
 * the directory) unless it exists. */
int wp_walarchive_write_history(wp_walsink *sink, uint32_t tli, const char *content, size_t len,
                                wp_error *err);

/* Does "<tli>.history" exist in the sink's directory? */
bool wp_walarchive_has_history(wp_walsink *sink, uint32_t tli);

#endif
