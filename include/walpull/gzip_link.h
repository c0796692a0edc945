/* A link that gzip-compresses its content (zlib, gzip format) and passes
 * the compressed bytes to the next link. sync() flushes the deflate stream
 * to a byte boundary (Z_SYNC_FLUSH) before syncing the next link, so what
 * is durable decompresses to a prefix of the input. finalize() writes the
 * gzip trailer. */
#ifndef WALPULL_GZIP_LINK_H
#define WALPULL_GZIP_LINK_H

#include "walpull/link.h"

/* level 1..9; next is owned by the new link (freed on failure too). */
int wp_gzip_link_new(wp_link *next, int level, wp_link **ret_link, wp_error *err);

#endif
