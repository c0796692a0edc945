#include "walpull/tar_append.h"

#include "walpull/tar.h"
#include "walpull/tar_parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MARKER ((size_t)2 * WP_TAR_BLOCK)

/* The tar sink that keeps one member's content. */
typedef struct capture_sink {
    wp_tar_sink base;
    const char *name;
    bool in_it;
    wp_buf *out;
} capture_sink;

static int cap_begin(wp_tar_sink *sink, const wp_tar_member *m, wp_error *err)
{
    (void)err;
    capture_sink *c = (capture_sink *)sink;
    c->in_it = c->name && m->type == WP_TAR_FILE && strcmp(m->path, c->name) == 0;
    if (c->in_it)
        wp_buf_reset(c->out);
    return 0;
}

static int cap_data(wp_tar_sink *sink, const struct iovec *iov, int iovcnt, wp_error *err)
{
    capture_sink *c = (capture_sink *)sink;
    for (int i = 0; c->in_it && i < iovcnt; i++)
        wp_buf_append(c->out, iov[i].iov_base, iov[i].iov_len);
    return wp_buf_ok(c->out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

static int cap_end(wp_tar_sink *sink, wp_error *err)
{
    (void)err;
    ((capture_sink *)sink)->in_it = false;
    return 0;
}

static int cap_finish(wp_tar_sink *sink, wp_error *err)
{
    (void)sink;
    (void)err;
    return 0;
}

static void cap_free(wp_tar_sink *sink)
{
    free(sink);
}

static const wp_tar_sink_ops cap_ops = {
    .begin = cap_begin, .data = cap_data, .end = cap_end, .finish = cap_finish, .free = cap_free};

typedef struct append_link {
    wp_link base;
    wp_tar_append_opts opts;
    wp_link *parser; /* sees every byte, for the capture */
    wp_buf captured;
    uint8_t held[MARKER]; /* the last bytes, not yet forwarded */
    size_t held_len;
} append_link;

/* Forward bytes, keeping the last MARKER of them back when the stream ends
 * with a marker. */
static int pass(append_link *a, const uint8_t *p, size_t n, wp_error *err)
{
    if (!a->opts.has_end_marker) {
        struct iovec v = {.iov_base = (void *)p, .iov_len = n};
        return n ? wp_link_content(a->base.next, &v, 1, err) : 0;
    }
    /* What leaves the hold: the oldest held bytes first, then new ones. */
    size_t total = a->held_len + n;
    size_t out = total > MARKER ? total - MARKER : 0;
    size_t from_held = out < a->held_len ? out : a->held_len;
    struct iovec v[2] = {{.iov_base = a->held, .iov_len = from_held},
                         {.iov_base = (void *)p, .iov_len = out - from_held}};
    int r = out ? wp_link_content(a->base.next, v, 2, err) : 0;
    if (r < 0)
        return r;
    memmove(a->held, a->held + from_held, a->held_len - from_held);
    a->held_len -= from_held;
    memcpy(a->held + a->held_len, p + (out - from_held), n - (out - from_held));
    a->held_len += n - (out - from_held);
    return 0;
}

static int append_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    append_link *a = (append_link *)link;
    int r = wp_link_content(a->parser, iov, iovcnt, err);
    for (int i = 0; r == 0 && i < iovcnt; i++)
        r = pass(a, iov[i].iov_base, iov[i].iov_len, err);
    return r;
}

static int append_sync(wp_link *link, wp_error *err)
{
    return wp_link_sync(link->next, err);
}

static int append_finalize(wp_link *link, wp_error *err)
{
    append_link *a = (append_link *)link;
    int r = wp_link_finalize(a->parser, err);
    if (r < 0)
        return r;
    if (a->opts.has_end_marker) {
        bool zeros = a->held_len == MARKER;
        for (size_t i = 0; zeros && i < MARKER; i++)
            zeros = a->held[i] == 0;
        if (!zeros)
            return wp_error_set(err, WP_E_PROTO, "the archive does not end with its end blocks");
    }
    wp_buf out = {0};
    r = a->opts.append(a->opts.user, &a->captured, &out, err);
    static const uint8_t marker[MARKER];
    wp_buf_append(&out, (const char *)marker, sizeof(marker));
    if (r == 0 && wp_buf_ok(&out) < 0)
        r = wp_error_set(err, -ENOMEM, "out of memory");
    struct iovec v = {.iov_base = out.data, .iov_len = out.len};
    if (r == 0)
        r = wp_link_content(link->next, &v, 1, err);
    wp_buf_free(&out);
    return r == 0 ? wp_link_finalize(link->next, err) : r;
}

static void append_free(wp_link *link)
{
    append_link *a = (append_link *)link;
    if (!a)
        return;
    wp_link_free(a->parser);
    wp_link_free(link->next);
    wp_buf_free(&a->captured);
    free(a);
}

static const wp_link_ops append_ops = {.content = append_content,
                                       .sync = append_sync,
                                       .finalize = append_finalize,
                                       .free = append_free};

int wp_tar_append_link_new(wp_link *next, const wp_tar_append_opts *opts, wp_link **ret_link,
                           wp_error *err)
{
    append_link *a = calloc(1, sizeof(*a));
    capture_sink *c = calloc(1, sizeof(*c));
    if (!a || !c) {
        free(a);
        free(c);
        wp_link_free(next);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    a->base.ops = &append_ops;
    a->base.next = next;
    a->opts = *opts;
    c->base.ops = &cap_ops;
    c->name = opts->capture;
    c->out = &a->captured;
    int r = wp_tar_parser_new(&c->base, &a->parser, err);
    if (r < 0) {
        wp_link_free(next);
        free(a);
        return r;
    }
    *ret_link = &a->base;
    return 0;
}
