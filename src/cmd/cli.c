#include "cmd/cli.h"

#include "walpull/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int wp_cli_set_verbose(const char *value, void *target, wp_error *err)
{
    (void)value;
    (void)target;
    (void)err;
    if (wp_log_verbosity < WP_LOG_DEBUG)
        wp_log_verbosity++;
    return 0;
}

int wp_cli_set_no_password(const char *value, void *target, wp_error *err)
{
    (void)value;
    (void)err;
    *(wp_prompt *)target = WP_PROMPT_NEVER;
    return 0;
}

int wp_cli_set_password(const char *value, void *target, wp_error *err)
{
    (void)value;
    (void)err;
    *(wp_prompt *)target = WP_PROMPT_ALWAYS;
    return 0;
}

int wp_cli_set_timeout(const char *value, void *target, wp_error *err)
{
    int64_t secs;
    if (wp_opt_parse_int(value, 0, 86400, &secs) < 0)
        return wp_error_set(err, WP_E_USAGE, "expected seconds from 0 (never) to 86400");
    /* wp_conn_opts: 0 is the default, negative is never. */
    *(int *)target = secs == 0 ? -1 : (int)secs;
    return 0;
}

int wp_cli_set_log_format(const char *value, void *target, wp_error *err)
{
    (void)target;
    if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0)
        return wp_error_set(err, WP_E_USAGE, "use text or json");
    wp_log_set_json(strcmp(value, "json") == 0);
    return 0;
}

int wp_cli_set_log_file(const char *value, void *target, wp_error *err)
{
    (void)target;
    wp_error open_err = {0};
    if (wp_log_open_file(value, &open_err) < 0)
        return wp_error_set(err, WP_E_USAGE, "%s", open_err.message);
    return 0;
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

static bool help_or_version(const wp_cli_cmd *cmd, const wp_opt *table, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-?") == 0) {
            printf("%s\nOptions:\n", cmd->intro);
            wp_opt_print_help(stdout, table);
            printf("  -V, --version            show the version, then exit\n"
                   "  -?, --help               show this help, then exit\n"
                   "libpq's environment variables (PGHOST, PGPORT, PGUSER, PGPASSFILE...) and\n"
                   "~/.pgpass apply as in every PostgreSQL client.\n");
            return true;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("walpull %s\n", WALPULL_VERSION);
            return true;
        }
    }
    return false;
}

int wp_cli_parse(const wp_cli_cmd *cmd, wp_opt *table, const wp_opt_rule *rules, size_t n_rules,
                 int argc, char **argv, int max_args, int *ret_first)
{
    if (help_or_version(cmd, table, argc, argv))
        return WP_CLI_HANDLED;
    wp_error err = {0};
    int first;
    if (wp_opt_parse(table, argc, argv, &first, &err) < 0 ||
        wp_opt_check(table, rules, n_rules, &err) < 0)
        return wp_cli_usage_error(cmd->name, "%s", err.message);
    if (argc - first > max_args)
        return wp_cli_usage_error(cmd->name, "too many command-line arguments (first is \"%s\")",
                                  argv[first + max_args]);
    *ret_first = first;
    return 0;
}

int wp_cli_slot_missing(const char *slot, wp_error *err)
{
    wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" does not exist", slot);
    wp_error_hint(err, "Create it with --create-slot, or check its name.");
    return WP_E_USAGE;
}
