/* What every unit test program shares: main()'s suite runner, and the
 * removal of the temporary directories tests write into. */
#ifndef WALPULL_TESTS_UNIT_CHECK_MAIN_H
#define WALPULL_TESTS_UNIT_CHECK_MAIN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static inline int wp_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Remove a temporary directory tree (made with mkdtemp, so no quotes in
 * its name); the test fails if that does not work. */
static inline void wp_test_rmtree(const char *dir)
{
    char cmd[300];
    ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir), (int)sizeof(cmd));
    ck_assert_int_eq(system(cmd), 0);
}

#endif
