#include "walpull/stream_links.h"

#include "walpull/io.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OUT_SIZE ((size_t)256 << 10)

typedef struct gunzip_link {
    wp_link base;
    z_stream zs;
    unsigned char *out;
    const char *what;
    bool in_member; /* inside a member: its end not reached yet */
} gunzip_link;

static int gunzip_feed(gunzip_link *g, const unsigned char *p, size_t len, wp_error *err)
{
    g->zs.next_in = (unsigned char *)p;
    g->zs.avail_in = (uInt)len;
    bool full = false; /* the last call filled the output: more may be pending */
    while (g->zs.avail_in > 0 || full) {
        if (!g->in_member) {
            /* A new member starts (gzip files may hold several). */
            if (inflateReset(&g->zs) != Z_OK)
                return wp_error_set(err, WP_E_STATE, "could not restart decompression");
            g->in_member = true;
        }
        g->zs.next_out = g->out;
        g->zs.avail_out = OUT_SIZE;
        int zr = inflate(&g->zs, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
            return wp_error_set(err, WP_E_PROTO, "could not decompress %s: %s", g->what,
                                g->zs.msg ? g->zs.msg : "corrupt data");
        size_t have = OUT_SIZE - g->zs.avail_out;
        full = zr != Z_STREAM_END && g->zs.avail_out == 0;
        if (have) {
            struct iovec v = {.iov_base = g->out, .iov_len = have};
            int r = wp_link_content(g->base.next, &v, 1, err);
            if (r < 0)
                return r;
        }
        if (zr == Z_STREAM_END)
            g->in_member = false;
        else if (zr == Z_BUF_ERROR && have == 0)
            break; /* needs more input than this chunk has */
    }
    return 0;
}

static int gunzip_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    gunzip_link *g = (gunzip_link *)link;
    for (int i = 0; i < iovcnt; i++) {
        const unsigned char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0) {
            size_t n = left > (1u << 30) ? (1u << 30) : left;
            int r = gunzip_feed(g, p, n, err);
            if (r < 0)
                return r;
            p += n;
            left -= n;
        }
    }
    return 0;
}

static int gunzip_sync(wp_link *link, wp_error *err)
{
    return wp_link_sync(link->next, err);
}

static int gunzip_finalize(wp_link *link, wp_error *err)
{
    gunzip_link *g = (gunzip_link *)link;
    if (g->in_member)
        return wp_error_set(err, WP_E_PROTO, "%s ends inside a compressed member", g->what);
    return wp_link_finalize(link->next, err);
}

static void gunzip_free(wp_link *link)
{
    gunzip_link *g = (gunzip_link *)link;
    if (!g)
        return;
    inflateEnd(&g->zs);
    wp_link_free(link->next);
    free(g->out);
    free(g);
}

static const wp_link_ops gunzip_ops = {.content = gunzip_content,
                                       .sync = gunzip_sync,
                                       .finalize = gunzip_finalize,
                                       .free = gunzip_free};

int wp_gunzip_link_new(wp_link *next, const char *what, wp_link **ret_link, wp_error *err)
{
    gunzip_link *g = calloc(1, sizeof(*g));
    unsigned char *out = malloc(OUT_SIZE);
    /* 15 + 16: gzip headers and trailers only (not raw or zlib data). */
    if (!g || !out || inflateInit2(&g->zs, 15 + 16) != Z_OK) {
        free(g);
        free(out);
        wp_link_free(next);
        return wp_error_set(err, -ENOMEM, "could not start decompression");
    }
    g->base.ops = &gunzip_ops;
    g->base.next = next;
    g->out = out;
    g->what = what;
    *ret_link = &g->base;
    return 0;
}

typedef struct fd_link {
    wp_link base;
    int fd;
    const char *what;
} fd_link;

static int fd_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    fd_link *f = (fd_link *)link;
    for (int i = 0; i < iovcnt; i++)
        if (wp_write_all(f->fd, iov[i].iov_base, iov[i].iov_len) < 0)
            return wp_error_errno(err, errno, "could not write to %s", f->what);
    return 0;
}

static int fd_sync(wp_link *link, wp_error *err)
{
    fd_link *f = (fd_link *)link;
    struct stat st;
    /* Pipes and terminals have nothing to make durable. */
    if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(f->fd) < 0)
        return wp_error_errno(err, errno, "could not fsync %s", f->what);
    return 0;
}

static void fd_free(wp_link *link)
{
    free(link);
}

static const wp_link_ops fd_ops = {
    .content = fd_content, .sync = fd_sync, .finalize = fd_sync, .free = fd_free};

int wp_fd_link_new(int fd, const char *what, wp_link **ret_link, wp_error *err)
{
    fd_link *f = calloc(1, sizeof(*f));
    if (!f)
        return wp_error_set(err, -ENOMEM, "out of memory");
    f->base.ops = &fd_ops;
    f->fd = fd;
    f->what = what;
    *ret_link = &f->base;
    return 0;
}

static int null_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    (void)link;
    (void)iov;
    (void)iovcnt;
    (void)err;
    return 0;
}

static int null_sync(wp_link *link, wp_error *err)
{
    (void)link;
    (void)err;
    return 0;
}

static const wp_link_ops null_ops = {
    .content = null_content, .sync = null_sync, .finalize = null_sync, .free = fd_free};

int wp_null_link_new(wp_link **ret_link, wp_error *err)
{
    wp_link *l = calloc(1, sizeof(*l));
    if (!l)
        return wp_error_set(err, -ENOMEM, "out of memory");
    l->ops = &null_ops;
    *ret_link = l;
    return 0;
}
