/* The names of the files a WAL archive holds: segments in four forms
 * ("<24 hex>", "<24 hex>.gz", "<24 hex>.partial", "<24 hex>.gz.partial")
 * and timeline history files ("<8 hex>.history", "<8 hex>.history.gz").
 * Pure. */
#ifndef WALPULL_WALNAME_H
#define WALPULL_WALNAME_H

#include <stdbool.h>
#include <stdint.h>

typedef enum wp_walname_kind {
    WP_WALNAME_OTHER, /* not a WAL archive file */
    WP_WALNAME_SEGMENT,
    WP_WALNAME_HISTORY,
} wp_walname_kind;

typedef struct wp_walname {
    wp_walname_kind kind;
    uint32_t tli;
    uint32_t log; /* the segment name's two halves (segments only) */
    uint32_t seg;
    bool gz;
    bool partial;
} wp_walname;

/* Classify a file name (upper-case hex only, as the server writes). */
wp_walname wp_walname_parse(const char *name);

/* The segment number of a segment name, for a segment size; false when
 * the name's low half is out of range for that size. */
bool wp_walname_segno(const wp_walname *n, uint64_t segsize, uint64_t *ret_segno);

/* The suffix of a form: "", ".gz", ".partial" or ".gz.partial". */
const char *wp_walname_suffix(bool gz, bool partial);

#endif
