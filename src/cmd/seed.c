#include "cmd/cli.h"
#include "cmd/seed_wal.h"
#include "walpull/basebackup.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/conninfo.h"
#include "walpull/extract.h"
#include "walpull/file_link.h"
#include "walpull/fsutil.h"
#include "walpull/io.h"
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

/* Without pg_control the server refuses to start a data directory: it is
 * written under another name and renamed only once the seed is complete
 * and durable, so that a seed cut short can never be started as if whole. */
#define HELD_BACK "global/pg_control"

enum { CHECKPOINT_SPREAD, CHECKPOINT_FAST };

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
    int checkpoint; /* CHECKPOINT_* */
    bool progress;
    uint32_t max_rate;
    const char *map_old[WP_MAX_TABLESPACES]; /* "OLDDIR=NEWDIR" in argv: up to map_old_len */
    size_t map_old_len[WP_MAX_TABLESPACES];
    const char *map_new[WP_MAX_TABLESPACES];
    size_t n_map;
    int wal; /* wal_mode */
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
    wp_buf waldir; /* the path wal.waldir points into */
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
        if (strlen(location) == o->map_old_len[i] &&
            strncmp(o->map_old[i], location, o->map_old_len[i]) == 0)
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
    wp_buf_printf(&s->waldir, "%s/pg_wal", s->o->dir);
    if (wp_buf_ok(&s->waldir) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    s->wal.waldir = wp_buf_str(&s->waldir);
    if (mkdir(s->wal.waldir, 0700) < 0 && errno != EEXIST)
        return wp_error_errno(err, errno, "could not create directory \"%s\"", s->wal.waldir);
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

/* Set from the signal handler: the one piece of state a handler can share. */
static volatile sig_atomic_t interrupted;

static void on_signal(int signo)
{
    interrupted = signo;
}

static const char *on_should_abort(void *user)
{
    seed *s = user;
    if (interrupted)
        return interrupted == SIGTERM ? "terminated (SIGTERM)" : "interrupted (SIGINT)";
    return wp_seed_wal_failed(&s->wal) ? "the WAL stream beside the backup failed" : NULL;
}

static int on_archive(void *user, size_t idx, wp_link **ret_link, wp_error *err)
{
    seed *s = user;
    bool main_dir = s->ts[idx].oid == 0;
    wp_extract_opts eo = {.root = s->ts_target[idx],
                          .tblspc = main_dir ? s->maps : NULL,
                          .n_tblspc = main_dir ? s->n_maps : 0,
                          .prealloc_min = UINT64_C(64) << 10,
                          .direct_min = s->o->direct_io ? DIRECT_MIN : 0,
                          .stats = &s->stats,
                          .hold_back = main_dir ? HELD_BACK : NULL};
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
        return wp_error_errno(err, errno, "could not open directory \"%s\"", s->o->dir);
    /* The file link keeps the descriptor only as the base of its path; it
     * opens the file at once, below, so dirfd can go after that. */
    wp_file_link_opts fo = {.dirfd = dirfd, .path = "backup_manifest.tmp", .truncate = true};
    int r = wp_file_link_new(&fo, NULL, ret_link, err);
    if (r == 0)
        r = wp_link_sync(*ret_link, err);
    close(dirfd);
    return r;
}

/* Open DIR/NAME for writing with extra flags; O_NOFOLLOW: the directory
 * came from the backup stream, never write through a symlink in it. */
static int open_in_dir(const char *dir, const char *name, int flags, int *ret_fd, wp_error *err)
{
    wp_buf path = {0};
    wp_buf_printf(&path, "%s/%s", dir, name);
    if (wp_buf_ok(&path) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int fd = open(wp_buf_str(&path), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, 0600);
    int r =
        fd < 0 ? wp_error_errno(err, errno, "could not open file \"%s\"", wp_buf_str(&path)) : 0;
    wp_buf_free(&path);
    if (r == 0)
        *ret_fd = fd;
    return r;
}

/* The settings -R appends to postgresql.auto.conf. */
static int recovery_settings(seed *s, wp_buf *out, wp_error *err)
{
    /* A password goes into the file only when given explicitly. */
    bool with_password =
        wp_conn_password(s->conn) != NULL || wp_conninfo_sets(s->o->conn.connstr, "password");
    wp_buf conninfo = {0};
    int r = wp_conn_standby_conninfo(s->conn, with_password, &conninfo, err);
    if (r == 0) {
        wp_buf_puts(out, "# Standby settings written by walpull\nprimary_conninfo = ");
        wp_config_quote(out, wp_buf_str(&conninfo));
        wp_buf_puts(out, "\n");
        if (s->o->slot) {
            wp_buf_puts(out, "primary_slot_name = ");
            wp_config_quote(out, s->o->slot);
            wp_buf_puts(out, "\n");
        }
        if (wp_buf_ok(out) < 0)
            r = wp_error_set(err, -ENOMEM, "out of memory");
    }
    wp_buf_free(&conninfo);
    return r;
}

/* -R: standby.signal, and primary_conninfo / primary_slot_name appended
 * to postgresql.auto.conf. */
static int write_recovery(seed *s, wp_error *err)
{
    int fd = -1;
    int r = open_in_dir(s->o->dir, "standby.signal", O_TRUNC, &fd, err);
    if (r < 0)
        return r;
    if (close(fd) < 0)
        return wp_error_errno(err, errno, "could not create file \"%s/standby.signal\"", s->o->dir);
    wp_buf text = {0};
    r = recovery_settings(s, &text, err);
    if (r == 0)
        r = open_in_dir(s->o->dir, "postgresql.auto.conf", O_APPEND, &fd, err);
    if (r == 0) {
        if (wp_write_all(fd, wp_buf_str(&text), text.len) < 0)
            r = wp_error_errno(err, errno, "could not write file \"%s/postgresql.auto.conf\"",
                               s->o->dir);
        if (close(fd) < 0 && r == 0)
            r = wp_error_errno(err, errno, "could not write file \"%s/postgresql.auto.conf\"",
                               s->o->dir);
    }
    wp_buf_free(&text);
    return r;
}

/* The last step: pg_control under its own name, and that rename durable. */
static int release_held(seed *s, wp_error *err)
{
    wp_buf dir = {0};
    wp_buf_printf(&dir, "%s/global", s->o->dir);
    if (wp_buf_ok(&dir) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int r = 0;
    int dfd = open(dir.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || renameat(dfd, "pg_control" WP_EXTRACT_HELD_SUFFIX, dfd, "pg_control") < 0)
        r = wp_error_errno(err, errno,
                           "could not put \"%s/pg_control\" in place (the backup "
                           "had none?)",
                           dir.data);
    if (r == 0 && s->o->sync && fsync(dfd) < 0)
        r = wp_error_errno(err, errno, "could not fsync directory \"%s\"", dir.data);
    if (dfd >= 0)
        close(dfd);
    wp_buf_free(&dir);
    return r;
}

static int finish_files(seed *s, wp_error *err)
{
    if (s->o->manifest) {
        int dirfd = open(s->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0 || renameat(dirfd, "backup_manifest.tmp", dirfd, "backup_manifest") < 0) {
            int e = errno;
            if (dirfd >= 0)
                close(dirfd);
            return wp_error_errno(err, e, "could not rename file \"%s/backup_manifest.tmp\"",
                                  s->o->dir);
        }
        close(dirfd);
    }
    if (s->o->write_recovery) {
        int r = write_recovery(s, err);
        if (r < 0)
            return r;
    }
    int r = 0;
    if (s->o->sync) {
        /* One syncfs per file system covers every file written: the same
         * guarantee as an fsync of each file and directory, in one call. */
        wp_log(WP_LOG_INFO, "syncing data to disk");
        r = wp_dir_syncfs(s->o->dir, err);
        for (size_t i = 0; i < s->n_ts && r == 0; i++)
            if (s->ts_prepared[i])
                r = wp_dir_syncfs(s->ts_target[i], err);
    }
    if (r == 0)
        r = release_held(s, err);
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
        wp_log(WP_LOG_WARNING,
               "data directory \"%s\" not removed at user's request; it cannot be started "
               "(global/pg_control is put in place only when a seed completes)",
               s->o->dir);
    }
    if (drop_slot) {
        wp_conn *c = NULL;
        wp_error failed = {0};
        int r = wp_conn_open(&s->o->conn, WP_CONN_PHYSICAL, wp_conn_password(s->conn), &c, &failed);
        /* WAIT: the WAL stream's server process may still hold it. */
        if (r == 0)
            r = wp_conn_drop_slot(c, s->o->slot, true, &failed);
        wp_conn_free(c);
        if (r == 0)
            wp_log(WP_LOG_WARNING, "dropped replication slot \"%s\"", s->o->slot);
        else
            wp_log(WP_LOG_WARNING,
                   "replication slot \"%s\" created for this seed is still on the server (%s); "
                   "it holds WAL back until dropped: walpull slot drop %s",
                   s->o->slot, failed.message, s->o->slot);
    }
}

/* The slot: checked, or created with --create-slot. */
static int prepare_slot(seed *s, bool *ret_created, wp_error *err)
{
    const seed_opts *o = s->o;
    wp_slot_info info;
    int r = wp_conn_read_slot(s->conn, &o->conn, o->slot, &info, err);
    if (r < 0)
        return r;
    if (!info.exists && !o->create_slot)
        return wp_cli_slot_missing(o->slot, err);
    if (info.exists && o->create_slot) {
        r = wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" already exists", o->slot);
        wp_error_hint(err, "Leave out --create-slot to use it.");
        return r;
    }
    if (!o->create_slot)
        return 0;
    r = wp_conn_create_slot(s->conn, o->slot, 0, false, NULL, err);
    if (r == 0) {
        *ret_created = true;
        wp_log(WP_LOG_INFO, "created replication slot \"%s\"", o->slot);
    }
    return r;
}

/* Everything that can be refused is checked before the directory exists,
 * so that a refusal leaves nothing behind. */
static int preflight(seed *s, bool *ret_slot_created, wp_error *err)
{
    const seed_opts *o = s->o;
    bool dir_ready = false;
    struct stat st;
    if (stat(o->dir, &st) == 0) {
        bool created;
        /* It exists: check it is empty (and make it 0700) now. */
        int r = wp_dir_prepare_empty(o->dir, &created, err);
        if (r < 0)
            return r;
        dir_ready = true;
    }
    wp_identity id;
    int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, NULL, &s->conn, err);
    if (r == 0)
        r = wp_conn_identify_system(s->conn, &id, err);
    if (r == 0)
        r = wp_conn_wal_segment_size(s->conn, &s->segsize, err);
    if (r == 0 && o->slot)
        r = prepare_slot(s, ret_slot_created, err);
    if (r == 0 && !dir_ready)
        r = wp_dir_prepare_empty(o->dir, &s->dir_created, err);
    return r;
}

