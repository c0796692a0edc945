/* Where received WAL goes: the receive loop (walrecv.h) hands every batch
 * to a wp_walsink and asks it to make data durable. Implementations: the
 * segment archive (walarchive.h) and a counting null sink for benchmarks.
 *
 * Positions: `written` is the end of what was handed to the kernel,
 * `durable` the end of what is on disk (never beyond `written`). The sink
 * updates both; the loop reports them to the server as write and flush. */
#ifndef WALPULL_WALSINK_H
#define WALPULL_WALSINK_H

#include "walpull/error.h"
#include "walpull/lsn.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct wp_walsink wp_walsink;

typedef struct wp_walsink_ops {
    /* WAL of timeline tli starting at start; the chunks are borrowed for
     * the call, contiguous, with arbitrary boundaries. */
    int (*write)(wp_walsink *sink, uint32_t tli, wp_lsn start, const struct iovec *iov, int iovcnt,
                 wp_error *err);
    /* Make everything written durable; afterwards durable == written. */
    int (*flush)(wp_walsink *sink, wp_error *err);
    /* Timeline tli ended at `end`; next_tli continues from there. history
     * is next_tli's history file (borrowed). Leaves the unfinished segment
     * of tli durable and closed. */
    int (*end_timeline)(wp_walsink *sink, uint32_t tli, wp_lsn end, uint32_t next_tli,
                        const char *history, size_t history_len, wp_error *err);
    /* Close without losing what is durable; frees the sink. NULL: no-op. */
    void (*free)(wp_walsink *sink);
    /* Optional (NULL: write() only), for a receive loop that reads WAL
     * straight into the sink's own staging memory: whether the sink can
     * lend it at all (decided before streaming starts); where WAL of tli
     * at lsn goes (*ret_room bytes fit there, never past a segment's end);
     * and the bytes put there taken, `push` handing everything taken so
     * far to the kernel (`written` then counts it). */
    bool (*can_reserve)(const wp_walsink *sink);
    int (*reserve)(wp_walsink *sink, uint32_t tli, wp_lsn lsn, unsigned char **ret_ptr,
                   size_t *ret_room, wp_error *err);
    int (*commit)(wp_walsink *sink, size_t n, bool push, wp_error *err);
} wp_walsink_ops;

struct wp_walsink {
    const wp_walsink_ops *ops;
    wp_lsn written;
    wp_lsn durable;
};

/* Callers go through these wrappers, never through ops directly. */
static inline int wp_walsink_write(wp_walsink *sink, uint32_t tli, wp_lsn start,
                                   const struct iovec *iov, int iovcnt, wp_error *err)
{
    assert(sink && sink->ops->write && iovcnt > 0 && tli > 0);
    return sink->ops->write(sink, tli, start, iov, iovcnt, err);
}

static inline int wp_walsink_flush(wp_walsink *sink, wp_error *err)
{
    assert(sink && sink->ops->flush);
    int r = sink->ops->flush(sink, err);
    assert(r < 0 || sink->durable == sink->written);
    return r;
}

static inline int wp_walsink_end_timeline(wp_walsink *sink, uint32_t tli, wp_lsn end,
                                          uint32_t next_tli, const char *history,
                                          size_t history_len, wp_error *err)
{
    assert(sink && sink->ops->end_timeline && next_tli > tli);
    return sink->ops->end_timeline(sink, tli, end, next_tli, history, history_len, err);
}

static inline bool wp_walsink_can_reserve(const wp_walsink *sink)
{
    return sink && sink->ops->can_reserve && sink->ops->can_reserve(sink);
}

static inline int wp_walsink_reserve(wp_walsink *sink, uint32_t tli, wp_lsn lsn,
                                     unsigned char **ret_ptr, size_t *ret_room, wp_error *err)
{
    assert(wp_walsink_can_reserve(sink) && tli > 0);
    return sink->ops->reserve(sink, tli, lsn, ret_ptr, ret_room, err);
}

static inline int wp_walsink_commit(wp_walsink *sink, size_t n, bool push, wp_error *err)
{
    assert(wp_walsink_can_reserve(sink));
    return sink->ops->commit(sink, n, push, err);
}

static inline void wp_walsink_free(wp_walsink *sink)
{
    if (sink && sink->ops->free)
        sink->ops->free(sink);
}

/* A sink that counts bytes and keeps nothing (durable == written). */
int wp_walsink_null_new(wp_walsink **ret_sink, wp_error *err);

#endif
