/* What a WAL archive directory holds, and reading its files back: the
 * listing that verify, restore-wal, expire and status share, and a reader
 * that gives a segment's or history file's bytes whatever its form (plain
 * or gzip, complete or partial).
 *
 * Only regular files are read: a name of the archive's kind that is a
 * symbolic link, a FIFO or a directory is an error, never followed or
 * opened for reading. */
#ifndef WALPULL_WALFILES_H
#define WALPULL_WALFILES_H

#include "walpull/error.h"
#include "walpull/walname.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct wp_walfile {
    char name[48];
    wp_walname n;
    uint64_t segno; /* segments only */
    uint64_t size;  /* on disk */
    int64_t mtime;  /* seconds since the epoch */
} wp_walfile;

typedef struct wp_walfiles {
    wp_walfile *f; /* segments by (segno, tli, form), then histories by tli */
    size_t n;
    size_t n_segments; /* f[0 .. n_segments-1] are segments */
    uint64_t segsize;  /* 0 when the directory holds no segment */
} wp_walfiles;

/* List dir. segsize 0: found from the files (a complete segment's size,
 * else the long header of a segment's first page); a segment name that is
 * not valid for it is an error. */
int wp_walfiles_read(const char *dir, uint64_t segsize, wp_walfiles *ret, wp_error *err);
void wp_walfiles_free(wp_walfiles *w);

/* Reads one file's content, decompressed. */
typedef struct wp_walfile_reader {
    int fd;
    void *gz; /* gzFile, NULL for a plain file */
    bool partial;
    const char *name; /* borrowed, for messages */
    uint64_t total;   /* bytes read so far */
} wp_walfile_reader;

/* Open dir/name for reading: a regular file, not through a link. */
int wp_walfile_open(const char *dir, const char *name, const wp_walname *n,
                    wp_walfile_reader *ret_reader, wp_error *err);

/* Up to len bytes into buf; *ret_len 0 at the end. A compressed file that
 * is truncated or fails its check is an error, except that a .gz.partial
 * ends where its last flush ended. */
int wp_walfile_read(wp_walfile_reader *r, void *buf, size_t len, size_t *ret_len, wp_error *err);

void wp_walfile_close(wp_walfile_reader *r);

/* The whole content of a small file (a history file), NUL-terminated;
 * free() it. At most max bytes. */
int wp_walfile_slurp(const char *dir, const char *name, const wp_walname *n, size_t max,
                     char **ret_text, size_t *ret_len, wp_error *err);

#endif
