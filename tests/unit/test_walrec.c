#include "walpull/crc32c.h"
#include "walpull/error.h"
#include "walpull/walname.h"
#include "walpull/walrec.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define SEGSIZE   (1u << 20)
#define MAGIC     0xD110
#define SYSID     UINT64_C(7300000000000000001)
#define SEG_START UINT64_C(0x3000000) /* segment 3 of 1 MB segments */

/* Lays records out as the server does: page headers (long on a segment's
 * first page) with the continuation fields, records 8-byte aligned. */
typedef struct builder {
    uint8_t *seg;
    size_t off; /* next byte within the segment */
    wp_lsn prev;
    uint32_t tli;
} builder;

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* At a page start, the page header; rem: bytes of a record continuing. */
static void page_header(builder *b, uint32_t rem)
{
    uint8_t *h = b->seg + b->off;
    bool first = b->off == 0;
    put_le(h, MAGIC, 2);
    put_le(h + 2, (first ? WP_XLP_LONG_HEADER : 0) | (rem ? WP_XLP_FIRST_IS_CONTRECORD : 0), 2);
    put_le(h + 4, b->tli, 4);
    put_le(h + 8, SEG_START + b->off, 8);
    put_le(h + 16, rem, 4);
    if (first) {
        put_le(h + 24, SYSID, 8);
        put_le(h + 32, SEGSIZE, 4);
        put_le(h + 36, WP_WAL_BLCKSZ, 4);
    }
    b->off += first ? WP_WAL_LONG_PHD : WP_WAL_SHORT_PHD;
}

/* One record of len bytes in all (header included); returns its LSN. */
static wp_lsn add_record(builder *b, uint32_t len, uint8_t rmid, uint8_t info)
{
    uint8_t *rec = malloc(len);
    ck_assert_ptr_nonnull(rec);
    for (uint32_t i = WP_WAL_RECORD_HDR; i < len; i++)
        rec[i] = (uint8_t)(i * 7 + len);
    memset(rec, 0, WP_WAL_RECORD_HDR);
    put_le(rec, len, 4);
    put_le(rec + 4, 1234, 4);
    put_le(rec + 8, b->prev, 8);
    rec[16] = info;
    rec[17] = rmid;
    uint32_t crc =
        wp_crc32c_update(WP_CRC32C_INIT, rec + WP_WAL_RECORD_HDR, len - WP_WAL_RECORD_HDR);
    put_le(rec + 20, wp_crc32c_final(wp_crc32c_update(crc, rec, 20)), 4);
    if (b->off % WP_WAL_BLCKSZ == 0)
        page_header(b, 0);
    wp_lsn at = SEG_START + b->off;
    for (uint32_t i = 0; i < len; i++) {
        if (b->off % WP_WAL_BLCKSZ == 0)
            page_header(b, len - i);
        b->seg[b->off++] = rec[i];
    }
    b->off = (b->off + 7) & ~(size_t)7;
    b->prev = at;
    free(rec);
    return at;
}

static builder make(void)
{
    builder b = {.seg = calloc(1, SEGSIZE), .tli = 1};
    ck_assert_ptr_nonnull(b.seg);
    return b;
}

/* Feed pages until the decoder stops or the segment ends. */
static wp_walrec_status run(wp_walrec_decoder *d, const uint8_t *seg, uint32_t tli)
{
    wp_walrec_status st = WP_WALREC_MORE;
    for (size_t off = 0; off < SEGSIZE && st == WP_WALREC_MORE; off += WP_WAL_BLCKSZ)
        st = wp_walrec_feed(d, seg + off, tli);
    return st;
}

START_TEST(test_walrec_feed_records_across_pages)
{
    builder b = make();
    wp_lsn last = 0;
    /* Small, page-spanning and multi-page records. */
    uint32_t sizes[] = {24, 100, 8000, 50, 30000, 8169, 8168, 64, 100000, 31};
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            last = add_record(&b, sizes[i], 10, 0);
    wp_walrec_decoder d;
    wp_walrec_init(&d, SEGSIZE, SEG_START);
    ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_END);
    ck_assert_uint_eq(d.records, 30);
    ck_assert_uint_eq(d.end, last + 31);
    ck_assert_str_eq(d.why, "no record follows");
    ck_assert_uint_eq(d.at, SEG_START + b.off);
    ck_assert_int_eq(wp_walrec_magic_major(d.magic), 15);
    free(b.seg);
}
END_TEST

