#include "walpull/error.h"
#include "walpull/lsn.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_lsn_parse_valid)
{
    static const struct {
        const char *text;
        wp_lsn want;
    } cases[] = {
        {"0/0", 0},
        {"0/1", 1},
        {"16/B374D848", 0x16B374D848ull},
        {"FFFFFFFF/FFFFFFFF", UINT64_MAX},
        {"a/bc", 0xA000000BCull},
        {"00000001/00000000", 0x100000000ull},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wp_lsn lsn = 42;
        ck_assert_int_eq(wp_lsn_parse(cases[i].text, &lsn), 0);
        ck_assert_uint_eq(lsn, cases[i].want);
    }
}
END_TEST

START_TEST(test_lsn_parse_invalid)
{
    static const char *bad[] = {"",     "/",    "0/",    "/0",          "0//0",        "g/0",
                                "0/0 ", " 0/0", "0/0/0", "123456789/0", "0/123456789", "0-0",
                                "-1/0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wp_lsn lsn = 42;
        ck_assert_int_eq(wp_lsn_parse(bad[i], &lsn), WP_E_RANGE);
        ck_assert_uint_eq(lsn, 42);
    }
    ck_assert_int_eq(wp_lsn_parse(NULL, NULL), WP_E_RANGE);
}
END_TEST

START_TEST(test_lsn_format_roundtrip)
{
    char buf[32];
    ck_assert_str_eq(wp_lsn_format(0, buf, sizeof(buf)), "0/00000000");
    ck_assert_str_eq(wp_lsn_format(UINT64_MAX, buf, sizeof(buf)), "FFFFFFFF/FFFFFFFF");
    ck_assert_str_eq(wp_lsn_format(0x16B374D848ull, buf, sizeof(buf)), "16/B374D848");
    wp_lsn back;
    ck_assert_int_eq(wp_lsn_parse(buf, &back), 0);
    ck_assert_uint_eq(back, 0x16B374D848ull);
}
END_TEST

START_TEST(test_segsize_valid_cases)
{
    ck_assert(wp_segsize_valid(1u << 20));
    ck_assert(wp_segsize_valid(16u << 20));
    ck_assert(wp_segsize_valid(1u << 30));
    ck_assert(!wp_segsize_valid(0));
    ck_assert(!wp_segsize_valid(1u << 19));
    ck_assert(!wp_segsize_valid(2ull << 30));
    ck_assert(!wp_segsize_valid(3u << 20));
}
END_TEST

START_TEST(test_size_parse_units)
{
    uint64_t v = 0;
    ck_assert_int_eq(wp_size_parse("16MB", &v), 0);
    ck_assert_uint_eq(v, 16u << 20);
    ck_assert_int_eq(wp_size_parse("1GB", &v), 0);
    ck_assert_uint_eq(v, 1u << 30);
    ck_assert_int_eq(wp_size_parse("1024kB", &v), 0);
    ck_assert_uint_eq(v, 1u << 20);
    ck_assert_int_eq(wp_size_parse("8192", &v), 0);
    ck_assert_uint_eq(v, 8192);
    v = 7;
    ck_assert_int_eq(wp_size_parse("16 MB", &v), WP_E_RANGE);
    ck_assert_int_eq(wp_size_parse("MB", &v), WP_E_RANGE);
    ck_assert_int_eq(wp_size_parse("16mb", &v), WP_E_RANGE);
    ck_assert_int_eq(wp_size_parse("99999999999999999999", &v), WP_E_RANGE);
    ck_assert_int_eq(wp_size_parse("99999999999999TB", &v), WP_E_RANGE);
    ck_assert_uint_eq(v, 7);
}
END_TEST

