#include "walpull/gzip_link.h"

#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#define OUT_SIZE ((size_t)256 << 10)

typedef struct gzip_link {
    wp_link base;
    z_stream zs;
    unsigned char *out;
} gzip_link;

/* Run deflate over the current input with `flush` until it needs more
 * input (or, for Z_FINISH, the stream ends), passing output downstream. */
static int pump(gzip_link *g, int flush, wp_error *err)
{
    for (;;) {
        g->zs.next_out = g->out;
        g->zs.avail_out = OUT_SIZE;
        int zr = deflate(&g->zs, flush);
        if (zr == Z_STREAM_ERROR)
            return wp_error_set(err, WP_E_STATE, "gzip compression failed: %s",
                                g->zs.msg ? g->zs.msg : "stream error");
        size_t have = OUT_SIZE - g->zs.avail_out;
        if (have) {
            struct iovec v = {.iov_base = g->out, .iov_len = have};
            int r = wp_link_content(g->base.next, &v, 1, err);
            if (r < 0)
                return r;
        }
        if (flush == Z_FINISH ? zr == Z_STREAM_END : (g->zs.avail_out != 0))
            return 0;
    }
}

static int gzip_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    gzip_link *g = (gzip_link *)link;
    for (int i = 0; i < iovcnt; i++) {
        const unsigned char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0) {
            /* avail_in is 32-bit: feed huge chunks in parts. */
            uInt n = left > (1u << 30) ? (1u << 30) : (uInt)left;
            g->zs.next_in = (unsigned char *)p;
            g->zs.avail_in = n;
            int r = pump(g, Z_NO_FLUSH, err);
            if (r < 0)
                return r;
            p += n;
            left -= n;
        }
    }
    return 0;
}

static int gzip_sync(wp_link *link, wp_error *err)
{
    gzip_link *g = (gzip_link *)link;
    g->zs.next_in = NULL;
    g->zs.avail_in = 0;
    int r = pump(g, Z_SYNC_FLUSH, err);
    return r < 0 ? r : wp_link_sync(link->next, err);
}

static int gzip_finalize(wp_link *link, wp_error *err)
{
    gzip_link *g = (gzip_link *)link;
    g->zs.next_in = NULL;
    g->zs.avail_in = 0;
    int r = pump(g, Z_FINISH, err);
    return r < 0 ? r : wp_link_finalize(link->next, err);
}

static void gzip_free(wp_link *link)
{
    gzip_link *g = (gzip_link *)link;
    if (!g)
        return;
    deflateEnd(&g->zs);
    wp_link_free(link->next);
    free(g->out);
    free(g);
}

static const wp_link_ops gzip_ops = {
    .content = gzip_content, .sync = gzip_sync, .finalize = gzip_finalize, .free = gzip_free};

int wp_gzip_link_new(wp_link *next, int level, wp_link **ret_link, wp_error *err)
{
    gzip_link *g = calloc(1, sizeof(*g));
    unsigned char *out = malloc(OUT_SIZE);
    if (!g || !out) {
        free(g);
        free(out);
        wp_link_free(next);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    /* 15 + 16: the largest window, with a gzip header and trailer. */
    if (deflateInit2(&g->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(g);
        free(out);
        wp_link_free(next);
        return wp_error_set(err, WP_E_STATE, "could not start gzip compression");
    }
    g->base.ops = &gzip_ops;
    g->base.next = next;
    g->out = out;
    *ret_link = &g->base;
    return 0;
}
