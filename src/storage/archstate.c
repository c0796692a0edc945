#include "walpull/archstate.h"

#include "walpull/fsutil.h"
#include "walpull/io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int wp_archstate_format(const wp_archstate *st, wp_buf *out)
{
    wp_buf_printf(out,
                  "pid=%ld\ntimeline=%u\nwritten_lsn=" WP_LSN_FMT "\ndurable_lsn=" WP_LSN_FMT
                  "\nserver_end_lsn=" WP_LSN_FMT "\nupdated=%" PRId64 "\nprogressed=%" PRId64 "\n",
                  st->pid, (unsigned)st->tli, WP_LSN_ARGS(st->written), WP_LSN_ARGS(st->durable),
                  WP_LSN_ARGS(st->server_end), st->updated, st->progressed);
    return wp_buf_ok(out);
}

static int parse_i64(const char *v, int64_t *ret)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || (*end && *end != '\n'))
        return WP_E_PROTO;
    *ret = x;
    return 0;
}

/* One "key=value" line into the state; *seen gets a bit per known key. */
static int parse_line(const char *key, size_t klen, const char *v, wp_archstate *st, unsigned *seen)
{
    static const char *const keys[] = {
        "pid", "timeline", "written_lsn", "durable_lsn", "server_end_lsn", "updated", "progressed"};
    for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i]) != klen || strncmp(key, keys[i], klen) != 0)
            continue;
        char val[64];
        size_t vlen = strcspn(v, "\n");
        if (vlen >= sizeof(val))
            return WP_E_PROTO;
        memcpy(val, v, vlen);
        val[vlen] = '\0';
        int64_t n = 0;
        wp_lsn *lsns[] = {NULL, NULL, &st->written, &st->durable, &st->server_end};
        int r = i >= 2 && i <= 4 ? wp_lsn_parse(val, lsns[i]) : parse_i64(val, &n);
        if (r < 0)
            return WP_E_PROTO;
        if (i == 0)
            st->pid = (long)n;
        else if (i == 1)
            st->tli = (uint32_t)n;
        else if (i == 5)
            st->updated = n;
        else if (i == 6)
            st->progressed = n;
        *seen |= 1u << i;
        return 0;
    }
    return 0;
}

int wp_archstate_parse(const char *text, wp_archstate *ret_state)
{
    wp_archstate st = {0};
    unsigned seen = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        const char *eq = memchr(p, '=', eol ? (size_t)(eol - p) : strlen(p));
        if (eq && parse_line(p, (size_t)(eq - p), eq + 1, &st, &seen) < 0)
            return WP_E_PROTO;
        if (!eol)
            break;
        p = eol + 1;
    }
    if (seen != 0x7F)
        return WP_E_PROTO;
    *ret_state = st;
    return 0;
}

static int dir_path(const char *dir, const char *name, wp_buf *out, wp_error *err)
{
    wp_buf_printf(out, "%s/%s", dir, name);
    return wp_buf_ok(out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

int wp_archstate_write(const char *dir, const wp_archstate *st, wp_error *err)
{
    wp_buf text = {0}, path = {0};
    int r = wp_archstate_format(st, &text) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
    if (r == 0)
        r = dir_path(dir, WP_ARCHSTATE_FILE, &path, err);
    if (r == 0)
        r = wp_file_replace(path.data, text.data, text.len, err);
    wp_buf_free(&text);
    wp_buf_free(&path);
    return r;
}

/* A small file's text (at most 4 kB), or 1 when it does not exist. */
static int read_small(const char *dir, const char *name, char *buf, size_t size, wp_error *err)
{
    buf[0] = '\0';
    wp_buf path = {0};
    int r = dir_path(dir, name, &path, err);
    if (r < 0)
        return r;
    int fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        r = errno == ENOENT ? 1 : wp_error_errno(err, errno, "could not open \"%s\"", path.data);
        wp_buf_free(&path);
        return r;
    }
    ssize_t n = read(fd, buf, size - 1);
    if (n < 0)
        r = wp_error_errno(err, errno, "could not read \"%s\"", path.data);
    close(fd);
    wp_buf_free(&path);
    buf[n > 0 ? n : 0] = '\0';
    return r;
}

int wp_archstate_read(const char *dir, wp_archstate *ret_state, wp_error *err)
{
    char text[4096];
    int r = read_small(dir, WP_ARCHSTATE_FILE, text, sizeof(text), err);
    if (r != 0)
        return r;
    if (wp_archstate_parse(text, ret_state) < 0)
        return wp_error_set(err, WP_E_STATE, "\"%s/%s\" is not a valid state file", dir,
                            WP_ARCHSTATE_FILE);
    return 0;
}

int wp_archlock_acquire(const char *dir, int *ret_fd, wp_error *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int e = errno;
        int r = wp_error_errno(err, e, "could not open directory \"%s\"", dir);
        if (e == ENOENT)
            wp_error_hint(err, "Create the directory first, or name an existing one with -D.");
        return r;
    }
    int fd = openat(dfd, WP_ARCHSTATE_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    int e = errno;
    close(dfd);
    if (fd < 0)
        return e == EACCES || e == EROFS
                   ? wp_error_errno(err, e, "directory \"%s\" is not writable", dir)
                   : wp_error_errno(err, e, "could not open \"%s/%s\"", dir, WP_ARCHSTATE_LOCK);
    /* An open file description lock: held as long as this descriptor, and
     * testable by others without taking it (F_OFD_GETLK). */
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_OFD_SETLK, &lk) < 0) {
        e = errno;
        close(fd);
        if (e != EAGAIN && e != EACCES)
            return wp_error_errno(err, e, "could not lock \"%s/%s\"", dir, WP_ARCHSTATE_LOCK);
        int r = wp_error_set(err, WP_E_STATE,
                             "archive directory \"%s\" is in use by another walpull archive "
                             "(pid %ld)",
                             dir, wp_archlock_holder(dir));
        wp_error_hint(err, "One archiver per directory: stop that one, or use another "
                           "directory.");
        return r;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        e = errno;
        close(fd);
        return wp_error_errno(err, e, "could not write \"%s/%s\"", dir, WP_ARCHSTATE_LOCK);
    }
    *ret_fd = fd;
    return 0;
}

long wp_archlock_holder(const char *dir)
{
    wp_buf path = {0};
    wp_error ignored;
    if (dir_path(dir, WP_ARCHSTATE_LOCK, &path, &ignored) < 0)
        return 0;
    int fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    wp_buf_free(&path);
    if (fd < 0)
        return 0;
    long pid = 0;
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_OFD_GETLK, &lk) == 0 && lk.l_type != F_UNLCK) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        pid = strtol(buf, NULL, 10);
        if (pid <= 0)
            pid = -1; /* held, by a pid not yet written */
    }
    close(fd);
    return pid;
}
