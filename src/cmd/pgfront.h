/* What the drop-in front ends (pg_receivewal, pg_basebackup) share: the
 * program name as invoked, the stock tools' message shape and exit codes
 * ("PROG: error: ...", a hint naming --help, exit 1), and the version
 * line tools such as Barman parse. */
#ifndef WALPULL_CMD_PGFRONT_H
#define WALPULL_CMD_PGFRONT_H

#include "walpull/opt.h"

/* The PostgreSQL major the front ends' version line names: the newest
 * server major walpull is tested against. Backup managers compare it with
 * the server's major to decide whether the tool can handle the server
 * (the stock tools refuse newer servers); walpull handles 13 to this. */
#define WP_PGFRONT_PG_VERSION "18.0"

/* -v as the stock tools word it (repeatable: more detail). */
#define WP_PGFRONT_VERBOSE_OPT                                                                     \
    {                                                                                              \
        .short_name = 'v', .long_name = "verbose", .kind = WP_OPT_ACTION,                          \
        .parse = wp_cli_set_verbose, .flags = WP_OPT_REPEAT, .help = "output verbose messages"     \
    }

typedef struct wp_pgfront {
    const char *prog;  /* as invoked: "pg_receivewal", "walpull receivewal" */
    const char *stock; /* the stock tool's name: "pg_receivewal" */
    const char *intro; /* the help's text before the options */
} wp_pgfront;

/* The name to speak as: argv0's last component when it starts with
 * stock (the program was run through a link of that name), else
 * "walpull " plus the subcommand. */
const char *wp_pgfront_prog(const char *argv0, const char *stock, const char *subcommand);

/* --help/-? or --version/-V as the first argument: printed, and
 * WP_CLI_HANDLED. Else parse the table (at most max_args arguments that
 * are not options, from *ret_first); a usage error is printed in the
 * tools' shape and WP_EXIT_ERROR returned. Sets the log to speak as
 * f->prog. */
int wp_pgfront_parse(const wp_pgfront *f, wp_opt *table, int argc, char **argv, int max_args,
                     int *ret_first);

/* A usage error found after parsing: printed with the --help hint;
 * returns WP_EXIT_ERROR. */
int wp_pgfront_usage(const wp_pgfront *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
