/* WAL pages and records as recovery reads them: a decoder fed one page at
 * a time, in LSN order, that checks every page header (magic, address,
 * timeline, the long header of a segment's first page) and every record
 * (length, link to the previous record, CRC-32C), following records
 * across pages and segments. Pure: no I/O, no allocation.
 *
 * Layout (PostgreSQL's xlog_internal.h and xlogrecord.h), little-endian:
 * a page header of 24 bytes (magic u16, info u16, tli u32, pageaddr u64,
 * rem_len u32, padding), 40 for the long header of a segment's first page
 * (then sysid u64, seg_size u32, xlog_blcksz u32); a record header of 24
 * bytes (tot_len u32, xid u32, prev u64, info u8, rmid u8, padding, crc
 * u32); records start 8-byte aligned and may span pages. */
#ifndef WALPULL_WALREC_H
#define WALPULL_WALREC_H

#include "walpull/lsn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_WAL_BLCKSZ     8192
#define WP_WAL_SHORT_PHD  24
#define WP_WAL_LONG_PHD   40
#define WP_WAL_RECORD_HDR 24

/* xlp_info bits */
#define WP_XLP_FIRST_IS_CONTRECORD           0x0001
#define WP_XLP_LONG_HEADER                   0x0002
#define WP_XLP_FIRST_IS_OVERWRITE_CONTRECORD 0x0008

typedef struct wp_walrec_page {
    uint16_t magic;
    uint16_t info;
    uint32_t tli;
    wp_lsn pageaddr;
    uint32_t rem_len;
    uint32_t size; /* of the header: 24 or 40 */
    /* the long header only */
    uint64_t sysid;
    uint32_t seg_size;
    uint32_t blcksz;
} wp_walrec_page;

/* Decode a page header; WP_E_TRUNCATED when len is too short for it. */
int wp_walrec_page_parse(const uint8_t *buf, size_t len, wp_walrec_page *ret_page);

/* The server major a page magic belongs to, 0 when unknown. */
int wp_walrec_magic_major(uint16_t magic);

typedef enum wp_walrec_status {
    WP_WALREC_MORE, /* the page was fine: feed the next one */
    WP_WALREC_END,  /* the WAL ends here (zeros, or a record that is not valid) */
    WP_WALREC_BAD,  /* a page that cannot be right whatever follows */
} wp_walrec_status;

typedef struct wp_walrec_decoder {
    uint64_t segsize;
    wp_lsn next;       /* LSN of the next page expected */
    bool synced;       /* a record boundary is known */
    bool skip_rest;    /* after a WAL switch record: the rest of the segment */
    uint16_t magic;    /* 0 until the first page */
    uint64_t sysid;    /* 0 until the first long header */
    uint32_t last_tli; /* of the last page: page timelines never go down */
    wp_lsn prev_rec;   /* start of the last complete record, 0 if none */
    /* the record being assembled */
    bool in_rec;
    wp_lsn rec_start;
    uint8_t hdr[WP_WAL_RECORD_HDR];
    uint32_t hdr_have;
    uint32_t tot_len;
    uint32_t got; /* bytes of it seen, header included */
    uint32_t crc;
    /* results */
    uint64_t records;
    wp_lsn end;    /* where the last complete record ended */
    wp_lsn at;     /* with END or BAD: where */
    char why[160]; /* with END or BAD: what */
} wp_walrec_decoder;

/* Start at the beginning of a segment (not knowing where its first record
 * begins: a record continued from the previous segment is skipped). */
void wp_walrec_init(wp_walrec_decoder *d, uint64_t segsize, wp_lsn segment_start);

/* Go on from the start of another segment after a gap: the record in
 * progress and the link to the previous record are forgotten. */
void wp_walrec_resync(wp_walrec_decoder *d, wp_lsn segment_start);

/* Feed the WP_WAL_BLCKSZ bytes of the page at d->next, read from a file
 * of timeline file_tli. */
wp_walrec_status wp_walrec_feed(wp_walrec_decoder *d, const uint8_t *page, uint32_t file_tli);

#endif
