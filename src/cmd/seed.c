#include "cmd/cli.h"
#include "cmd/seed_wal.h"
#include "walpull/basebackup.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/conninfo.h"
#include "walpull/extract.h"
#include "walpull/file_link.h"
#include "walpull/fsutil.h"
#include "walpull/log.h"
#include "walpull/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Files at least this big are written with O_DIRECT (dio.h); smaller ones
 * are not worth a synchronous write each. */
#define DIRECT_MIN (1u << 20)

typedef enum wal_mode {
    WAL_STREAM,
    WAL_FETCH,
    WAL_NONE,
} wal_mode;

typedef struct seed_opts {
    wp_conn_opts conn;
    const char *dir;
    const char *slot;
    bool create_slot;
    bool write_recovery;
    bool fast_checkpoint;
    bool progress;
    uint32_t max_rate;
    const char *map_old[WP_MAX_TABLESPACES];
    const char *map_new[WP_MAX_TABLESPACES];
    size_t n_map;
    wal_mode wal;
    bool manifest;
    bool sync;
    bool direct_io;
    bool clean;
    const char *label;
} seed_opts;

typedef struct seed {
    const seed_opts *o;
    wp_conn *conn;
    uint64_t segsize;
    bool dir_created;
    wp_tablespace ts[WP_MAX_TABLESPACES];
    const char *ts_target[WP_MAX_TABLESPACES];
    bool ts_prepared[WP_MAX_TABLESPACES];
    bool ts_created[WP_MAX_TABLESPACES];
    size_t n_ts;
    wp_tblspc_map maps[WP_MAX_TABLESPACES];
    size_t n_maps;
    wp_seed_wal wal;
    wp_extract_stats stats;
    /* progress */
    uint64_t total;
    uint64_t done;
    struct timespec t0;
    double last_print;
    bool tty;
} seed;