/* BASE_BACKUP into the directory, and the WAL stream up to its end. */
static int backup(seed *s, wp_error *err)
{
    const seed_opts *o = s->o;
    wp_basebackup_opts bo = {.label = o->label,
                             .fast_checkpoint = o->checkpoint == CHECKPOINT_FAST,
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
    int r = wp_basebackup_run(s->conn, &bo, &h, &end, &end_tli, err);
    if (r == 0) {
        print_progress(s, true);
        wp_log(WP_LOG_INFO, "base backup ended at " WP_LSN_FMT "; waiting for the WAL stream",
               WP_LSN_ARGS(end));
        return wp_seed_wal_finish(&s->wal, end, err);
    }
    if (s->o->progress && s->tty)
        fputc('\n', stderr);
    /* When the WAL stream failed first, its error is the one to show. */
    if (wp_seed_wal_failed(&s->wal))
        wp_seed_wal_finish(&s->wal, 0, err);
    else
        wp_seed_wal_abort(&s->wal);
    return r;
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
    bool slot_created = false;
    int r = preflight(s, &slot_created, &err);
    if (r == 0) {
        r = backup(s, &err);
        if (r == 0)
            r = finish_files(s, &err);
        if (r < 0)
            cleanup(s, slot_created);
    }
    if (r < 0)
        wp_log_error(&err);
    else
        wp_log(WP_LOG_INFO,
               "seeded \"%s\": %" PRIu64 " files, %" PRIu64 " bytes, %" PRIu64
               " bytes of WAL streamed, in %.1f s",
               o->dir, s->stats.files, s->stats.bytes, s->wal.stats.bytes, wp_clock_since(&s->t0));
    wp_conn_free(s->conn);
    wp_buf_free(&s->waldir);
    free(s);
    return r < 0 ? WP_EXIT_ERROR : WP_EXIT_OK;
}

static int parse_mapping(const char *arg, void *target, wp_error *err)
{
    seed_opts *o = target;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1] || strchr(eq + 1, '='))
        return wp_error_set(err, WP_E_USAGE, "use OLDDIR=NEWDIR");
    if (arg[0] != '/' || eq[1] != '/')
        return wp_error_set(err, WP_E_USAGE, "both directories must be absolute paths");
    if (o->n_map >= WP_MAX_TABLESPACES)
        return wp_error_set(err, WP_E_USAGE, "at most %d mappings", WP_MAX_TABLESPACES);
    o->map_old[o->n_map] = arg;
    o->map_old_len[o->n_map] = (size_t)(eq - arg);
    o->map_new[o->n_map++] = eq + 1;
    return 0;
}