START_TEST(test_segment_name_sizes)
{
    static const struct {
        uint32_t tli;
        uint64_t segno, segsize;
        const char *name;
    } cases[] = {
        {1, 0, 16u << 20, "000000010000000000000000"},
        {1, 1, 16u << 20, "000000010000000000000001"},
        {1, 255, 16u << 20, "0000000100000000000000FF"},
        {1, 256, 16u << 20, "000000010000000100000000"},
        {2, 0x16B3, 16u << 20, "0000000200000016000000B3"},
        {1, 4095, 1u << 20, "000000010000000000000FFF"},
        {1, 4096, 1u << 20, "000000010000000100000000"},
        {0xA, 3, 1u << 30, "0000000A0000000000000003"},
        {0xA, 4, 1u << 30, "0000000A0000000100000000"},
        {0xFFFFFFFF, 0xFFFFFFFFFFull, 16u << 20, "FFFFFFFFFFFFFFFF000000FF"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[WP_SEGNAME_LEN + 1];
        wp_segment_name(cases[i].tli, cases[i].segno, cases[i].segsize, buf);
        ck_assert_str_eq(buf, cases[i].name);
        uint32_t tli;
        uint64_t segno;
        ck_assert_int_eq(wp_segment_name_parse(buf, cases[i].segsize, &tli, &segno), 0);
        ck_assert_uint_eq(tli, cases[i].tli);
        ck_assert_uint_eq(segno, cases[i].segno);
    }
}
END_TEST

START_TEST(test_segment_name_parse_invalid)
{
    uint32_t tli = 9;
    uint64_t segno = 9;
    static const char *bad[] = {
        "00000001000000000000000",   /* 23 chars */
        "0000000100000000000000001", /* 25 chars */
        "000000010000000000000001.partial", "00000001000000000000000g",
        "00000001000000000000000a", /* lower case is not a server name */
        "000000000000000000000001", /* timeline 0 */
        "000000010000000000000100", /* segment 256 of a 16 MB log id */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(wp_segment_name_parse(bad[i], 16u << 20, &tli, &segno), WP_E_RANGE);
    ck_assert_int_eq(wp_segment_name_parse("000000010000000000000001", 3u << 20, &tli, &segno),
                     WP_E_RANGE);
    ck_assert_uint_eq(tli, 9);
    ck_assert_uint_eq(segno, 9);
    /* Segment 0xFF is fine for 16 MB, and 0x100 for 1 MB. */
    ck_assert_int_eq(wp_segment_name_parse("000000010000000000000100", 1u << 20, &tli, &segno), 0);
    ck_assert_uint_eq(segno, 0x100);
}
END_TEST

START_TEST(test_segment_arithmetic_edges)
{
    uint64_t seg16 = 16u << 20;
    ck_assert_uint_eq(wp_lsn_segno(0, seg16), 0);
    ck_assert_uint_eq(wp_lsn_segno(seg16 - 1, seg16), 0);
    ck_assert_uint_eq(wp_lsn_segno(seg16, seg16), 1);
    ck_assert_uint_eq(wp_lsn_segment_offset(seg16 + 5, seg16), 5);
    ck_assert_uint_eq(wp_segno_start(3, seg16), 3 * seg16);
    ck_assert_uint_eq(wp_lsn_segno(UINT64_MAX, 1u << 30), UINT64_MAX >> 30);
    ck_assert_uint_eq(wp_lsn_segment_offset(UINT64_MAX, 1u << 20), (1u << 20) - 1);
}
END_TEST

START_TEST(test_history_name_format)
{
    char buf[17];
    wp_history_name(1, buf);
    ck_assert_str_eq(buf, "00000001.history");
    wp_history_name(0xABCDEF12, buf);
    ck_assert_str_eq(buf, "ABCDEF12.history");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lsn");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lsn_parse_valid);
    tcase_add_test(tc, test_lsn_parse_invalid);
    tcase_add_test(tc, test_lsn_format_roundtrip);
    tcase_add_test(tc, test_segsize_valid_cases);
    tcase_add_test(tc, test_size_parse_units);
    tcase_add_test(tc, test_segment_name_sizes);
    tcase_add_test(tc, test_segment_name_parse_invalid);
    tcase_add_test(tc, test_segment_arithmetic_edges);
    tcase_add_test(tc, test_history_name_format);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
