#include "walpull/file_link.h"

#include "walpull/io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct file_link {
    wp_link base;
    int dirfd;
    int fd;
    char *path;
    uint64_t offset;
    uint64_t prealloc;
    bool truncate;
    unsigned mode;
    bool dirty;  /* written since the last fdatasync */
    wp_dio *dio; /* borrowed; staging this file once it is open */
    wp_io_stats *stats;
} file_link;

static int io_error(wp_error *err, int e, const char *what, const char *path)
{
    return wp_error_errno(err, e, "could not %s file \"%s\"", what, path);
}

static int zero_fill(int fd, uint64_t from, uint64_t to)
{
    static const char zeros[65536];
    while (from < to) {
        size_t n = to - from < sizeof(zeros) ? (size_t)(to - from) : sizeof(zeros);
        ssize_t w = pwrite(fd, zeros, n, (off_t)from);
        if (w <= 0)
            return w < 0 ? -errno : -ENOSPC;
        from += (uint64_t)w;
    }
    return 0;
}

/* Preallocate the file to f->prealloc (size from st): 0 or an errno. */
static int preallocate(file_link *f, const struct stat *st)
{
    if ((uint64_t)st->st_size >= f->prealloc)
        return 0;
    /* Mode 0 allocates and extends the file without writing data. */
    if (fallocate(f->fd, 0, 0, (off_t)f->prealloc) == 0)
        return 0;
    int e = errno;
    if (e == EOPNOTSUPP || e == ENOSYS) {
        int r = zero_fill(f->fd, (uint64_t)st->st_size, f->prealloc);
        e = r < 0 ? -r : 0;
    }
    return e;
}

static int ensure_open(file_link *f, wp_error *err)
{
    if (f->fd >= 0)
        return 0;
    /* O_NOFOLLOW: a symlink planted under this name (say, by a backup's
     * tar stream) must not redirect the write elsewhere. Readable too with
     * a staging buffer: a start inside a block reads the block's earlier
     * bytes back. O_NONBLOCK, then a type check: a FIFO under this name
     * must neither hang the open nor be written to. */
    int flags = (f->dio ? O_RDWR : O_WRONLY) | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
                (f->truncate ? O_TRUNC : 0);
    f->fd = openat(f->dirfd, f->path, flags, f->mode);
    if (f->fd < 0)
        return io_error(err, errno, "open", f->path);
    struct stat st;
    int bad = fstat(f->fd, &st) < 0 ? errno : 0;
    int r = 0;
    if (bad || !S_ISREG(st.st_mode))
        r = bad ? io_error(err, bad, "open", f->path)
                : wp_error_set(err, WP_E_STATE, "\"%s\" is not a regular file", f->path);
    if (r == 0)
        (void)fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);
    /* Closed again on failure, so a retry preallocates instead of
     * skipping it. */
    int e = r == 0 && f->prealloc ? preallocate(f, &st) : 0;
    if (e)
        r = io_error(err, e, "preallocate", f->path);
    if (r == 0 && f->dio) {
        int d = wp_dio_begin(f->dio, f->fd, f->offset);
        if (d < 0)
            r = io_error(err, -d, "read", f->path);
    }
    if (r < 0) {
        close(f->fd);
        f->fd = -1;
    }
    return r;
}

/* The staging writer's counters before a call, to add its deltas. */
typedef struct dio_mark {
    uint64_t calls, direct, bytes;
} dio_mark;

static dio_mark dio_mark_now(const wp_dio *d)
{
    return (dio_mark){d->write_calls, d->direct_calls, d->bytes_written};
}

static void count_dio(file_link *f, dio_mark m)
{
    if (f->stats) {
        f->stats->write_calls += f->dio->write_calls - m.calls;
        f->stats->direct_calls += f->dio->direct_calls - m.direct;
        f->stats->bytes_written += f->dio->bytes_written - m.bytes;
    }
}

/* After staging (r its result): the counters, the error, the offset. */
static int dio_staged(file_link *f, dio_mark m, int r, wp_error *err)
{
    count_dio(f, m);
    if (r < 0)
        return io_error(err, -r, "write to", f->path);
    f->offset = f->dio->end;
    return 0;
}

static int dio_content(file_link *f, const struct iovec *iov, int iovcnt, wp_error *err)
{
    dio_mark m = dio_mark_now(f->dio);
    f->dirty = true; /* even if this fails part way, sync must wait */
    int r = wp_dio_stage(f->dio, iov, iovcnt);
    if (r == 0)
        r = wp_dio_push(f->dio);
    return dio_staged(f, m, r, err);
}

