#include "cmd/cli.h"
#include "walpull/buf.h"
#include "walpull/cmd.h"
#include "walpull/conn.h"
#include "walpull/log.h"

#include <stdio.h>

static const wp_cli_cmd identify_cmd = {
    "identify", "walpull identify shows what a server reports about itself over a replication\n"
                "connection.\n\n"
                "Usage:\n  walpull identify [OPTION]...\n"};

int wp_cmd_identify(int argc, char **argv)
{
    wp_conn_opts copts = {0};
    bool json = false;
    wp_opt table[] = {WP_CLI_JSON_OPT(&json), WP_CLI_VERBOSE_OPT, WP_CLI_CONN_OPTS(&copts),
                      WP_OPT_END};
    int first;
    int r = wp_cli_parse(&identify_cmd, table, NULL, 0, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);

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
    if (json) {
        /* Every string from the server is escaped: it is the server's. */
        wp_buf b = {0};
        wp_buf_printf(&b,
                      "{\"systemid\": \"%s\", \"timeline\": %u, \"xlogpos\": \"" WP_LSN_FMT
                      "\", \"wal_segment_size\": %llu, \"server_version\": %d, "
                      "\"server_version_text\": ",
                      id.systemid, (unsigned)id.timeline, WP_LSN_ARGS(id.xlogpos),
                      (unsigned long long)segsize, wp_conn_server_version(conn));
        wp_buf_json_string(&b, vtext ? vtext : "");
        wp_buf_puts(&b, "}\n");
        fputs(wp_buf_str(&b), stdout);
        wp_buf_free(&b);
    } else
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
