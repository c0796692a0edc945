/* pg_basebackup, as PostgreSQL 15's: its options, defaults, messages and
 * exit codes, on walpull's seeding engine (seed.h). The checks between
 * options come in the stock tool's order, so that a command line with
 * several mistakes gets the same first complaint. */
#include "cmd/cli.h"
#include "cmd/pgfront.h"
#include "cmd/seed.h"
#include "walpull/cmd.h"
#include "walpull/cspec.h"
#include "walpull/progress.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct front_args {
    wp_seed_opts s;
    const char *format;
    const char *wal_method;
    const char *checkpoint;
    const char *sync_method;
    const char *compress;
    const char *target;
    const char *rate;
    bool gzip;
    bool no_manifest;
    bool no_estimate;
    bool no_verify;
    bool no_sync;
    bool no_clean;
    char target_buf[64];  /* the target's kind, before ':' */
    char server_algo[32]; /* the server-side compression method */
} front_args;

/* Unescape "\=" in the first len bytes of p, in place, and end the
 * string there. */
static void unescape(char *p, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\\' && i + 1 < len && p[i + 1] == '=')
            i++;
        p[w++] = p[i];
    }
    p[w] = '\0';
}

/* Tidy an absolute path in place as the stock tool does before comparing
 * it: no repeated '/', no "." component, no trailing '/'. */
