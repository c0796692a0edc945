#include "walpull/tar_parser.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum state {
    IN_HEADER,  /* gathering a header block */
    IN_DATA,    /* passing member data through */
    IN_PADDING, /* skipping padding after data */
    AT_END,     /* after the zero block: ignore the rest */
} state;

typedef struct tar_parser {
    wp_link base;
    wp_tar_sink *sink;
    state st;
    uint8_t hdr[WP_TAR_BLOCK];
    size_t hdr_have;
    uint64_t left;    /* data or padding bytes left */
    uint64_t padding; /* padding after the current data */
} tar_parser;

static int begin_member(tar_parser *p, wp_error *err)
{
    if (wp_tar_block_is_zero(p->hdr)) {
        p->st = AT_END;
        return 0;
    }
    wp_tar_member m;
    int r = wp_tar_header_parse(p->hdr, &m);
    if (r == WP_E_UNSUPPORTED)
        return wp_error_set(err, r, "unsupported tar entry type '%c' for \"%s\" in the backup",
                            (char)m.type, m.path);
    if (r < 0)
        return wp_error_set(err, r, "invalid tar header in the backup stream");
    r = wp_tar_sink_begin(p->sink, &m, err);
    if (r < 0)
        return r;
    p->left = m.size;
    p->padding = wp_tar_padding(m.size);
    p->st = IN_DATA;
    if (p->left == 0) {
        r = wp_tar_sink_end(p->sink, err);
        p->left = p->padding;
        p->st = p->left ? IN_PADDING : IN_HEADER;
    }
    return r;
}

/* n bytes of the current member's data went to the sink. */
static int data_taken(tar_parser *p, size_t n, wp_error *err)
{
    p->left -= n;
    if (p->left > 0)
        return 0;
    p->left = p->padding;
    p->st = p->left ? IN_PADDING : IN_HEADER;
    return wp_tar_sink_end(p->sink, err);
}

/* Take as much of data as the current state wants: *ret_used bytes. */
static int step(tar_parser *p, const uint8_t *data, size_t len, size_t *ret_used, wp_error *err)
{
    size_t take = len;
    int r = 0;
    switch (p->st) {
    case IN_HEADER:
        if (take > WP_TAR_BLOCK - p->hdr_have)
            take = WP_TAR_BLOCK - p->hdr_have;
        memcpy(p->hdr + p->hdr_have, data, take);
        p->hdr_have += take;
        if (p->hdr_have == WP_TAR_BLOCK) {
            p->hdr_have = 0;
            r = begin_member(p, err);
        }
        break;
    case IN_DATA: {
        if (take > p->left)
            take = (size_t)p->left;
        struct iovec v = {.iov_base = (void *)data, .iov_len = take};
        r = wp_tar_sink_data(p->sink, &v, 1, err);
        if (r == 0)
            r = data_taken(p, take, err);
        break;
    }
    case IN_PADDING:
        if (take > p->left)
            take = (size_t)p->left;
        p->left -= take;
        if (p->left == 0)
            p->st = IN_HEADER;
        break;
    case AT_END:
        break; /* whatever follows the end marker is ignored */
    }
    *ret_used = take;
    return r;
}

static int parser_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    tar_parser *p = (tar_parser *)link;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *data = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        while (len > 0) {
            size_t used;
            int r = step(p, data, len, &used, err);
            if (r < 0)
                return r;
            data += used;
            len -= used;
        }
    }
    return 0;
}

static int parser_sync(wp_link *link, wp_error *err)
{
    (void)link;
    (void)err;
    return 0;
}

static int parser_finalize(wp_link *link, wp_error *err)
{
    tar_parser *p = (tar_parser *)link;
    if (p->st == IN_DATA || (p->st == IN_HEADER && p->hdr_have > 0))
        return wp_error_set(err, WP_E_TRUNCATED, "the backup's tar stream ends inside a member");
    return wp_tar_sink_finish(p->sink, err);
}

static void parser_free(wp_link *link)
{
    tar_parser *p = (tar_parser *)link;
    if (!p)
        return;
    wp_tar_sink_free(p->sink);
    free(p);
}

static int parser_reserve(wp_link *link, unsigned char **ret_ptr, size_t *ret_room, wp_error *err)
{
    tar_parser *p = (tar_parser *)link;
    *ret_ptr = NULL;
    *ret_room = 0;
    if (p->st != IN_DATA || !p->sink->ops->reserve)
        return 0;
    int r = p->sink->ops->reserve(p->sink, ret_ptr, ret_room, err);
    if (r == 0 && *ret_room > p->left)
        *ret_room = (size_t)p->left; /* never past the member's end */
    return r;
}

static int parser_commit(wp_link *link, size_t n, bool push, wp_error *err)
{
    (void)push; /* the sink hands a file to the kernel as it ends */
    tar_parser *p = (tar_parser *)link;
    if (n == 0)
        return 0;
    if (p->st != IN_DATA || n > p->left || !p->sink->ops->commit)
        return wp_error_set(err, WP_E_STATE, "commit without a reservation");
    int r = p->sink->ops->commit(p->sink, n, err);
    return r < 0 ? r : data_taken(p, n, err);
}

static const wp_link_ops parser_ops = {.content = parser_content,
                                       .sync = parser_sync,
                                       .finalize = parser_finalize,
                                       .free = parser_free,
                                       .reserve = parser_reserve,
                                       .commit = parser_commit};

int wp_tar_parser_new(wp_tar_sink *sink, wp_link **ret_link, wp_error *err)
{
    tar_parser *p = calloc(1, sizeof(*p));
    if (!p) {
        wp_tar_sink_free(sink);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    p->base.ops = &parser_ops;
    p->sink = sink;
    p->st = IN_HEADER;
    *ret_link = &p->base;
    return 0;
}