START_TEST(test_walrec_feed_crc_mismatch)
{
    builder b = make();
    add_record(&b, 200, 10, 0);
    wp_lsn victim = add_record(&b, 20000, 10, 0);
    add_record(&b, 200, 10, 0);
    /* A byte in the middle of the second record, on its second page. */
    size_t at = (size_t)(victim - SEG_START) + 12000;
    b.seg[at] ^= 0x40;
    wp_walrec_decoder d;
    wp_walrec_init(&d, SEGSIZE, SEG_START);
    ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_END);
    ck_assert_uint_eq(d.at, victim);
    ck_assert_uint_eq(d.records, 1);
    ck_assert_msg(strstr(d.why, "record CRC"), "%s", d.why);
    free(b.seg);
}
END_TEST

START_TEST(test_walrec_feed_bad_pages)
{
    static const struct {
        size_t byte; /* into the second page's header */
        uint8_t value;
        const char *why;
    } cases[] = {
        {0, 0x11, "page magic"},       /* magic */
        {9, 0x77, "page address"},     /* pageaddr */
        {4, 0x05, "timeline 5"},       /* tli beyond the file's */
        {2, 0x02, "long page header"}, /* long header inside a segment */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        builder b = make();
        for (int k = 0; k < 10; k++)
            add_record(&b, 3000, 10, 0);
        b.seg[WP_WAL_BLCKSZ + cases[i].byte] = cases[i].value;
        wp_walrec_decoder d;
        wp_walrec_init(&d, SEGSIZE, SEG_START);
        ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_BAD);
        ck_assert_uint_eq(d.at, SEG_START + WP_WAL_BLCKSZ);
        ck_assert_msg(strstr(d.why, cases[i].why), "case %zu: %s", i, d.why);
        free(b.seg);
    }
}
END_TEST

START_TEST(test_walrec_feed_broken_link)
{
    builder b = make();
    add_record(&b, 100, 10, 0);
    add_record(&b, 100, 10, 0);
    wp_lsn third = add_record(&b, 100, 10, 0);
    /* The third record links back to the first instead of the second. */
    put_le(b.seg + (third - SEG_START) + 8, SEG_START + WP_WAL_LONG_PHD, 8);
    wp_walrec_decoder d;
    wp_walrec_init(&d, SEGSIZE, SEG_START);
    ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_END);
    ck_assert_uint_eq(d.at, third);
    ck_assert_msg(strstr(d.why, "links back"), "%s", d.why);
    free(b.seg);
}
END_TEST

/* Starting at a segment whose first page continues a record from the
 * segment before: the continuation is skipped, the next record checked. */
START_TEST(test_walrec_init_skips_continuation)
{
    builder b = make();
    /* Pretend 5000 bytes of a record from the previous segment continue
     * here: a long header with rem_len, then those bytes. */
    page_header(&b, 5000);
    b.seg[2] |= WP_XLP_FIRST_IS_CONTRECORD;
    put_le(b.seg + 16, 5000, 4);
    b.off += 5000;
    b.off = (b.off + 7) & ~(size_t)7;
    b.prev = 0;
    wp_lsn first = add_record(&b, 300, 10, 0);
    add_record(&b, 300, 10, 0);
    wp_walrec_decoder d;
    wp_walrec_init(&d, SEGSIZE, SEG_START);
    ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_END);
    ck_assert_uint_eq(d.records, 2);
    ck_assert_uint_eq(first, SEG_START + ((WP_WAL_LONG_PHD + 5000 + 7) & ~7u));
    free(b.seg);
}
END_TEST

START_TEST(test_walrec_feed_switch_skips_rest)
{
    builder b = make();
    add_record(&b, 100, 10, 0);
    add_record(&b, 24, 0, 0x40); /* XLOG_SWITCH */
    /* Garbage after the switch is never looked at. */
    memset(b.seg + 3 * WP_WAL_BLCKSZ, 0xEE, WP_WAL_BLCKSZ);
    wp_walrec_decoder d;
    wp_walrec_init(&d, SEGSIZE, SEG_START);
    ck_assert_int_eq(run(&d, b.seg, 1), WP_WALREC_MORE);
    ck_assert_uint_eq(d.records, 2);
    ck_assert_uint_eq(d.next, SEG_START + SEGSIZE);
    free(b.seg);
}
END_TEST

