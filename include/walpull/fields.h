/* The values a server sends in result rows, checked before walpull uses
 * them: each parser takes the text of one field and accepts only what the
 * field can legally hold. Pure. */
#ifndef WALPULL_FIELDS_H
#define WALPULL_FIELDS_H

#include "walpull/lsn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal digits only (no sign, no blanks, no junk), at most max. NULL or
 * empty text is WP_E_PROTO. */
int wp_field_uint(const char *text, uint64_t max, uint64_t *ret_value);

/* A timeline: 1 to 0xFFFFFFFF. */
int wp_field_tli(const char *text, uint32_t *ret_tli);

/* A system identifier: a non-zero 64-bit decimal (it names files and is
 * printed in JSON, so nothing else is let through). */
int wp_field_sysid(const char *text, uint64_t *ret_sysid);

/* IDENTIFY_SYSTEM's row: systemid, timeline, xlogpos (dbname may be NULL). */
typedef struct wp_identify_row {
    uint64_t sysid;
    uint32_t tli;
    wp_lsn xlogpos;
} wp_identify_row;
int wp_field_identify(const char *sysid, const char *tli, const char *xlogpos,
                      wp_identify_row *ret_row);

/* A tablespace location from BASE_BACKUP's list: an absolute path with no
 * empty, "." or ".." component and no trailing slash. */
bool wp_field_abs_path(const char *path);

#endif
