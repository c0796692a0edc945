#include "walpull/error.h"
#include "walpull/lsn.h"
#include "walpull/opt.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The targets of one test table. */
typedef struct targets {
    const char *dir;
    const char *slot;
    bool create_slot;
    bool sync;
    int clients;
    int duration;
    uint64_t size;
    int mode;
    wp_lsn endpos;
    int verbose;
    int tags;
} targets;

static int count_up(const char *value, void *target, wp_error *err)
{
    (void)value;
    (void)err;
    (*(int *)target)++;
    return 0;
}

static int even_only(const char *value, void *target, wp_error *err)
{
    int64_t v;
    if (wp_opt_parse_int(value, 0, 100, &v) < 0 || v % 2)
        return wp_error_set(err, WP_E_USAGE, "use an even number up to 100");
    *(int *)target = (int)v;
    return 0;
}

static const char *const modes[] = {"catchup", "live|l", NULL};

#define TABLE(t)                                                                                   \
    wp_opt table[] = {                                                                             \
        {.short_name = 'D',                                                                        \
         .long_name = "directory",                                                                 \
         .kind = WP_OPT_STRING,                                                                    \
         .target = &(t).dir,                                                                       \
         .arg_name = "DIR",                                                                        \
         .help = "where"},                                                                         \
        {.short_name = 'S', .long_name = "slot", .kind = WP_OPT_STRING, .target = &(t).slot},      \
        {.long_name = "create-slot", .kind = WP_OPT_FLAG, .target = &(t).create_slot},             \
        {.long_name = "no-sync", .kind = WP_OPT_UNSET, .target = &(t).sync},                       \
        {.long_name = "clients", .kind = WP_OPT_INT, .target = &(t).clients, .min = 0, .max = 64}, \
        {.short_name = 's',                                                                        \
         .long_name = "duration",                                                                  \
         .kind = WP_OPT_INT,                                                                       \
         .target = &(t).duration,                                                                  \
         .min = 1,                                                                                 \
         .max = 86400},                                                                            \
        {.long_name = "generate",                                                                  \
         .kind = WP_OPT_SIZE,                                                                      \
         .target = &(t).size,                                                                      \
         .min = 1,                                                                                 \
         .max = INT64_C(1) << 40},                                                                 \
        {.long_name = "mode", .kind = WP_OPT_CHOICE, .target = &(t).mode, .choices = modes},       \
        {.short_name = 'E', .long_name = "endpos", .kind = WP_OPT_LSN, .target = &(t).endpos},     \
        {.short_name = 'v',                                                                        \
         .long_name = "verbose",                                                                   \
         .kind = WP_OPT_ACTION,                                                                    \
         .target = &(t).verbose,                                                                   \
         .parse = count_up,                                                                        \
         .flags = WP_OPT_REPEAT},                                                                  \
        {.long_name = "tag",                                                                       \
         .kind = WP_OPT_CALL,                                                                      \
         .target = &(t).tags,                                                                      \
         .parse = even_only,                                                                       \
         .flags = WP_OPT_REPEAT},                                                                  \
        WP_OPT_END}

/* Parse a NULL-terminated argument list (argv[0] is "prog"). */
static int parse(wp_opt *table, const char *const *args, int *ret_first, wp_error *err)
{
    static char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"prog";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    int first = -1;
    int r = wp_opt_parse(table, argc, argv, &first, err);
    if (ret_first)
        *ret_first = argc - first; /* how many non-option arguments */
    return r;
}

START_TEST(test_wp_opt_parse_values)
{
    targets t = {.sync = true, .duration = 10};
    TABLE(t);
    wp_error err = {0};
    const char *args[] = {
        "-D",    "/a",         "--slot=s1", "--create-slot", "--no-sync", "--clients=0", "-s",
        "86400", "--generate", "2GB",       "--mode=l",      "-E",        "16/B374D848", "-vv",
        "-v",    "--tag",      "4",         "extra",         NULL};
    int rest;
    ck_assert_int_eq(parse(table, args, &rest, &err), 0);
    ck_assert_str_eq(t.dir, "/a");
    ck_assert_str_eq(t.slot, "s1");
    ck_assert(t.create_slot);
    ck_assert(!t.sync);
    ck_assert_int_eq(t.clients, 0);
    ck_assert_int_eq(t.duration, 86400);
    ck_assert_uint_eq(t.size, UINT64_C(2) << 30);
    ck_assert_int_eq(t.mode, 1);
    ck_assert_uint_eq(t.endpos, UINT64_C(0x16B374D848));
    ck_assert_int_eq(t.verbose, 3);
    ck_assert_int_eq(t.tags, 4);
    ck_assert_int_eq(rest, 1);
    ck_assert(wp_opt_given(table, "slot"));
    ck_assert(wp_opt_given(table, "endpos"));
    ck_assert(!wp_opt_given(table, "nonexistent"));
}
END_TEST

