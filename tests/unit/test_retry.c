#include "cmd/retry.h"
#include "walpull/error.h"

#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <string.h>

START_TEST(test_wp_retry_decide_table)
{
    static const struct {
        int code;
        const char *sqlstate;
        bool worked, wait;
        wp_retry want;
    } cases[] = {
        /* Connection refused or lost: only once it worked, or when told to wait. */
        {WP_E_CONN, "", false, false, WP_RETRY_STOP},
        {WP_E_CONN, "", false, true, WP_RETRY_AGAIN},
        {WP_E_CONN, "", true, false, WP_RETRY_AGAIN},
        /* Starting up, shutting down, no free WAL sender: heal, always. */
        {WP_E_CONN, "57P03", false, false, WP_RETRY_AGAIN},
        {WP_E_SERVER, "53300", false, false, WP_RETRY_AGAIN},
        {WP_E_SERVER, "57P01", true, false, WP_RETRY_AGAIN},
        {WP_E_SERVER, "08006", false, false, WP_RETRY_AGAIN},
        /* The server ended streaming. */
        {WP_E_STOPPED, "", false, false, WP_RETRY_AGAIN},
        /* The slot held by the previous connection, or by another client. */
        {WP_E_SERVER, "55006", true, false, WP_RETRY_AGAIN},
        {WP_E_SERVER, "55006", false, true, WP_RETRY_STOP},
        /* Authentication, privileges, a missing slot, WAL removed. */
        {WP_E_SERVER, "28P01", true, true, WP_RETRY_STOP},
        {WP_E_SERVER, "42501", true, false, WP_RETRY_STOP},
        {WP_E_SERVER, "42704", true, false, WP_RETRY_STOP},
        {WP_E_SERVER, "58P01", true, false, WP_RETRY_STOP},
        {WP_E_SERVER, "", true, false, WP_RETRY_STOP},
        /* Another system's WAL, bad input. */
        {WP_E_STATE, "", true, true, WP_RETRY_STOP},
        {WP_E_USAGE, "", true, true, WP_RETRY_STOP},
        {WP_E_PROTO, "", true, true, WP_RETRY_STOP},
        /* A full disk, once streaming worked; other local errors never. */
        {-ENOSPC, "", true, false, WP_RETRY_AGAIN},
        {-ENOSPC, "", false, false, WP_RETRY_STOP},
        {-EIO, "", true, true, WP_RETRY_STOP},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wp_error err = {.code = cases[i].code};
        strcpy(err.sqlstate, cases[i].sqlstate);
        ck_assert_msg(wp_retry_decide(&err, cases[i].worked, cases[i].wait) == cases[i].want,
                      "case %zu", i);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("retry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wp_retry_decide_table);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
