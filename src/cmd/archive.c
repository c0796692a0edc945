#include "cmd/archive.h"
#include "cmd/cli.h"
#include "cmd/metrics.h"
#include "cmd/retry.h"
#include "walpull/archstate.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/fsutil.h"
#include "walpull/conn.h"
#include "walpull/log.h"
#include "walpull/rawcopy.h"
#include "walpull/timeline.h"
#include "walpull/verify_sink.h"
#include "walpull/walarchive.h"
#include "walpull/walrecv.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MAX_SECS 60

/* Set from the signal handler: the one piece of state a handler can share. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void on_hangup(int signo)
{
    (void)signo;
    reopen_requested = 1;
}

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static bool should_stop(void *user, wp_lsn written)
{
    if (reopen_requested) {
        /* SIGHUP: the log file was rotated (never a reason to stop). */
        reopen_requested = 0;
        wp_error err = {0};
        if (wp_log_reopen(&err) < 0)
            wp_log_error(&err);
        else
            wp_log(WP_LOG_INFO, "log file reopened");
    }
    (void)user;
    (void)written;
    return stop_requested != 0;
}

/* A stop request ends a wait for the server's answer (IDENTIFY_SYSTEM,
 * START_REPLICATION, ...), however long the receive timeout, once the
 * server has been silent a second; the stream's own loop sees it between
 * messages. */
static int stop_check(void *user, wp_error *err)
{
    (void)user;
    return stop_requested ? wp_error_set(err, WP_E_STATE, "stopped while waiting for the server")
                          : 0;
}

/* A replication connection whose waits end on a stop request. */
static int open_conn(const wp_archive_opts *o, wp_conn **ret_conn, wp_error *err)
{
    int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, NULL, ret_conn, err);
    if (r == 0)
        wp_conn_watch(*ret_conn, stop_check, NULL);
    return r;
}

/* What the archiver tells other commands (walpull.state), kept across
 * sessions. */
typedef struct state_writer {
    const char *dir; /* NULL: no walpull.state (a bare directory) */
    wp_archstate st;
    bool warned;     /* a failed write is said once */
    bool slot_ready; /* a session found (or made) the slot */
    bool streamed;   /* a session got as far as streaming */
    uint64_t reconnects;
    const char *metrics_path; /* --metrics-file, or NULL */
    uint64_t bytes_before;    /* received in earlier sessions */
    uint64_t segments;
} state_writer;

static void on_status(void *user, uint32_t tli, const wp_walsink *sink,
                      const wp_walrecv_stats *stats)
{
    state_writer *w = user;
    int64_t now = (int64_t)time(NULL);
    if (sink->durable != w->st.durable || w->st.progressed == 0)
        w->st.progressed = now;
    w->st.pid = (long)getpid();
    w->st.tli = tli;
    w->st.written = sink->written;
    w->st.durable = sink->durable;
    w->st.server_end = stats->server_wal_end;
    w->st.updated = now;
    wp_error err = {0};
    int r = w->dir ? wp_archstate_write(w->dir, &w->st, &err) : 0;
    if (r == 0 && w->metrics_path) {
        wp_metrics m = {
            .streaming = true,
            .tli = tli,
            .received = sink->written,
            .flushed = sink->durable,
            .server_end = stats->server_wal_end,
            .received_bytes = w->bytes_before + stats->bytes,
            .segments = w->segments,
            .reconnects = w->reconnects,
            .last_message_age =
                stats->server_time ? (double)(wp_clock_pg_now() - stats->server_time) / 1e6 : 0.0,
            .updated = now};
        wp_buf text = {0};
        r = wp_metrics_format(&m, &text) < 0
                ? wp_error_set(&err, -ENOMEM, "out of memory")
                : wp_file_replace(w->metrics_path, text.data, text.len, &err);
        wp_buf_free(&text);
    }
    if (r < 0 && !w->warned) {
        wp_log(WP_LOG_WARNING, "%s", err.message);
        w->warned = true;
    }
}

static void on_segment(void *user, const char *name, uint64_t wal_bytes, double secs)
{
    ((state_writer *)user)->segments++;
    wp_log(WP_LOG_INFO,
           "finished segment %s (%llu bytes of WAL, durable %.2f s after its first "
           "byte)",
           name, (unsigned long long)wal_bytes, secs);
}

static void on_timeline(void *user, uint32_t old_tli, uint32_t new_tli, wp_lsn at)
{
    (void)user;
    wp_log(WP_LOG_INFO, "switched from timeline %u to timeline %u at " WP_LSN_FMT,
           (unsigned)old_tli, (unsigned)new_tli, WP_LSN_ARGS(at));
}

