/* What every command shares on the command line: the connection options of
 * the stock PostgreSQL client tools, -v, --help and --version, one way of
 * parsing (walpull/opt.h) and one shape for usage errors. */
#ifndef WALPULL_CMD_CLI_H
#define WALPULL_CMD_CLI_H

#include "walpull/conn.h"
#include "walpull/opt.h"

#include <stdbool.h>

/* Exit codes of every subcommand. */
enum { WP_EXIT_OK = 0, WP_EXIT_ERROR = 1, WP_EXIT_USAGE = 2 };

/* wp_cli_parse's answer when it printed --help or --version: exit 0. */
#define WP_CLI_HANDLED (-1)

/* The exit code for what wp_cli_parse returned. */
static inline int wp_cli_exit(int parsed)
{
    return parsed == WP_CLI_HANDLED ? WP_EXIT_OK : parsed;
}

int wp_cli_set_verbose(const char *value, void *target, wp_error *err);
int wp_cli_set_no_password(const char *value, void *target, wp_error *err);
int wp_cli_set_password(const char *value, void *target, wp_error *err);
int wp_cli_set_timeout(const char *value, void *target, wp_error *err);
int wp_cli_set_log_format(const char *value, void *target, wp_error *err);
int wp_cli_set_log_file(const char *value, void *target, wp_error *err);

/* -v, then the connection options (-d -h -p -U -w -W) writing into the
 * wp_conn_opts at c; they end a command's table, before WP_OPT_END. */
#define WP_CLI_VERBOSE_OPT                                                                         \
    {.short_name = 'v',                                                                            \
     .long_name = "verbose",                                                                       \
     .kind = WP_OPT_ACTION,                                                                        \
     .parse = wp_cli_set_verbose,                                                                  \
     .flags = WP_OPT_REPEAT,                                                                       \
     .help = "more messages (twice: debug)"},                                                      \
        {.long_name = "log-format",                                                                \
         .kind = WP_OPT_CALL,                                                                      \
         .parse = wp_cli_set_log_format,                                                           \
         .arg_name = "text|json",                                                                  \
         .help = "log lines as text (the default) or one JSON object each"},                       \
    {                                                                                              \
        .long_name = "log-file", .kind = WP_OPT_CALL, .parse = wp_cli_set_log_file,                \
        .arg_name = "PATH", .help = "log to this file instead of stderr (reopened on SIGHUP)"      \
    }
#define WP_CLI_CONN_OPTS(c)                                                                        \
    {.short_name = 'd',                                                                            \
     .long_name = "dbname",                                                                        \
     .kind = WP_OPT_STRING,                                                                        \
     .target = &(c)->connstr,                                                                      \
     .arg_name = "CONNSTR",                                                                        \
     .help = "connection string or URI",                                                           \
     .section = "Connection options"},                                                             \
        {.short_name = 'h',                                                                        \
         .long_name = "host",                                                                      \
         .kind = WP_OPT_STRING,                                                                    \
         .target = &(c)->host,                                                                     \
         .arg_name = "HOSTNAME",                                                                   \
         .help = "database server host or socket directory"},                                      \
        {.short_name = 'p',                                                                        \
         .long_name = "port",                                                                      \
         .kind = WP_OPT_STRING,                                                                    \
         .target = &(c)->port,                                                                     \
         .arg_name = "PORT",                                                                       \
         .help = "database server port number"},                                                   \
        {.short_name = 'U',                                                                        \
         .long_name = "username",                                                                  \
         .kind = WP_OPT_STRING,                                                                    \
         .target = &(c)->user,                                                                     \
         .arg_name = "NAME",                                                                       \
         .help = "connect as the specified database user"},                                        \
        {.short_name = 'w',                                                                        \
         .long_name = "no-password",                                                               \
         .kind = WP_OPT_ACTION,                                                                    \
         .target = &(c)->prompt,                                                                   \
         .parse = wp_cli_set_no_password,                                                          \
         .help = "never prompt for password"},                                                     \
        {.long_name = "receive-timeout",                                                           \
         .kind = WP_OPT_CALL,                                                                      \
         .target = &(c)->timeout_s,                                                                \
         .parse = wp_cli_set_timeout,                                                              \
         .arg_name = "SECS",                                                                       \
         .help = "give up on a server silent this long (default 60, 0: never)"},                   \
    {                                                                                              \
        .short_name = 'W', .long_name = "password", .kind = WP_OPT_ACTION, .target = &(c)->prompt, \
        .parse = wp_cli_set_password, .help = "force password prompt"                              \
    }

/* Entries several commands share. */
#define WP_CLI_JSON_OPT(t)                                                                         \
    {                                                                                              \
        .long_name = "json", .kind = WP_OPT_FLAG, .target = (t), .help = "print one JSON object"   \
    }
#define WP_CLI_DIR_OPT(t, h)                                                                       \
    {                                                                                              \
        .short_name = 'D', .long_name = "directory", .kind = WP_OPT_STRING, .target = (t),         \
        .arg_name = "DIR", .help = (h)                                                             \
    }
#define WP_CLI_SLOT_OPT(t, h)                                                                      \
    {                                                                                              \
        .short_name = 'S', .long_name = "slot", .kind = WP_OPT_STRING, .target = (t),              \
        .arg_name = "NAME", .help = (h)                                                            \
    }

/* A command's name and its text before the option list. */
typedef struct wp_cli_cmd {
    const char *name;  /* "archive" */
    const char *intro; /* what it does and its usage lines */
} wp_cli_cmd;

/* --help / -? and --version / -V anywhere in argv are answered first (as
 * the stock tools do, before any other checking): WP_CLI_HANDLED. Else
 * parse and check the rules; at most max_args arguments that are not
 * options (their first index in *ret_first). On a usage error it prints
 * the one-line message and the --help pointer and returns WP_EXIT_USAGE. */
int wp_cli_parse(const wp_cli_cmd *cmd, wp_opt *table, const wp_opt_rule *rules, size_t n_rules,
                 int argc, char **argv, int max_args, int *ret_first);

/* Report a usage error found after parsing; returns WP_EXIT_USAGE. */
int wp_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The error for a --slot that does not exist, with the --create-slot hint;
 * returns WP_E_USAGE. */
int wp_cli_slot_missing(const char *slot, wp_error *err);

#endif
