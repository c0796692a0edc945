#include "walpull/archstate.h"
#include "walpull/error.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_archstate_format_parse_roundtrip)
{
    wp_archstate st = {.pid = 4242,
                       .tli = 3,
                       .written = UINT64_C(0x16B374D848),
                       .durable = UINT64_C(0x16B3740000),
                       .server_end = UINT64_C(0x16B3800000),
                       .updated = 1795799451,
                       .progressed = 1795799400};
    wp_buf b = {0};
    ck_assert_int_eq(wp_archstate_format(&st, &b), 0);
    ck_assert_str_eq(wp_buf_str(&b), "pid=4242\ntimeline=3\nwritten_lsn=16/B374D848\n"
                                     "durable_lsn=16/B3740000\nserver_end_lsn=16/B3800000\n"
                                     "updated=1795799451\nprogressed=1795799400\n");
    wp_archstate back;
    ck_assert_int_eq(wp_archstate_parse(wp_buf_str(&b), &back), 0);
    ck_assert_int_eq(back.pid, st.pid);
    ck_assert_uint_eq(back.tli, st.tli);
    ck_assert_uint_eq(back.written, st.written);
    ck_assert_uint_eq(back.durable, st.durable);
    ck_assert_uint_eq(back.server_end, st.server_end);
    ck_assert_int_eq(back.updated, st.updated);
    ck_assert_int_eq(back.progressed, st.progressed);
    wp_buf_free(&b);
}
END_TEST

START_TEST(test_archstate_parse_refuses)
{
    static const char *const bad[] = {
        "",
        "pid=1\n",
        "pid=1\ntimeline=1\nwritten_lsn=0/0\ndurable_lsn=zz\nserver_end_lsn=0/0\nupdated=0\n"
        "progressed=0\n",
        "pid=1x\ntimeline=1\nwritten_lsn=0/0\ndurable_lsn=0/0\nserver_end_lsn=0/0\nupdated=0\n"
        "progressed=0\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wp_archstate st;
        ck_assert_int_eq(wp_archstate_parse(bad[i], &st), WP_E_PROTO);
    }
    /* Unknown keys are skipped: a newer writer may add some. */
    wp_archstate st;
    ck_assert_int_eq(wp_archstate_parse("future=1\npid=1\ntimeline=1\nwritten_lsn=0/0\n"
                                        "durable_lsn=0/10\nserver_end_lsn=0/0\nupdated=0\n"
                                        "progressed=0",
                                        &st),
                     0);
    ck_assert_uint_eq(st.durable, 16);
}
END_TEST

START_TEST(test_archlock_second_holder_refused)
{
    char dir[] = "/tmp/walpull-lock-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(wp_archlock_holder(dir), 0);
    int fd;
    wp_error err = {0};
    ck_assert_int_eq(wp_archlock_acquire(dir, &fd, &err), 0);
    ck_assert_int_eq(wp_archlock_holder(dir), (long)getpid());
    /* A second descriptor is a second holder, as another process would be. */
    int fd2;
    ck_assert_int_eq(wp_archlock_acquire(dir, &fd2, &err), WP_E_STATE);
    ck_assert_msg(strstr(err.message, "in use by another walpull archive"), "%s", err.message);
    close(fd);
    ck_assert_int_eq(wp_archlock_holder(dir), 0);
    ck_assert_int_eq(wp_archlock_acquire(dir, &fd2, &err), 0);
    close(fd2);
    wp_test_rmtree(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("archstate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_archstate_format_parse_roundtrip);
    tcase_add_test(tc, test_archstate_parse_refuses);
    tcase_add_test(tc, test_archlock_second_holder_refused);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