static int parse_compress(const char *arg, void *target, wp_error *err)
{
    wp_archive_opts *o = target;
    if (strcmp(arg, "none") == 0) {
        o->compress = WP_COMPRESS_NONE;
        return 0;
    }
    if (strncmp(arg, "gzip", 4) == 0 && (arg[4] == '\0' || arg[4] == ':')) {
        int64_t level = 6;
        if (arg[4] == ':' && wp_opt_parse_int(arg + 5, 1, 9, &level) < 0)
            return wp_error_set(err, WP_E_USAGE, "the gzip level must be from 1 to 9");
        o->compress = WP_COMPRESS_GZIP;
        o->gzip_level = (int)level;
        return 0;
    }
    return wp_error_set(err, WP_E_USAGE, "use none or gzip[:LEVEL]");
}

static const wp_cli_cmd archive_cmd = {
    "archive", "walpull archive streams WAL from a PostgreSQL server into a directory of\n"
               "segment files, for point-in-time recovery.\n\n"
               "Usage:\n  walpull archive -D DIR [OPTION]...\n"};

static int parse_args(int argc, char **argv, wp_archive_opts *o)
{
    wp_opt table[] = {WP_CLI_DIR_OPT(&o->dir, "receive WAL files into this directory"),
                      WP_CLI_SLOT_OPT(&o->slot, "stream through this physical replication slot"),
                      {.long_name = "create-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &o->create_slot,
                       .help = "create the slot first (then stream)"},
                      {.long_name = "if-not-exists",
                       .kind = WP_OPT_FLAG,
                       .target = &o->if_not_exists,
                       .help = "with --create-slot, an existing slot is fine"},
                      {.long_name = "synchronous",
                       .kind = WP_OPT_FLAG,
                       .target = &o->synchronous,
                       .help = "fsync after every batch and report it at once"},
                      {.short_name = 's',
                       .long_name = "status-interval",
                       .kind = WP_OPT_INT,
                       .target = &o->status_interval_secs,
                       .min = 0,
                       .max = 86400,
                       .arg_name = "SECS",
                       .help = "time between status updates (default 10)"},
                      {.long_name = "compress",
                       .kind = WP_OPT_CALL,
                       .target = o,
                       .parse = parse_compress,
                       .arg_name = "METHOD",
                       .help = "none, or gzip[:LEVEL] (LEVEL 1-9)"},
                      {.short_name = 'E',
                       .long_name = "endpos",
                       .kind = WP_OPT_LSN,
                       .target = &o->endpos,
                       .arg_name = "LSN",
                       .help = "stop once this position is received and durable"},
                      {.long_name = "drop-slot",
                       .kind = WP_OPT_FLAG,
                       .target = &o->drop_slot,
                       .help = "drop the slot named by --slot and exit"},
                      {.long_name = "wait-for-server",
                       .kind = WP_OPT_FLAG,
                       .target = &o->wait_for_server,
                       .help = "at the start, wait for a server that cannot be reached yet"},
                      {.short_name = 'n',
                       .long_name = "no-loop",
                       .kind = WP_OPT_FLAG,
                       .target = &o->no_loop,
                       .help = "do not reconnect when the connection is lost"},
                      {.long_name = "metrics-file",
                       .kind = WP_OPT_STRING,
                       .target = &o->metrics_file,
                       .arg_name = "PATH",
                       .help = "write metrics (Prometheus text format) here each status interval"},
                      {.long_name = "verify",
                       .kind = WP_OPT_FLAG,
                       .target = &o->verify,
                       .help = "check every page header and record CRC as WAL arrives"},
                      {.long_name = "no-direct-io",
                       .kind = WP_OPT_FLAG,
                       .target = &o->buffered_io,
                       .help = "write through the page cache instead of O_DIRECT"},
                      {.long_name = "no-zero-copy",
                       .kind = WP_OPT_FLAG,
                       .target = &o->no_zero_copy,
                       .help = "read WAL through libpq, copied twice, not straight into the files"},
                      WP_CLI_VERBOSE_OPT,
                      WP_CLI_CONN_OPTS(&o->conn),
                      WP_OPT_END};
    static const wp_opt_rule rules[] = {{WP_OPT_NEEDS, "create-slot", "slot"},
                                        {WP_OPT_NEEDS, "if-not-exists", "create-slot"},
                                        {WP_OPT_NEEDS, "drop-slot", "slot"},
                                        {WP_OPT_EXCLUDES, "drop-slot", "create-slot"}};
    int first;
    int r = wp_cli_parse(&archive_cmd, table, rules, sizeof(rules) / sizeof(rules[0]), argc, argv,
                         0, &first);
    if (r != 0)
        return r;
    if (!o->dir && !o->drop_slot)
        return wp_cli_usage_error("archive", "no target directory specified (-D)");
    return 0;
}

