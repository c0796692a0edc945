#include "walpull/walarchive.h"

#include "walpull/clock.h"
#include "walpull/gzip_link.h"
#include "walpull/iov.h"
#include "walpull/walfiles.h"
#include "walpull/walname.h"
#include "walpull/walpage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct walarchive {
    wp_walsink base;
    wp_walarchive_opts opts;
    char *dir;
    int dirfd;
    wp_dio dio; /* staging buffer, when opts.direct */
    /* The segment being written, if any. */
    wp_link *chain;
    uint32_t tli;
    uint64_t segno;
    uint64_t fed; /* bytes of the segment passed down the chain */
    bool dir_synced;
    char path[64];  /* name being written */
    char final[64]; /* name once complete */
    /* gzip: a partial segment kept under its name while its rewrite (under
     * path, "...gz.partial.new") has not yet made as much durable. */
    char held[64];
    uint64_t held_len;
    wp_lsn reserved_at;     /* where the bytes of the next commit go */
    struct timespec opened; /* when the segment's first byte came */
    unsigned mode;          /* of the files it creates */
} walarchive;

#define REWRITE_SUFFIX ".new"

static int sync_dir(walarchive *a, wp_error *err)
{
    if (fsync(a->dirfd) < 0)
        return wp_error_errno(err, errno, "could not fsync directory \"%s\"", a->dir);
    return 0;
}

static void segment_names(const wp_walarchive_opts *o, uint32_t tli, uint64_t segno, char *final,
                          char *path)
{
    char name[WP_SEGNAME_LEN + 1];
    wp_segment_name(tli, segno, o->segsize, name);
    snprintf(final, 64, "%s%s", name, o->compress == WP_COMPRESS_GZIP ? ".gz" : "");
    snprintf(path, 64, "%s%s%s", name, o->compress == WP_COMPRESS_GZIP ? ".gz" : "",
             o->partial_suffix ? ".partial" : "");
}

static int feed_zeros(wp_link *chain, uint64_t n, wp_error *err)
{
    static const char zeros[65536];
    while (n > 0) {
        struct iovec v = {.iov_base = (void *)zeros,
                          .iov_len = n < sizeof(zeros) ? (size_t)n : sizeof(zeros)};
        int r = wp_link_content(chain, &v, 1, err);
        if (r < 0)
            return r;
        n -= v.iov_len;
    }
    return 0;
}

/* The WAL a compressed partial segment holds (its decompressed length),
 * 0 when there is none or it cannot be read. */
static uint64_t partial_length(walarchive *a, const char *name)
{
    wp_walname n = wp_walname_parse(name);
    wp_walfile_reader rd = {.fd = -1};
    wp_error ignored = {0};
    if (n.kind != WP_WALNAME_SEGMENT || wp_walfile_open(a->dir, name, &n, &rd, &ignored) < 0)
        return 0;
    uint8_t *buf = malloc(1 << 16);
    size_t got = 0;
    while (buf && wp_walfile_read(&rd, buf, 1 << 16, &got, &ignored) == 0 && got > 0) {
    }
    uint64_t total = buf ? rd.total : 0;
    free(buf);
    wp_walfile_close(&rd);
    return total;
}

