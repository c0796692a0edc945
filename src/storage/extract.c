#include "walpull/extract.h"

#include "walpull/dio.h"
#include "walpull/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct extractor {
    wp_tar_sink base;
    wp_extract_opts opts;
    char *root;
    int rootfd;
    char cached[257]; /* parent directory of the last member */
    int cached_fd;    /* its fd (may be rootfd) */
    int fd;           /* file being written */
    uint64_t offset;  /* where its next byte goes */
    uint64_t size;    /* its size, as the header says */
    uint64_t alloc;   /* preallocated so far */
    bool staged;      /* written through dio */
    wp_dio dio;       /* allocated at the first big file */
    char path[257];
} extractor;

static void drop_cache(extractor *x)
{
    if (x->cached_fd >= 0 && x->cached_fd != x->rootfd)
        close(x->cached_fd);
    x->cached_fd = -1;
    x->cached[0] = '\0';
}

static int fs_error(extractor *x, int e, const char *what, const char *path, wp_error *err)
{
    return wp_error_errno(err, e, "could not %s \"%s/%s\"", what, x->root, path);
}

/* Open the parent directory of path without following any symlink,
 * creating missing directories; sets *ret_base to the last component. */
/* Open (creating it if missing) the directory comp below cur, never
 * through a symbolic link; cur is closed unless it is the root. */
static int open_component(extractor *x, int cur, const char *comp, const char *path, int *ret_fd,
                          wp_error *err)
{
    int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
        if (mkdirat(cur, comp, 0700) < 0 && errno != EEXIST) {
            int e = errno;
            if (cur != x->rootfd)
                close(cur);
            return fs_error(x, e, "create directory", path, err);
        }
        next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int e = errno;
    if (cur != x->rootfd)
        close(cur);
    if (next >= 0) {
        *ret_fd = next;
        return 0;
    }
    if (e == ELOOP || e == ENOTDIR)
        return wp_error_set(err, WP_E_STATE,
                            "backup member \"%s\" lies below a symbolic link or file; "
                            "refusing to follow it",
                            path);
    return fs_error(x, e, "open directory", path, err);
}

static int open_parent(extractor *x, const char *path, int *ret_fd, const char **ret_base,
                       wp_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t plen = slash ? (size_t)(slash - path) : 0;
    *ret_base = slash ? slash + 1 : path;
    if (x->cached_fd >= 0 && strlen(x->cached) == plen && strncmp(x->cached, path, plen) == 0) {
        *ret_fd = x->cached_fd;
        return 0;
    }
    drop_cache(x);
    int cur = x->rootfd;
    char comp[257];
    size_t i = 0;
    while (i < plen) {
        size_t j = i;
        while (j < plen && path[j] != '/')
            j++;
        if (j - i >= sizeof(comp))
            return wp_error_set(err, WP_E_STATE, "backup member \"%s\": a name is too long", path);
        memcpy(comp, path + i, j - i);
        comp[j - i] = '\0';
        int r = open_component(x, cur, comp, path, &cur, err);
        if (r < 0)
            return r;
        i = j + 1;
    }
    memcpy(x->cached, path, plen);
    x->cached[plen] = '\0';
    x->cached_fd = cur;
    *ret_fd = cur;
    return 0;
}

/* The mapped target of a pg_tblspc/<oid> symlink, or NULL. */
static const char *tblspc_target(const extractor *x, const char *path)
{
    if (strncmp(path, "pg_tblspc/", 10) != 0)
        return NULL;
    char *end;
    unsigned long oid = strtoul(path + 10, &end, 10);
    if (*end || end == path + 10)
        return NULL;
    for (size_t i = 0; i < x->opts.n_tblspc; i++)
        if (x->opts.tblspc[i].oid == oid)
            return x->opts.tblspc[i].target;
    return NULL;
}

/* Preallocation goes ahead of the data by PREALLOC_STEP at most: the size
 * in a member's header is the server's word, and a header that claims
 * gigabytes and then stops must not leave gigabytes on disk. */
#define PREALLOC_STEP ((uint64_t)64 << 20)