/* Check the slot (and, until a session has found it ready, create it);
 * tell where it is. */
static int prepare_slot(wp_conn *conn, const wp_archive_opts *o, bool first, wp_slot_info *ret_info,
                        wp_error *err)
{
    wp_slot_info info = {0};
    int r = wp_conn_read_slot(conn, &o->conn, o->slot, &info, err);
    if (r < 0)
        return r;
    if (first && o->create_slot) {
        if (info.exists && !o->if_not_exists) {
            wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" already exists", o->slot);
            wp_error_hint(err, "Add --if-not-exists to use it as it is.");
            return WP_E_USAGE;
        }
        if (!info.exists) {
            r = wp_conn_create_slot(conn, o->slot, 0, false, NULL, err);
            if (r < 0)
                return r;
            wp_log(WP_LOG_INFO, "created replication slot \"%s\"", o->slot);
            r = wp_conn_read_slot(conn, &o->conn, o->slot, &info, err);
            if (r < 0)
                return r;
        }
    }
    if (!info.exists)
        return wp_cli_slot_missing(o->slot, err);
    if (strcmp(info.wal_status, "lost") == 0) {
        wp_error_set(err, WP_E_USAGE,
                     "replication slot \"%s\" is invalidated: the WAL it reserved was removed",
                     o->slot);
        wp_error_hint(err, "Drop and recreate the slot; the archive has a gap to close with a "
                           "new base backup.");
        return WP_E_USAGE;
    }
    *ret_info = info;
    return 0;
}

/* Where to start: the directory, else the slot, else the server's current
 * position; always at a segment boundary. Returns where it came from. */
static const char *start_point(const wp_archive_resume *resume, const wp_slot_info *slot,
                               const wp_identity *id, uint64_t segsize, wp_lsn *ret_start,
                               uint32_t *ret_tli)
{
    const char *from;
    if (resume->found) {
        *ret_start = resume->start;
        *ret_tli = resume->tli;
        from = "the archive directory";
    } else if (slot->has_restart_lsn) {
        *ret_start = slot->restart_lsn;
        *ret_tli = slot->restart_tli ? slot->restart_tli : id->timeline;
        from = "the replication slot";
    } else {
        *ret_start = id->xlogpos;
        *ret_tli = id->timeline;
        from = "the server's current position";
    }
    *ret_start -= wp_lsn_segment_offset(*ret_start, segsize);
    return from;
}

/* A timeline after the first needs its history file in the archive
 * before its first segment. */
static int ensure_history(wp_conn *conn, wp_walsink *sink, uint32_t tli, wp_error *err)
{
    if (tli <= 1 || wp_walarchive_has_history(sink, tli))
        return 0;
    char *history = NULL;
    size_t len = 0;
    int r = wp_conn_timeline_history(conn, tli, 0, 0, &history, &len, err);
    if (r == 0)
        r = wp_walarchive_write_history(sink, tli, history, len, err);
    free(history);
    return r;
}

/* Say once per session how WAL is read: straight into the segment files,
 * or through libpq (and why: what it costs is one more copy of every
 * byte, docs/performance.md). */
static void log_receive_path(const wp_archive_opts *o, const wp_conn *conn, const wp_walsink *sink)
{
    if (o->no_zero_copy || !wp_walsink_can_reserve(sink))
        wp_log(WP_LOG_DEBUG, "receiving WAL through libpq");
    else if (!wp_rawcopy_usable(conn))
        wp_log(WP_LOG_INFO, "receiving WAL through libpq: the connection is encrypted, which only "
                            "libpq reads (one more copy of every byte)");
    else
        wp_log(WP_LOG_DEBUG, "receiving WAL straight into the segment files (no copy)");
}

/* What one session found before streaming. */
typedef struct session_start {
    unsigned file_mode; /* bare: as the server's data_directory_mode says */
    wp_identity id;
    uint64_t segsize;
    wp_archive_resume resume;
    wp_slot_info slot;
} session_start;

/* Connect, identify the server, and check the directory and the slot
 * against it. */
