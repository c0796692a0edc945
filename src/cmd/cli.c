#include "cmd/cli.h"

#include "walpull/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool wp_cli_common_option(int opt, const char *arg, wp_conn_opts *opts)
{
    switch (opt) {
    case 'v':
        wp_log_verbosity++;
        return true;
    case 'd':
        opts->connstr = arg;
        return true;
    case 'h':
        opts->host = arg;
        return true;
    case 'p':
        opts->port = arg;
        return true;
    case 'U':
        opts->user = arg;
        return true;
    case 'w':
        opts->prompt = WP_PROMPT_NEVER;
        return true;
    case 'W':
        opts->prompt = WP_PROMPT_ALWAYS;
        return true;
    default:
        return false;
    }
}

void wp_cli_print_conn_help(void)
{
    printf("\nConnection options:\n"
           "  -d, --dbname=CONNSTR     connection string or URI\n"
           "  -h, --host=HOSTNAME      database server host or socket directory\n"
           "  -p, --port=PORT          database server port number\n"
           "  -U, --username=NAME      connect as the specified database user\n"
           "  -w, --no-password        never prompt for password\n"
           "  -W, --password           force password prompt\n"
           "libpq's environment variables (PGHOST, PGPORT, PGUSER, PGPASSFILE...) and\n"
           "~/.pgpass apply as in every PostgreSQL client.\n");
}

int wp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "walpull %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry \"walpull %s --help\" for more information.\n", cmd);
    va_end(ap);
    return WP_EXIT_USAGE;
}

void wp_cli_reset_getopt(void)
{
    optind = 1;
    opterr = 0;
}

bool wp_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-?") == 0)
            return true;
    return false;
}

int wp_cli_slot_missing(const char *slot, wp_error *err)
{
    wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" does not exist", slot);
    wp_error_hint(err, "Create it with --create-slot, or check its name.");
    return WP_E_USAGE;
}
