/* One interface for every byte flow: a chain of links, built from the sink
 * backwards (each constructor takes the next link), e.g.
 * gzip -> file, or tar parser -> extractor.
 *
 * Chunk contract: content() receives chunks as an iovec array, borrowed for
 * the call only; chunk boundaries are arbitrary (a chunk may be one byte or
 * many megabytes, and may split any record), so a link must not assume
 * alignment. An empty call (iovcnt 0) is allowed and does nothing.
 *
 * sync() makes everything accepted so far durable (for a file: on disk).
 * finalize() says no more content comes: the link writes any trailer,
 * makes everything durable, and releases its resources except memory;
 * after it only free() may be called. free() releases the link and every
 * link after it; free(NULL) is a no-op. A link owns its next link.
 *
 * A sink that stages bytes in memory of its own may also lend it out, so a
 * producer can put bytes there itself (a socket read) instead of handing
 * over a copy: reserve() says where the next bytes go and how many fit,
 * commit() takes the bytes put there, and with `push` hands everything
 * taken so far to the kernel, as content() does before it returns. A
 * reserve() that lends no room (0) says "not now": the next bytes go by
 * content(). Links without them (NULL) take content() only. */
#ifndef WALPULL_LINK_H
#define WALPULL_LINK_H

#include "walpull/error.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

typedef struct wp_link wp_link;

typedef struct wp_link_ops {
    int (*content)(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err);
    int (*sync)(wp_link *link, wp_error *err);
    int (*finalize)(wp_link *link, wp_error *err);
    void (*free)(wp_link *link);
    int (*reserve)(wp_link *link, unsigned char **ret_ptr, size_t *ret_room, wp_error *err);
    int (*commit)(wp_link *link, size_t n, bool push, wp_error *err);
} wp_link_ops;

struct wp_link {
    const wp_link_ops *ops;
    wp_link *next; /* owned; NULL for a sink */
};

/* Callers go through these wrappers, never through ops directly. */
static inline int wp_link_content(wp_link *link, const struct iovec *iov, int iovcnt, wp_error *err)
{
    assert(link && link->ops->content && iovcnt >= 0);
    return iovcnt > 0 ? link->ops->content(link, iov, iovcnt, err) : 0;
}

static inline int wp_link_sync(wp_link *link, wp_error *err)
{
    assert(link && link->ops->sync);
    return link->ops->sync(link, err);
}

static inline int wp_link_finalize(wp_link *link, wp_error *err)
{
    assert(link && link->ops->finalize);
    return link->ops->finalize(link, err);
}

/* Does the link lend its staging memory (reserve and commit)? */
static inline bool wp_link_can_reserve(const wp_link *link)
{
    return link && link->ops->reserve && link->ops->commit;
}

static inline int wp_link_reserve(wp_link *link, unsigned char **ret_ptr, size_t *ret_room,
                                  wp_error *err)
{
    assert(wp_link_can_reserve(link));
    return link->ops->reserve(link, ret_ptr, ret_room, err);
}

static inline int wp_link_commit(wp_link *link, size_t n, bool push, wp_error *err)
{
    assert(wp_link_can_reserve(link));
    return link->ops->commit(link, n, push, err);
}

static inline void wp_link_free(wp_link *link)
{
    if (link)
        link->ops->free(link);
}

#endif
