#include "walpull/error.h"
#include "walpull/timeline.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_timeline_history_parse_three)
{
    const char *text = "1\t0/3000000\tno recovery target specified\n"
                       "\n"
                       "# a comment\n"
                       "2\t0/5000A28\tat restore point \"x\"\n";
    wp_tli_entry e[4];
    size_t n = 0;
    ck_assert_int_eq(wp_timeline_history_parse(text, strlen(text), 3, e, 4, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(e[0].tli, 1);
    ck_assert_uint_eq(e[0].begin, 0);
    ck_assert_uint_eq(e[0].end, 0x3000000);
    ck_assert_uint_eq(e[1].tli, 2);
    ck_assert_uint_eq(e[1].begin, 0x3000000);
    ck_assert_uint_eq(e[1].end, 0x5000A28);
    ck_assert_uint_eq(e[2].tli, 3);
    ck_assert_uint_eq(e[2].begin, 0x5000A28);
    ck_assert_uint_eq(e[2].end, WP_LSN_INVALID);
    ck_assert_uint_eq(wp_timeline_of_lsn(e, n, 0), 1);
    ck_assert_uint_eq(wp_timeline_of_lsn(e, n, 0x2FFFFFF), 1);
    ck_assert_uint_eq(wp_timeline_of_lsn(e, n, 0x3000000), 2);
    ck_assert_uint_eq(wp_timeline_of_lsn(e, n, 0x5000A28), 3);
    ck_assert_uint_eq(wp_timeline_of_lsn(e, n, UINT64_MAX), 3);
}
END_TEST

START_TEST(test_timeline_history_parse_no_trailing_newline)
{
    const char *text = "1\t0/3000000\treason";
    wp_tli_entry e[2];
    size_t n = 0;
    ck_assert_int_eq(wp_timeline_history_parse(text, strlen(text), 2, e, 2, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(e[1].begin, 0x3000000);
    /* An empty file describes timeline 1 alone. */
    ck_assert_int_eq(wp_timeline_history_parse("", 0, 1, e, 2, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(e[0].tli, 1);
}
END_TEST

START_TEST(test_timeline_history_parse_malformed)
{
    static const char *bad[] = {
        "x\t0/3000000\tr\n",                  /* timeline not a number */
        "1\t0/30000G0\tr\n",                  /* bad LSN */
        "1\n",                                /* no LSN */
        "2\t0/3000000\tr\n1\t0/4000000\tr\n", /* timelines go backwards */
        "1\t0/5000000\tr\n2\t0/4000000\tr\n", /* switch points go backwards */
        "3\t0/3000000\tr\n",                  /* parent not below the target */
        "99999999999\t0/1\tr\n",              /* overflow */
    };
    wp_tli_entry e[8];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = 77;
        ck_assert_int_eq(wp_timeline_history_parse(bad[i], strlen(bad[i]), 3, e, 8, &n),
                         WP_E_PROTO);
        ck_assert_uint_eq(n, 77);
    }
    /* Truncated text: only part of the input length is read. */
    const char *text = "1\t0/3000000\tr\n2\t0/4000000\tr\n";
    size_t n = 0;
    ck_assert_int_eq(wp_timeline_history_parse(text, 3, 3, e, 8, &n), WP_E_PROTO);
    ck_assert_int_eq(wp_timeline_history_parse(text, strlen(text), 3, e, 2, &n), WP_E_RANGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_timeline_history_parse_three);
    tcase_add_test(tc, test_timeline_history_parse_no_trailing_newline);
    tcase_add_test(tc, test_timeline_history_parse_malformed);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