static void print_progress(seed *s, bool final)
{
    if (!s->o->progress)
        return;
    double t = wp_clock_since(&s->t0);
    /* A terminal gets a line redrawn a few times a second, a log a line
     * every few seconds. */
    if (!final && t - s->last_print < (s->tty ? 0.2 : 5.0))
        return;
    s->last_print = t;
    char line[160];
    wp_progress_format(s->done, s->total, t, line, sizeof(line));
    if (s->tty)
        fprintf(stderr, "\r%-78s%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "walpull: progress: %s\n", line);
}

static void on_progress(void *user, uint64_t bytes)
{
    seed *s = user;
    s->done = bytes;
    print_progress(s, false);
}

static const char *mapped(const seed_opts *o, const char *location)
{
    for (size_t i = 0; i < o->n_map; i++)
        if (strcmp(o->map_old[i], location) == 0)
            return o->map_new[i];
    return location;
}

static int on_started(void *user, wp_lsn start, uint32_t tli, const wp_tablespace *ts, size_t n,
                      wp_error *err)
{
    seed *s = user;
    memcpy(s->ts, ts, n * sizeof(*ts));
    s->n_ts = n;
    wp_log(WP_LOG_INFO, "base backup started at " WP_LSN_FMT " on timeline %u", WP_LSN_ARGS(start),
           (unsigned)tli);
    for (size_t i = 0; i < n; i++) {
        if (ts[i].size_kb > 0)
            s->total += (uint64_t)ts[i].size_kb * 1024;
        if (ts[i].oid == 0) {
            s->ts_target[i] = s->o->dir;
            continue;
        }
        s->ts_target[i] = mapped(s->o, s->ts[i].location);
        int r = wp_dir_prepare_empty(s->ts_target[i], &s->ts_created[i], err);
        if (r < 0) {
            if (s->ts_target[i] == s->ts[i].location)
                wp_error_hint(err, "Map the tablespace to a new directory with -T %s=NEWDIR.",
                              s->ts[i].location);
            return r;
        }
        s->ts_prepared[i] = true;
        s->maps[s->n_maps++] = (wp_tblspc_map){.oid = ts[i].oid, .target = s->ts_target[i]};
    }
    if (s->o->wal != WAL_STREAM)
        return 0;
    /* The stream writes into pg_wal while the archive is extracted. */
    int r = snprintf(s->wal.waldir, sizeof(s->wal.waldir), "%s/pg_wal", s->o->dir) >=
                    (int)sizeof(s->wal.waldir)
                ? wp_error_set(err, WP_E_RANGE, "directory name too long")
                : 0;
    if (r == 0 && mkdir(s->wal.waldir, 0700) < 0 && errno != EEXIST)
        r = wp_error_set(err, -errno, "could not create directory \"%s\": %s", s->wal.waldir,
                         strerror(errno));
    if (r < 0)
        return r;
    s->wal.conn = &s->o->conn;
    s->wal.password = wp_conn_password(s->conn);
    s->wal.segsize = s->segsize;
    s->wal.slot = s->o->slot;
    s->wal.start = start - wp_lsn_segment_offset(start, s->segsize);
    s->wal.tli = tli;
    s->wal.direct = s->o->direct_io;
    wp_log(WP_LOG_INFO, "streaming WAL from " WP_LSN_FMT " into \"%s\"", WP_LSN_ARGS(s->wal.start),
           s->wal.waldir);
    return wp_seed_wal_start(&s->wal, err);
}

static bool on_should_abort(void *user)
{
    seed *s = user;
    return wp_seed_wal_failed(&s->wal);
}

static int on_archive(void *user, size_t idx, wp_link **ret_link, wp_error *err)
{
    seed *s = user;
    bool main_dir = s->ts[idx].oid == 0;
    wp_extract_opts eo = {.root = s->ts_target[idx],
                          .tblspc = main_dir ? s->maps : NULL,
                          .n_tblspc = main_dir ? s->n_maps : 0,
                          .prealloc_min = 64 * 1024,
                          .direct_min = s->o->direct_io ? DIRECT_MIN : 0,
                          .stats = &s->stats};
    wp_tar_sink *sink;
    int r = wp_extractor_new(&eo, &sink, err);
    if (r == 0)
        r = wp_tar_parser_new(sink, ret_link, err);
    return r;
}

static int on_manifest(void *user, wp_link **ret_link, wp_error *err)
{
    seed *s = user;
    int dirfd = open(s->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return wp_error_set(err, -errno, "could not open directory \"%s\": %s", s->o->dir,
                            strerror(errno));
    /* The file link keeps the descriptor only as the base of its path; it
     * opens the file at once, below, so dirfd can go after that. */
    wp_file_link_opts fo = {.dirfd = dirfd, .path = "backup_manifest.tmp", .truncate = true};
    int r = wp_file_link_new(&fo, NULL, ret_link, err);
    if (r == 0)
        r = wp_link_sync(*ret_link, err);
    close(dirfd);
    return r;
}

/* -R: standby.signal, and primary_conninfo / primary_slot_name appended
 * to postgresql.auto.conf. */
static int write_recovery(seed *s, wp_error *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/standby.signal", s->o->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || close(fd) < 0)
        return wp_error_set(err, -errno, "could not create file \"%s\": %s", path, strerror(errno));
    /* A password goes into the file only when given explicitly. */
    bool with_password =
        wp_conn_password(s->conn) != NULL || wp_conninfo_sets(s->o->conn.connstr, "password");
    char conninfo[4096], quoted[8300], slot[512] = "";
    int r = wp_conn_standby_conninfo(s->conn, with_password, conninfo, sizeof(conninfo), err);
    if (r < 0)
        return r;
    if (wp_config_quote(conninfo, quoted, sizeof(quoted)) < 0)
        return wp_error_set(err, WP_E_RANGE, "primary_conninfo is too long");
    if (s->o->slot) {
        char q[300];
        if (wp_config_quote(s->o->slot, q, sizeof(q)) < 0)
            return wp_error_set(err, WP_E_RANGE, "slot name is too long");
        snprintf(slot, sizeof(slot), "primary_slot_name = %s\n", q);
    }
    snprintf(path, sizeof(path), "%s/postgresql.auto.conf", s->o->dir);
    /* O_NOFOLLOW: the file came from the backup stream; never append
     * through a symlink it may be. */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "a");
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wp_error_set(err, -e, "could not open file \"%s\": %s", path, strerror(e));
    }
    fprintf(f, "# Standby settings written by walpull\nprimary_conninfo = %s\n%s", quoted, slot);
    if (fclose(f) != 0)
        return wp_error_set(err, -errno, "could not write file \"%s\": %s", path, strerror(errno));
    return 0;
}