/* Every bad value is refused with one message shape naming the option. */
START_TEST(test_wp_opt_parse_bad_values)
{
    static const struct {
        const char *args[4];
        const char *message;
    } cases[] = {
        {{"--clients=", NULL},
         "invalid value \"\" for option --clients: expected an integer "
         "from 0 to 64"},
        {{"--clients=65", NULL},
         "invalid value \"65\" for option --clients: expected an "
         "integer from 0 to 64"},
        {{"--clients=-1", NULL},
         "invalid value \"-1\" for option --clients: expected an "
         "integer from 0 to 64"},
        {{"--clients= 3", NULL},
         "invalid value \" 3\" for option --clients: expected an "
         "integer from 0 to 64"},
        {{"--clients=+3", NULL},
         "invalid value \"+3\" for option --clients: expected an "
         "integer from 0 to 64"},
        {{"--clients=3x", NULL},
         "invalid value \"3x\" for option --clients: expected an "
         "integer from 0 to 64"},
        {{"--duration=4294967297", NULL},
         "invalid value \"4294967297\" for option --duration: "
         "expected an integer from 1 to 86400"},
        {{"-s", "4294967306", NULL},
         "invalid value \"4294967306\" for option -s: expected an "
         "integer from 1 to 86400"},
        {{"--duration=99999999999999999999", NULL},
         "invalid value \"99999999999999999999\" for option --duration: expected an integer "
         "from 1 to 86400"},
        {{"--generate=0", NULL},
         "invalid value \"0\" for option --generate: expected a size "
         "from 1 to 1099511627776 bytes, with an optional unit (kB, "
         "MB, GB, TB), e.g. 512MB"},
        {{"--generate=2PB", NULL},
         "invalid value \"2PB\" for option --generate: expected a "
         "size from 1 to 1099511627776 bytes, with an optional unit "
         "(kB, MB, GB, TB), e.g. 512MB"},
        {{"--mode=fast", NULL}, "invalid value \"fast\" for option --mode: use catchup or live"},
        {{"--mode=", NULL}, "invalid value \"\" for option --mode: use catchup or live"},
        {{"-E", "nope", NULL},
         "invalid value \"nope\" for option -E: expected a WAL position "
         "such as 0/3000000"},
        {{"--slot=", NULL}, "invalid value \"\" for option --slot: it must not be empty"},
        {{"-D", "", NULL}, "invalid value \"\" for option -D: it must not be empty"},
        {{"--tag=3", NULL}, "invalid value \"3\" for option --tag: use an even number up to 100"},
        {{"--slot=a", "-S", "b", NULL}, "option -S given more than once"},
        {{"--bogus", NULL}, "invalid option \"--bogus\""},
        {{"-q", NULL}, "invalid option \"-q\""},
        {{"-vq", NULL}, "invalid option \"-q\""},
        {{"-D", NULL}, "option -D needs a value"},
        {{"--directory", NULL}, "option --directory needs a value"},
        {{"--create-slot=yes", NULL}, "invalid option \"--create-slot=yes\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        targets t = {0};
        TABLE(t);
        wp_error err = {0};
        ck_assert_msg(parse(table, cases[i].args, NULL, &err) == WP_E_USAGE, "case %zu", i);
        ck_assert_str_eq(err.message, cases[i].message);
    }
}
END_TEST

START_TEST(test_wp_opt_parse_repeatable)
{
    targets t = {0};
    TABLE(t);
    wp_error err = {0};
    const char *args[] = {"--tag=2", "--tag=6", "--create-slot", "--create-slot", NULL};
    ck_assert_int_eq(parse(table, args, NULL, &err), 0);
    ck_assert_int_eq(t.tags, 6);
    ck_assert(t.create_slot);
}
END_TEST

START_TEST(test_wp_opt_parse_twice_resets)
{
    /* A second parse (another command in the same process) starts afresh. */
    targets t = {0};
    TABLE(t);
    wp_error err = {0};
    const char *a1[] = {"-vD", "/x", NULL};
    ck_assert_int_eq(parse(table, a1, NULL, &err), 0);
    ck_assert_str_eq(t.dir, "/x");
    const char *a2[] = {"-D", "/y", NULL};
    ck_assert_int_eq(parse(table, a2, NULL, &err), 0);
    ck_assert_str_eq(t.dir, "/y");
    ck_assert(!wp_opt_given(table, "verbose"));
}
END_TEST

START_TEST(test_wp_opt_check_rules)
{
    static const wp_opt_rule rules[] = {{WP_OPT_EXCLUDES, "slot", "create-slot"},
                                        {WP_OPT_NEEDS, "endpos", "directory"}};
    targets t = {0};
    TABLE(t);
    wp_error err = {0};
    const char *ok[] = {"--slot=a", "-D", "/d", "-E", "0/1", NULL};
    ck_assert_int_eq(parse(table, ok, NULL, &err), 0);
    ck_assert_int_eq(wp_opt_check(table, rules, 2, &err), 0);
    const char *both[] = {"--slot=a", "--create-slot", NULL};
    ck_assert_int_eq(parse(table, both, NULL, &err), 0);
    ck_assert_int_eq(wp_opt_check(table, rules, 2, &err), WP_E_USAGE);
    ck_assert_str_eq(err.message, "options --slot and --create-slot cannot be used together");
    const char *needs[] = {"-E", "0/1", NULL};
    ck_assert_int_eq(parse(table, needs, NULL, &err), 0);
    ck_assert_int_eq(wp_opt_check(table, rules, 2, &err), WP_E_USAGE);
    ck_assert_str_eq(err.message, "option --endpos needs --directory");
}
END_TEST

START_TEST(test_wp_opt_parse_int_edges)
{
    int64_t v = 7;
    ck_assert_int_eq(wp_opt_parse_int("-5", -10, 10, &v), 0);
    ck_assert_int_eq(v, -5);
    ck_assert_int_eq(wp_opt_parse_int("9223372036854775807", 0, INT64_MAX, &v), 0);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(wp_opt_parse_int("9223372036854775808", 0, INT64_MAX, &v), WP_E_RANGE);
    ck_assert_int_eq(wp_opt_parse_int("", 0, 1, &v), WP_E_RANGE);
    ck_assert_int_eq(wp_opt_parse_int(NULL, 0, 1, &v), WP_E_RANGE);
    ck_assert_int_eq(wp_opt_parse_int("0x10", 0, 100, &v), WP_E_RANGE);
    ck_assert_int_eq(v, INT64_MAX); /* untouched on failure */
}
END_TEST

START_TEST(test_wp_opt_print_help_layout)
{
    targets t = {0};
    wp_opt table[] = {{.short_name = 'D',
                       .long_name = "directory",
                       .kind = WP_OPT_STRING,
                       .target = &t.dir,
                       .arg_name = "DIR",
                       .help = "where"},
                      {.long_name = "create-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &t.create_slot,
                       .help = "make it",
                       .section = "Slot options"},
                      {.long_name = "hidden",
                       .kind = WP_OPT_FLAG,
                       .target = &t.sync,
                       .help = "no",
                       .flags = WP_OPT_HIDDEN},
                      {.long_name = "a-really-long-option",
                       .kind = WP_OPT_STRING,
                       .target = &t.slot,
                       .arg_name = "VALUE",
                       .help = "long"},
                      WP_OPT_END};
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    wp_opt_print_help(f, table);
    fclose(f);
    ck_assert_str_eq(text, "  -D, --directory=DIR      where\n"
                           "\nSlot options:\n"
                           "      --create-slot        make it\n"
                           "      --a-really-long-option=VALUE\n"
                           "                           long\n");
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("opt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wp_opt_parse_values);
    tcase_add_test(tc, test_wp_opt_parse_bad_values);
    tcase_add_test(tc, test_wp_opt_parse_repeatable);
    tcase_add_test(tc, test_wp_opt_parse_twice_resets);
    tcase_add_test(tc, test_wp_opt_check_rules);
    tcase_add_test(tc, test_wp_opt_parse_int_edges);
    tcase_add_test(tc, test_wp_opt_print_help_layout);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
