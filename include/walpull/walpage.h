/* The long page header that starts every WAL segment file. Pure. */
#ifndef WALPULL_WALPAGE_H
#define WALPULL_WALPAGE_H

#include <stddef.h>
#include <stdint.h>

/* A little-endian integer of n bytes (WAL is stored in the server's
 * native byte order, little-endian on every platform walpull runs on). */
static inline uint64_t wp_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Bytes needed to read the long header's identity fields. */
#define WP_WALPAGE_LONG_HDR 40

typedef struct wp_walpage_ident {
    uint16_t magic;
    uint32_t tli;
    uint64_t pageaddr;
    uint64_t sysid;
    uint32_t seg_size;
    uint32_t blcksz;
} wp_walpage_ident;

/* Decode the first bytes of a segment file (stored in the server's native
 * byte order, little-endian on every platform walpull runs on). Returns
 * WP_E_TRUNCATED for short input, WP_E_PROTO when the long-header flag is
 * not set (for instance a zero-filled page). */
int wp_walpage_ident_parse(const uint8_t *buf, size_t len, wp_walpage_ident *ret_ident);

#endif