static int finish_files(seed *s, wp_error *err)
{
    char from[4200], to[4200];
    if (s->o->manifest) {
        snprintf(from, sizeof(from), "%s/backup_manifest.tmp", s->o->dir);
        snprintf(to, sizeof(to), "%s/backup_manifest", s->o->dir);
        if (rename(from, to) < 0)
            return wp_error_set(err, -errno, "could not rename file \"%s\" to \"%s\": %s", from, to,
                                strerror(errno));
    }
    if (s->o->write_recovery) {
        int r = write_recovery(s, err);
        if (r < 0)
            return r;
    }
    if (!s->o->sync)
        return 0;
    /* One syncfs per file system covers every file written: the same
     * guarantee as an fsync of each file and directory, in one call. */
    wp_log(WP_LOG_INFO, "syncing data to disk");
    int r = wp_dir_syncfs(s->o->dir, err);
    for (size_t i = 0; i < s->n_ts && r == 0; i++)
        if (s->ts_prepared[i])
            r = wp_dir_syncfs(s->ts_target[i], err);
    return r;
}

static void cleanup(seed *s, bool drop_slot)
{
    if (s->o->clean) {
        wp_log(WP_LOG_WARNING, "removing %s \"%s\"",
               s->dir_created ? "data directory" : "contents of data directory", s->o->dir);
        wp_dir_remove(s->o->dir, s->dir_created);
        for (size_t i = 0; i < s->n_ts; i++)
            if (s->ts_prepared[i])
                wp_dir_remove(s->ts_target[i], s->ts_created[i]);
    } else {
        wp_log(WP_LOG_WARNING, "data directory \"%s\" not removed at user's request", s->o->dir);
    }
    if (drop_slot) {
        wp_conn *c;
        wp_error ignored;
        if (wp_conn_open(&s->o->conn, WP_CONN_PHYSICAL, wp_conn_password(s->conn), &c, &ignored) ==
            0) {
            /* WAIT: the WAL stream's server process may still hold it. */
            if (wp_conn_drop_slot(c, s->o->slot, true, &ignored) == 0)
                wp_log(WP_LOG_WARNING, "dropped replication slot \"%s\"", s->o->slot);
            else
                wp_log(WP_LOG_WARNING, "could not drop replication slot \"%s\": %s", s->o->slot,
                       ignored.message);
            wp_conn_free(c);
        }
    }
}

static int run_seed(const seed_opts *o)
{
    seed *s = calloc(1, sizeof(*s));
    if (!s) {
        wp_log(WP_LOG_ERROR, "out of memory");
        return WP_EXIT_ERROR;
    }
    s->o = o;
    s->tty = isatty(STDERR_FILENO);
    s->t0 = wp_clock_start();
    wp_error err = {0};
    wp_identity id;
    bool slot_created = false, dir_ready = false;

    /* Everything that can be refused is checked before the directory
     * exists, so a refusal leaves nothing behind. */
    struct stat st;
    if (stat(o->dir, &st) == 0) {
        bool created;
        /* It exists: check it is empty (and make it 0700) now. */
        int r = wp_dir_prepare_empty(o->dir, &created, &err);
        if (r < 0) {
            wp_log_error(&err);
            free(s);
            return WP_EXIT_ERROR;
        }
        dir_ready = true;
    }
    int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, NULL, &s->conn, &err);
    if (r == 0)
        r = wp_conn_identify_system(s->conn, &id, &err);
    if (r == 0)
        r = wp_conn_wal_segment_size(s->conn, &s->segsize, &err);
    if (r == 0 && o->slot) {
        wp_slot_info info;
        r = wp_conn_read_slot(s->conn, &o->conn, o->slot, &info, &err);
        if (r == 0 && !info.exists && !o->create_slot) {
            r = wp_cli_slot_missing(o->slot, &err);
        } else if (r == 0 && info.exists && o->create_slot) {
            r = wp_error_set(&err, WP_E_USAGE, "replication slot \"%s\" already exists", o->slot);
            wp_error_hint(&err, "Leave out --create-slot to use it.");
        } else if (r == 0 && o->create_slot) {
            r = wp_conn_create_slot(s->conn, o->slot, false, false, NULL, &err);
            slot_created = r == 0;
            if (slot_created)
                wp_log(WP_LOG_INFO, "created replication slot \"%s\"", o->slot);
        }
    }
    if (r == 0 && !dir_ready)
        r = wp_dir_prepare_empty(o->dir, &s->dir_created, &err);
    if (r < 0) {
        wp_log_error(&err);
        wp_conn_free(s->conn);
        free(s);
        return WP_EXIT_ERROR;
    }

    wp_basebackup_opts bo = {.label = o->label,
                             .fast_checkpoint = o->fast_checkpoint,
                             .progress = o->progress,
                             .include_wal = o->wal == WAL_FETCH,
                             .nowait = o->wal != WAL_NONE,
                             .max_rate = o->max_rate,
                             .manifest = o->manifest};
    wp_basebackup_handler h = {.started = on_started,
                               .archive = on_archive,
                               .manifest = on_manifest,
                               .progress = on_progress,
                               .should_abort = on_should_abort,
                               .user = s};
    wp_lsn end = 0;
    uint32_t end_tli = 0;
    r = wp_basebackup_run(s->conn, &bo, &h, &end, &end_tli, &err);
    if (r == 0) {
        print_progress(s, true);
        wp_log(WP_LOG_INFO, "base backup ended at " WP_LSN_FMT "; waiting for the WAL stream",
               WP_LSN_ARGS(end));
        r = wp_seed_wal_finish(&s->wal, end, &err);
    } else {
        if (s->o->progress && s->tty)
            fputc('\n', stderr);
        /* When the WAL stream failed first, its error is the one to show. */
        if (wp_seed_wal_failed(&s->wal))
            wp_seed_wal_finish(&s->wal, 0, &err);
        else
            wp_seed_wal_abort(&s->wal);
    }
    if (r == 0)
        r = finish_files(s, &err);
    if (r < 0) {
        wp_log_error(&err);
        cleanup(s, slot_created);
        wp_conn_free(s->conn);
        free(s);
        return WP_EXIT_ERROR;
    }
    wp_log(WP_LOG_INFO,
           "seeded \"%s\": %" PRIu64 " files, %" PRIu64 " bytes, %" PRIu64
           " bytes of WAL streamed, in %.1f s",
           o->dir, s->stats.files, s->stats.bytes, s->wal.stats.bytes, wp_clock_since(&s->t0));
    wp_conn_free(s->conn);
    free(s);
    return WP_EXIT_OK;
}

