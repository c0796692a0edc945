#include "cmd/cli.h"
#include "cmd/seed.h"
#include "cmd/seed_wal.h"
#include "walpull/basebackup.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/conninfo.h"
#include "walpull/extract.h"
#include "walpull/file_link.h"
#include "walpull/fsutil.h"
#include "walpull/gzip_link.h"
#include "walpull/io.h"
#include "walpull/log.h"
#include "walpull/progress.h"
#include "walpull/stream_links.h"
#include "walpull/tar.h"
#include "walpull/tar_append.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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

/* In tar format, -X stream writes segments here (inside the output
 * directory) until pg_wal.tar is written from them at the end. */
#define WAL_STAGE "pg_wal" WP_EXTRACT_HELD_SUFFIX

typedef struct seed {
    const wp_seed_opts *o;
    wp_conn *conn;
    uint64_t segsize;
    bool dir_created;
    bool waldir_created;
    int dirfd;                           /* the output directory, -1 when there is none */
    unsigned dmode;                      /* directories made here: 0700, or 0750 when the */
    unsigned fmode;                      /* server's data directory allows group access */
    wp_buf ts_paths[WP_MAX_TABLESPACES]; /* in-place tablespaces' targets */
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

static const char *mapped(const wp_seed_opts *o, const char *location)
{
    for (size_t i = 0; i < o->n_map; i++)
        if (strlen(location) == o->map_old_len[i] &&
            strncmp(o->map_old[i], location, o->map_old_len[i]) == 0)
            return o->map_new[i];
    return location;
}

static bool to_stdout(const wp_seed_opts *o)
{
    return o->format == WP_FORMAT_TAR && strcmp(o->dir, "-") == 0;
}

/* A tablespace's target directory, prepared empty (plain format). */
static int prepare_tablespace(seed *s, size_t i, wp_error *err)
{
    const char *loc = s->ts[i].location;
    if (loc[0] != '/') {
        /* In place (allow_in_place_tablespaces): a directory inside the
         * data directory, which the main archive names too. */
        if (!wp_tar_path_safe(loc))
            return wp_error_set(err, WP_E_PROTO, "invalid tablespace location \"%s\"", loc);
        wp_buf_printf(&s->ts_paths[i], "%s/%s", s->o->dir, loc);
        if (wp_buf_ok(&s->ts_paths[i]) < 0)
            return wp_error_set(err, -ENOMEM, "out of memory");
        s->ts_target[i] = wp_buf_str(&s->ts_paths[i]);
        bool created;
        return wp_dir_prepare_empty(s->ts_target[i], &created, err);
    }
    s->ts_target[i] = mapped(s->o, loc);
    int r = wp_dir_prepare_empty(s->ts_target[i], &s->ts_created[i], err);
    if (r < 0) {
        if (s->ts_target[i] == loc)
            wp_error_hint(err, "Map the tablespace to a new directory with -T %s=NEWDIR.", loc);
        return r;
    }
    s->ts_prepared[i] = true;
    if (chmod(s->ts_target[i], s->dmode) < 0)
        return wp_error_errno(err, errno, "could not set permissions of \"%s\"", s->ts_target[i]);
    s->maps[s->n_maps++] = (wp_tblspc_map){.oid = s->ts[i].oid, .target = s->ts_target[i]};
    return 0;
}

/* Set from the signal handler: the one piece of state a handler can share.
 * Atomic, as the WAL thread reads it too (lock-free, so a handler may
 * store to it). */
static atomic_int interrupted;

static void on_signal(int signo)
{
    interrupted = signo;
}

static const char *stop_request(void)
{
    if (interrupted)
        return interrupted == SIGTERM ? "terminated (SIGTERM)" : "interrupted (SIGINT)";
    return NULL;
}

/* The WAL stream beside the backup, into pg_wal, --waldir, or (tar) the
 * staging directory pg_wal.tar is made from. */
static int start_wal(seed *s, wp_lsn start, uint32_t tli, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    if (o->format == WP_FORMAT_TAR)
        wp_buf_printf(&s->waldir, "%s/" WAL_STAGE, o->dir);
    else if (o->waldir)
        wp_buf_puts(&s->waldir, o->waldir);
    else
        wp_buf_printf(&s->waldir, "%s/pg_wal", o->dir);
    if (wp_buf_ok(&s->waldir) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    s->wal.waldir = wp_buf_str(&s->waldir);
    if (mkdir(s->wal.waldir, s->dmode) < 0 && errno != EEXIST)
        return wp_error_errno(err, errno, "could not create directory \"%s\"", s->wal.waldir);
    s->wal.conn = &o->conn;
    s->wal.password = wp_conn_password(s->conn);
    s->wal.segsize = s->segsize;
    s->wal.slot = o->slot;
    s->wal.no_slot = o->no_slot;
    s->wal.status_interval_ms = o->status_interval_secs * 1000;
    s->wal.stop_request = stop_request;
    s->wal.start = start - wp_lsn_segment_offset(start, s->segsize);
    s->wal.tli = tli;
    s->wal.direct = o->direct_io;
    wp_log(WP_LOG_INFO, "streaming WAL from " WP_LSN_FMT " into \"%s\"", WP_LSN_ARGS(s->wal.start),
           s->wal.waldir);
    return wp_seed_wal_start(&s->wal, err);
}

static int on_started(void *user, wp_lsn start, uint32_t tli, const wp_tablespace *ts, size_t n,
                      wp_error *err)
{
    seed *s = user;
    memcpy(s->ts, ts, n * sizeof(*ts));
    s->n_ts = n;
    wp_log(WP_LOG_INFO, "base backup started at " WP_LSN_FMT " on timeline %u", WP_LSN_ARGS(start),
           (unsigned)tli);
    if (to_stdout(s->o) && n > 1)
        return wp_error_set(err, WP_E_USAGE,
                            "can only write single tablespace to stdout, database has %zu", n);
    for (size_t i = 0; i < n; i++) {
        if (ts[i].size_kb > 0)
            s->total += (uint64_t)ts[i].size_kb * 1024;
        if (ts[i].oid == 0) {
            s->ts_target[i] = s->o->dir;
            continue;
        }
        /* Tar format writes each tablespace as OID.tar: nothing to prepare. */
        if (s->o->format == WP_FORMAT_PLAIN && !s->o->target) {
            int r = prepare_tablespace(s, i, err);
            if (r < 0)
                return r;
        }
    }
    return s->o->wal == WP_WAL_STREAM ? start_wal(s, start, tli, err) : 0;
}

static const char *on_should_abort(void *user)
{
    seed *s = user;
    const char *why = stop_request();
    if (why)
        return why;
    return wp_seed_wal_failed(&s->wal) ? "the WAL stream beside the backup failed" : NULL;
}

/* The same requests end a wait for the server's answer on the seed's own
 * connection (IDENTIFY_SYSTEM, the slot, ...). */
static int stop_check(void *user, wp_error *err)
{
    const char *why = on_should_abort(user);
    return why ? wp_error_set(err, WP_E_STATE, "seed stopped: %s", why) : 0;
}

static int recovery_settings(seed *s, wp_buf *out, wp_error *err);

/* One tar member holding len bytes of data, appended to out. */
static int tar_member(wp_buf *out, const char *name, const char *data, size_t len, unsigned mode,
                      wp_error *err)
{
    uint8_t block[WP_TAR_BLOCK];
    if (wp_tar_header_build(name, len, mode, (uint64_t)time(NULL), block) < 0)
        return wp_error_set(err, WP_E_RANGE, "cannot put \"%s\" in a tar archive", name);
    static const char zeros[WP_TAR_BLOCK];
    wp_buf_append(out, (const char *)block, sizeof(block));
    wp_buf_append(out, data, len);
    wp_buf_append(out, zeros, (size_t)wp_tar_padding(len));
    return wp_buf_ok(out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* -R -F t: postgresql.auto.conf as the server sent it plus the standby
 * settings, and standby.signal, at the end of base.tar. */
static int append_recovery(void *user, const wp_buf *captured, wp_buf *out, wp_error *err)
{
    seed *s = user;
    wp_buf conf = {0};
    wp_buf_append(&conf, captured->data ? captured->data : "", captured->len);
    if (conf.len > 0 && conf.data[conf.len - 1] != '\n')
        wp_buf_puts(&conf, "\n");
    int r = recovery_settings(s, &conf, err);
    if (r == 0)
        r = tar_member(out, "postgresql.auto.conf", conf.data, conf.len, s->fmode, err);
    if (r == 0)
        r = tar_member(out, "standby.signal", "", 0, s->fmode, err);
    wp_buf_free(&conf);
    return r;
}

/* Tar format: the archive as a file (base.tar, OID.tar; .gz when
 * compressed here or by the server), or on standard output. */
static int tar_archive_link(seed *s, size_t idx, wp_link **ret_link, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    const char *suffix = "";
    if (o->gzip_level > 0 || (o->server_compress && strcmp(o->server_compress, "gzip") == 0))
        suffix = ".gz";
    else if (o->server_compress && strcmp(o->server_compress, "lz4") == 0)
        suffix = ".lz4";
    else if (o->server_compress && strcmp(o->server_compress, "zstd") == 0)
        suffix = ".zst";
    char name[32];
    if (s->ts[idx].oid == 0)
        snprintf(name, sizeof(name), "base.tar%s", suffix);
    else
        snprintf(name, sizeof(name), "%u.tar%s", (unsigned)s->ts[idx].oid, suffix);
    wp_link *file;
    int r;
    if (to_stdout(o)) {
        r = wp_fd_link_new(STDOUT_FILENO, "standard output", &file, err);
    } else {
        wp_file_link_opts fo = {
            .dirfd = s->dirfd, .path = name, .truncate = true, .mode = s->fmode};
        r = wp_file_link_new(&fo, NULL, &file, err);
    }
    if (r < 0)
        return r;
    if (o->gzip_level > 0)
        r = wp_gzip_link_new(file, o->gzip_level, &file, err);
    if (r == 0 && o->write_recovery && s->ts[idx].oid == 0) {
        /* -R: the settings go inside base.tar, after what the server sent
         * (15 and later end each archive with the end blocks). */
        wp_tar_append_opts ao = {.has_end_marker = wp_conn_server_version(s->conn) >= 150000,
                                 .capture = "postgresql.auto.conf",
                                 .append = append_recovery,
                                 .user = s};
        r = wp_tar_append_link_new(file, &ao, &file, err);
    }
    if (r == 0)
        *ret_link = file;
    return r;
}

static int on_archive(void *user, size_t idx, wp_link **ret_link, wp_error *err)
{
    seed *s = user;
    /* With a target the server names its archives but keeps their bytes. */
    if (s->o->target)
        return wp_null_link_new(ret_link, err);
    if (s->o->format == WP_FORMAT_TAR)
        return tar_archive_link(s, idx, ret_link, err);
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
    /* Compressed by the server: inflated here, before the tar parser. */
    if (r == 0 && s->o->server_compress)
        r = wp_gunzip_link_new(*ret_link, "the server-compressed archive", ret_link, err);
    return r;
}

static int on_manifest(void *user, wp_link **ret_link, wp_error *err)
{
    seed *s = user;
    if (s->o->target)
        return wp_null_link_new(ret_link, err);
    if (s->dirfd < 0)
        return wp_error_set(err, WP_E_PROTO, "the server sent a manifest that was not asked for");
    wp_file_link_opts fo = {
        .dirfd = s->dirfd, .path = "backup_manifest.tmp", .truncate = true, .mode = s->fmode};
    return wp_file_link_new(&fo, NULL, ret_link, err);
}

/* Open DIR/NAME for writing with extra flags; O_NOFOLLOW: the directory
 * came from the backup stream, never write through a symlink in it. */
static int open_in_dir(const char *dir, const char *name, int flags, unsigned mode, int *ret_fd,
                       wp_error *err)
{
    wp_buf path = {0};
    wp_buf_printf(&path, "%s/%s", dir, name);
    if (wp_buf_ok(&path) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int fd = open(wp_buf_str(&path), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | flags, mode);
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
    int r = open_in_dir(s->o->dir, "standby.signal", O_TRUNC, s->fmode, &fd, err);
    if (r < 0)
        return r;
    if (close(fd) < 0)
        return wp_error_errno(err, errno, "could not create file \"%s/standby.signal\"", s->o->dir);
    wp_buf text = {0};
    r = recovery_settings(s, &text, err);
    if (r == 0)
        r = open_in_dir(s->o->dir, "postgresql.auto.conf", O_APPEND, s->fmode, &fd, err);
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

/* One staged WAL file into the tar stream: header, data, padding. */
#define COPY_BUF ((size_t)1 << 16)

static int tar_add_file(seed *s, int dfd, const char *name, uint8_t *buf, wp_link *out,
                        wp_error *err)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wp_error_errno(err, e, "could not open file \"%s/%s\"", s->wal.waldir, name);
    }
    uint8_t block[WP_TAR_BLOCK];
    int r = wp_tar_header_build(name, (uint64_t)st.st_size, s->fmode, (uint64_t)st.st_mtime, block);
    if (r < 0)
        r = wp_error_set(err, WP_E_RANGE, "cannot put \"%s\" in a tar archive", name);
    struct iovec v = {.iov_base = block, .iov_len = sizeof(block)};
    if (r == 0)
        r = wp_link_content(out, &v, 1, err);
    uint64_t left = (uint64_t)st.st_size;
    while (r == 0 && left > 0) {
        ssize_t n = read(fd, buf, left < COPY_BUF ? (size_t)left : COPY_BUF);
        if (n <= 0) {
            r = wp_error_errno(err, n < 0 ? errno : EIO, "could not read file \"%s/%s\"",
                               s->wal.waldir, name);
            break;
        }
        v = (struct iovec){.iov_base = buf, .iov_len = (size_t)n};
        r = wp_link_content(out, &v, 1, err);
        left -= (uint64_t)n;
    }
    close(fd);
    memset(block, 0, sizeof(block));
    v = (struct iovec){.iov_base = block, .iov_len = wp_tar_padding((uint64_t)st.st_size)};
    return r == 0 && v.iov_len > 0 ? wp_link_content(out, &v, 1, err) : r;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int wal_file_only(const struct dirent *d)
{
    return d->d_type == DT_REG || d->d_type == DT_UNKNOWN;
}

/* Tar format with -X stream: pg_wal.tar[.gz] from the staged segments
 * (as whole segments: a partial one is padded with zeros), then the
 * staging directory goes. */
static int write_wal_tar(seed *s, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    wp_file_link_opts fo = {.dirfd = s->dirfd,
                            .path = o->gzip_level > 0 ? "pg_wal.tar.gz" : "pg_wal.tar",
                            .truncate = true,
                            .mode = s->fmode};
    wp_link *out = NULL;
    int r = wp_file_link_new(&fo, NULL, &out, err);
    if (r == 0 && o->gzip_level > 0)
        r = wp_gzip_link_new(out, o->gzip_level, &out, err);
    if (r < 0)
        return r;
    uint8_t *buf = malloc(COPY_BUF);
    if (!buf) {
        wp_link_free(out);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    int dfd = open(s->wal.waldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct dirent **names = NULL;
    int n = dfd < 0 ? -1 : scandirat(dfd, ".", &names, wal_file_only, by_name);
    if (n < 0)
        r = wp_error_errno(err, errno, "could not read directory \"%s\"", s->wal.waldir);
    for (int i = 0; i < n; i++) {
        if (r == 0)
            r = tar_add_file(s, dfd, names[i]->d_name, buf, out, err);
        free(names[i]);
    }
    free(names);
    free(buf);
    if (dfd >= 0)
        close(dfd);
    static const uint8_t end[2 * WP_TAR_BLOCK];
    struct iovec v = {.iov_base = (void *)end, .iov_len = sizeof(end)};
    if (r == 0)
        r = wp_link_content(out, &v, 1, err);
    if (r == 0)
        r = wp_link_finalize(out, err);
    wp_link_free(out);
    if (r == 0)
        wp_dir_remove(s->wal.waldir, true);
    return r;
}

/* --waldir: what the archive put in pg_wal moves there, and pg_wal
 * becomes a symlink to it. */
static int link_waldir(seed *s, wp_error *err)
{
    const char *waldir = s->o->waldir;
    int pfd = openat(s->dirfd, "pg_wal", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int wfd = open(waldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
    if (!d || wfd < 0) {
        int r =
            wp_error_errno(err, errno, "could not open \"%s/pg_wal\" or \"%s\"", s->o->dir, waldir);
        if (d)
            closedir(d);
        else if (pfd >= 0)
            close(pfd);
        if (wfd >= 0)
            close(wfd);
        return r;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (renameat(pfd, de->d_name, wfd, de->d_name) < 0)
            r = wp_error_errno(err, errno, "could not move \"%s/pg_wal/%s\" into \"%s\"", s->o->dir,
                               de->d_name, waldir);
    }
    closedir(d);
    close(wfd);
    if (r == 0 && (unlinkat(s->dirfd, "pg_wal", AT_REMOVEDIR) < 0 ||
                   symlinkat(waldir, s->dirfd, "pg_wal") < 0))
        r = wp_error_errno(err, errno, "could not create symbolic link \"%s/pg_wal\"", s->o->dir);
    return r;
}

/* Make one tree of the copy durable: every file and directory in it and
 * the entry of the root when walpull made it; or everything on its file
 * system. */
static int sync_tree(wp_sync_method how, const char *root, bool created, wp_error *err)
{
    if (how == WP_SYNC_SYNCFS)
        return wp_dir_syncfs(root, err);
    int r = wp_tree_fsync(root, err);
    return r == 0 && created ? wp_fsync_parent(root, err) : r;
}

/* auto: syncfs unless the page cache holds so much dirty data (other
 * programs', mostly: the big files went around it) that flushing it
 * would cost more than an fsync per file. */
static wp_sync_method choose_sync(const seed *s)
{
    if (s->o->sync_method != WP_SYNC_AUTO)
        return (wp_sync_method)s->o->sync_method;
    uint64_t dirty = 0;
    if (wp_dirty_bytes(&dirty) < 0) {
        wp_log(WP_LOG_DEBUG, "syncing: /proc/meminfo unreadable, an fsync per file");
        return WP_SYNC_FSYNC;
    }
    wp_sync_method how = wp_sync_auto(dirty, s->stats.files);
    wp_log(WP_LOG_DEBUG, "syncing: %" PRIu64 " MB dirty in the page cache, %" PRIu64 " files: %s",
           dirty >> 20, s->stats.files, how == WP_SYNC_SYNCFS ? "syncfs" : "an fsync per file");
    return how;
}

static int sync_copy(seed *s, wp_error *err)
{
    wp_sync_method how = choose_sync(s);
    wp_log(WP_LOG_INFO, "syncing data to disk (%s)", how == WP_SYNC_SYNCFS ? "syncfs" : "fsync");
    int r = sync_tree(how, s->o->dir, s->dir_created, err);
    for (size_t i = 0; i < s->n_ts && r == 0; i++)
        if (s->ts_prepared[i])
            r = sync_tree(how, s->ts_target[i], s->ts_created[i], err);
    if (r == 0 && s->o->waldir)
        r = sync_tree(how, s->o->waldir, s->waldir_created, err);
    return r;
}

static int finish_files(seed *s, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    /* A backup with a target, or on standard output, left no files here. */
    if (s->dirfd < 0)
        return 0;
    if (o->manifest && renameat(s->dirfd, "backup_manifest.tmp", s->dirfd, "backup_manifest") < 0)
        return wp_error_errno(err, errno, "could not rename file \"%s/backup_manifest.tmp\"",
                              o->dir);
    int r = 0;
    if (o->format == WP_FORMAT_TAR && o->wal == WP_WAL_STREAM)
        r = write_wal_tar(s, err);
    if (r == 0 && o->format == WP_FORMAT_PLAIN && o->waldir)
        r = link_waldir(s, err);
    if (r == 0 && o->write_recovery && o->format == WP_FORMAT_PLAIN)
        r = write_recovery(s, err);
    if (r == 0 && o->sync)
        r = sync_copy(s, err);
    if (r == 0 && o->format == WP_FORMAT_PLAIN)
        r = release_held(s, err);
    return r;
}

static void cleanup(seed *s, bool drop_slot)
{
    const wp_seed_opts *o = s->o;
    if (s->dirfd < 0) {
        /* Nothing of ours on disk. */
    } else if (o->clean) {
        wp_log(WP_LOG_WARNING, "removing %s \"%s\"",
               s->dir_created ? "data directory" : "contents of data directory", o->dir);
        wp_dir_remove(o->dir, s->dir_created);
        if (o->waldir)
            wp_dir_remove(o->waldir, s->waldir_created);
        for (size_t i = 0; i < s->n_ts; i++)
            if (s->ts_prepared[i])
                wp_dir_remove(s->ts_target[i], s->ts_created[i]);
    } else {
        wp_log(WP_LOG_WARNING,
               "data directory \"%s\" not removed at user's request; it cannot be started "
               "(global/pg_control is put in place only when a seed completes)",
               o->dir);
    }
    if (drop_slot) {
        wp_conn *c = NULL;
        wp_error failed = {0};
        int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, wp_conn_password(s->conn), &c, &failed);
        /* WAIT: the WAL stream's server process may still hold it. */
        if (r == 0)
            r = wp_conn_drop_slot(c, o->slot, true, &failed);
        wp_conn_free(c);
        if (r == 0)
            wp_log(WP_LOG_WARNING, "dropped replication slot \"%s\"", o->slot);
        else
            wp_log(WP_LOG_WARNING,
                   "replication slot \"%s\" created for this seed is still on the server (%s); "
                   "it holds WAL back until dropped: walpull slot drop %s",
                   o->slot, failed.message, o->slot);
    }
}

/* The server found pages failing their checksums (data_corrupted): the
 * copy is kept, as the stock tool keeps it, since it may be the only one
 * left; it stays unstartable (no pg_control under its name). */
static void keep_corrupt(seed *s, wp_error *err)
{
    if (s->o->pg_messages)
        wp_error_set(err, err->code, "checksum error occurred");
    else
        wp_error_hint(err,
                      "The server's WARNING lines name the pages. The copy in \"%s\" is "
                      "kept, but it is not startable: global/pg_control is put in place only "
                      "when a seed completes.",
                      s->o->dir);
}

/* The slot: checked, or created with --create-slot. */
static int prepare_slot(seed *s, bool *ret_created, wp_error *err)
{
    const wp_seed_opts *o = s->o;
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

/* Modes as the server's data directory has them: group access
 * (initdb -g) gives 0750/0640 here too, and the umask follows so that
 * extracted members keep them. */
static int server_modes(seed *s, wp_error *err)
{
    bool group = false;
    int r = wp_conn_group_access(s->conn, &group, err);
    if (r < 0)
        return r;
    s->dmode = group ? 0750 : 0700;
    s->fmode = group ? 0640 : 0600;
    umask(group ? 0027 : 0077);
    return 0;
}

/* The output directory (and --waldir), new or empty, with its modes. */
static int prepare_output(seed *s, bool dir_ready, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    int r = dir_ready ? 0 : wp_dir_prepare_empty(o->dir, &s->dir_created, err);
    if (r == 0 && chmod(o->dir, s->dmode) < 0)
        r = wp_error_errno(err, errno, "could not set permissions of \"%s\"", o->dir);
    if (r == 0 && o->waldir)
        r = wp_dir_prepare_empty(o->waldir, &s->waldir_created, err);
    if (r == 0 && o->waldir && chmod(o->waldir, s->dmode) < 0)
        r = wp_error_errno(err, errno, "could not set permissions of \"%s\"", o->waldir);
    if (r < 0) {
        /* Refused: nothing of ours stays behind. */
        if (s->dir_created)
            wp_dir_remove(o->dir, true);
        return r;
    }
    s->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        return wp_error_errno(err, errno, "could not open directory \"%s\"", o->dir);
    return 0;
}

/* Everything that can be refused is checked before the directory exists,
 * so that a refusal leaves nothing behind. */
static int preflight(seed *s, bool *ret_slot_created, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    /* A target keeps the backup on the server; "-" sends it to stdout. */
    bool has_dir = !o->target && !to_stdout(o);
    bool dir_ready = false;
    struct stat st;
    if (has_dir && stat(o->dir, &st) == 0) {
        bool created;
        /* It exists: check it is empty now. */
        int r = wp_dir_prepare_empty(o->dir, &created, err);
        if (r < 0)
            return r;
        dir_ready = true;
    }
    wp_identity id;
    int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, NULL, &s->conn, err);
    if (r == 0)
        wp_conn_watch(s->conn, stop_check, s);
    if (r == 0)
        r = wp_conn_identify_system(s->conn, &id, err);
    if (r == 0)
        r = wp_conn_wal_segment_size(s->conn, &s->segsize, err);
    if (r == 0)
        r = server_modes(s, err);
    if (r == 0 && o->slot)
        r = prepare_slot(s, ret_slot_created, err);
    if (r == 0 && has_dir)
        r = prepare_output(s, dir_ready, err);
    return r;
}

/* Say how the backup was read: from the socket straight into the files'
 * buffers, or through libpq (and why: one more copy of every byte of the
 * big files, docs/performance.md). */
static void log_read_path(const seed *s, const wp_basebackup_stats *bs)
{
    if (s->o->no_zero_copy)
        wp_log(WP_LOG_DEBUG, "read the backup through libpq");
    else if (!bs->zero_copy)
        wp_log(WP_LOG_INFO, "read the backup through libpq: the connection is encrypted, which "
                            "only libpq reads (two more copies of every byte of the big files)");
    else
        wp_log(WP_LOG_DEBUG,
               "read the backup from the socket: %" PRIu64 " bytes straight into the files' "
               "buffers, %" PRIu64 " bytes handed over (%" PRIu64 " of them copied into one)",
               bs->straight, bs->handed, s->stats.copied);
}

/* BASE_BACKUP into the directory, and the WAL stream up to its end. */
static int backup(seed *s, wp_error *err)
{
    const wp_seed_opts *o = s->o;
    wp_basebackup_opts bo = {.label = o->label,
                             .fast_checkpoint = o->checkpoint == WP_CHECKPOINT_FAST,
                             .progress = o->progress && o->estimate_size,
                             .include_wal = o->wal == WP_WAL_FETCH,
                             .nowait = o->wal != WP_WAL_NONE,
                             .max_rate = o->max_rate,
                             .manifest = o->manifest,
                             .manifest_force_encode = o->manifest_force_encode,
                             .manifest_checksums = o->manifest_checksums,
                             .no_verify_checksums = !o->verify_checksums,
                             .tablespace_map = o->format == WP_FORMAT_TAR,
                             .target = o->target,
                             .target_detail = o->target_detail,
                             .compression = o->server_compress,
                             .compression_detail = o->server_compress_detail,
                             .zero_copy = !o->no_zero_copy};
    wp_basebackup_handler h = {.started = on_started,
                               .archive = on_archive,
                               .manifest = on_manifest,
                               .progress = on_progress,
                               .should_abort = on_should_abort,
                               .user = s};
    wp_lsn end = 0;
    uint32_t end_tli = 0;
    wp_basebackup_stats bs = {0};
    int r = wp_basebackup_run(s->conn, &bo, &h, &end, &end_tli, &bs, err);
    log_read_path(s, &bs);
    if (r == 0) {
        print_progress(s, true);
        wp_log(WP_LOG_INFO, "base backup ended at " WP_LSN_FMT "; waiting for the WAL stream",
               WP_LSN_ARGS(end));
        return wp_seed_wal_finish(&s->wal, end, err);
    }
    if (s->o->progress && s->tty)
        fputc('\n', stderr);
    /* When the WAL stream failed first, its error is the one to show. */
    if (wp_seed_wal_failed(&s->wal)) {
        wp_seed_wal_finish(&s->wal, 0, err);
        if (o->pg_messages) {
            wp_error why = *err;
            wp_error_set(err, why.code, "background process terminated unexpectedly: %s",
                         why.message);
        }
    } else
        wp_seed_wal_abort(&s->wal);
    return r;
}

static int run_seed(const wp_seed_opts *o)
{
    seed *s = calloc(1, sizeof(*s));
    if (!s) {
        wp_log(WP_LOG_ERROR, "out of memory");
        return WP_EXIT_ERROR;
    }
    s->o = o;
    s->dirfd = -1;
    s->dmode = 0700;
    s->fmode = 0600;
    s->tty = isatty(STDERR_FILENO);
    s->t0 = wp_clock_start();
    wp_error err = {0};
    bool slot_created = false;
    int r = preflight(s, &slot_created, &err);
    if (r == 0) {
        r = backup(s, &err);
        if (r == 0)
            r = finish_files(s, &err);
        if (r < 0 && strcmp(err.sqlstate, "XX001") == 0)
            keep_corrupt(s, &err);
        else if (r < 0)
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
    for (size_t i = 0; i < WP_MAX_TABLESPACES; i++)
        wp_buf_free(&s->ts_paths[i]);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s);
    return r < 0 ? WP_EXIT_ERROR : WP_EXIT_OK;
}

static int parse_mapping(const char *arg, void *target, wp_error *err)
{
    wp_seed_opts *o = target;
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
    static const char *const sync_methods[] = WP_SYNC_METHODS;
    wp_seed_opts o = WP_SEED_OPTS_DEFAULT;
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
                      {.long_name = "manifest-checksums",
                       .kind = WP_OPT_STRING,
                       .target = &o.manifest_checksums,
                       .arg_name = "SHA{224,256,384,512}|CRC32C|NONE",
                       .help = "checksum algorithm of the backup manifest's files (default "
                               "CRC32C)"},
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
                      {.long_name = "sync-method",
                       .kind = WP_OPT_CHOICE,
                       .target = &o.sync_method,
                       .choices = sync_methods,
                       .arg_name = "auto|fsync|syncfs",
                       .help = "make the copy durable with an fsync per file, or one syncfs "
                               "(flushes other programs' dirty data too); auto: syncfs unless "
                               "much is dirty (default)"},
                      {.long_name = "no-direct-io",
                       .kind = WP_OPT_UNSET,
                       .target = &o.direct_io,
                       .help = "write through the page cache instead of O_DIRECT"},
                      {.long_name = "no-zero-copy",
                       .kind = WP_OPT_FLAG,
                       .target = &o.no_zero_copy,
                       .help =
                           "read the backup through libpq (its bytes copied once or twice more), "
                           "not straight into the files"},
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
    if (o.slot && o.wal != WP_WAL_STREAM)
        return wp_cli_usage_error("seed", "a replication slot is used only with -X stream");
    return wp_seed_main(&o);
}

int wp_seed_main(const wp_seed_opts *o)
{
    /* SIGINT and SIGTERM stop the backup at the next message or wait, and
     * the same cleanup as an error follows. No SA_RESTART: waits end. */
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return run_seed(o);
}
