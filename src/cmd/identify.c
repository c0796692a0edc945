#include "cmd/cli.h"
#include "walpull/cmd.h"
#include "walpull/conn.h"
#include "walpull/log.h"

#include <stdio.h>

static void help(void)
{
    printf("walpull identify shows what a server reports about itself over a replication\n"
           "connection.\n\n"
           "Usage:\n  walpull identify [OPTION]...\n\n"
           "Options:\n"
           "      --json               print one JSON object\n"
           "  -v, --verbose            more messages\n"
           "  -?, --help               show this help, then exit\n");
    wp_cli_print_conn_help();
}

int wp_cmd_identify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'}, WP_CLI_CONN_LONGOPTS, {NULL, 0, NULL, 0}};
    wp_conn_opts copts = {0};
    int json = 0, opt;
    if (wp_cli_wants_help(argc, argv)) {
        help();
        return WP_EXIT_OK;
    }
    wp_cli_reset_getopt();
    while ((opt = getopt_long(argc, argv, WP_CLI_CONN_SHORTOPTS, longopts, NULL)) != -1) {
        if (wp_cli_common_option(opt, optarg, &copts))
            continue;
        switch (opt) {
        case 'j':
            json = 1;
            break;
        default:
            return wp_cli_usage_error("identify", "invalid option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return wp_cli_usage_error("identify", "too many command-line arguments (first is \"%s\")",
                                  argv[optind]);

    wp_error err = {0};
    wp_conn *conn = NULL;
    wp_identity id;
    uint64_t segsize;
    if (wp_conn_open(&copts, WP_CONN_PHYSICAL, NULL, &conn, &err) < 0 ||
        wp_conn_identify_system(conn, &id, &err) < 0 ||
        wp_conn_wal_segment_size(conn, &segsize, &err) < 0) {
        wp_log_error(&err);
        wp_conn_free(conn);
        return WP_EXIT_ERROR;
    }
    const char *vtext = wp_conn_param(conn, "server_version");
    if (json)
        printf("{\"systemid\": \"%s\", \"timeline\": %u, \"xlogpos\": \"" WP_LSN_FMT "\", "
               "\"wal_segment_size\": %llu, \"server_version\": %d, "
               "\"server_version_text\": \"%s\"}\n",
               id.systemid, (unsigned)id.timeline, WP_LSN_ARGS(id.xlogpos),
               (unsigned long long)segsize, wp_conn_server_version(conn), vtext ? vtext : "");
    else
        printf("system identifier:    %s\n"
               "timeline:             %u\n"
               "current WAL position: " WP_LSN_FMT "\n"
               "WAL segment size:     %llu MB\n"
               "server version:       %s\n",
               id.systemid, (unsigned)id.timeline, WP_LSN_ARGS(id.xlogpos),
               (unsigned long long)(segsize >> 20), vtext ? vtext : "?");
    wp_conn_free(conn);
    return WP_EXIT_OK;
}
