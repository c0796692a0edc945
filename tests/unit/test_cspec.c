#include "walpull/cspec.h"

#include "check_main.h"

#include <check.h>
#include <string.h>

/* Split and check text; the error message, or "" when it is valid. */
static const char *judge(const char *text, bool allow_where, wp_cspec *spec)
{
    static wp_error err;
    memset(&err, 0, sizeof(err));
    wp_cspec_split(text, allow_where, spec);
    return wp_cspec_check(spec, &err) == 0 ? "" : err.message;
}

START_TEST(test_cspec_valid)
{
    static const struct {
        const char *text;
        wp_cspec_where where;
        wp_cspec_algo algo;
        int level;
    } cases[] = {
        {"gzip", WP_CSPEC_UNSPECIFIED, WP_CSPEC_GZIP, -1},
        {"gzip:1", WP_CSPEC_UNSPECIFIED, WP_CSPEC_GZIP, 1},
        {"gzip:level=9", WP_CSPEC_UNSPECIFIED, WP_CSPEC_GZIP, 9},
        {"client-gzip:5", WP_CSPEC_CLIENT, WP_CSPEC_GZIP, 5},
        {"server-gzip", WP_CSPEC_SERVER, WP_CSPEC_GZIP, -1},
        {"none", WP_CSPEC_UNSPECIFIED, WP_CSPEC_NONE, 0},
        {"none:0", WP_CSPEC_UNSPECIFIED, WP_CSPEC_NONE, 0},
        {"0", WP_CSPEC_UNSPECIFIED, WP_CSPEC_NONE, 0},
        {"7", WP_CSPEC_UNSPECIFIED, WP_CSPEC_GZIP, 7},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wp_cspec spec;
        ck_assert_str_eq(judge(cases[i].text, true, &spec), "");
        ck_assert_int_eq(spec.where, cases[i].where);
        ck_assert_int_eq(spec.algo, cases[i].algo);
        ck_assert_int_eq(spec.level, cases[i].level);
    }
}
END_TEST

START_TEST(test_cspec_errors)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"extrasquishy", "unrecognized compression algorithm: \"extrasquishy\""},
        {"none+", "unrecognized compression algorithm: \"none+\""},
        {"gzip:", "invalid compression specification: found empty string where a compression "
                  "option was expected"},
        {"gzip:thunk", "invalid compression specification: unrecognized compression option: "
                       "\"thunk\""},
        {"gzip:level",
         "invalid compression specification: compression option \"level\" requires a value"},
        {"gzip:level=", "invalid compression specification: value for compression option "
                        "\"level\" must be an integer"},
        {"gzip:level=high", "invalid compression specification: value for compression option "
                            "\"level\" must be an integer"},
        {"gzip:level=236", "invalid compression specification: compression algorithm \"gzip\" "
                           "expects a compression level between 1 and 9 (default at -1)"},
        {"gzip:0", "invalid compression specification: compression algorithm \"gzip\" expects a "
                   "compression level between 1 and 9 (default at -1)"},
        {"gzip:level=9,", "invalid compression specification: found empty string where a "
                          "compression option was expected"},
        {"gzip:workers=3", "invalid compression specification: compression algorithm \"gzip\" "
                           "does not accept a worker count"},
        {"none:1", "invalid compression specification: compression algorithm \"none\" does not "
                   "accept a compression level"},
        {"lz4", "invalid compression specification: this build does not support compression "
                "with LZ4"},
        {"server-zstd:level=3", "invalid compression specification: this build does not support "
                                "compression with ZSTD"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wp_cspec spec;
        ck_assert_str_eq(judge(cases[i].text, true, &spec), cases[i].message);
    }
}
END_TEST

START_TEST(test_cspec_split_keeps_detail_for_the_server)
{
    wp_cspec spec;
    wp_cspec_split("server-gzip:level=3,workers=2", true, &spec);
    ck_assert_int_eq(spec.where, WP_CSPEC_SERVER);
    ck_assert_str_eq(spec.algo_name, "gzip");
    ck_assert_str_eq(spec.detail, "level=3,workers=2");
    /* Without locations the prefix is part of the (unknown) name. */
    ck_assert_str_eq(judge("server-gzip", false, &spec),
                     "unrecognized compression algorithm: \"server-gzip\"");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cspec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cspec_valid);
    tcase_add_test(tc, test_cspec_errors);
    tcase_add_test(tc, test_cspec_split_keeps_detail_for_the_server);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
