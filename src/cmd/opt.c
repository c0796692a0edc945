#include "walpull/opt.h"

#include "walpull/lsn.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's val for table entry i; above any character. */
#define VAL_BASE 0x1000

static size_t table_len(const wp_opt *table)
{
    size_t n = 0;
    while (table[n].long_name)
        n++;
    return n;
}

static bool takes_value(const wp_opt *opt)
{
    return opt->kind != WP_OPT_FLAG && opt->kind != WP_OPT_UNSET && opt->kind != WP_OPT_ACTION;
}

int wp_opt_parse_int(const char *text, int64_t min, int64_t max, int64_t *ret_value)
{
    /* strtoll alone takes leading blanks, a '+' and an empty string. */
    if (!text || !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
        return WP_E_RANGE;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return WP_E_RANGE;
    *ret_value = v;
    return 0;
}

static int choice_index(const char *const *choices, const char *value)
{
    size_t vlen = strlen(value);
    for (int i = 0; choices[i]; i++) {
        /* "stream|s": every alias separated by '|' names choice i. */
        for (const char *p = choices[i]; *p;) {
            size_t len = strcspn(p, "|");
            if (len == vlen && vlen > 0 && strncmp(p, value, len) == 0)
                return i;
            p += len + (p[len] == '|');
        }
    }
    return -1;
}

static void choices_text(const char *const *choices, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; choices[i] && used < size; i++) {
        size_t len = strcspn(choices[i], "|");
        const char *sep = !choices[i + 1] ? "" : !choices[i + 2] ? " or " : ", ";
        int n = snprintf(buf + used, size - used, "%.*s%s", (int)len, choices[i], sep);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int bad_value(wp_error *err, const char *name, const char *value, const char *why)
{
    return wp_error_set(err, WP_E_USAGE, "invalid value \"%s\" for option %s: %s", value, name,
                        why);
}

int wp_opt_convert(const wp_opt *opt, const char *name, const char *value, wp_error *err)
{
    char why[256];
    switch (opt->kind) {
    case WP_OPT_FLAG:
    case WP_OPT_UNSET:
        *(bool *)opt->target = opt->kind == WP_OPT_FLAG;
        return 0;
    case WP_OPT_STRING:
        if (!value[0])
            return bad_value(err, name, value, "it must not be empty");
        *(const char **)opt->target = value;
        return 0;
    case WP_OPT_INT: {
        int64_t v;
        if (wp_opt_parse_int(value, opt->min, opt->max, &v) < 0) {
            snprintf(why, sizeof(why), "expected an integer from %lld to %lld", (long long)opt->min,
                     (long long)opt->max);
            return bad_value(err, name, value, why);
        }
        *(int *)opt->target = (int)v;
        return 0;
    }
    case WP_OPT_SIZE: {
        uint64_t v;
        if (wp_size_parse(value, &v) < 0 || v < (uint64_t)opt->min || v > (uint64_t)opt->max) {
            snprintf(why, sizeof(why),
                     "expected a size from %lld to %lld bytes, with an optional unit "
                     "(kB, MB, GB, TB), e.g. 512MB",
                     (long long)opt->min, (long long)opt->max);
            return bad_value(err, name, value, why);
        }
        *(uint64_t *)opt->target = v;
        return 0;
    }
    case WP_OPT_CHOICE: {
        int i = choice_index(opt->choices, value);
        if (i < 0) {
            char list[200];
            choices_text(opt->choices, list, sizeof(list));
            snprintf(why, sizeof(why), "use %s", list);
            return bad_value(err, name, value, why);
        }
        *(int *)opt->target = i;
        return 0;
    }
    case WP_OPT_LSN:
        if (wp_lsn_parse(value, (wp_lsn *)opt->target) < 0)
            return bad_value(err, name, value, "expected a WAL position such as 0/3000000");
        return 0;
    case WP_OPT_ACTION:
    case WP_OPT_CALL: {
        wp_error why_err = {0};
        if (opt->parse(value, opt->target, &why_err) < 0)
            return bad_value(err, name, value, why_err.message);
        return 0;
    }
    }
    return wp_error_set(err, WP_E_USAGE, "option %s: unknown kind", name);
}

/* How an option appears in messages: "--slot" (or "-S" when typed so). */
static void option_name(const wp_opt *opt, bool typed_short, char *buf, size_t size)
{
    if (typed_short)
        snprintf(buf, size, "-%c", opt->short_name);
    else
        snprintf(buf, size, "--%s", opt->long_name);
}

/* getopt_long's inputs for a table; freed by the caller. */
static int build_getopt(const wp_opt *table, size_t n, struct option **ret_longs, char **ret_shorts,
                        wp_error *err)
{
    struct option *longs = calloc(n + 1, sizeof(*longs));
    char *shorts = malloc(2 + 2 * n + 1);
    if (!longs || !shorts) {
        free(longs);
        free(shorts);
        wp_error_set(err, -ENOMEM, "out of memory");
        return -ENOMEM;
    }
    /* A leading ':' makes a missing value ':' rather than '?', so the
     * message can say which option lacked it; '+' is not used: options may
     * follow arguments, as in the stock tools. */
    char *s = shorts;
    *s++ = ':';
    for (size_t i = 0; i < n; i++) {
        longs[i] = (struct option){table[i].long_name,
                                   takes_value(&table[i]) ? required_argument : no_argument, NULL,
                                   (int)(VAL_BASE + i)};
        if (table[i].short_name) {
            *s++ = (char)table[i].short_name;
            if (takes_value(&table[i]))
                *s++ = ':';
        }
    }
    *s = '\0';
    *ret_longs = longs;
    *ret_shorts = shorts;
    return 0;
}

static ssize_t find_short(const wp_opt *table, size_t n, int c)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].short_name == c)
            return (ssize_t)i;
    return -1;
}