static int open_segment(walarchive *a, uint32_t tli, uint64_t segno, uint64_t segoff, wp_error *err)
{
    bool gz = a->opts.compress == WP_COMPRESS_GZIP;
    segment_names(&a->opts, tli, segno, a->final, a->path);
    a->held[0] = '\0';
    /* A compressed segment is rewritten from its start: what a partial one
     * already holds (and was reported durable) stays under its name until
     * the rewrite has made as much durable, so a resume never shrinks it. */
    if (gz && a->opts.partial_suffix) {
        uint64_t len = partial_length(a, a->path);
        size_t plen = strlen(a->path);
        if (len > segoff && plen + sizeof(REWRITE_SUFFIX) <= sizeof(a->path)) {
            memcpy(a->held, a->path, plen + 1);
            a->held_len = len;
            memcpy(a->path + plen, REWRITE_SUFFIX, sizeof(REWRITE_SUFFIX));
        }
    }
    wp_file_link_opts fo = {.dirfd = a->dirfd,
                            .path = a->path,
                            /* A compressed segment is rewritten whole. */
                            .offset = gz ? 0 : segoff,
                            .prealloc = gz ? 0 : a->opts.segsize,
                            .truncate = gz,
                            .mode = a->mode,
                            .dio = a->dio.slot[0].buf ? &a->dio : NULL};
    wp_link *file;
    int r = wp_file_link_new(&fo, a->opts.stats, &file, err);
    if (r < 0)
        return r;
    wp_link *chain = file;
    if (gz) {
        r = wp_gzip_link_new(file, a->opts.gzip_level, &chain, err);
        if (r < 0)
            return r;
        /* The gzip content is always the whole segment: bytes before a
         * mid-segment start are zeros, as in an uncompressed partial. */
        r = feed_zeros(chain, segoff, err);
        if (r < 0) {
            wp_link_free(chain);
            return r;
        }
    }
    a->chain = chain;
    a->tli = tli;
    a->segno = segno;
    a->fed = segoff;
    a->opened = wp_clock_start();
    a->dir_synced = false;
    return 0;
}

/* The rewrite of a held partial segment has made as much durable: it
 * takes the partial's name. */
static int release_held(walarchive *a, wp_error *err)
{
    if (renameat(a->dirfd, a->path, a->dirfd, a->held) < 0)
        return wp_error_errno(err, errno, "could not rename file \"%s\" to \"%s\"", a->path,
                              a->held);
    memcpy(a->path, a->held, sizeof(a->path));
    a->held[0] = '\0';
    return sync_dir(a, err);
}

/* Sync and close the open segment under its current (partial) name. */
static int close_segment(walarchive *a, wp_error *err)
{
    if (!a->chain)
        return 0;
    int r = wp_link_finalize(a->chain, err);
    wp_link_free(a->chain);
    a->chain = NULL;
    /* A rewrite that got as far as the partial it replaces takes its name
     * (finalize made it durable); one that did not goes, and the partial
     * stays. */
    if (a->held[0] && r == 0 && a->fed >= a->held_len) {
        r = release_held(a, err);
    } else if (a->held[0]) {
        if (unlinkat(a->dirfd, a->path, 0) < 0 && r == 0)
            r = wp_error_errno(err, errno, "could not remove \"%s\"", a->path);
        a->held[0] = '\0';
    }
    if (r == 0 && !a->dir_synced)
        r = sync_dir(a, err);
    return r;
}

