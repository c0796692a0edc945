#include "walpull/error.h"
#include "walpull/msg.h"
#include "walpull/pqmsg.h"

#include "check_main.h"

#include <check.h>
#include <string.h>

START_TEST(test_pqmsg_body_len)
{
    uint8_t h[WP_PQMSG_HDR] = {'d', 0, 0, 0, 4};
    size_t len = 99;
    ck_assert_int_eq(wp_pqmsg_body_len(h, &len), 0);
    ck_assert_uint_eq(len, 0);
    h[4] = 3; /* shorter than its own length field */
    ck_assert_int_eq(wp_pqmsg_body_len(h, &len), WP_E_PROTO);
    wp_put_u32(h + 1, 0xFFFFFFFFu); /* far above any message of the stream */
    ck_assert_int_eq(wp_pqmsg_body_len(h, &len), WP_E_PROTO);
}
END_TEST

START_TEST(test_pqmsg_error_fields)
{
    static const char body[] =
        "SFATAL\0VFATAL\0C57P01\0Mterminating connection\0Dbecause\0Hretry\0";
    wp_pqerror e;
    ck_assert_int_eq(wp_pqmsg_error((const uint8_t *)body, sizeof(body), &e), 0);
    ck_assert_str_eq(e.severity, "FATAL");
    ck_assert_str_eq(e.severity_local, "FATAL");
    ck_assert_str_eq(e.sqlstate, "57P01");
    ck_assert_str_eq(e.message, "terminating connection");
    ck_assert_str_eq(e.detail, "because");
    ck_assert_str_eq(e.hint, "retry");
    /* A translated severity: 'V' for walpull's checks, 'S' to print. */
    static const char de[] = "SHINWEIS\0VNOTICE\0C00000\0Mnichts\0";
    ck_assert_int_eq(wp_pqmsg_error((const uint8_t *)de, sizeof(de), &e), 0);
    ck_assert_str_eq(e.severity, "NOTICE");
    ck_assert_str_eq(e.severity_local, "HINWEIS");
    /* A field without its terminator is refused, not read past. */
    static const char cut[] = {'M', 'a', 'b'};
    ck_assert_int_eq(wp_pqmsg_error((const uint8_t *)cut, sizeof(cut), &e), WP_E_PROTO);
}
END_TEST

START_TEST(test_pqmsg_datarow)
{
    /* Two columns, "2" and "0/3000000", then one NULL. */
    static const uint8_t row[] = {0,   3,   0,   0,   0,   1,   '2', 0,   0,    0,    9,    '0',
                                  '/', '3', '0', '0', '0', '0', '0', '0', 0xFF, 0xFF, 0xFF, 0xFF};
    const uint8_t *cols[3];
    int32_t lens[3];
    int n = 0;
    ck_assert_int_eq(wp_pqmsg_datarow(row, sizeof(row), cols, lens, 3, &n), 0);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(lens[0], 1);
    ck_assert_int_eq(memcmp(cols[1], "0/3000000", 9), 0);
    ck_assert_int_eq(lens[2], -1);
    /* A column longer than what is left. */
    ck_assert_int_eq(wp_pqmsg_datarow(row, 12, cols, lens, 3, &n), WP_E_PROTO);
}
END_TEST

START_TEST(test_pqmsg_builders)
{
    wp_buf b = {0};
    ck_assert_int_eq(wp_pqmsg_query(&b, "IDENTIFY_SYSTEM"), 0);
    ck_assert_uint_eq(b.len, 5 + 16);
    ck_assert_int_eq(b.data[0], 'Q');
    ck_assert_uint_eq(wp_get_u32((const uint8_t *)b.data + 1), 4 + 16);
    ck_assert_int_eq(b.data[b.len - 1], '\0');
    wp_buf_reset(&b);
    ck_assert_int_eq(wp_pqmsg_copydata(&b, (const uint8_t *)"rxyz", 4), 0);
    ck_assert_int_eq(memcmp(b.data, "d\0\0\0\x08rxyz", 9), 0);
    wp_buf_reset(&b);
    ck_assert_int_eq(wp_pqmsg_copydone(&b), 0);
    ck_assert_int_eq(memcmp(b.data, "c\0\0\0\x04", 5), 0);
    wp_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pqmsg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pqmsg_body_len);
    tcase_add_test(tc, test_pqmsg_error_fields);
    tcase_add_test(tc, test_pqmsg_datarow);
    tcase_add_test(tc, test_pqmsg_builders);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