/* The text of the argument getopt just looked at, for messages. */
static const char *last_arg(int argc, char **argv)
{
    int i = optind - 1;
    return i >= 1 && i < argc ? argv[i] : "?";
}

/* getopt's '?' (an unknown option) or ':' (a missing value) as a
 * message naming the option as it was typed. */
static int getopt_error(const wp_opt *table, size_t n, int c, int argc, char **argv, wp_error *err)
{
    if (c == '?') {
        if (optopt && optopt < VAL_BASE)
            return wp_error_set(err, WP_E_USAGE, "invalid option \"-%c\"", optopt);
        return wp_error_set(err, WP_E_USAGE, "invalid option \"%s\"", last_arg(argc, argv));
    }
    ssize_t i = optopt >= VAL_BASE ? optopt - VAL_BASE : find_short(table, n, optopt);
    char name[64];
    if (i >= 0)
        option_name(&table[i], optopt < VAL_BASE, name, sizeof(name));
    else
        snprintf(name, sizeof(name), "%s", last_arg(argc, argv));
    return wp_error_set(err, WP_E_USAGE, "option %s needs a value", name);
}

/* One option getopt recognised (c: its short name or VAL_BASE + index). */
static int take_option(wp_opt *table, size_t n, int c, wp_error *err)
{
    bool typed_short = c < VAL_BASE;
    ssize_t i = typed_short ? find_short(table, n, c) : c - VAL_BASE;
    if (i < 0)
        return wp_error_set(err, WP_E_USAGE, "invalid option \"-%c\"", c);
    wp_opt *opt = &table[i];
    char name[64];
    option_name(opt, typed_short, name, sizeof(name));
    if (opt->given && takes_value(opt) && !(opt->flags & WP_OPT_REPEAT))
        return wp_error_set(err, WP_E_USAGE, "option %s given more than once", name);
    opt->given++;
    return wp_opt_convert(opt, name, takes_value(opt) ? optarg : "", err);
}

int wp_opt_parse(wp_opt *table, int argc, char **argv, int *ret_first, wp_error *err)
{
    size_t n = table_len(table);
    struct option *longs = NULL;
    char *shorts = NULL;
    int r = build_getopt(table, n, &longs, &shorts, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        table[i].given = 0;
    optind = 0; /* 0, not 1: also resets getopt's state inside a bundle */
    opterr = 0;
    int c;
    while (r == 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == '?' || c == ':')
            r = getopt_error(table, n, c, argc, argv, err);
        else
            r = take_option(table, n, c, err);
    }
    if (r == 0)
        *ret_first = optind;
    free(longs);
    free(shorts);
    return r;
}

static const wp_opt *find_long(const wp_opt *table, const char *long_name)
{
    for (size_t i = 0; table[i].long_name; i++)
        if (strcmp(table[i].long_name, long_name) == 0)
            return &table[i];
    return NULL;
}

bool wp_opt_given(const wp_opt *table, const char *long_name)
{
    const wp_opt *opt = find_long(table, long_name);
    return opt && opt->given > 0;
}

int wp_opt_check(const wp_opt *table, const wp_opt_rule *rules, size_t n_rules, wp_error *err)
{
    for (size_t i = 0; i < n_rules; i++) {
        bool a = wp_opt_given(table, rules[i].a), b = wp_opt_given(table, rules[i].b);
        if (rules[i].kind == WP_OPT_EXCLUDES && a && b)
            return wp_error_set(err, WP_E_USAGE, "options --%s and --%s cannot be used together",
                                rules[i].a, rules[i].b);
        if (rules[i].kind == WP_OPT_NEEDS && a && !b)
            return wp_error_set(err, WP_E_USAGE, "option --%s needs --%s", rules[i].a, rules[i].b);
    }
    return 0;
}

void wp_opt_print_help(FILE *out, const wp_opt *table)
{
    for (size_t i = 0; table[i].long_name; i++) {
        const wp_opt *opt = &table[i];
        if (opt->section)
            fprintf(out, "\n%s:\n", opt->section);
        if ((opt->flags & WP_OPT_HIDDEN) || !opt->help)
            continue;
        char left[80];
        int len =
            snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", opt->short_name ? '-' : ' ',
                     opt->short_name ? opt->short_name : ' ', opt->short_name ? ", " : "  ",
                     opt->long_name, opt->arg_name ? "=" : "", opt->arg_name ? opt->arg_name : "");
        /* The help column starts at 27, as in the stock tools; a longer
         * left side gets a line of its own. */
        if (len > 25)
            fprintf(out, "%s\n%27s%s\n", left, "", opt->help);
        else
            fprintf(out, "%-27s%s\n", left, opt->help);
    }
}
