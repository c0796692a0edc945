/* Timeline history files of an archive, read and checked: the parsed
 * entries (allocated to fit, whatever the number of timelines). */
#ifndef WALPULL_WALHIST_H
#define WALPULL_WALHIST_H

#include "walpull/error.h"
#include "walpull/timeline.h"
#include "walpull/walfiles.h"

/* The largest history file read: a history has a line per earlier
 * timeline, so this is thousands of timelines. */
#define WP_WALHIST_MAX ((size_t)1 << 20)

typedef struct wp_walhist {
    uint32_t tli;
    wp_tli_entry *e; /* oldest first, ending with tli itself (open-ended) */
    size_t n;        /* at least 2: a history always names a parent */
    char *text;      /* the file's bytes, NUL-terminated */
    size_t len;
} wp_walhist;

/* Read f (a history file of the archive in dir) and parse it. A file that
 * is larger than WP_WALHIST_MAX, does not parse, or names no parent is
 * WP_E_STATE. */
int wp_walhist_load(const char *dir, const wp_walfile *f, wp_walhist *ret_hist, wp_error *err);

void wp_walhist_free(wp_walhist *h);

/* Where timeline tli continued from its parent: the switch point out of
 * `from` in h (a history of a later timeline), or 0 when h has none. */
wp_lsn wp_walhist_switch_from(const wp_walhist *h, uint32_t from);

#endif
