#include "walpull/verify_sink.h"

#include "walpull/walrec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct verify_sink {
    wp_walsink base;
    wp_walsink *inner; /* owned */
    uint64_t segsize;
    wp_walrec_decoder d;
    bool started; /* the decoder knows where it is */
    uint8_t page[WP_WAL_BLCKSZ];
    size_t have;       /* bytes of page gathered */
    uint64_t *records; /* borrowed, may be NULL */
} verify_sink;

static void mirror(verify_sink *v)
{
    v->base.written = v->inner->written;
    v->base.durable = v->inner->durable;
}

static int feed_page(verify_sink *v, const uint8_t *page, uint32_t tli, wp_error *err)
{
    wp_walrec_status st = wp_walrec_feed(&v->d, page, tli);
    if (v->records)
        *v->records = v->d.records;
    if (st == WP_WALREC_MORE)
        return 0;
    return wp_error_set(err, WP_E_PROTO,
                        "the server sent WAL that does not check out at " WP_LSN_FMT ": %s",
                        WP_LSN_ARGS(v->d.at), v->d.why);
}

/* Check the chunks page by page: whole pages straight from the chunk,
 * the pieces of a page split between chunks gathered first. */
static int check_chunks(verify_sink *v, uint32_t tli, const struct iovec *iov, int iovcnt,
                        wp_error *err)
{
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        while (len > 0) {
            int r = 0;
            if (v->have == 0 && len >= WP_WAL_BLCKSZ) {
                r = feed_page(v, p, tli, err);
                p += WP_WAL_BLCKSZ;
                len -= WP_WAL_BLCKSZ;
            } else {
                size_t take = WP_WAL_BLCKSZ - v->have < len ? WP_WAL_BLCKSZ - v->have : len;
                memcpy(v->page + v->have, p, take);
                v->have += take;
                p += take;
                len -= take;
                if (v->have == WP_WAL_BLCKSZ) {
                    v->have = 0;
                    r = feed_page(v, v->page, tli, err);
                }
            }
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int verify_write(wp_walsink *sink, uint32_t tli, wp_lsn start, const struct iovec *iov,
                        int iovcnt, wp_error *err)
{
    verify_sink *v = (verify_sink *)sink;
    if (!v->started || start != v->d.next + v->have) {
        /* A new start (the first write, a new timeline): it is a segment
         * start, whose first record may continue one from before. */
        if (start % WP_WAL_BLCKSZ != 0)
            return wp_error_set(err, WP_E_STATE,
                                "cannot check WAL from " WP_LSN_FMT ", which is not a page start",
                                WP_LSN_ARGS(start));
        uint64_t records = v->d.records;
        wp_walrec_init(&v->d, v->segsize, start);
        v->d.records = records;
        v->have = 0;
        v->started = true;
    }
    int r = check_chunks(v, tli, iov, iovcnt, err);
    if (r == 0)
        r = wp_walsink_write(v->inner, tli, start, iov, iovcnt, err);
    mirror(v);
    return r;
}

static int verify_flush(wp_walsink *sink, wp_error *err)
{
    verify_sink *v = (verify_sink *)sink;
    int r = wp_walsink_flush(v->inner, err);
    mirror(v);
    return r;
}

static int verify_end_timeline(wp_walsink *sink, uint32_t tli, wp_lsn end, uint32_t next_tli,
                               const char *history, size_t history_len, wp_error *err)
{
    verify_sink *v = (verify_sink *)sink;
    v->started = false; /* the new timeline restarts at a segment start */
    int r = wp_walsink_end_timeline(v->inner, tli, end, next_tli, history, history_len, err);
    mirror(v);
    return r;
}

static void verify_free(wp_walsink *sink)
{
    verify_sink *v = (verify_sink *)sink;
    wp_walsink_free(v->inner);
    free(v);
}

static const wp_walsink_ops verify_ops = {.write = verify_write,
                                          .flush = verify_flush,
                                          .end_timeline = verify_end_timeline,
                                          .free = verify_free};

int wp_verify_sink_new(wp_walsink *inner, uint64_t segsize, uint64_t *records,
                       wp_walsink **ret_sink, wp_error *err)
{
    verify_sink *v = calloc(1, sizeof(*v));
    if (!v) {
        wp_walsink_free(inner);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    v->base.ops = &verify_ops;
    v->inner = inner;
    v->segsize = segsize;
    v->records = records;
    mirror(v);
    *ret_sink = &v->base;
    return 0;
}
