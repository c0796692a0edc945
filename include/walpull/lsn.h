/* Log sequence numbers and WAL segment arithmetic. Pure functions: no I/O,
 * no allocation. Segment sizes are powers of two from 1 MB to 1 GB. */
#ifndef WALPULL_LSN_H
#define WALPULL_LSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t wp_lsn;

#define WP_LSN_INVALID ((wp_lsn)0)
#define WP_LSN_FMT     "%X/%08X"
#define WP_LSN_ARGS(l) (unsigned)((uint64_t)(l) >> 32), (unsigned)((uint64_t)(l)&0xFFFFFFFFu)

#define WP_SEGSIZE_MIN ((uint64_t)1 << 20)
#define WP_SEGSIZE_MAX ((uint64_t)1 << 30)

/* Length of a segment file name without terminator: 24 hex digits. */
#define WP_SEGNAME_LEN 24

/* Parse "X/X" (each half 1 to 8 hex digits, nothing else). */
int wp_lsn_parse(const char *text, wp_lsn *ret_lsn);

/* Format into buf (at least 18 bytes); returns buf. */
char *wp_lsn_format(wp_lsn lsn, char *buf, size_t size);

/* True for a power of two between WP_SEGSIZE_MIN and WP_SEGSIZE_MAX. */
bool wp_segsize_valid(uint64_t segsize);

/* Parse a size as the server shows it ("16MB", "1GB", "1048576kB", "8192"
 * bytes) into bytes. */
int wp_size_parse(const char *text, uint64_t *ret_bytes);

static inline uint64_t wp_lsn_segno(wp_lsn lsn, uint64_t segsize)
{
    return lsn / segsize;
}

static inline wp_lsn wp_segno_start(uint64_t segno, uint64_t segsize)
{
    return segno * segsize;
}

static inline uint64_t wp_lsn_segment_offset(wp_lsn lsn, uint64_t segsize)
{
    return lsn & (segsize - 1);
}

/* Write the 24-character name of segment segno on timeline tli into buf
 * (at least WP_SEGNAME_LEN + 1 bytes). segsize must be valid. */
void wp_segment_name(uint32_t tli, uint64_t segno, uint64_t segsize, char *buf);

/* Parse a segment file name: exactly 24 upper-case hex digits, a non-zero
 * timeline and a segment-within-log part that fits segsize. Trailing text
 * is not allowed (strip ".partial" / ".gz" first). */
int wp_segment_name_parse(const char *name, uint64_t segsize, uint32_t *ret_tli,
                          uint64_t *ret_segno);

/* Write "%08X.history" for tli into buf (at least 17 bytes). */
void wp_history_name(uint32_t tli, char *buf);

#endif