static void help(void)
{
    printf("walpull seed makes a new standby's data directory: a base backup of the\n"
           "server, extracted as it arrives, with the WAL it needs streamed alongside.\n\n"
           "Usage:\n  walpull [seed] -D DIR [OPTION]...\n\n"
           "Options:\n"
           "  -D, --pgdata=DIR         receive the data directory here (new or empty)\n"
           "  -S, --slot=NAME          stream WAL through this replication slot\n"
           "  -C, --create-slot        create the slot first\n"
           "  -R, --write-recovery-conf  write standby.signal and primary_conninfo\n"
           "  -c, --checkpoint=fast|spread  set fast or spread checkpointing (default spread)\n"
           "  -P, --progress           show progress\n"
           "  -r, --max-rate=RATE      maximum transfer rate (kB/s, or with k or M)\n"
           "  -T, --tablespace-mapping=OLDDIR=NEWDIR  put the tablespace at OLDDIR in NEWDIR\n"
           "  -X, --wal-method=stream|fetch|none  how to include the WAL (default stream)\n"
           "      --no-manifest        do not write backup_manifest\n"
           "      --no-sync            do not wait for the files to be safely on disk\n"
           "      --no-direct-io       write through the page cache instead of O_DIRECT\n"
           "  -n, --no-clean           do not remove anything after an error\n"
           "  -l, --label=LABEL        set the backup label\n"
           "  -v, --verbose            more messages\n"
           "  -?, --help               show this help, then exit\n");
    wp_cli_print_conn_help();
}

static int parse_mapping(const char *arg, seed_opts *o)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1] || strchr(eq + 1, '=') || o->n_map >= WP_MAX_TABLESPACES)
        return wp_cli_usage_error("seed", "invalid tablespace mapping \"%s\": use OLDDIR=NEWDIR",
                                  arg);
    char *old = strndup(arg, (size_t)(eq - arg));
    if (!old)
        return WP_EXIT_ERROR;
    if (old[0] != '/' || eq[1] != '/') {
        free(old);
        return wp_cli_usage_error("seed",
                                  "tablespace mapping \"%s\": both directories must be "
                                  "absolute paths",
                                  arg);
    }
    o->map_old[o->n_map] = old; /* lives until exit */
    o->map_new[o->n_map++] = eq + 1;
    return 0;
}

