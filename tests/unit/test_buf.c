#include "walpull/buf.h"
#include "walpull/error.h"

#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_wp_buf_grows)
{
    wp_buf b = {0};
    ck_assert_str_eq(wp_buf_str(&b), "");
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(wp_buf_printf(&b, "%04d/", i % 10000), 0);
    ck_assert_uint_eq(b.len, 50000);
    ck_assert_uint_eq(strlen(wp_buf_str(&b)), 50000);
    ck_assert_int_eq(strncmp(wp_buf_str(&b) + 49995, "9999/", 5), 0);
    wp_buf_reset(&b);
    ck_assert_str_eq(wp_buf_str(&b), "");
    ck_assert_int_eq(wp_buf_append(&b, "a\0b", 3), 0);
    ck_assert_uint_eq(b.len, 3);
    char *s = wp_buf_steal(&b);
    ck_assert_int_eq(memcmp(s, "a\0b", 4), 0);
    ck_assert_ptr_null(b.data);
    free(s);
    wp_buf_free(&b);
}
END_TEST

START_TEST(test_wp_buf_truncate_back)
{
    wp_buf b = {0};
    wp_buf_truncate(&b, 0); /* empty, no data yet: nothing to do */
    ck_assert_str_eq(wp_buf_str(&b), "");
    wp_buf_puts(&b, "/data");
    size_t keep = b.len;
    wp_buf_printf(&b, "/%s", "base");
    ck_assert_str_eq(wp_buf_str(&b), "/data/base");
    wp_buf_truncate(&b, keep);
    ck_assert_str_eq(wp_buf_str(&b), "/data");
    ck_assert_uint_eq(b.len, 5);
    wp_buf_truncate(&b, 99); /* longer than it is: unchanged */
    ck_assert_str_eq(wp_buf_str(&b), "/data");
    wp_buf_puts(&b, "/x");
    ck_assert_str_eq(wp_buf_str(&b), "/data/x");
    wp_buf_free(&b);
}
END_TEST

START_TEST(test_wp_buf_json_string_escapes)
{
    wp_buf b = {0};
    ck_assert_int_eq(wp_buf_json_string(&b, "a\"b\\c\nd\t\x01\xc3\xa9"), 0);
    ck_assert_str_eq(wp_buf_str(&b), "\"a\\\"b\\\\c\\nd\\t\\u0001\xc3\xa9\"");
    wp_buf_free(&b);
}
END_TEST

START_TEST(test_wp_buf_steal_empty)
{
    wp_buf b = {0};
    char *s = wp_buf_steal(&b);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_wp_error_errno_message)
{
    wp_error err = {0};
    ck_assert_int_eq(wp_error_errno(&err, ENOENT, "could not open file \"%s\"", "x"), -ENOENT);
    ck_assert_int_eq(err.code, -ENOENT);
    ck_assert_str_eq(err.message, "could not open file \"x\": No such file or directory");
    /* A short write leaves errno 0: that is a full disk. */
    ck_assert_int_eq(wp_error_errno(&err, 0, "could not write"), -ENOSPC);
    ck_assert_str_eq(err.message, "could not write: No space left on device");
    ck_assert_int_eq(wp_error_errno(NULL, EIO, "x"), -EIO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wp_buf_grows);
    tcase_add_test(tc, test_wp_buf_truncate_back);
    tcase_add_test(tc, test_wp_buf_json_string_escapes);
    tcase_add_test(tc, test_wp_buf_steal_empty);
    tcase_add_test(tc, test_wp_error_errno_message);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
