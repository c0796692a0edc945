#include "cmd/cli.h"
#include "walpull/cmd.h"
#include "walpull/conn.h"
#include "walpull/log.h"

#include <stdio.h>
#include <string.h>

static int slot_create(wp_conn *conn, const char *name, bool if_not_exists, wp_error *err)
{
    bool created = false;
    int r = wp_conn_create_slot(conn, name, 0, if_not_exists, &created, err);
    if (r == 0)
        printf(created ? "created replication slot \"%s\"\n"
                       : "replication slot \"%s\" exists already\n",
               name);
    return r;
}

static int slot_drop(wp_conn *conn, const char *name, bool wait, wp_error *err)
{
    int r = wp_conn_drop_slot(conn, name, wait, err);
    if (r == 0)
        printf("dropped replication slot \"%s\"\n", name);
    return r;
}

static int slot_read(wp_conn *conn, const wp_conn_opts *copts, const char *name, wp_error *err)
{
    wp_slot_info info;
    int r = wp_conn_read_slot(conn, copts, name, &info, err);
    if (r == 0 && !info.exists)
        r = wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" does not exist", name);
    if (r < 0)
        return r;
    printf("slot_name: %s\nslot_type: physical\n", name);
    if (info.has_restart_lsn)
        printf("restart_lsn: " WP_LSN_FMT "\n", WP_LSN_ARGS(info.restart_lsn));
    else
        printf("restart_lsn: none\n");
    if (info.restart_tli)
        printf("restart_tli: %u\n", (unsigned)info.restart_tli);
    if (info.wal_status[0])
        printf("wal_status: %s\n", info.wal_status);
    return 0;
}

static const wp_cli_cmd slot_cmd = {"slot",
                                    "walpull slot manages physical replication slots.\n\n"
                                    "Usage:\n"
                                    "  walpull slot create NAME [--if-not-exists] [OPTION]...\n"
                                    "  walpull slot read NAME [OPTION]...\n"
                                    "  walpull slot drop NAME [--wait] [OPTION]...\n"};

int wp_cmd_slot(int argc, char **argv)
{
    wp_conn_opts copts = {0};
    bool if_not_exists = false, wait = false;
    wp_opt table[] = {{.long_name = "if-not-exists",
                       .kind = WP_OPT_FLAG,
                       .target = &if_not_exists,
                       .help = "do not fail when the slot exists already"},
                      {.long_name = "wait",
                       .kind = WP_OPT_FLAG,
                       .target = &wait,
                       .help = "drop: wait until an active slot is released"},
                      WP_CLI_VERBOSE_OPT,
                      WP_CLI_CONN_OPTS(&copts),
                      WP_OPT_END};
    int first;
    int pr = wp_cli_parse(&slot_cmd, table, NULL, 0, argc, argv, 2, &first);
    if (pr != 0)
        return wp_cli_exit(pr);
    if (argc - first != 2)
        return wp_cli_usage_error("slot",
                                  "expected an action (create, read, drop) and a slot name");
    const char *action = argv[first], *name = argv[first + 1];
    if (strcmp(action, "create") != 0 && strcmp(action, "read") != 0 && strcmp(action, "drop") != 0)
        return wp_cli_usage_error("slot", "unknown action \"%s\"", action);

    wp_error err = {0};
    wp_conn *conn = NULL;
    int r = wp_conn_open(&copts, WP_CONN_PHYSICAL, NULL, &conn, &err);
    if (r == 0 && strcmp(action, "create") == 0)
        r = slot_create(conn, name, if_not_exists, &err);
    else if (r == 0 && strcmp(action, "drop") == 0)
        r = slot_drop(conn, name, wait, &err);
    else if (r == 0)
        r = slot_read(conn, &copts, name, &err);
    if (r < 0)
        wp_log_error(&err);
    wp_conn_free(conn);
    return r < 0 ? WP_EXIT_ERROR : WP_EXIT_OK;
}