/* first: no session has found the slot ready yet (so --create-slot still
 * applies: the server may have been down when the first one tried). */
static int session_open(const wp_archive_opts *o, bool first, wp_conn **ret_conn,
                        session_start *ret_start, wp_error *err)
{
    session_start st = {0};
    int r = open_conn(o, ret_conn, err);
    if (r == 0)
        r = wp_conn_identify_system(*ret_conn, &st.id, err);
    if (r == 0)
        r = wp_conn_wal_segment_size(*ret_conn, &st.segsize, err);
    if (r == 0)
        r = wp_walarchive_scan(o->dir, st.segsize, st.id.sysid, o->bare ? WP_SCAN_SKIP_BAD_SIZE : 0,
                               &st.resume, err);
    if (r == 0 && st.resume.skipped[0])
        wp_log(WP_LOG_WARNING, "segment file \"%s\" has incorrect size, skipping",
               st.resume.skipped);
    if (r == 0 && o->slot)
        r = prepare_slot(*ret_conn, o, first, &st.slot, err);
    if (r == 0 && o->bare) {
        /* pg_receivewal's files: 0600, 0640 when the server's own data
         * directory lets its group read (initdb -g). */
        bool group = false;
        r = wp_conn_group_access(*ret_conn, &group, err);
        st.file_mode = group ? 0640 : 0600;
    }
    if (r == 0)
        *ret_start = st;
    return r;
}

/* One connection's worth of streaming. *ret_progress says whether any WAL
 * arrived (to reset the reconnect backoff). */
static int session(const wp_archive_opts *o, bool first, state_writer *sw, bool *ret_progress,
                   wp_error *err)
{
    wp_conn *conn = NULL;
    wp_walsink *sink = NULL;    /* what the receive loop writes to */
    wp_walsink *archive = NULL; /* the segment archive (sink, or behind it) */
    session_start st = {0};
    int r = session_open(o, first, &conn, &st, err);
    if (r == 0)
        sw->slot_ready = true;
    wp_walarchive_opts ao = {.dir = o->dir,
                             .segsize = st.segsize,
                             .compress = o->compress,
                             .gzip_level = o->gzip_level,
                             .partial_suffix = true,
                             .direct = !o->buffered_io,
                             .file_mode = st.file_mode,
                             .on_segment = on_segment,
                             .user = sw};
    if (r == 0)
        r = wp_walarchive_open(&ao, &archive, err);
    sink = archive;
    if (r == 0 && o->verify) {
        sink = NULL; /* the checker owns the archive sink from here, also on failure */
        r = wp_verify_sink_new(archive, st.segsize, NULL, &sink, err);
    }
    wp_walrecv_config cfg = {.slot = o->slot,
                             .segsize = st.segsize,
                             .endpos = o->endpos,
                             .endpos_past = o->endpos_past,
                             .zero_copy = !o->no_zero_copy,
                             .synchronous = o->synchronous,
                             .status_interval_ms = o->status_interval_secs * 1000,
                             .should_stop = should_stop,
                             .on_timeline = on_timeline,
                             .on_status = on_status,
                             .user = sw};
    if (r == 0) {
        const char *from =
            start_point(&st.resume, &st.slot, &st.id, st.segsize, &cfg.start, &cfg.tli);
        wp_log(WP_LOG_INFO, "starting log streaming at " WP_LSN_FMT " (timeline %u), from %s",
               WP_LSN_ARGS(cfg.start), (unsigned)cfg.tli, from);
        log_receive_path(o, conn, sink);
        r = ensure_history(conn, archive, cfg.tli, err);
    }
    if (r == 0) {
        wp_walrecv_stats stats = {0};
        wp_walrecv_result res;
        r = wp_walrecv_run(conn, sink, &cfg, &stats, &res, err);
        *ret_progress = stats.bytes > 0;
        sw->bytes_before += stats.bytes;
        /* The first status update goes out as soon as COPY begins. */
        sw->streamed = sw->streamed || stats.status_sent > 0;
        if (r == 0)
            wp_log(WP_LOG_INFO, "%s at " WP_LSN_FMT " (timeline %u); %" PRIu64 " bytes received",
                   res.reason == WP_WALRECV_ENDPOS ? "reached the end position" : "stopped",
                   WP_LSN_ARGS(res.position), (unsigned)res.tli, stats.bytes);
        else
            wp_log(WP_LOG_DEBUG, "stream ended after %" PRIu64 " bytes, durable up to " WP_LSN_FMT,
                   stats.bytes, WP_LSN_ARGS(sink->durable));
    }
    wp_walsink_free(sink);
    wp_conn_free(conn);
    return r;
}

