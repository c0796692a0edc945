#include "walpull/walrec.h"

#include "walpull/crc32c.h"
#include "walpull/error.h"
#include "walpull/walpage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAXALIGN(x) (((x) + 7u) & ~(uint64_t)7)

/* The switch record (rmid 0, RM_XLOG_ID; info XLOG_SWITCH): the rest of
 * its segment holds no WAL. */
#define RM_XLOG_ID  0
#define XLOG_SWITCH 0x40

int wp_walrec_page_parse(const uint8_t *buf, size_t len, wp_walrec_page *ret_page)
{
    if (len < WP_WAL_SHORT_PHD)
        return WP_E_TRUNCATED;
    wp_walrec_page p = {.magic = (uint16_t)wp_le(buf, 2),
                        .info = (uint16_t)wp_le(buf + 2, 2),
                        .tli = (uint32_t)wp_le(buf + 4, 4),
                        .pageaddr = wp_le(buf + 8, 8),
                        .rem_len = (uint32_t)wp_le(buf + 16, 4),
                        .size = WP_WAL_SHORT_PHD};
    if (p.info & WP_XLP_LONG_HEADER) {
        if (len < WP_WAL_LONG_PHD)
            return WP_E_TRUNCATED;
        p.sysid = wp_le(buf + 24, 8);
        p.seg_size = (uint32_t)wp_le(buf + 32, 4);
        p.blcksz = (uint32_t)wp_le(buf + 36, 4);
        p.size = WP_WAL_LONG_PHD;
    }
    *ret_page = p;
    return 0;
}

int wp_walrec_magic_major(uint16_t magic)
{
    static const struct {
        uint16_t magic;
        int major;
    } known[] = {{0xD106, 13}, {0xD10D, 14}, {0xD110, 15},
                 {0xD113, 16}, {0xD116, 17}, {0xD118, 18}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].magic == magic)
            return known[i].major;
    return 0;
}

void wp_walrec_init(wp_walrec_decoder *d, uint64_t segsize, wp_lsn segment_start)
{
    memset(d, 0, sizeof(*d));
    d->segsize = segsize;
    d->next = segment_start;
    d->end = segment_start;
}

void wp_walrec_resync(wp_walrec_decoder *d, wp_lsn segment_start)
{
    d->next = segment_start;
    d->end = segment_start;
    d->synced = false;
    d->skip_rest = false;
    d->in_rec = false;
    d->prev_rec = 0;
}

static wp_walrec_status stop(wp_walrec_decoder *d, wp_walrec_status st, wp_lsn at, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));
static wp_walrec_status stop(wp_walrec_decoder *d, wp_walrec_status st, wp_lsn at, const char *fmt,
                             ...)
{
    d->at = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
    return st;
}

/* The page header against what the position, the file and the pages
 * before say. */
static wp_walrec_status check_page(wp_walrec_decoder *d, const wp_walrec_page *h, wp_lsn lsn,
                                   uint32_t file_tli)
{
    bool seg_start = lsn % d->segsize == 0;
    if (d->magic && h->magic != d->magic)
        return stop(d, WP_WALREC_BAD, lsn, "page magic 0x%04X differs from 0x%04X", h->magic,
                    d->magic);
    if (!d->magic && (h->magic & 0xFF00) != 0xD100)
        return stop(d, WP_WALREC_BAD, lsn, "not a WAL page (magic 0x%04X)", h->magic);
    d->magic = h->magic;
    if (h->pageaddr != lsn)
        return stop(d, WP_WALREC_BAD, lsn, "page address " WP_LSN_FMT ", expected " WP_LSN_FMT,
                    WP_LSN_ARGS(h->pageaddr), WP_LSN_ARGS(lsn));
    if (h->tli == 0 || h->tli > file_tli)
        return stop(d, WP_WALREC_BAD, lsn, "page of timeline %u in a file of timeline %u",
                    (unsigned)h->tli, (unsigned)file_tli);
    if (h->tli < d->last_tli)
        return stop(d, WP_WALREC_BAD, lsn, "page timeline %u after pages of timeline %u",
                    (unsigned)h->tli, (unsigned)d->last_tli);
    d->last_tli = h->tli;
    if (seg_start != ((h->info & WP_XLP_LONG_HEADER) != 0))
        return stop(d, WP_WALREC_BAD, lsn,
                    seg_start ? "segment without a long page header"
                              : "long page header inside a segment");
    if (!seg_start)
        return WP_WALREC_MORE;
    if (h->seg_size != d->segsize || h->blcksz != WP_WAL_BLCKSZ)
        return stop(d, WP_WALREC_BAD, lsn, "segment header says %u-byte segments of %u-byte pages",
                    (unsigned)h->seg_size, (unsigned)h->blcksz);
    if (d->sysid && h->sysid != d->sysid)
        return stop(d, WP_WALREC_BAD, lsn, "database system %llu after %llu",
                    (unsigned long long)h->sysid, (unsigned long long)d->sysid);
    d->sysid = h->sysid;
    return WP_WALREC_MORE;
}

/* A complete record: its CRC, and a switch record's end of segment. */
static wp_walrec_status finish_record(wp_walrec_decoder *d)
{
    uint32_t crc = wp_crc32c_final(wp_crc32c_update(d->crc, d->hdr, 20));
    uint32_t want = (uint32_t)wp_le(d->hdr + 20, 4);
    if (crc != want)
        return stop(d, WP_WALREC_END, d->rec_start,
                    "record CRC 0x%08X does not match its header's 0x%08X", crc, want);
    d->records++;
    d->prev_rec = d->rec_start;
    d->end = d->rec_start + d->tot_len;
    d->in_rec = false;
    if (d->hdr[17] == RM_XLOG_ID && (d->hdr[16] & 0xF0) == XLOG_SWITCH)
        d->skip_rest = true;
    return WP_WALREC_MORE;
}

