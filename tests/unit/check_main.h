/* The main() every unit test program shares: run one suite, exit non-zero
 * when any test failed. */
#ifndef WALPULL_TESTS_UNIT_CHECK_MAIN_H
#define WALPULL_TESTS_UNIT_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int wp_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