static int parse_rate(const char *arg, void *target, wp_error *err)
{
    if (wp_rate_parse(arg, target) < 0)
        return wp_error_set(err, WP_E_USAGE, "use 32 kB/s to 1 GB/s, e.g. 100k or 10M");
    return 0;
}

static const wp_cli_cmd seed_cmd = {
    "seed", "walpull seed makes a new standby's data directory: a base backup of the\n"
            "server, extracted as it arrives, with the WAL it needs streamed alongside.\n\n"
            "Usage:\n  walpull [seed] -D DIR [OPTION]...\n"};

int wp_cmd_seed(int argc, char **argv)
{
    static const char *const checkpoints[] = {"spread", "fast", NULL};
    static const char *const wal_methods[] = {"stream|s", "fetch|f", "none|n", NULL};
    seed_opts o = {.manifest = true,
                   .sync = true,
                   .direct_io = true,
                   .clean = true,
                   .wal = WAL_STREAM,
                   .label = "walpull base backup"};
    wp_opt table[] = {{.short_name = 'D',
                       .long_name = "pgdata",
                       .kind = WP_OPT_STRING,
                       .target = &o.dir,
                       .arg_name = "DIR",
                       .help = "receive the data directory here (new or empty)"},
                      WP_CLI_SLOT_OPT(&o.slot, "stream WAL through this replication slot"),
                      {.short_name = 'C',
                       .long_name = "create-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &o.create_slot,
                       .help = "create the slot first"},
                      {.short_name = 'R',
                       .long_name = "write-recovery-conf",
                       .kind = WP_OPT_FLAG,
                       .target = &o.write_recovery,
                       .help = "write standby.signal and primary_conninfo"},
                      {.short_name = 'c',
                       .long_name = "checkpoint",
                       .kind = WP_OPT_CHOICE,
                       .target = &o.checkpoint,
                       .choices = checkpoints,
                       .arg_name = "fast|spread",
                       .help = "set fast or spread checkpointing (default spread)"},
                      {.short_name = 'P',
                       .long_name = "progress",
                       .kind = WP_OPT_FLAG,
                       .target = &o.progress,
                       .help = "show progress"},
                      {.short_name = 'r',
                       .long_name = "max-rate",
                       .kind = WP_OPT_CALL,
                       .target = &o.max_rate,
                       .parse = parse_rate,
                       .arg_name = "RATE",
                       .help = "maximum transfer rate (kB/s, or with k or M)"},
                      {.short_name = 'T',
                       .long_name = "tablespace-mapping",
                       .kind = WP_OPT_CALL,
                       .target = &o,
                       .parse = parse_mapping,
                       .flags = WP_OPT_REPEAT,
                       .arg_name = "OLDDIR=NEWDIR",
                       .help = "put the tablespace at OLDDIR in NEWDIR"},
                      {.short_name = 'X',
                       .long_name = "wal-method",
                       .kind = WP_OPT_CHOICE,
                       .target = &o.wal,
                       .choices = wal_methods,
                       .arg_name = "stream|fetch|none",
                       .help = "how to include the WAL (default stream)"},
                      {.long_name = "no-manifest",
                       .kind = WP_OPT_UNSET,
                       .target = &o.manifest,
                       .help = "do not write backup_manifest"},
                      {.long_name = "no-sync",
                       .kind = WP_OPT_UNSET,
                       .target = &o.sync,
                       .help = "do not wait for the files to be safely on disk"},
                      {.long_name = "no-direct-io",
                       .kind = WP_OPT_UNSET,
                       .target = &o.direct_io,
                       .help = "write through the page cache instead of O_DIRECT"},
                      {.short_name = 'n',
                       .long_name = "no-clean",
                       .kind = WP_OPT_UNSET,
                       .target = &o.clean,
                       .help = "do not remove anything after an error"},
                      {.short_name = 'l',
                       .long_name = "label",
                       .kind = WP_OPT_STRING,
                       .target = &o.label,
                       .arg_name = "LABEL",
                       .help = "set the backup label"},
                      WP_CLI_VERBOSE_OPT,
                      WP_CLI_CONN_OPTS(&o.conn),
                      WP_OPT_END};
    static const wp_opt_rule rules[] = {{WP_OPT_NEEDS, "create-slot", "slot"}};
    int first;
    int r = wp_cli_parse(&seed_cmd, table, rules, 1, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (!o.dir)
        return wp_cli_usage_error("seed", "no target directory specified (-D)");
    if (o.slot && o.wal != WAL_STREAM)
        return wp_cli_usage_error("seed", "a replication slot is used only with -X stream");
    /* SIGINT and SIGTERM stop the backup at the next message or wait, and
     * the same cleanup as an error follows. No SA_RESTART: waits end. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return run_seed(&o);
}
