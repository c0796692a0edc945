#include "walpull/conn.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_conn_hint_for_known)
{
    const char *h;
    h = wp_conn_hint_for(NULL, "FATAL:  no pg_hba.conf entry for replication connection");
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(strstr(h, "pg_hba.conf"));
    h = wp_conn_hint_for("28P01", "password authentication failed for user \"u\"");
    ck_assert_ptr_nonnull(strstr(h, ".pgpass"));
    h = wp_conn_hint_for(NULL, "must be superuser or replication role to start walsender");
    ck_assert_ptr_nonnull(strstr(h, "ALTER ROLE"));
    h = wp_conn_hint_for("55006", "replication slot \"s\" is active for PID 42");
    ck_assert_ptr_nonnull(strstr(h, "different slot"));
    h = wp_conn_hint_for("42704", "replication slot \"s\" does not exist");
    ck_assert_ptr_nonnull(strstr(h, "--create-slot"));
    h = wp_conn_hint_for("53300",
                         "number of requested standby connections exceeds max_wal_senders");
    ck_assert_ptr_nonnull(strstr(h, "max_wal_senders"));
}
END_TEST

START_TEST(test_conn_hint_for_unknown)
{
    ck_assert_ptr_null(wp_conn_hint_for(NULL, NULL));
    ck_assert_ptr_null(wp_conn_hint_for("XX000", "something else"));
    /* A sqlstate-bound hint does not fire for another sqlstate. */
    ck_assert_ptr_null(wp_conn_hint_for("42P01", "relation \"x\" does not exist"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conn_hint");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_conn_hint_for_known);
    tcase_add_test(tc, test_conn_hint_for_unknown);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
