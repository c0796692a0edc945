#include "cmd/pgfront.h"

#include "cmd/cli.h"
#include "walpull/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *wp_pgfront_prog(const char *argv0, const char *stock, const char *subcommand)
{
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    if (strncmp(base, stock, strlen(stock)) == 0)
        return base;
    return subcommand;
}

int wp_pgfront_usage(const wp_pgfront *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", f->prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s: hint: Try \"%s --help\" for more information.\n", f->prog, f->prog);
    va_end(ap);
    return WP_EXIT_ERROR;
}

int wp_pgfront_parse(const wp_pgfront *f, wp_opt *table, int argc, char **argv, int max_args,
                     int *ret_first)
{
    wp_log_set_program(f->prog);
    /* Like the stock tools: only as the first argument. */
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0)) {
        printf("%s\nOptions:\n", f->intro);
        wp_opt_print_help(stdout, table);
        printf("  -V, --version            output version information, then exit\n"
               "  -?, --help               show this help, then exit\n\n"
               "This is walpull %s's drop-in front end; \"walpull --help\" lists the rest.\n",
               WALPULL_VERSION);
        return WP_CLI_HANDLED;
    }
    if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("%s (PostgreSQL) %s (walpull %s)\n", f->stock, WP_PGFRONT_PG_VERSION,
               WALPULL_VERSION);
        return WP_CLI_HANDLED;
    }
    /* The stock tools take an option given twice, the last one winning:
     * wrappers put their defaults first and the user's options after. */
    for (wp_opt *o = table; o->long_name; o++)
        o->flags |= WP_OPT_REPEAT;
    wp_error err = {0};
    int first;
    if (wp_opt_parse(table, argc, argv, &first, &err) < 0)
        return wp_pgfront_usage(f, "%s", err.message);
    if (argc - first > max_args)
        return wp_pgfront_usage(f, "too many command-line arguments (first is \"%s\")",
                                argv[first + max_args]);
    *ret_first = first;
    return 0;
}