static void canonical(char *path)
{
    char *w = path;
    for (const char *p = path; *p;) {
        if (*p == '/' && (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0')))) {
            p += p[1] == '/' ? 1 : 2;
            continue;
        }
        *w++ = *p++;
    }
    while (w > path + 1 && w[-1] == '/')
        w--;
    *w = '\0';
}

/* -T OLDDIR=NEWDIR with "\=" for a literal '=': judged as given, then
 * unescaped and tidied in place (argv is ours to change). The stock
 * tool's complaints, in its order. */
static int parse_mapping(const char *arg, void *target, wp_error *err)
{
    front_args *a = target;
    wp_seed_opts *o = &a->s;
    const char *sep = NULL;
    for (const char *p = arg; *p; p++) {
        if (p[0] == '\\' && p[1] == '=') {
            p++;
        } else if (*p == '=') {
            if (sep)
                return wp_error_set(err, WP_E_USAGE, "multiple \"=\" signs in tablespace mapping");
            sep = p;
        }
    }
    if (!sep || sep == arg || !sep[1])
        return wp_error_set(err, WP_E_USAGE,
                            "invalid tablespace mapping format \"%s\", must be \"OLDDIR=NEWDIR\"",
                            arg);
    if (arg[0] != '/')
        return wp_error_set(err, WP_E_USAGE,
                            "old directory is not an absolute path in tablespace mapping: %.*s",
                            (int)(sep - arg), arg);
    if (sep[1] != '/')
        return wp_error_set(err, WP_E_USAGE,
                            "new directory is not an absolute path in tablespace mapping: %s",
                            sep + 1);
    if (o->n_map >= WP_MAX_TABLESPACES)
        return wp_error_set(err, WP_E_USAGE, "at most %d tablespace mappings", WP_MAX_TABLESPACES);
    char *old = (char *)arg;
    char *new_dir = (char *)sep + 1;
    unescape(old, (size_t)(sep - arg));
    unescape(new_dir, strlen(new_dir));
    canonical(old);
    canonical(new_dir);
    o->map_old[o->n_map] = old;
    o->map_old_len[o->n_map] = strlen(old);
    o->map_new[o->n_map++] = new_dir;
    return 0;
}

static const char intro[] =
    "%s takes a base backup of a running PostgreSQL server: walpull's seeding\n"
    "engine with pg_basebackup 15's options, messages and exit codes, for servers\n"
    "13 to 18. Run it as \"walpull basebackup\" or through a link named\n"
    "pg_basebackup.\n\n"
    "Usage:\n  %s [OPTION]...\n";

/* -F, -X, -c: the values and abbreviations the stock tool takes. */
static int choose(const wp_pgfront *f, const char *value, const char *const *names, bool any_case,
                  int *ret, const char *complaint)
{
    int (*same)(const char *, const char *) = any_case ? strcasecmp : strcmp;
    for (int i = 0; names[i]; i += 2) {
        if (same(value, names[i]) == 0 || same(value, names[i + 1]) == 0) {
            *ret = i / 2;
            return 0;
        }
    }
    return wp_pgfront_usage(f, complaint, value);
}

static int check_choices(const wp_pgfront *f, front_args *a)
{
    static const char *const formats[] = {"p", "plain", "t", "tar", NULL};
    static const char *const methods[] = {"s", "stream", "f", "fetch", "n", "none", NULL};
    static const char *const checkpoints[] = {"spread", "spread", "fast", "fast", NULL};
    static const char *const syncs[] = {"fsync", "fsync", "syncfs", "syncfs", NULL};
    wp_seed_opts *o = &a->s;
    if (a->format && choose(f, a->format, formats, false, &o->format,
                            "invalid output format \"%s\", must be \"plain\" or \"tar\"") != 0)
        return WP_EXIT_ERROR;
    /* WP_WAL_STREAM, FETCH, NONE are in this order. */
    if (a->wal_method &&
        choose(f, a->wal_method, methods, false, &o->wal,
               "invalid wal-method option \"%s\", must be \"fetch\", \"stream\", or \"none\"") != 0)
        return WP_EXIT_ERROR;
    if (a->checkpoint &&
        choose(f, a->checkpoint, checkpoints, true, &o->checkpoint,
               "invalid checkpoint argument \"%s\", must be \"fast\" or \"spread\"") != 0)
        return WP_EXIT_ERROR;
    int sync = 0;
    if (a->sync_method &&
        choose(f, a->sync_method, syncs, false, &sync, "unrecognized sync method: %s") != 0)
        return WP_EXIT_ERROR;
    if (a->sync_method) /* the stock tool's two; walpull's auto stays the default */
        o->sync_method = sync == 0 ? WP_SYNC_FSYNC : WP_SYNC_SYNCFS;
    if (a->rate && wp_rate_parse(a->rate, &o->max_rate) < 0)
        return wp_pgfront_usage(f, "transfer rate \"%s\" is not a valid value", a->rate);
    return 0;
}

/* -t: "blackhole", or "server:DIRECTORY". */
static void split_target(front_args *a)
{
    if (!a->target)
        return;
    const char *colon = strchr(a->target, ':');
    size_t n = colon ? (size_t)(colon - a->target) : strlen(a->target);
    if (n >= sizeof(a->target_buf))
        n = sizeof(a->target_buf) - 1;
    memcpy(a->target_buf, a->target, n);
    a->target_buf[n] = '\0';
    a->s.target = a->target_buf;
    a->s.target_detail = colon ? colon + 1 : NULL;
}

/* Where -z / -Z compress: the server judges its specification itself;
 * the client's is checked here. */
static int place_compression(const wp_pgfront *f, front_args *a, const wp_cspec *given)
{
    wp_seed_opts *o = &a->s;
    wp_cspec spec = *given;
    if (spec.where == WP_CSPEC_SERVER) {
        if (strcmp(spec.algo_name, "none") != 0) {
            snprintf(a->server_algo, sizeof(a->server_algo), "%s",
                     spec.legacy ? "gzip" : spec.algo_name);
            o->server_compress = a->server_algo;
            o->server_compress_detail = spec.detail; /* into argv */
        }
        return 0;
    }
    wp_error err = {0};
    if (wp_cspec_check(&spec, &err) < 0)
        return wp_pgfront_usage(f, "%s", err.message);
    if (spec.algo == WP_CSPEC_GZIP)
        o->gzip_level = spec.level < 0 ? 6 : spec.level;
    return 0;
}

/* -z / -Z: on the client (tar output only), or passed to the server. */
static int check_compression(const wp_pgfront *f, front_args *a)
{
    wp_seed_opts *o = &a->s;
    if (!a->compress && !a->gzip)
        return 0;
    wp_cspec spec;
    wp_cspec_split(a->compress ? a->compress : "gzip", true, &spec);
    if (spec.where == WP_CSPEC_UNSPECIFIED)
        spec.where = a->target ? WP_CSPEC_SERVER : WP_CSPEC_CLIENT;
    int r = place_compression(f, a, &spec);
    if (r != 0)
        return r;
    if (a->target && spec.where == WP_CSPEC_CLIENT)
        return wp_pgfront_usage(
            f, "client-side compression is not possible when a backup target is specified");
    if (o->format == WP_FORMAT_PLAIN && o->gzip_level > 0)
        return wp_pgfront_usage(f, "only tar mode backups can be compressed");
    /* Unknown names are the server's to refuse; known ones it makes but
     * this build cannot read cannot be extracted here. */
    if (o->server_compress && o->format == WP_FORMAT_PLAIN &&
        (strcmp(o->server_compress, "lz4") == 0 || strcmp(o->server_compress, "zstd") == 0))
        return wp_pgfront_usage(f,
                                "cannot decompress %s here: this build does not support "
                                "compression with %s; use -F t to keep the server's files",
                                o->server_compress, o->server_compress);
    return 0;
}

/* Output, target and WAL method: the stock tool's checks, in its order. */
static int check_output(const wp_pgfront *f, front_args *a)
{
    wp_seed_opts *o = &a->s;
    if (a->target && a->format)
        return wp_pgfront_usage(f, "cannot specify both format and backup target");
    if (!o->dir && !a->target)
        return wp_pgfront_usage(f, "must specify output directory or backup target");
    if (o->dir && a->target)
        return wp_pgfront_usage(f, "cannot specify both output directory and backup target");
    int r = check_compression(f, a);
    if (r != 0)
        return r;
    if (a->target && o->wal == WP_WAL_STREAM)
        return wp_pgfront_usage(f, "WAL cannot be streamed when a backup target is specified");
    bool to_stdout = o->dir && strcmp(o->dir, "-") == 0;
    if (o->format == WP_FORMAT_PLAIN && to_stdout)
        return wp_pgfront_usage(f, "a plain format backup cannot go to standard output; use -F t");
    if (o->format == WP_FORMAT_TAR && o->wal == WP_WAL_STREAM && to_stdout)
        return wp_pgfront_usage(f, "cannot stream write-ahead logs in tar mode to stdout");
    return 0;
}

static int check_slot(const wp_pgfront *f, const front_args *a)
{
    const wp_seed_opts *o = &a->s;
    if (o->slot && o->wal != WP_WAL_STREAM)
        return wp_pgfront_usage(f, "replication slots can only be used with WAL streaming");
    if (o->no_slot && o->slot)
        return wp_pgfront_usage(f, "--no-slot cannot be used with slot name");
    if (o->create_slot && !o->slot)
        return wp_pgfront_usage(f, "%s needs a slot to be specified using --slot", "--create-slot");
    if (o->create_slot && o->no_slot)
        return wp_pgfront_usage(f, "%s and %s are incompatible options", "--create-slot",
                                "--no-slot");
    return 0;
}

static int check_waldir(const wp_pgfront *f, const front_args *a)
{
    const wp_seed_opts *o = &a->s;
    if (!o->waldir)
        return 0;
    if (a->target)
        return wp_pgfront_usage(
            f, "WAL directory location cannot be specified along with a backup target");
    if (o->format != WP_FORMAT_PLAIN)
        return wp_pgfront_usage(f, "WAL directory location can only be specified in plain mode");
    if (o->waldir[0] != '/')
        return wp_pgfront_usage(f, "WAL directory location must be an absolute path");
    return 0;
}

static int check_manifest_and_recovery(const wp_pgfront *f, const front_args *a)
{
    const wp_seed_opts *o = &a->s;
    if (o->progress && a->no_estimate)
        return wp_pgfront_usage(f, "%s and %s are incompatible options", "--progress",
                                "--no-estimate-size");
    if (a->no_manifest && o->manifest_checksums)
        return wp_pgfront_usage(f, "%s and %s are incompatible options", "--no-manifest",
                                "--manifest-checksums");
    if (a->no_manifest && o->manifest_force_encode)
        return wp_pgfront_usage(f, "%s and %s are incompatible options", "--no-manifest",
                                "--manifest-force-encode");
    if (a->target && o->write_recovery)
        return wp_pgfront_usage(
            f, "recovery configuration cannot be written when a backup target is used");
    if (o->format == WP_FORMAT_TAR && o->write_recovery && o->server_compress)
        return wp_pgfront_usage(f, "the recovery configuration cannot be written into an archive "
                                   "the server compressed; compress on the client (-z) instead");
    return 0;
}

/* The stock tool's checks between options, in its order. */
static int check_rules(const wp_pgfront *f, front_args *a)
{
    int r = check_output(f, a);
    if (r == 0)
        r = check_slot(f, a);
    if (r == 0)
        r = check_waldir(f, a);
    if (r == 0)
        r = check_manifest_and_recovery(f, a);
    return r;
}

int wp_cmd_basebackup(int argc, char **argv)
{
    front_args a = {.s = WP_SEED_OPTS_DEFAULT};
    a.s.label = "pg_basebackup base backup";
    a.s.pg_messages = true;
    char intro_text[1024];
    wp_pgfront f = {.prog = wp_pgfront_prog(argv[0], "pg_basebackup", "walpull basebackup"),
                    .stock = "pg_basebackup",
                    .intro = intro_text};
    snprintf(intro_text, sizeof(intro_text), intro, f.stock, f.prog);
    a.s.conn.app_name = f.stock;
    wp_opt table[] = {{.short_name = 'D',
                       .long_name = "pgdata",
                       .kind = WP_OPT_STRING,
                       .target = &a.s.dir,
                       .arg_name = "DIRECTORY",
                       .help = "receive base backup into directory (\"-\": tar to stdout)",
                       .section = "Options controlling the output"},
                      {.short_name = 'F',
                       .long_name = "format",
                       .kind = WP_OPT_STRING,
                       .target = &a.format,
                       .arg_name = "p|t",
                       .help = "output format (plain (default), tar)"},
                      {.short_name = 'r',
                       .long_name = "max-rate",
                       .kind = WP_OPT_STRING,
                       .target = &a.rate,
                       .arg_name = "RATE",
                       .help = "maximum transfer rate (in kB/s, or use suffix \"k\" or \"M\")"},
                      {.short_name = 'R',
                       .long_name = "write-recovery-conf",
                       .kind = WP_OPT_FLAG,
                       .target = &a.s.write_recovery,
                       .help = "write configuration for replication"},
                      {.short_name = 't',
                       .long_name = "target",
                       .kind = WP_OPT_STRING,
                       .target = &a.target,
                       .arg_name = "TARGET[:DETAIL]",
                       .help = "backup target (if other than client): blackhole, server:DIR"},
                      {.short_name = 'T',
                       .long_name = "tablespace-mapping",
                       .kind = WP_OPT_CALL,
                       .target = &a,
                       .parse = parse_mapping,
                       .flags = WP_OPT_REPEAT,
                       .arg_name = "OLDDIR=NEWDIR",
                       .help = "relocate tablespace in OLDDIR to NEWDIR"},
                      {.long_name = "waldir",
                       .kind = WP_OPT_STRING,
                       .target = &a.s.waldir,
                       .arg_name = "WALDIR",
                       .help = "location for the write-ahead log directory"},
                      {.short_name = 'X',
                       .long_name = "wal-method",
                       .kind = WP_OPT_STRING,
                       .target = &a.wal_method,
                       .arg_name = "none|fetch|stream",
                       .help = "include required WAL files with specified method"},
                      {.short_name = 'z',
                       .long_name = "gzip",
                       .kind = WP_OPT_FLAG,
                       .target = &a.gzip,
                       .help = "compress tar output"},
                      {.short_name = 'Z',
                       .long_name = "compress",
                       .kind = WP_OPT_STRING,
                       .target = &a.compress,
                       .arg_name = "[{client|server}-]METHOD[:DETAIL]",
                       .help = "compress on client or server (gzip here; lz4, zstd on the server)"},
                      {.short_name = 'c',
                       .long_name = "checkpoint",
                       .kind = WP_OPT_STRING,
                       .target = &a.checkpoint,
                       .arg_name = "fast|spread",
                       .help = "set fast or spread checkpointing",
                       .section = "General options"},
                      {.short_name = 'C',
                       .long_name = "create-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &a.s.create_slot,
                       .help = "create replication slot"},
                      {.short_name = 'l',
                       .long_name = "label",
                       .kind = WP_OPT_STRING,
                       .target = &a.s.label,
                       .arg_name = "LABEL",
                       .help = "set backup label"},
                      {.short_name = 'n',
                       .long_name = "no-clean",
                       .kind = WP_OPT_FLAG,
                       .target = &a.no_clean,
                       .help = "do not clean up after errors"},
                      {.short_name = 'N',
                       .long_name = "no-sync",
                       .kind = WP_OPT_FLAG,
                       .target = &a.no_sync,
                       .help = "do not wait for changes to be written safely to disk"},
                      {.long_name = "sync-method",
                       .kind = WP_OPT_STRING,
                       .target = &a.sync_method,
                       .arg_name = "METHOD",
                       .help = "set method for syncing files to disk"},
                      {.short_name = 'P',
                       .long_name = "progress",
                       .kind = WP_OPT_FLAG,
                       .target = &a.s.progress,
                       .help = "show progress information"},
                      WP_CLI_SLOT_OPT(&a.s.slot, "replication slot to use"),
                      WP_PGFRONT_VERBOSE_OPT,
                      {.long_name = "manifest-checksums",
                       .kind = WP_OPT_STRING,
                       .target = &a.s.manifest_checksums,
                       .arg_name = "SHA{224,256,384,512}|CRC32C|NONE",
                       .help = "use algorithm for manifest checksums"},
                      {.long_name = "manifest-force-encode",
                       .kind = WP_OPT_FLAG,
                       .target = &a.s.manifest_force_encode,
                       .help = "hex encode all file names in manifest"},
                      {.long_name = "no-estimate-size",
                       .kind = WP_OPT_FLAG,
                       .target = &a.no_estimate,
                       .help = "do not estimate backup size in server side"},
                      {.long_name = "no-manifest",
                       .kind = WP_OPT_FLAG,
                       .target = &a.no_manifest,
                       .help = "suppress generation of backup manifest"},
                      {.long_name = "no-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &a.s.no_slot,
                       .help = "prevent creation of temporary replication slot"},
                      {.long_name = "no-verify-checksums",
                       .kind = WP_OPT_FLAG,
                       .target = &a.no_verify,
                       .help = "do not verify checksums"},
                      {.long_name = "no-direct-io",
                       .kind = WP_OPT_UNSET,
                       .target = &a.s.direct_io,
                       .help = "write through the page cache instead of O_DIRECT"},
                      {.short_name = 's',
                       .long_name = "status-interval",
                       .kind = WP_OPT_INT,
                       .target = &a.s.status_interval_secs,
                       .min = 0,
                       .max = 2147483,
                       .arg_name = "INTERVAL",
                       .help = "time between status packets sent to server (in seconds)"},
                      WP_CLI_CONN_OPTS(&a.s.conn),
                      WP_OPT_END};
    int first;
    int r = wp_pgfront_parse(&f, table, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if ((r = check_choices(&f, &a)) != 0)
        return r;
    split_target(&a);
    if ((r = check_rules(&f, &a)) != 0)
        return r;
    a.s.manifest = !a.no_manifest;
    a.s.estimate_size = !a.no_estimate;
    a.s.verify_checksums = !a.no_verify;
    a.s.sync = !a.no_sync;
    a.s.clean = !a.no_clean;
    /* On standard output the manifest would have to go inside the tar
     * stream; walpull leaves it out there. */
    if (a.s.dir && strcmp(a.s.dir, "-") == 0)
        a.s.manifest = false;
    return wp_seed_main(&a.s);
}
