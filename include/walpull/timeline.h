/* Timeline history files: "parentTLI <tab> switchLSN <tab> reason" lines,
 * with blank and '#' comment lines allowed. Pure parsing, no allocation:
 * the caller provides the entry array. */
#ifndef WALPULL_TIMELINE_H
#define WALPULL_TIMELINE_H

#include "walpull/lsn.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wp_tli_entry {
    uint32_t tli;
    wp_lsn begin; /* first LSN on this timeline (0 for the first) */
    wp_lsn end;   /* switch point, WP_LSN_INVALID for the newest */
} wp_tli_entry;

/* Parse the history file of timeline `tli` (text of length len). Fills
 * entries oldest first, ending with tli itself (open-ended), and sets
 * *ret_n. Timelines must increase and switch points must not go backwards.
 * Returns WP_E_RANGE when cap is too small, WP_E_PROTO on a malformed line. */
int wp_timeline_history_parse(const char *text, size_t len, uint32_t tli, wp_tli_entry *entries,
                              size_t cap, size_t *ret_n);

/* A history file for timeline tli as the server sends it, checked before
 * it is used or archived: it parses (timelines increasing, switch points
 * not going back), names at least one parent, and, when parent is not 0,
 * its last step is from parent at switch_point. WP_E_PROTO otherwise, with
 * *ret_why saying what is wrong (a static string). entries is scratch of
 * cap elements (wp_timeline_history_cap). */
int wp_timeline_history_check(const char *text, size_t len, uint32_t tli, uint32_t parent,
                              wp_lsn switch_point, wp_tli_entry *entries, size_t cap,
                              const char **ret_why);

/* How many entries a history file of len bytes can parse into at most:
 * the size of the array to give wp_timeline_history_parse or _check. */
size_t wp_timeline_history_cap(const char *text, size_t len);

/* The timeline that `lsn` belongs to in a parsed history (0 when none). */
uint32_t wp_timeline_of_lsn(const wp_tli_entry *entries, size_t n, wp_lsn lsn);

#endif
