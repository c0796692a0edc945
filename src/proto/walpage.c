#include "walpull/walpage.h"

#include "walpull/error.h"

/* xlp_info bit that marks a long header (first page of a segment). */
#define LONG_HEADER_FLAG 0x0002

int wp_walpage_ident_parse(const uint8_t *buf, size_t len, wp_walpage_ident *ret_ident)
{
    if (len < WP_WALPAGE_LONG_HDR)
        return WP_E_TRUNCATED;
    uint16_t info = (uint16_t)wp_le(buf + 2, 2);
    if (!(info & LONG_HEADER_FLAG))
        return WP_E_PROTO;
    /* Layout: magic u16, info u16, tli u32, pageaddr u64, rem_len u32,
     * padding to 24, then sysid u64, seg_size u32, xlog_blcksz u32. */
    ret_ident->magic = (uint16_t)wp_le(buf, 2);
    ret_ident->tli = (uint32_t)wp_le(buf + 4, 4);
    ret_ident->pageaddr = wp_le(buf + 8, 8);
    ret_ident->sysid = wp_le(buf + 24, 8);
    ret_ident->seg_size = (uint32_t)wp_le(buf + 32, 4);
    ret_ident->blcksz = (uint32_t)wp_le(buf + 36, 4);
    return 0;
}