static int prealloc_more(extractor *x, uint64_t upto)
{
    if (x->size < x->opts.prealloc_min || x->size == 0 || x->alloc >= x->size ||
        upto + PREALLOC_STEP / 2 < x->alloc)
        return 0;
    uint64_t want = upto + PREALLOC_STEP < x->size ? upto + PREALLOC_STEP : x->size;
    if (fallocate(x->fd, 0, (off_t)x->alloc, (off_t)(want - x->alloc)) < 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS)
        return -errno;
    x->alloc = want;
    return 0;
}

static int begin_dir(extractor *x, int dirfd, const char *base, const wp_tar_member *m,
                     wp_error *err)
{
    if (mkdirat(dirfd, base, (m->mode & 0750) | 0700) == 0)
        return 0;
    int e = errno;
    struct stat st;
    if (e != EEXIST || fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        return fs_error(x, e, "create directory", m->path, err);
    return 0;
}

static int begin_file(extractor *x, int dirfd, const char *base, const wp_tar_member *m,
                      wp_error *err)
{
    /* The member held back goes under a temporary name. */
    char held[300];
    if (x->opts.hold_back && strcmp(m->path, x->opts.hold_back) == 0) {
        int n = snprintf(held, sizeof(held), "%s%s", base, WP_EXTRACT_HELD_SUFFIX);
        if (n < 0 || (size_t)n >= sizeof(held))
            return wp_error_set(err, WP_E_STATE, "name too long: \"%s\"", m->path);
        base = held;
    }
    x->fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   (m->mode & 0640) | 0600);
    if (x->fd < 0)
        return fs_error(x, errno, "create file", m->path, err);
    x->size = m->size;
    x->alloc = 0;
    int pr = prealloc_more(x, 0);
    if (pr < 0)
        return fs_error(x, -pr, "preallocate file", m->path, err);
    if (x->opts.stats)
        x->opts.stats->files++;
    x->offset = 0;
    x->staged = x->opts.direct_min && m->size >= x->opts.direct_min;
    if (!x->staged)
        return 0;
    if (!x->dio.slot[0].buf && wp_dio_init(&x->dio, WP_DIO_BUFSIZE) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int r = wp_dio_begin(&x->dio, x->fd, 0);
    return r < 0 ? fs_error(x, -r, "write file", m->path, err) : 0;
}

static int ex_begin(wp_tar_sink *sink, const wp_tar_member *m, wp_error *err)
{
    extractor *x = (extractor *)sink;
    if (m->type == WP_TAR_DIR && m->path[0] == '\0')
        return 0; /* the root exists already */
    if (!wp_tar_path_safe(m->path))
        return wp_error_set(err, WP_E_STATE,
                            "unsafe path \"%s\" in the backup: it would leave the target "
                            "directory",
                            m->path);
    int dirfd = -1;
    const char *base = NULL;
    int r = open_parent(x, m->path, &dirfd, &base, err);
    if (r < 0)
        return r;
    snprintf(x->path, sizeof(x->path), "%s", m->path);
    switch (m->type) {
    case WP_TAR_DIR:
        return begin_dir(x, dirfd, base, m, err);
    case WP_TAR_SYMLINK: {
        const char *target = tblspc_target(x, m->path);
        if (symlinkat(target ? target : m->linkname, dirfd, base) < 0)
            return fs_error(x, errno, "create symbolic link", m->path, err);
        return 0;
    }
    case WP_TAR_FILE:
        return begin_file(x, dirfd, base, m, err);
    }
    return wp_error_set(err, WP_E_UNSUPPORTED, "unsupported tar entry for \"%s\"", m->path);
}

static int ex_data(wp_tar_sink *sink, const struct iovec *iov, int iovcnt, wp_error *err)
{
    extractor *x = (extractor *)sink;
    uint64_t before = x->offset, calls = 0;
    int r = prealloc_more(x, x->offset);
    if (r < 0)
        return fs_error(x, -r, "preallocate file", x->path, err);
    if (x->staged) {
        uint64_t calls0 = x->dio.write_calls;
        r = wp_dio_stage(&x->dio, iov, iovcnt);
        calls = x->dio.write_calls - calls0;
        x->offset = x->dio.end;
        if (x->opts.stats)
            x->opts.stats->copied += x->offset - before;
    } else {
        r = wp_pwritev_all(x->fd, iov, iovcnt, &x->offset, &calls);
    }
    if (x->opts.stats) {
        x->opts.stats->write_calls += calls;
        x->opts.stats->bytes += x->offset - before;
    }
    return r < 0 ? fs_error(x, -r, "write file", x->path, err) : 0;
}

/* A staged file's buffer, lent to a producer that reads into it. */
static int ex_reserve(wp_tar_sink *sink, unsigned char **ret_ptr, size_t *ret_room, wp_error *err)
{
    extractor *x = (extractor *)sink;
    *ret_room = 0;
    if (x->fd < 0 || !x->staged)
        return 0;
    int r = prealloc_more(x, x->offset);
    if (r < 0)
        return fs_error(x, -r, "preallocate file", x->path, err);
    /* Room 0 after a failed write: content() then reports it. */
    *ret_ptr = wp_dio_reserve(&x->dio, ret_room);
    return 0;
}

static int ex_commit(wp_tar_sink *sink, size_t n, wp_error *err)
{
    extractor *x = (extractor *)sink;
    if (x->fd < 0 || !x->staged)
        return wp_error_set(err, WP_E_STATE, "commit without a reservation");
    uint64_t before = x->offset, calls0 = x->dio.write_calls;
    int r = wp_dio_commit(&x->dio, n);
    x->offset = x->dio.end;
    if (x->opts.stats) {
        x->opts.stats->write_calls += x->dio.write_calls - calls0;
        x->opts.stats->bytes += x->offset - before;
    }
    return r < 0 ? fs_error(x, -r, "write file", x->path, err) : 0;
}

static int ex_end(wp_tar_sink *sink, wp_error *err)
{
    extractor *x = (extractor *)sink;
    if (x->fd < 0)
        return 0;
    int r = 0;
    if (x->staged) {
        uint64_t calls0 = x->dio.write_calls;
        r = wp_dio_end(&x->dio);
        if (x->opts.stats)
            x->opts.stats->write_calls += x->dio.write_calls - calls0;
        x->staged = false;
    }
    int c = close(x->fd);
    x->fd = -1;
    if (r < 0)
        return fs_error(x, -r, "write file", x->path, err);
    return c < 0 ? fs_error(x, errno, "close file", x->path, err) : 0;
}

static int ex_finish(wp_tar_sink *sink, wp_error *err)
{
    extractor *x = (extractor *)sink;
    drop_cache(x);
    return ex_end(sink, err);
}

static void ex_free(wp_tar_sink *sink)
{
    extractor *x = (extractor *)sink;
    if (!x)
        return;
    if (x->fd >= 0) {
        if (x->staged)
            wp_dio_wait(&x->dio); /* before its fd goes */
        x->dio.fd = -1;
        close(x->fd);
    }
    wp_dio_release(&x->dio);
    drop_cache(x);
    if (x->rootfd >= 0)
        close(x->rootfd);
    free(x->root);
    free(x);
}

static const wp_tar_sink_ops extractor_ops = {.begin = ex_begin,
                                              .data = ex_data,
                                              .end = ex_end,
                                              .finish = ex_finish,
                                              .free = ex_free,
                                              .reserve = ex_reserve,
                                              .commit = ex_commit};

int wp_extractor_new(const wp_extract_opts *opts, wp_tar_sink **ret_sink, wp_error *err)
{
    extractor *x = calloc(1, sizeof(*x));
    char *root = strdup(opts->root);
    if (!x || !root) {
        free(x);
        free(root);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    x->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (x->rootfd < 0) {
        int e = errno;
        free(x);
        free(root);
        return wp_error_errno(err, e, "could not open directory \"%s\"", opts->root);
    }
    x->base.ops = &extractor_ops;
    x->opts = *opts;
    x->opts.root = root;
    x->root = root;
    x->cached_fd = -1;
    x->fd = -1;
    *ret_sink = &x->base;
    return 0;
}
