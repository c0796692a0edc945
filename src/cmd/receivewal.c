/* pg_receivewal, as PostgreSQL 15's: its options, defaults, messages and
 * exit codes, on walpull's archiver (archive.h). Where the stock tool has a
 * known weakness walpull's behaviour stays: --no-sync still leaves every
 * reported flush position on disk (the flushes are batched, so it costs
 * little), and a lost connection is retried with a backoff. */
#include "cmd/archive.h"
#include "cmd/cli.h"
#include "cmd/pgfront.h"
#include "walpull/cmd.h"
#include "walpull/cspec.h"
#include "walpull/log.h"

#include <stdio.h>
#include <string.h>

typedef struct receivewal_args {
    wp_archive_opts a;
    bool no_sync;
    const char *compress;
} receivewal_args;

static int set_compress(wp_archive_opts *a, const char *text, wp_error *err)
{
    wp_cspec spec;
    wp_cspec_split(text, false, &spec);
    int r = wp_cspec_check(&spec, err);
    if (r < 0)
        return r;
    a->compress = spec.algo == WP_CSPEC_GZIP ? WP_COMPRESS_GZIP : WP_COMPRESS_NONE;
    a->gzip_level = spec.level < 0 ? 6 : spec.level;
    return 0;
}

static const char intro[] =
    "%s receives PostgreSQL streaming write-ahead logs: walpull's archiver with\n"
    "pg_receivewal 15's options, messages, exit codes and file conventions, for\n"
    "servers 13 to 18. Run it as \"walpull receivewal\" or through a link named\n"
    "pg_receivewal.\n\n"
    "Usage:\n  %s [OPTION]...\n";

int wp_cmd_receivewal(int argc, char **argv)
{
    receivewal_args o = {.a = {.status_interval_secs = 10,
                               .gzip_level = 6,
                               .endpos = WP_LSN_INVALID,
                               .bare = true,
                               .endpos_past = true}};
    char intro_text[1024];
    wp_pgfront f = {.prog = wp_pgfront_prog(argv[0], "pg_receivewal", "walpull receivewal"),
                    .stock = "pg_receivewal",
                    .intro = intro_text};
    snprintf(intro_text, sizeof(intro_text), intro, f.stock, f.prog);
    o.a.conn.app_name = f.stock;
    wp_opt table[] = {
        WP_CLI_DIR_OPT(&o.a.dir, "receive write-ahead log files into this directory"),
        {.short_name = 'E',
         .long_name = "endpos",
         .kind = WP_OPT_LSN,
         .target = &o.a.endpos,
         .arg_name = "LSN",
         .help = "exit after receiving the specified LSN"},
        {.long_name = "if-not-exists",
         .kind = WP_OPT_FLAG,
         .target = &o.a.if_not_exists,
         .help = "do not error if slot already exists when creating a slot"},
        {.short_name = 'n',
         .long_name = "no-loop",
         .kind = WP_OPT_FLAG,
         .target = &o.a.no_loop,
         .help = "do not loop on connection lost"},
        {.long_name = "no-sync",
         .kind = WP_OPT_FLAG,
         .target = &o.no_sync,
         .help = "accepted; flushes stay batched and honest"},
        {.short_name = 's',
         .long_name = "status-interval",
         .kind = WP_OPT_INT,
         .target = &o.a.status_interval_secs,
         .min = 0,
         .max = 2147483,
         .arg_name = "SECS",
         .help = "time between status packets sent to server (default: 10)"},
        WP_CLI_SLOT_OPT(&o.a.slot, "replication slot to use"),
        {.long_name = "synchronous",
         .kind = WP_OPT_FLAG,
         .target = &o.a.synchronous,
         .help = "flush write-ahead log immediately after writing"},
        WP_PGFRONT_VERBOSE_OPT,
        {.short_name = 'Z',
         .long_name = "compress",
         .kind = WP_OPT_STRING,
         .target = &o.compress,
         .arg_name = "METHOD[:DETAIL]",
         .help = "compress as specified: none, gzip[:LEVEL] (lz4, zstd: not in this build)"},
        WP_CLI_CONN_OPTS(&o.a.conn),
        {.long_name = "create-slot",
         .kind = WP_OPT_FLAG,
         .target = &o.a.create_slot,
         .help = "create a new replication slot (for the slot's name see --slot)",
         .section = "Optional actions"},
        {.long_name = "drop-slot",
         .kind = WP_OPT_FLAG,
         .target = &o.a.drop_slot,
         .help = "drop the replication slot (for the slot's name see --slot)"},
        WP_OPT_END};
    int first;
    int r = wp_pgfront_parse(&f, table, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (o.a.create_slot && o.a.drop_slot)
        return wp_pgfront_usage(&f, "cannot use --create-slot together with --drop-slot");
    if ((o.a.create_slot || o.a.drop_slot) && !o.a.slot)
        return wp_pgfront_usage(&f, "%s needs a slot to be specified using --slot",
                                o.a.drop_slot ? "--drop-slot" : "--create-slot");
    if (o.a.synchronous && o.no_sync)
        return wp_pgfront_usage(&f, "cannot use --synchronous together with --no-sync");
    if (!o.a.dir && !o.a.create_slot && !o.a.drop_slot)
        return wp_pgfront_usage(&f, "no target directory specified");
    wp_error err = {0};
    if (o.compress && set_compress(&o.a, o.compress, &err) < 0) {
        wp_log_error(&err);
        return WP_EXIT_ERROR;
    }
    o.a.create_only = o.a.create_slot;
    return wp_archive_main(&o.a);
}