static int file_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    file_link *f = (file_link *)link;
    int r = ensure_open(f, err);
    if (r < 0)
        return r;
    if (f->dio)
        return dio_content(f, iov, iovcnt, err);
    uint64_t start = f->offset;
    uint64_t calls = 0;
    r = wp_pwritev_all(f->fd, iov, iovcnt, &f->offset, &calls);
    if (f->stats) {
        f->stats->write_calls += calls;
        f->stats->bytes_written += f->offset - start;
    }
    if (r < 0)
        return io_error(err, -r, "write to", f->path);
    f->dirty = true;
    /* Start writeback now so the fdatasync at the end is short. */
    sync_file_range(f->fd, (off_t)start, (off_t)(f->offset - start), SYNC_FILE_RANGE_WRITE);
    return 0;
}

static int file_sync(wp_link *link, wp_error *err)
{
    file_link *f = (file_link *)link;
    int r = ensure_open(f, err);
    if (r < 0)
        return r;
    if (!f->dirty && !f->prealloc)
        return 0;
    if (f->dio) {
        dio_mark m = dio_mark_now(f->dio);
        /* Bytes committed without a push are handed over first. */
        r = wp_dio_push(f->dio);
        if (r == 0)
            r = wp_dio_wait(f->dio);
        count_dio(f, m); /* retries of refused writes happen here too */
        if (r < 0)
            return io_error(err, -r, "write to", f->path);
    }
    if (fdatasync(f->fd) < 0)
        return io_error(err, errno, "fsync", f->path);
    if (f->stats)
        f->stats->sync_calls++;
    f->dirty = false;
    f->prealloc = 0; /* the allocation is durable now too */
    return 0;
}

static int file_finalize(wp_link *link, wp_error *err)
{
    file_link *f = (file_link *)link;
    int r = 0;
    if (f->dio && f->fd >= 0) {
        /* Cut the zero padding of the last block, if it went past the end. */
        dio_mark m = dio_mark_now(f->dio);
        r = wp_dio_end(f->dio);
        count_dio(f, m);
        if (r < 0)
            r = io_error(err, -r, "write to", f->path);
    }
    if (r == 0)
        r = file_sync(link, err);
    if (f->fd >= 0 && close(f->fd) < 0 && r == 0)
        r = io_error(err, errno, "close", f->path);
    f->fd = -1;
    return r;
}

static void file_free(wp_link *link)
{
    file_link *f = (file_link *)link;
    if (!f)
        return;
    if (f->fd >= 0) {
        if (f->dio && f->dio->fd == f->fd) {
            /* Given up: let its writes finish before the fd goes. */
            wp_dio_wait(f->dio);
            f->dio->fd = -1;
        }
        close(f->fd);
    }
    free(f->path);
    free(f);
}

/* With a staging buffer only: the next bytes go straight into it.
 * Without one, no room: content() takes them. */
static int file_reserve(wp_link *link, unsigned char **ret_ptr, size_t *ret_room, wp_error *err)
{
    file_link *f = (file_link *)link;
    *ret_room = 0;
    if (!f->dio)
        return 0;
    int r = ensure_open(f, err);
    if (r < 0)
        return r;
    *ret_ptr = wp_dio_reserve(f->dio, ret_room);
    if (*ret_room == 0)
        return io_error(err, -f->dio->error, "write to", f->path);
    return 0;
}

static int file_commit(wp_link *link, size_t n, bool push, wp_error *err)
{
    file_link *f = (file_link *)link;
    if (!f->dio || f->fd < 0)
        return n == 0 ? 0 : wp_error_set(err, WP_E_STATE, "commit without a reservation");
    dio_mark m = dio_mark_now(f->dio);
    f->dirty = true;
    int r = wp_dio_commit(f->dio, n);
    if (r == 0 && push)
        r = wp_dio_push(f->dio);
    return dio_staged(f, m, r, err);
}

static const wp_link_ops file_ops = {.content = file_content,
                                     .sync = file_sync,
                                     .finalize = file_finalize,
                                     .free = file_free,
                                     .reserve = file_reserve,
                                     .commit = file_commit};

int wp_file_link_new(const wp_file_link_opts *opts, wp_io_stats *stats, wp_link **ret_link,
                     wp_error *err)
{
    file_link *f = calloc(1, sizeof(*f));
    char *path = strdup(opts->path);
    if (!f || !path) {
        free(f);
        free(path);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    f->base.ops = &file_ops;
    f->dirfd = opts->dirfd;
    f->fd = -1;
    f->path = path;
    f->offset = opts->offset;
    f->prealloc = opts->prealloc;
    f->truncate = opts->truncate;
    f->mode = opts->mode ? opts->mode : 0600;
    f->dio = opts->dio;
    f->stats = stats;
    *ret_link = &f->base;
    return 0;
}
