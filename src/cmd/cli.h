/* Option handling shared by the subcommands: the connection options every
 * stock PostgreSQL client tool has, and their help text. */
#ifndef WALPULL_CMD_CLI_H
#define WALPULL_CMD_CLI_H

#include "walpull/conn.h"

#include <getopt.h>
#include <stdbool.h>

/* Short options string fragment and long options for -d -h -p -U -w -W
 * and -v. */
#define WP_CLI_CONN_SHORTOPTS "d:h:p:U:wWv"
#define WP_CLI_CONN_LONGOPTS                                                                       \
    {"dbname", required_argument, NULL, 'd'}, {"host", required_argument, NULL, 'h'},              \
        {"port", required_argument, NULL, 'p'}, {"username", required_argument, NULL, 'U'},        \
        {"no-password", no_argument, NULL, 'w'}, {"password", no_argument, NULL, 'W'},             \
    {                                                                                              \
        "verbose", no_argument, NULL, 'v'                                                          \
    }

/* Exit codes of every subcommand. */
enum { WP_EXIT_OK = 0, WP_EXIT_ERROR = 1, WP_EXIT_USAGE = 2 };

/* Apply one connection option or -v; false when opt is not one of them. */
bool wp_cli_common_option(int opt, const char *arg, wp_conn_opts *opts);

/* The connection options' help lines. */
void wp_cli_print_conn_help(void);

/* Report an unknown option or stray argument once and return
 * WP_EXIT_USAGE. */
int wp_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True when an argument is --help or -? (checked before getopt, as the
 * stock tools do). */
bool wp_cli_wants_help(int argc, char **argv);

/* The error for a --slot that does not exist, with the --create-slot hint;
 * returns WP_E_USAGE. */
int wp_cli_slot_missing(const char *slot, wp_error *err);

/* getopt must start afresh for each subcommand. */
void wp_cli_reset_getopt(void);

#endif