START_TEST(test_crc32c_known_values)
{
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    static const char *const inputs[] = {"", "a", "123456789", fox};
    static const uint32_t want[] = {0x00000000, 0xC1D04330, 0xE3069283, 0x22620404};
    for (size_t i = 0; i < 4; i++) {
        size_t len = strlen(inputs[i]);
        ck_assert_uint_eq(wp_crc32c_final(wp_crc32c_update(WP_CRC32C_INIT, inputs[i], len)),
                          want[i]);
        ck_assert_uint_eq(wp_crc32c_final(wp_crc32c_update_table(WP_CRC32C_INIT, inputs[i], len)),
                          want[i]);
    }
    /* Both paths agree on odd lengths and alignments, in pieces. */
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 31 + 7);
    for (size_t start = 0; start < 9; start++) {
        uint32_t a = wp_crc32c_update(WP_CRC32C_INIT, buf + start, 500 - start);
        a = wp_crc32c_update(a, buf + 500, 500);
        uint32_t b = wp_crc32c_update_table(WP_CRC32C_INIT, buf + start, 1000 - start);
        ck_assert_uint_eq(a, b);
    }
}
END_TEST

START_TEST(test_walname_parse_forms)
{
    static const struct {
        const char *name;
        wp_walname_kind kind;
        uint32_t tli;
        bool gz, partial;
    } cases[] = {
        {"00000001000000000000000A", WP_WALNAME_SEGMENT, 1, false, false},
        {"00000002000000010000000F.gz", WP_WALNAME_SEGMENT, 2, true, false},
        {"0000000300000000000000FF.partial", WP_WALNAME_SEGMENT, 3, false, true},
        {"00000001000000000000000A.gz.partial", WP_WALNAME_SEGMENT, 1, true, true},
        {"00000002.history", WP_WALNAME_HISTORY, 2, false, false},
        {"00000002.history.gz", WP_WALNAME_HISTORY, 2, true, false},
        {"00000002.history.partial", WP_WALNAME_OTHER, 0, false, false},
        {"00000000000000000000000A", WP_WALNAME_OTHER, 0, false, false},
        {"00000001000000000000000a", WP_WALNAME_OTHER, 0, false, false},
        {"00000001000000000000000A.partial.gz", WP_WALNAME_OTHER, 0, false, false},
        {"00000001000000000000000A.00000028.backup", WP_WALNAME_OTHER, 0, false, false},
        {"walpull.state", WP_WALNAME_OTHER, 0, false, false},
        {"", WP_WALNAME_OTHER, 0, false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wp_walname n = wp_walname_parse(cases[i].name);
        ck_assert_msg(n.kind == cases[i].kind, "%s", cases[i].name);
        if (n.kind == WP_WALNAME_OTHER)
            continue;
        ck_assert_uint_eq(n.tli, cases[i].tli);
        ck_assert(n.gz == cases[i].gz);
        ck_assert(n.partial == cases[i].partial);
    }
    wp_walname n = wp_walname_parse("00000001000000010000000F");
    uint64_t segno;
    ck_assert(wp_walname_segno(&n, 16u << 20, &segno));
    ck_assert_uint_eq(segno, 256 + 15);
    ck_assert(!wp_walname_segno(&(wp_walname){.kind = WP_WALNAME_SEGMENT, .seg = 300}, 16u << 20,
                                &segno));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("walrec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_walrec_feed_records_across_pages);
    tcase_add_test(tc, test_walrec_feed_crc_mismatch);
    tcase_add_test(tc, test_walrec_feed_bad_pages);
    tcase_add_test(tc, test_walrec_feed_broken_link);
    tcase_add_test(tc, test_walrec_init_skips_continuation);
    tcase_add_test(tc, test_walrec_feed_switch_skips_rest);
    tcase_add_test(tc, test_crc32c_known_values);
    tcase_add_test(tc, test_walname_parse_forms);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
