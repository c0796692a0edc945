/* A WAL sink in front of another that checks every page header and record
 * (walrec.h) as the WAL arrives, before passing it on: WAL that does not
 * check out is refused (WP_E_PROTO) and never reaches the sink behind. */
#ifndef WALPULL_VERIFY_SINK_H
#define WALPULL_VERIFY_SINK_H

#include "walpull/walsink.h"

/* Takes ownership of inner (freed also when this fails). *records, when
 * not NULL, is kept at the count of records checked. Writes must begin at
 * a segment start, as the receive loop's do. */
int wp_verify_sink_new(wp_walsink *inner, uint64_t segsize, uint64_t *records,
                       wp_walsink **ret_sink, wp_error *err);

#endif
