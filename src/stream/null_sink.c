#include "walpull/iov.h"
#include "walpull/walsink.h"

#include <errno.h>
#include <stdlib.h>

static int null_write(wp_walsink *sink, uint32_t tli, wp_lsn start, const struct iovec *iov,
                      int iovcnt, wp_error *err)
{
    (void)tli;
    (void)err;
    sink->written = start + wp_iov_total(iov, iovcnt);
    sink->durable = sink->written;
    return 0;
}

static int null_flush(wp_walsink *sink, wp_error *err)
{
    (void)err;
    sink->durable = sink->written;
    return 0;
}

static int null_end_timeline(wp_walsink *sink, uint32_t tli, wp_lsn end, uint32_t next_tli,
                             const char *history, size_t history_len, wp_error *err)
{
    (void)sink, (void)tli, (void)end, (void)next_tli, (void)history, (void)history_len, (void)err;
    return 0;
}

static void null_free(wp_walsink *sink)
{
    free(sink);
}

static const wp_walsink_ops null_ops = {
    .write = null_write, .flush = null_flush, .end_timeline = null_end_timeline, .free = null_free};

int wp_walsink_null_new(wp_walsink **ret_sink, wp_error *err)
{
    wp_walsink *s = calloc(1, sizeof(*s));
    if (!s)
        return wp_error_set(err, -ENOMEM, "out of memory");
    s->ops = &null_ops;
    *ret_sink = s;
    return 0;
}