/* Start a record at page offset off; END when the WAL stops there. */
static wp_walrec_status begin_record(wp_walrec_decoder *d, const uint8_t *page, uint32_t off,
                                     wp_lsn lsn)
{
    uint32_t tot = (uint32_t)wp_le(page + off, 4);
    if (tot == 0)
        return stop(d, WP_WALREC_END, lsn + off, "no record follows");
    if (tot < WP_WAL_RECORD_HDR || tot > 0x3FFFFFFF)
        return stop(d, WP_WALREC_END, lsn + off, "invalid record length %u", (unsigned)tot);
    d->in_rec = true;
    d->rec_start = lsn + off;
    d->tot_len = tot;
    d->got = 0;
    d->hdr_have = 0;
    d->crc = WP_CRC32C_INIT;
    return WP_WALREC_MORE;
}

/* Take what the page holds of the current record from off on; *off
 * advances. */
static wp_walrec_status take_record_bytes(wp_walrec_decoder *d, const uint8_t *page, uint32_t *off)
{
    uint32_t take = WP_WAL_BLCKSZ - *off;
    if (take > d->tot_len - d->got)
        take = d->tot_len - d->got;
    const uint8_t *p = page + *off;
    uint32_t rest = take;
    if (d->hdr_have < WP_WAL_RECORD_HDR) {
        uint32_t h = WP_WAL_RECORD_HDR - d->hdr_have;
        if (h > rest)
            h = rest;
        memcpy(d->hdr + d->hdr_have, p, h);
        d->hdr_have += h;
        p += h;
        rest -= h;
        if (d->hdr_have == WP_WAL_RECORD_HDR && d->prev_rec && wp_le(d->hdr + 8, 8) != d->prev_rec)
            return stop(d, WP_WALREC_END, d->rec_start,
                        "record links back to " WP_LSN_FMT ", not to the record at " WP_LSN_FMT,
                        WP_LSN_ARGS(wp_le(d->hdr + 8, 8)), WP_LSN_ARGS(d->prev_rec));
    }
    d->crc = wp_crc32c_update(d->crc, p, rest);
    d->got += take;
    *off += take;
    if (d->got < d->tot_len)
        return WP_WALREC_MORE;
    wp_walrec_status st = finish_record(d);
    *off = (uint32_t)MAXALIGN(*off);
    return st;
}

/* Where this page's first record begins, from its continuation fields;
 * *ret_off is WP_WAL_BLCKSZ when the page holds none. */
static wp_walrec_status page_start(wp_walrec_decoder *d, const wp_walrec_page *h, wp_lsn lsn,
                                   uint32_t *ret_off)
{
    uint32_t off = h->size;
    bool cont = (h->info & WP_XLP_FIRST_IS_CONTRECORD) != 0;
    if (d->in_rec && (h->info & WP_XLP_FIRST_IS_OVERWRITE_CONTRECORD))
        d->in_rec = false; /* the server abandoned that record and wrote on */
    if (d->in_rec) {
        if (!cont || h->rem_len != d->tot_len - d->got)
            return stop(d, WP_WALREC_END, d->rec_start,
                        "record continues with %u bytes on the next page, which says %u",
                        (unsigned)(d->tot_len - d->got), cont ? (unsigned)h->rem_len : 0u);
    } else if (!d->synced) {
        if (cont) {
            uint64_t skip = MAXALIGN((uint64_t)h->rem_len);
            if (off + skip >= WP_WAL_BLCKSZ) {
                *ret_off = WP_WAL_BLCKSZ;
                return WP_WALREC_MORE;
            }
            off += (uint32_t)skip;
        }
        d->synced = true;
    } else if (cont) {
        return stop(d, WP_WALREC_END, lsn, "page continues a record that did not begin");
    }
    *ret_off = off;
    return WP_WALREC_MORE;
}

wp_walrec_status wp_walrec_feed(wp_walrec_decoder *d, const uint8_t *page, uint32_t file_tli)
{
    wp_lsn lsn = d->next;
    d->next += WP_WAL_BLCKSZ;
    if (lsn % d->segsize == 0)
        d->skip_rest = false;
    if (d->skip_rest)
        return WP_WALREC_MORE;
    wp_walrec_page h;
    wp_walrec_page_parse(page, WP_WAL_BLCKSZ, &h);
    if (h.magic == 0 && h.info == 0 && h.pageaddr == 0)
        return stop(d, WP_WALREC_END, d->in_rec ? d->rec_start : lsn, "zeroed page at " WP_LSN_FMT,
                    WP_LSN_ARGS(lsn));
    wp_walrec_status st = check_page(d, &h, lsn, file_tli);
    uint32_t off = 0;
    if (st == WP_WALREC_MORE)
        st = page_start(d, &h, lsn, &off);
    while (st == WP_WALREC_MORE && off < WP_WAL_BLCKSZ && !d->skip_rest) {
        if (!d->in_rec)
            st = begin_record(d, page, off, lsn);
        if (st == WP_WALREC_MORE)
            st = take_record_bytes(d, page, &off);
    }
    return st;
}