/* Do two files in the directory hold the same bytes? */
static int same_content(int dirfd, const char *x, const char *y, bool *ret_same)
{
    int fx = openat(dirfd, x, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int fy = openat(dirfd, y, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int r = fx < 0 || fy < 0 ? -errno : 0;
    bool same = true;
    char *bx = r == 0 ? malloc(1 << 20) : NULL, *by = bx ? malloc(1 << 20) : NULL;
    if (r == 0 && !by)
        r = -ENOMEM;
    while (r == 0 && same) {
        ssize_t nx = read(fx, bx, 1 << 20), ny = read(fy, by, 1 << 20);
        if (nx < 0 || ny < 0)
            r = -errno;
        else if (nx != ny || memcmp(bx, by, (size_t)nx) != 0)
            same = false;
        else if (nx == 0)
            break;
    }
    free(bx);
    free(by);
    if (fx >= 0)
        close(fx);
    if (fy >= 0)
        close(fy);
    if (r == 0)
        *ret_same = same;
    return r;
}

/* Give the completed segment its final name, never over a complete segment
 * already there: a server that rewinds and sends a segment again must
 * send the same bytes, or it is refused. */
static int install_complete(walarchive *a, wp_error *err)
{
    if (renameat2(a->dirfd, a->path, a->dirfd, a->final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EEXIST)
        return wp_error_errno(err, errno, "could not rename file \"%s\" to \"%s\"", a->path,
                              a->final);
    /* A plain segment of the wrong size there is no complete segment (a
     * disk that filled up): the new one replaces it. */
    struct stat st;
    if (a->opts.compress == WP_COMPRESS_NONE &&
        fstatat(a->dirfd, a->final, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size != a->opts.segsize) {
        if (renameat(a->dirfd, a->path, a->dirfd, a->final) < 0)
            return wp_error_errno(err, errno, "could not rename file \"%s\" to \"%s\"", a->path,
                                  a->final);
        return 0;
    }
    bool same = false;
    int r = same_content(a->dirfd, a->path, a->final, &same);
    if (r < 0)
        return wp_error_errno(err, -r, "could not compare \"%s\" with \"%s\"", a->path, a->final);
    if (!same) {
        r = wp_error_set(err, WP_E_STATE,
                         "the server sent segment \"%s\" again with different bytes; the "
                         "complete segment in the archive is kept (the new bytes stay in \"%s\")",
                         a->final, a->path);
        wp_error_hint(err, "The server's WAL history differs from the archive's (a rewound or "
                           "replaced primary?): archive it into a new directory.");
        return r;
    }
    if (unlinkat(a->dirfd, a->path, 0) < 0)
        return wp_error_errno(err, errno, "could not remove \"%s\"", a->path);
    return 0;
}

static int complete_segment(walarchive *a, wp_error *err)
{
    int r = wp_link_finalize(a->chain, err);
    wp_link_free(a->chain);
    a->chain = NULL;
    if (r < 0)
        return r;
    if (strcmp(a->path, a->final) != 0) {
        r = install_complete(a, err);
        if (r < 0)
            return r;
    }
    /* The complete segment replaces the partial it was rewritten from. */
    if (a->held[0]) {
        if (unlinkat(a->dirfd, a->held, 0) < 0 && errno != ENOENT)
            return wp_error_errno(err, errno, "could not remove \"%s\"", a->held);
        a->held[0] = '\0';
    }
    r = sync_dir(a, err);
    if (r == 0) {
        a->base.durable = a->base.written;
        if (a->opts.on_segment)
            a->opts.on_segment(a->opts.user, a->final, a->opts.segsize, wp_clock_since(&a->opened));
    }
    return r;
}

/* The segment holding lsn open for writing at lsn: the open one if lsn
 * continues it, else that one kept as partial and lsn's opened. */
static int segment_at(walarchive *a, uint32_t tli, wp_lsn lsn, wp_error *err)
{
    uint64_t segno = wp_lsn_segno(lsn, a->opts.segsize);
    uint64_t segoff = wp_lsn_segment_offset(lsn, a->opts.segsize);
    if (a->chain && (a->tli != tli || a->segno != segno || a->fed != segoff)) {
        int r = close_segment(a, err);
        if (r < 0)
            return r;
    }
    return a->chain ? 0 : open_segment(a, tli, segno, segoff, err);
}

static int archive_write(wp_walsink *sink, uint32_t tli, wp_lsn start, const struct iovec *iov,
                         int iovcnt, wp_error *err)
{
    walarchive *a = (walarchive *)sink;
    uint64_t segsize = a->opts.segsize;
    /* A new timeline restarts at its segment's start: nothing from there
     * on is durable on that timeline yet. */
    if (start < a->base.durable)
        a->base.durable = start;
    wp_iov_cursor cur;
    wp_iov_cursor_init(&cur, iov, iovcnt);
    size_t left = wp_iov_total(iov, iovcnt);
    wp_lsn lsn = start;
    struct iovec part[IOV_MAX];
    while (left > 0) {
        uint64_t segoff = wp_lsn_segment_offset(lsn, segsize);
        int r = segment_at(a, tli, lsn, err);
        if (r < 0)
            return r;
        size_t room = (size_t)(segsize - segoff);
        int n;
        size_t took = wp_iov_take(&cur, left < room ? left : room, part, IOV_MAX, &n);
        r = wp_link_content(a->chain, part, n, err);
        if (r < 0)
            return r;
        a->fed += took;
        lsn += took;
        left -= took;
        a->base.written = lsn;
        if (a->fed == segsize) {
            r = complete_segment(a, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int archive_flush(wp_walsink *sink, wp_error *err)
{
    walarchive *a = (walarchive *)sink;
    if (a->chain) {
        int r = wp_link_sync(a->chain, err);
        if (r < 0)
            return r;
        if (!a->dir_synced) {
            /* The new file's name must be durable too. */
            r = sync_dir(a, err);
            if (r < 0)
                return r;
            a->dir_synced = true;
        }
        if (a->held[0] && a->fed >= a->held_len) {
            r = release_held(a, err);
            if (r < 0)
                return r;
        }
    }
    a->base.durable = a->base.written;
    return 0;
}

static int write_history(walarchive *a, uint32_t tli, const char *content, size_t len,
                         wp_error *err)
{
    char name[32], tmp[40];
    wp_history_name(tli, name);
    if (faccessat(a->dirfd, name, F_OK, 0) == 0)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s.tmp", name);
    int fd = openat(a->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, a->mode);
    if (fd < 0)
        return wp_error_errno(err, errno, "could not create file \"%s\"", tmp);
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, content + done, len - done);
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close(fd);
            unlinkat(a->dirfd, tmp, 0);
            return wp_error_errno(err, e, "could not write file \"%s\"", tmp);
        }
        done += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int e = errno;
        unlinkat(a->dirfd, tmp, 0);
        return wp_error_errno(err, e, "could not fsync file \"%s\"", tmp);
    }
    if (renameat(a->dirfd, tmp, a->dirfd, name) < 0)
        return wp_error_errno(err, errno, "could not rename file \"%s\" to \"%s\"", tmp, name);
    return sync_dir(a, err);
}

static int archive_end_timeline(wp_walsink *sink, uint32_t tli, wp_lsn end, uint32_t next_tli,
                                const char *history, size_t history_len, wp_error *err)
{
    walarchive *a = (walarchive *)sink;
    (void)tli;
    (void)end;
    int r = archive_flush(sink, err);
    if (r == 0)
        r = close_segment(a, err);
    if (r == 0 && history)
        r = write_history(a, next_tli, history, history_len, err);
    return r;
}

static void archive_free(wp_walsink *sink)
{
    walarchive *a = (walarchive *)sink;
    if (!a)
        return;
    wp_error ignored;
    if (archive_flush(sink, &ignored) == 0)
        close_segment(a, &ignored);
    wp_link_free(a->chain);
    if (a->dirfd >= 0)
        close(a->dirfd);
    wp_dio_release(&a->dio);
    free(a->dir);
    free(a);
}

/* Uncompressed segments staged for O_DIRECT: the receive loop may read
 * WAL straight into the staging buffer. */
static bool archive_can_reserve(const wp_walsink *sink)
{
    const walarchive *a = (const walarchive *)sink;
    return a->opts.direct && a->opts.compress == WP_COMPRESS_NONE;
}

/* The segment for lsn open, as archive_write would have it. */
static int archive_reserve(wp_walsink *sink, uint32_t tli, wp_lsn lsn, unsigned char **ret_ptr,
                           size_t *ret_room, wp_error *err)
{
    walarchive *a = (walarchive *)sink;
    uint64_t segsize = a->opts.segsize;
    if (lsn < a->base.durable)
        a->base.durable = lsn; /* a new timeline restarts at its segment's start */
    uint64_t segoff = wp_lsn_segment_offset(lsn, segsize);
    int r = segment_at(a, tli, lsn, err);
    if (r == 0)
        r = wp_link_reserve(a->chain, ret_ptr, ret_room, err);
    if (r == 0 && *ret_room > segsize - segoff)
        *ret_room = (size_t)(segsize - segoff);
    if (r == 0)
        a->reserved_at = lsn;
    return r;
}

static int archive_commit(wp_walsink *sink, size_t n, bool push, wp_error *err)
{
    walarchive *a = (walarchive *)sink;
    if (!a->chain)
        return 0;
    if (n > a->opts.segsize - a->fed)
        return wp_error_set(err, WP_E_STATE, "commit past the end of the segment");
    int r = wp_link_commit(a->chain, n, push && a->fed + n < a->opts.segsize, err);
    if (r < 0)
        return r;
    a->fed += n;
    a->reserved_at += n;
    /* written: what the kernel has (pushed, or a finished segment). */
    if (push || a->fed == a->opts.segsize)
        a->base.written = a->reserved_at;
    return a->fed == a->opts.segsize ? complete_segment(a, err) : 0;
}

static const wp_walsink_ops archive_ops = {.write = archive_write,
                                           .flush = archive_flush,
                                           .end_timeline = archive_end_timeline,
                                           .free = archive_free,
                                           .can_reserve = archive_can_reserve,
                                           .reserve = archive_reserve,
                                           .commit = archive_commit};

int wp_walarchive_open(const wp_walarchive_opts *opts, wp_walsink **ret_sink, wp_error *err)
{
    if (!wp_segsize_valid(opts->segsize))
        return wp_error_set(err, WP_E_RANGE, "invalid WAL segment size %llu",
                            (unsigned long long)opts->segsize);
    int dirfd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        int e = errno;
        wp_error_errno(err, e, "could not open directory \"%s\"", opts->dir);
        if (e == ENOENT)
            wp_error_hint(err, "Create the directory first, or name an existing one with -D.");
        return -e;
    }
    if (faccessat(dirfd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
        int e = errno;
        close(dirfd);
        wp_error_errno(err, e, "directory \"%s\" is not writable", opts->dir);
        wp_error_hint(err, "Give the user running walpull write access to it, or use another "
                           "directory.");
        return -e;
    }
    walarchive *a = calloc(1, sizeof(*a));
    char *dir = strdup(opts->dir);
    if (!a || !dir) {
        free(a);
        free(dir);
        close(dirfd);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    a->base.ops = &archive_ops;
    a->opts = *opts;
    a->opts.dir = dir;
    a->dir = dir;
    a->dirfd = dirfd;
    /* As the server does with data_directory_mode: a directory the group
     * may read (0750) gets files the group may read (0640), so a restore
     * running as another user of the group can serve them. */
    struct stat st;
    a->mode =
        fstat(dirfd, &st) == 0 && (st.st_mode & S_IRGRP) && (st.st_mode & S_IXGRP) ? 0640 : 0600;
    if (opts->file_mode)
        a->mode = opts->file_mode;
    if (a->opts.gzip_level < 1 || a->opts.gzip_level > 9)
        a->opts.gzip_level = 6; /* zlib's own default */
    /* Compressed output is small and written once: the page cache is fine. */
    if (opts->direct && opts->compress == WP_COMPRESS_NONE) {
        if (wp_dio_init(&a->dio, WP_DIO_BUFSIZE) < 0) {
            archive_free(&a->base);
            return wp_error_set(err, -ENOMEM, "out of memory");
        }
    }
    *ret_sink = &a->base;
    return 0;
}

int wp_walarchive_write_history(wp_walsink *sink, uint32_t tli, const char *content, size_t len,
                                wp_error *err)
{
    return write_history((walarchive *)sink, tli, content, len, err);
}

bool wp_walarchive_has_history(wp_walsink *sink, uint32_t tli)
{
    char name[32];
    wp_history_name(tli, name);
    return faccessat(((walarchive *)sink)->dirfd, name, F_OK, 0) == 0;
}

/* Split "<24 hex>[.gz][.partial]" into its parts. */
static bool parse_file_name(const char *name, uint64_t segsize, uint32_t *tli, uint64_t *segno,
                            bool *gz, bool *partial)
{
    char base[WP_SEGNAME_LEN + 1];
    size_t len = strlen(name);
    if (len < WP_SEGNAME_LEN)
        return false;
    const char *rest = name + WP_SEGNAME_LEN;
    *gz = false;
    *partial = false;
    if (strncmp(rest, ".gz", 3) == 0) {
        *gz = true;
        rest += 3;
    }
    if (strcmp(rest, ".partial") == 0) {
        *partial = true;
        rest += 8;
    }
    if (*rest)
        return false;
    memcpy(base, name, WP_SEGNAME_LEN);
    base[WP_SEGNAME_LEN] = '\0';
    return wp_segment_name_parse(base, segsize, tli, segno) == 0;
}

/* Read the first bytes of a (possibly gzip'd) segment file. */
/* Read the first bytes of a (possibly gzip'd) segment file: a regular
 * file only (walfiles.h opens it without following links or blocking). */
static int read_head(const char *dir, const char *name, uint8_t *buf, size_t len)
{
    wp_walname n = wp_walname_parse(name);
    wp_walfile_reader rd = {.fd = -1};
    wp_error ignored = {0};
    size_t got = 0;
    int r = wp_walfile_open(dir, name, &n, &rd, &ignored);
    if (r < 0)
        return r;
    r = wp_walfile_read(&rd, buf, len, &got, &ignored);
    wp_walfile_close(&rd);
    return r == 0 && got == len ? 0 : -EIO;
}

/* The newest file must be this server's WAL: system identifier and
 * segment size from its long page header. A partial may begin with zeros
 * (a mid-segment start): only a readable long header is checked. */
static int check_identity(const char *dir, const char *name, uint64_t segsize, uint64_t sysid,
                          wp_error *err)
{
    uint8_t head[WP_WALPAGE_LONG_HDR];
    wp_walpage_ident id;
    if (read_head(dir, name, head, sizeof(head)) < 0 ||
        wp_walpage_ident_parse(head, sizeof(head), &id) < 0)
        return 0;
    if (id.sysid != sysid) {
        int r = wp_error_set(err, WP_E_STATE,
                             "WAL file \"%s/%s\" belongs to database system %llu, but the "
                             "server is system %llu",
                             dir, name, (unsigned long long)id.sysid, (unsigned long long)sysid);
        wp_error_hint(err, "Use a separate archive directory for each primary.");
        return r;
    }
    if (id.seg_size != segsize)
        return wp_error_set(err, WP_E_STATE,
                            "WAL file \"%s/%s\" has segment size %u, but the server's is %llu", dir,
                            name, id.seg_size, (unsigned long long)segsize);
    return 0;
}

/* One segment file of the scan: a regular file, and a complete one of
 * the segment size (or *ret_skip, named in res, under the flag). */
static int check_entry(const char *dir, int dfd, const char *name, uint64_t segsize, bool complete,
                       unsigned flags, wp_archive_resume *res, bool *ret_skip, wp_error *err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
        return wp_error_set(err, WP_E_STATE,
                            "\"%s/%s\" is not a regular file; an archive holds only regular files",
                            dir, name);
    if (!complete || fstatat(dfd, name, &st, 0) < 0 || (uint64_t)st.st_size == segsize)
        return 0;
    if (flags & WP_SCAN_SKIP_BAD_SIZE) {
        if (!res->skipped[0])
            snprintf(res->skipped, sizeof(res->skipped), "%s", name);
        *ret_skip = true;
        return 0;
    }
    int r = wp_error_set(err, WP_E_STATE,
                         "WAL file \"%s/%s\" has %lld bytes, but the server's WAL segment size is "
                         "%llu",
                         dir, name, (long long)st.st_size, (unsigned long long)segsize);
    wp_error_hint(err, "The directory holds WAL of another server; use a separate directory for "
                       "each.");
    return r;
}

int wp_walarchive_scan(const char *dir, uint64_t segsize, uint64_t sysid, unsigned flags,
                       wp_archive_resume *ret_resume, wp_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        wp_error_errno(err, e, "could not open directory \"%s\"", dir);
        if (e == ENOENT)
            wp_error_hint(err, "Create the directory first, or name an existing one with -D.");
        return -e;
    }
    wp_archive_resume res = {0};
    uint64_t best_segno = 0;
    bool best_partial = false;
    int r = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t tli;
        uint64_t segno;
        bool gz, partial;
        if (!parse_file_name(de->d_name, segsize, &tli, &segno, &gz, &partial))
            continue;
        bool skip = false;
        r = check_entry(dir, dirfd(d), de->d_name, segsize, !gz && !partial, flags, &res, &skip,
                        err);
        if (r < 0)
            break;
        if (skip)
            continue;
        /* Newer: a later segment, or the same segment on a later timeline,
         * or the complete file over a partial one of the same name. */
        bool newer = !res.found || segno > best_segno || (segno == best_segno && tli > res.tli) ||
                     (segno == best_segno && tli == res.tli && best_partial && !partial);
        if (newer) {
            res.found = true;
            res.tli = tli;
            best_segno = segno;
            best_partial = partial;
            snprintf(res.newest, sizeof(res.newest), "%s", de->d_name);
        }
    }
    if (r == 0 && res.found) {
        res.start = wp_segno_start(best_partial ? best_segno : best_segno + 1, segsize);
        if (sysid)
            r = check_identity(dir, res.newest, segsize, sysid, err);
    }
    closedir(d);
    if (r == 0)
        *ret_resume = res;
    return r;
}