static void sleep_secs(int secs)
{
    struct timespec ts = {.tv_sec = secs};
    /* A signal cuts the wait short; the caller checks stop_requested. */
    nanosleep(&ts, NULL);
}

/* --drop-slot, as pg_receivewal's: drop the slot and stop. */
static int drop_slot(const wp_archive_opts *o)
{
    wp_error err = {0};
    wp_conn *conn = NULL;
    int r = open_conn(o, &conn, &err);
    if (r == 0)
        r = wp_conn_drop_slot(conn, o->slot, false, &err);
    wp_conn_free(conn);
    if (r < 0) {
        wp_log_error(&err);
        return WP_EXIT_ERROR;
    }
    wp_log(WP_LOG_INFO, "dropped replication slot \"%s\"", o->slot);
    return WP_EXIT_OK;
}

/* A session failed: stop (reported, with the hint that fits), or go on. */
static bool give_up(const wp_archive_opts *o, const state_writer *sw, wp_error *err)
{
    wp_retry what = wp_retry_decide(err, sw->streamed, o->wait_for_server);
    if (what == WP_RETRY_AGAIN && !o->no_loop)
        return false;
    if (what == WP_RETRY_AGAIN && !err->hint[0])
        wp_error_hint(err, "Without --no-loop walpull reconnects and resumes by itself.");
    else if (err->code == WP_E_CONN && !sw->streamed && !err->hint[0] && !o->bare)
        wp_error_hint(err, "Check the host and port; with --wait-for-server walpull waits for a "
                           "server that is not up yet.");
    wp_log_error(err);
    return true;
}

static void install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits end early */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct sigaction hup = {.sa_handler = on_hangup};
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* --create-slot as pg_receivewal's: create the slot and stop. */
static int create_only(const wp_archive_opts *o)
{
    wp_error err = {0};
    wp_conn *conn = NULL;
    wp_slot_info info = {0};
    int r = open_conn(o, &conn, &err);
    if (r == 0 && o->if_not_exists)
        r = wp_conn_read_slot(conn, &o->conn, o->slot, &info, &err);
    if (r == 0 && !info.exists) {
        wp_log(WP_LOG_INFO, "creating replication slot \"%s\"", o->slot);
        r = wp_conn_create_slot(conn, o->slot, WP_SLOT_NO_RESERVE, false, NULL, &err);
    }
    wp_conn_free(conn);
    if (r < 0) {
        wp_log_error(&err);
        return WP_EXIT_ERROR;
    }
    return WP_EXIT_OK;
}

int wp_archive_main(const wp_archive_opts *o)
{
    install_signals();
    if (o->drop_slot)
        return drop_slot(o);
    if (o->create_only)
        return create_only(o);
    /* One archiver per directory, for as long as this one runs. */
    int lock_fd = -1;
    wp_error lock_err = {0};
    if (!o->bare && wp_archlock_acquire(o->dir, &lock_fd, &lock_err) < 0) {
        wp_log_error(&lock_err);
        return WP_EXIT_ERROR;
    }
    state_writer sw = {.dir = o->bare ? NULL : o->dir, .metrics_path = o->metrics_file};
    int backoff = 1;
    bool slot_ready = false;
    for (;;) {
        wp_error err = {0};
        bool progress = false;
        int r = session(o, !slot_ready, &sw, &progress, &err);
        /* Past the slot step (streaming began, or failed after it). */
        slot_ready = slot_ready || sw.slot_ready;
        if (r == 0 || stop_requested)
            return WP_EXIT_OK;
        if (give_up(o, &sw, &err))
            return WP_EXIT_ERROR;
        sw.reconnects++;
        if (progress)
            backoff = 1;
        wp_log(WP_LOG_WARNING, "%s; retrying in %d s", err.message, backoff);
        sleep_secs(backoff);
        if (stop_requested)
            return WP_EXIT_OK;
        backoff = backoff * 2 > BACKOFF_MAX_SECS ? BACKOFF_MAX_SECS : backoff * 2;
    }
}

int wp_cmd_archive(int argc, char **argv)
{
    wp_archive_opts o = {.status_interval_secs = 10, .gzip_level = 6};
    int r = parse_args(argc, argv, &o);
    if (r != 0)
        return wp_cli_exit(r);
    return wp_archive_main(&o);
}