int wp_cmd_seed(int argc, char **argv)
{
    enum { OPT_NO_MANIFEST = 256, OPT_NO_SYNC, OPT_BUFFERED };
    static const struct option longopts[] = {{"pgdata", required_argument, NULL, 'D'},
                                             {"slot", required_argument, NULL, 'S'},
                                             {"create-slot", no_argument, NULL, 'C'},
                                             {"write-recovery-conf", no_argument, NULL, 'R'},
                                             {"checkpoint", required_argument, NULL, 'c'},
                                             {"progress", no_argument, NULL, 'P'},
                                             {"max-rate", required_argument, NULL, 'r'},
                                             {"tablespace-mapping", required_argument, NULL, 'T'},
                                             {"wal-method", required_argument, NULL, 'X'},
                                             {"no-manifest", no_argument, NULL, OPT_NO_MANIFEST},
                                             {"no-sync", no_argument, NULL, OPT_NO_SYNC},
                                             {"no-direct-io", no_argument, NULL, OPT_BUFFERED},
                                             {"no-clean", no_argument, NULL, 'n'},
                                             {"label", required_argument, NULL, 'l'},
                                             WP_CLI_CONN_LONGOPTS,
                                             {NULL, 0, NULL, 0}};
    seed_opts o = {.manifest = true,
                   .sync = true,
                   .direct_io = true,
                   .clean = true,
                   .wal = WAL_STREAM,
                   .label = "walpull base backup"};
    if (wp_cli_wants_help(argc, argv)) {
        help();
        return WP_EXIT_OK;
    }
    int opt, r;
    wp_cli_reset_getopt();
    while ((opt = getopt_long(argc, argv, WP_CLI_CONN_SHORTOPTS "D:S:CRc:Pr:T:X:nl:", longopts,
                              NULL)) != -1) {
        if (wp_cli_common_option(opt, optarg, &o.conn))
            continue;
        switch (opt) {
        case 'D':
            o.dir = optarg;
            break;
        case 'S':
            o.slot = optarg;
            break;
        case 'C':
            o.create_slot = true;
            break;
        case 'R':
            o.write_recovery = true;
            break;
        case 'c':
            if (strcmp(optarg, "fast") != 0 && strcmp(optarg, "spread") != 0)
                return wp_cli_usage_error("seed", "invalid checkpoint \"%s\": use fast or spread",
                                          optarg);
            o.fast_checkpoint = strcmp(optarg, "fast") == 0;
            break;
        case 'P':
            o.progress = true;
            break;
        case 'r':
            if (wp_rate_parse(optarg, &o.max_rate) < 0)
                return wp_cli_usage_error("seed",
                                          "invalid transfer rate \"%s\": use 32 kB/s to 1 GB/s, "
                                          "e.g. 100k or 10M",
                                          optarg);
            break;
        case 'T':
            if ((r = parse_mapping(optarg, &o)) != 0)
                return r;
            break;
        case 'X':
            if (strcmp(optarg, "stream") == 0 || strcmp(optarg, "s") == 0)
                o.wal = WAL_STREAM;
            else if (strcmp(optarg, "fetch") == 0 || strcmp(optarg, "f") == 0)
                o.wal = WAL_FETCH;
            else if (strcmp(optarg, "none") == 0 || strcmp(optarg, "n") == 0)
                o.wal = WAL_NONE;
            else
                return wp_cli_usage_error(
                    "seed", "invalid WAL method \"%s\": use stream, fetch or none", optarg);
            break;
        case OPT_NO_MANIFEST:
            o.manifest = false;
            break;
        case OPT_NO_SYNC:
            o.sync = false;
            break;
        case OPT_BUFFERED:
            o.direct_io = false;
            break;
        case 'n':
            o.clean = false;
            break;
        case 'l':
            o.label = optarg;
            break;
        default:
            return wp_cli_usage_error("seed", "invalid option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return wp_cli_usage_error("seed", "too many command-line arguments (first is \"%s\")",
                                  argv[optind]);
    if (!o.dir)
        return wp_cli_usage_error("seed", "no target directory specified (-D)");
    if (o.create_slot && !o.slot)
        return wp_cli_usage_error("seed", "--create-slot needs a slot name (--slot)");
    if (o.slot && o.wal != WAL_STREAM)
        return wp_cli_usage_error("seed", "a replication slot is used only with -X stream");
    signal(SIGPIPE, SIG_IGN);
    return run_seed(&o);
}
