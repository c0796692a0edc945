/* A link that parses a tar byte stream and drives a wp_tar_sink member by
 * member. Data of a member is passed on as borrowed slices of the chunks
 * that came in (no copy); only header blocks split across chunks are
 * gathered in a 512-byte buffer. The archive may end with the two zero
 * blocks or simply stop at a member boundary (servers 13 and 14 may omit
 * the end marker); ending inside a member is an error.
 *
 * The parser lends its sink's staging memory (link.h's reserve and
 * commit) while it is inside a member's data and the sink stages that
 * member: the producer then reads the member's bytes straight into the
 * file's buffer. Anywhere else the room lent is 0, and the producer
 * hands bytes over with content() as usual. */
#ifndef WALPULL_TAR_PARSER_H
#define WALPULL_TAR_PARSER_H

#include "walpull/link.h"
#include "walpull/tar.h"

#include <assert.h>

typedef struct wp_tar_sink wp_tar_sink;

typedef struct wp_tar_sink_ops {
    int (*begin)(wp_tar_sink *sink, const wp_tar_member *member, wp_error *err);
    /* Data of the current file member; chunks borrowed for the call. */
    int (*data)(wp_tar_sink *sink, const struct iovec *iov, int iovcnt, wp_error *err);
    int (*end)(wp_tar_sink *sink, wp_error *err);
    /* The archive is complete. */
    int (*finish)(wp_tar_sink *sink, wp_error *err);
    void (*free)(wp_tar_sink *sink);
    /* Optional: the current file member's staging memory, lent as link.h
     * describes (*ret_room 0: not now), and the bytes put there. */
    int (*reserve)(wp_tar_sink *sink, unsigned char **ret_ptr, size_t *ret_room, wp_error *err);
    int (*commit)(wp_tar_sink *sink, size_t n, wp_error *err);
} wp_tar_sink_ops;

struct wp_tar_sink {
    const wp_tar_sink_ops *ops;
};

/* Callers go through these wrappers, never through ops directly. */
static inline int wp_tar_sink_begin(wp_tar_sink *sink, const wp_tar_member *member, wp_error *err)
{
    assert(sink && sink->ops->begin && member);
    return sink->ops->begin(sink, member, err);
}

static inline int wp_tar_sink_data(wp_tar_sink *sink, const struct iovec *iov, int iovcnt,
                                   wp_error *err)
{
    assert(sink && sink->ops->data && iovcnt >= 0);
    return sink->ops->data(sink, iov, iovcnt, err);
}

static inline int wp_tar_sink_end(wp_tar_sink *sink, wp_error *err)
{
    assert(sink && sink->ops->end);
    return sink->ops->end(sink, err);
}

static inline int wp_tar_sink_finish(wp_tar_sink *sink, wp_error *err)
{
    assert(sink && sink->ops->finish);
    return sink->ops->finish(sink, err);
}

static inline void wp_tar_sink_free(wp_tar_sink *sink)
{
    if (sink && sink->ops->free)
        sink->ops->free(sink);
}

/* The parser owns sink (frees it, also when this call fails). */
int wp_tar_parser_new(wp_tar_sink *sink, wp_link **ret_link, wp_error *err);

#endif
