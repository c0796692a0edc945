/* Progress lines: bytes done of a total, percent, rate and time left.
 * Pure formatting; the caller decides when and where to print. */
#ifndef WALPULL_PROGRESS_H
#define WALPULL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* "1234/5678 kB (21%), 45.6 MiB/s, 0:03 left"; without a total (0):
 * "1234 kB, 45.6 MiB/s". A done beyond the total shows 100% and no time
 * left (server estimates are not exact). */
void wp_progress_format(uint64_t done, uint64_t total, double elapsed_secs, char *out, size_t size);

/* Parse a rate such as "100", "32k", "10M" (kB/s) as pg_basebackup
 * takes it; 32 kB/s to 1 GB/s. Returns WP_E_RANGE otherwise. */
int wp_rate_parse(const char *text, uint32_t *ret_kbps);

#endif
