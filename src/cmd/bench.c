#include "cmd/bench_load.h"
#include "cmd/cli.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/conn.h"
#include "walpull/fsutil.h"
#include "walpull/log.h"
#include "walpull/lsn.h"
#include "walpull/msg.h"
#include "walpull/stats.h"
#include "walpull/svgplot.h"
#include "walpull/walarchive.h"
#include "walpull/verify_sink.h"
#include "walpull/walrecv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

typedef enum bench_mode {
    MODE_CATCHUP,
    MODE_LIVE,
} bench_mode;

typedef struct bench_opts {
    wp_conn_opts conn;
    const char *slot;
    int mode; /* bench_mode */
    uint64_t generate;
    int duration;
    int clients;
    const char *sink_dir; /* NULL: the null sink */
    bool buffered_io;     /* dir sink through the page cache */
    bool no_zero_copy;    /* read WAL through libpq (walrecv.h) */
    bool verify;          /* check every record as it arrives */
    const char *compare;  /* NULL, or the pg_receivewal to run */
    int rounds;           /* with compare: alternating rounds */
    bool json;
    const char *plot;
} bench_opts;

/* What one streaming run measured. */
typedef struct run_result {
    uint64_t bytes;
    double wall;
    double cpu_user;
    double cpu_sys;
    wp_io_stats io;
    long peak_rss_kib;
    int exit_code; /* for an external tool */
} run_result;

/* Sampling state, fed from the receive loop's stop callback. */
typedef struct sampler {
    struct timespec t0;
    double stop_after; /* seconds; 0: no limit */
    const wp_walrecv_stats *stats;
    wp_lsn start;
    double last_point, last_lag, last_print;
    wp_lsn last_pos;
    wp_plot_point *pts;
    size_t npts, cappts;
    double *lag_bytes, *lag_ms;
    size_t nlag, caplag_bytes, caplag_ms;
    bool tty;
} sampler;

/* A range of WAL to stream: from which server, through which slot. */
typedef struct span {
    wp_conn *conn;
    uint64_t segsize;
    const char *slot;
    uint32_t tli;
    wp_lsn start;
    wp_lsn end; /* WP_LSN_INVALID: until the sampler stops */
} span;

/* What one walpull run measured. */
typedef struct measured {
    run_result res;
    wp_walrecv_stats stats;
    sampler s;
} measured;

static void measured_reset(measured *m)
{
    free(m->s.pts);
    free(m->s.lag_bytes);
    free(m->s.lag_ms);
    *m = (measured){.s = {.tty = m->s.tty, .stop_after = m->s.stop_after}};
}

static volatile sig_atomic_t interrupted;

static void on_signal(int signo)
{
    (void)signo;
    interrupted = 1;
}

/* Append to a growable array; false when memory ran out (samples are then
 * dropped, the run goes on). */
static bool push(void **arr, size_t *n, size_t *cap, size_t elem, const void *v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        void *p = realloc(*arr, nc * elem);
        if (!p)
            return false;
        *arr = p;
        *cap = nc;
    }
    memcpy((char *)*arr + *n * elem, v, elem);
    (*n)++;
    return true;
}

static bool sample(void *user, wp_lsn written)
{
    sampler *s = user;
    double t = wp_clock_since(&s->t0);
    if (t - s->last_lag >= 0.01 && s->stats->server_time) {
        double lb =
            s->stats->server_wal_end > written ? (double)(s->stats->server_wal_end - written) : 0.0;
        double lm = (double)(wp_clock_pg_now() - s->stats->server_time) / 1000.0;
        if (lm < 0)
            lm = 0;
        /* Both series keep the same length: a sample counts only when
         * both halves were stored. */
        size_t n = s->nlag;
        if (push((void **)&s->lag_bytes, &n, &s->caplag_bytes, sizeof(double), &lb)) {
            size_t m = s->nlag;
            if (push((void **)&s->lag_ms, &m, &s->caplag_ms, sizeof(double), &lm))
                s->nlag = m;
        }
        s->last_lag = t;
    }
    if (t - s->last_point >= 0.1) {
        wp_plot_point p = {.t = t,
                           .mibps = (double)(written - s->last_pos) / (t - s->last_point) / MIB,
                           .lag_kb = s->stats->server_wal_end > written
                                         ? (double)(s->stats->server_wal_end - written) / 1024
                                         : 0};
        push((void **)&s->pts, &s->npts, &s->cappts, sizeof(p), &p);
        s->last_point = t;
        s->last_pos = written;
    }
    if (s->tty && t - s->last_print >= 1.0) {
        fprintf(stderr, "\r%6.1f s  %10.1f MiB received  %9.1f MiB/s", t,
                (double)(written - s->start) / MIB, s->npts ? s->pts[s->npts - 1].mibps : 0.0);
        s->last_print = t;
    }
    return interrupted || (s->stop_after > 0 && t >= s->stop_after);
}

static double tv(struct timeval v)
{
    return (double)v.tv_sec + (double)v.tv_usec / 1e6;
}

/* Stream the span into the chosen sink and measure it. */
static int run_walpull(const bench_opts *o, const span *sp, measured *m, wp_error *err)
{
    wp_walsink *sink;
    int r;
    if (o->sink_dir) {
        wp_walarchive_opts ao = {.dir = o->sink_dir,
                                 .segsize = sp->segsize,
                                 .partial_suffix = true,
                                 .direct = !o->buffered_io,
                                 .stats = &m->res.io};
        r = wp_walarchive_open(&ao, &sink, err);
    } else {
        r = wp_walsink_null_new(&sink, err);
    }
    if (r == 0 && o->verify) {
        wp_walsink *inner = sink;
        sink = NULL;
        r = wp_verify_sink_new(inner, sp->segsize, NULL, &sink, err);
    }
    if (r < 0)
        return r;
    sampler *s = &m->s;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    s->t0 = wp_clock_start();
    s->stats = &m->stats;
    s->start = s->last_pos = sp->start;
    wp_walrecv_config cfg = {.slot = sp->slot,
                             .tli = sp->tli,
                             .start = sp->start,
                             .segsize = sp->segsize,
                             .endpos = sp->end,
                             .status_interval_ms = 10000,
                             .zero_copy = !o->no_zero_copy,
                             .should_stop = sample,
                             .user = s};
    wp_walrecv_result rr;
    r = wp_walrecv_run(sp->conn, sink, &cfg, &m->stats, &rr, err);
    wp_walsink_free(sink); /* includes the last fsync of a dir sink */
    m->res.wall = wp_clock_since(&s->t0);
    getrusage(RUSAGE_SELF, &ru1);
    if (s->tty)
        fputc('\n', stderr);
    m->res.bytes = m->stats.bytes;
    m->res.cpu_user = tv(ru1.ru_utime) - tv(ru0.ru_utime);
    m->res.cpu_sys = tv(ru1.ru_stime) - tv(ru0.ru_stime);
    m->res.peak_rss_kib = ru1.ru_maxrss;
    return r;
}

/* Run pg_receivewal over the same range through its own slot. */
static int run_pg_receivewal(const bench_opts *o, const span *sp, run_result *res, wp_error *err)
{
    wp_conn *conn = sp->conn;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/pg_receivewal.XXXXXX", o->sink_dir ? o->sink_dir : "/tmp");
    if (!mkdtemp(dir))
        return wp_error_errno(err, errno, "could not create a directory for pg_receivewal");
    char end[32];
    snprintf(end, sizeof(end), WP_LSN_FMT, WP_LSN_ARGS(sp->end));
    const char *argv[20];
    int n = 0;
    argv[n++] = o->compare;
    argv[n++] = "-D";
    argv[n++] = dir;
    argv[n++] = "--slot";
    argv[n++] = sp->slot;
    argv[n++] = "--endpos";
    argv[n++] = end;
    argv[n++] = "--no-loop";
    argv[n++] = "-w";
    if (o->conn.connstr) {
        argv[n++] = "-d";
        argv[n++] = o->conn.connstr;
    }
    const char *host = wp_conn_param(conn, "host"), *port = wp_conn_param(conn, "port"),
               *user = wp_conn_param(conn, "user");
    if (host)
        argv[n++] = "-h", argv[n++] = host;
    if (port)
        argv[n++] = "-p", argv[n++] = port;
    if (user)
        argv[n++] = "-U", argv[n++] = user;
    argv[n] = NULL;
    struct timespec t0 = wp_clock_start();
    pid_t pid = fork();
    if (pid < 0)
        return wp_error_errno(err, errno, "could not start %s", o->compare);
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "walpull: error: could not run \"%s\": %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    res->wall = wp_clock_since(&t0);
    res->cpu_user = tv(ru.ru_utime);
    res->cpu_sys = tv(ru.ru_stime);
    res->peak_rss_kib = ru.ru_maxrss;
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (wp_dir_remove(dir, true) < 0)
        wp_log(WP_LOG_WARNING, "could not remove \"%s\"", dir);
    return 0;
}

static void print_run(const char *name, const run_result *r, uint64_t bytes)
{
    double gib = (double)bytes / GIB;
    printf("  %-16s %8.3f s  %9.1f MiB/s  CPU %6.2f s (user %.2f, sys %.2f) = %6.3f s/GiB"
           "  peak RSS %ld KiB\n",
           name, r->wall, (double)bytes / MIB / r->wall, r->cpu_user + r->cpu_sys, r->cpu_user,
           r->cpu_sys, gib > 0 ? (r->cpu_user + r->cpu_sys) / gib : 0.0, r->peak_rss_kib);
}

/* Median paired ratios over the comparison rounds. */
typedef struct ratios {
    double wall;
    double cpu;
    int rounds;
} ratios;

/* The summary, for people or (--json) machines; cmp and rt are the
 * comparison's, or NULL. */
static void report(const bench_opts *o, const span *sp, const measured *m, const run_result *cmp,
                   const ratios *rt)
{
    const char *version = wp_conn_param(sp->conn, "server_version");
    const run_result *w = &m->res;
    const wp_walrecv_stats *st = &m->stats;
    const sampler *s = &m->s;
    wp_lsn start = sp->start, end = sp->end;
    double cpu = w->cpu_user + w->cpu_sys, gib = (double)w->bytes / GIB;
    double lb50 = wp_percentile(s->lag_bytes, s->nlag, 50),
           lb95 = wp_percentile(s->lag_bytes, s->nlag, 95),
           lb99 = wp_percentile(s->lag_bytes, s->nlag, 99);
    double lm50 = wp_percentile(s->lag_ms, s->nlag, 50),
           lm95 = wp_percentile(s->lag_ms, s->nlag, 95),
           lm99 = wp_percentile(s->lag_ms, s->nlag, 99);
    const char *mode = o->mode == MODE_CATCHUP ? "catchup" : "live";
    if (o->json) {
        printf("{\"mode\": \"%s\", \"server_version\": \"%s\", \"sink\": \"%s\", "
               "\"start_lsn\": \"" WP_LSN_FMT "\", \"end_lsn\": \"" WP_LSN_FMT "\", "
               "\"bytes\": %" PRIu64 ", \"wall_s\": %.6f, \"mib_per_s\": %.3f, "
               "\"cpu_user_s\": %.6f, \"cpu_sys_s\": %.6f, \"cpu_s_per_gib\": %.6f, "
               "\"messages\": %" PRIu64 ", \"batches\": %" PRIu64 ", \"write_calls\": %" PRIu64
               ", \"direct_write_calls\": %" PRIu64 ", \"fsync_calls\": %" PRIu64
               ", \"bytes_written\": %" PRIu64 ", \"peak_rss_kib\": %ld, "
               "\"lag_bytes\": {\"p50\": %.0f, \"p95\": %.0f, \"p99\": %.0f}, "
               "\"lag_ms\": {\"p50\": %.3f, \"p95\": %.3f, \"p99\": %.3f}, "
               "\"zero_copy\": %s, \"copies_per_byte\": %.3f",
               mode, version, o->sink_dir ? "dir" : "null", WP_LSN_ARGS(start), WP_LSN_ARGS(end),
               w->bytes, w->wall, (double)w->bytes / MIB / w->wall, w->cpu_user, w->cpu_sys,
               gib > 0 ? cpu / gib : 0.0, st->messages, st->batches, w->io.write_calls,
               w->io.direct_calls, w->io.sync_calls, w->io.bytes_written, w->peak_rss_kib, lb50,
               lb95, lb99, lm50, lm95, lm99, st->zero_copy ? "true" : "false",
               w->bytes ? (double)st->copied_bytes / (double)w->bytes : 0.0);
        if (cmp)
            printf(", \"compare\": {\"tool\": \"%s\", \"exit_code\": %d, \"wall_s\": %.6f, "
                   "\"cpu_user_s\": %.6f, \"cpu_sys_s\": %.6f, \"peak_rss_kib\": %ld, "
                   "\"rounds\": %d, \"wall_ratio\": %.4f, \"cpu_ratio\": %.4f}",
                   o->compare, cmp->exit_code, cmp->wall, cmp->cpu_user, cmp->cpu_sys,
                   cmp->peak_rss_kib, rt->rounds, rt->wall, rt->cpu);
        printf("}\n");
        return;
    }
    printf("walpull bench: %s mode, %s sink, server %s\n", mode, o->sink_dir ? o->sink_dir : "null",
           version);
    printf("  WAL streamed     %.1f MiB (" WP_LSN_FMT " .. " WP_LSN_FMT "), %" PRIu64
           " messages in %" PRIu64 " batches\n",
           (double)w->bytes / MIB, WP_LSN_ARGS(start), WP_LSN_ARGS(end), st->messages, st->batches);
    print_run("walpull", w, w->bytes);
    printf("  receive path     %s, %.2f payload copies per byte in user space\n",
           st->zero_copy ? "straight into the segment files" : "through libpq",
           w->bytes ? (double)st->copied_bytes / (double)w->bytes : 0.0);
    if (o->sink_dir)
        printf("  writes           %" PRIu64 " write calls (%" PRIu64 " with O_DIRECT), %" PRIu64
               " fsync calls, %.1f MiB written (%.2f x streamed)\n",
               w->io.write_calls, w->io.direct_calls, w->io.sync_calls,
               (double)w->io.bytes_written / MIB,
               w->bytes ? (double)w->io.bytes_written / (double)w->bytes : 0.0);
    if (o->mode == MODE_LIVE)
        printf("  lag (bytes)      p50 %.0f  p95 %.0f  p99 %.0f\n"
               "  lag (ms)         p50 %.2f  p95 %.2f  p99 %.2f  (%zu samples)\n",
               lb50, lb95, lb99, lm50, lm95, lm99, s->nlag);
    if (cmp) {
        if (cmp->exit_code != 0) {
            printf("  %s exited with code %d; no comparison\n", o->compare, cmp->exit_code);
            return;
        }
        print_run(o->compare, cmp, w->bytes);
        printf("  ratio walpull / %s: wall %.2f x, CPU %.2f x (median of %d alternating "
               "round%s)\n",
               o->compare, rt->wall, rt->cpu, rt->rounds, rt->rounds == 1 ? "" : "s");
    }
}

static int write_plot(const bench_opts *o, const sampler *s, wp_error *err)
{
    FILE *f = fopen(o->plot, "w");
    if (!f)
        return wp_error_errno(err, errno, "could not create \"%s\"", o->plot);
    int r = wp_svgplot_write(f,
                             o->mode == MODE_CATCHUP ? "walpull bench: catch-up throughput"
                                                     : "walpull bench: live throughput and lag",
                             s->pts, s->npts);
    if (fclose(f) != 0 || r < 0)
        return wp_error_set(err, WP_E_STATE, "could not write \"%s\"", o->plot);
    return 0;
}

/* Two slots made together keep the same WAL for both tools; *sp gets
 * the range they keep (after --generate). On failure neither is left. */
static int make_round_slots(const bench_opts *o, span *sp, const char *slot_w, const char *slot_r,
                            wp_error *err)
{
    wp_identity id;
    int r = wp_conn_identify_system(sp->conn, &id, err);
    if (r == 0)
        r = wp_conn_create_slot(sp->conn, slot_w, 0, false, NULL, err);
    if (r == 0 && (r = wp_conn_create_slot(sp->conn, slot_r, 0, false, NULL, err)) < 0) {
        wp_error ignored;
        wp_conn_drop_slot(sp->conn, slot_w, false, &ignored);
    }
    if (r < 0)
        return r;
    sp->tli = id.timeline;
    sp->start = id.xlogpos - wp_lsn_segment_offset(id.xlogpos, sp->segsize);
    if (o->generate) {
        wp_log(WP_LOG_INFO, "generating %.1f MiB of WAL", (double)o->generate / MIB);
        r = wp_bench_generate(&o->conn, wp_conn_password(sp->conn), o->generate, err);
    }
    if (r == 0)
        r = wp_conn_identify_system(sp->conn, &id, err);
    sp->end = id.xlogpos;
    if (r == 0 && sp->end <= sp->start) {
        r = wp_error_set(err, WP_E_USAGE, "no WAL to stream from " WP_LSN_FMT,
                         WP_LSN_ARGS(sp->start));
        wp_error_hint(err, "Generate some with --generate SIZE.");
    }
    if (r < 0) {
        wp_error ignored;
        wp_conn_drop_slot(sp->conn, slot_w, false, &ignored);
        wp_conn_drop_slot(sp->conn, slot_r, false, &ignored);
    }
    return r;
}

/* One comparison round: each tool streams the same WAL through its own
 * slot, in an order that alternates by round. */
static int compare_round(const bench_opts *o, int round, span *sp, measured *m, run_result *cmp,
                         wp_error *err)
{
    char slot_w[64], slot_r[64], dir[4096] = "";
    snprintf(slot_w, sizeof(slot_w), "walpull_bench_%ld_%d_w", (long)getpid(), round);
    snprintf(slot_r, sizeof(slot_r), "walpull_bench_%ld_%d_r", (long)getpid(), round);
    int r = make_round_slots(o, sp, slot_w, slot_r, err);
    if (r < 0)
        return r;
    /* walpull's files go to a fresh directory each round. */
    bench_opts mine = *o;
    if (o->sink_dir) {
        snprintf(dir, sizeof(dir), "%s/walpull.XXXXXX", o->sink_dir);
        if (!mkdtemp(dir)) {
            r = wp_error_errno(err, errno, "could not create a directory in \"%s\"", o->sink_dir);
            dir[0] = '\0';
        }
        mine.sink_dir = dir;
    }
    /* Whoever goes first may find a colder machine: alternate. */
    for (int k = 0; k < 2 && r == 0; k++) {
        span one = *sp;
        if ((k == 0) == (round % 2 == 1)) {
            one.slot = slot_w;
            r = run_walpull(&mine, &one, m, err);
        } else {
            one.slot = slot_r;
            *cmp = (run_result){0};
            r = run_pg_receivewal(o, &one, cmp, err);
        }
    }
    if (dir[0])
        wp_dir_remove(dir, true);
    wp_error ignored;
    wp_conn_drop_slot(sp->conn, slot_w, false, &ignored);
    wp_conn_drop_slot(sp->conn, slot_r, false, &ignored);
    return r;
}

static int compare(const bench_opts *o, span *sp, measured *m, wp_error *err)
{
    run_result cmp = {0};
    double wall[64], cpu[64];
    int n = 0, r = 0;
    for (int round = 1; round <= o->rounds && r == 0; round++) {
        /* The samples (for --plot) are those of the last round. */
        measured_reset(m);
        wp_log(WP_LOG_INFO, "round %d of %d", round, o->rounds);
        r = compare_round(o, round, sp, m, &cmp, err);
        if (r == 0 && cmp.exit_code == 0) {
            wall[n] = m->res.wall / cmp.wall;
            cpu[n] = (m->res.cpu_user + m->res.cpu_sys) / (cmp.cpu_user + cmp.cpu_sys + 1e-9);
            n++;
        }
        if (r == 0 && cmp.exit_code != 0)
            break; /* the tool refuses this server: no point in more rounds */
    }
    if (r < 0)
        return r;
    ratios rt = {.wall = wp_median(wall, (size_t)n), .cpu = wp_median(cpu, (size_t)n), .rounds = n};
    report(o, sp, m, &cmp, &rt);
    return 0;
}

/* The slot to stream from: the user's (its retained WAL is the span's
 * start), or a temporary one of this connection's. */
static int bench_slot(const bench_opts *o, const wp_identity *id, span *sp, char *name, size_t size,
                      wp_error *err)
{
    sp->start = id->xlogpos;
    sp->tli = id->timeline;
    if (!o->slot) {
        snprintf(name, size, "walpull_bench_%ld", (long)getpid());
        sp->slot = name;
        return wp_conn_create_slot(sp->conn, name, WP_SLOT_TEMPORARY, false, NULL, err);
    }
    wp_slot_info info;
    int r = wp_conn_read_slot(sp->conn, &o->conn, o->slot, &info, err);
    if (r == 0 && !info.exists)
        r = wp_cli_slot_missing(o->slot, err);
    if (r < 0)
        return r;
    sp->slot = o->slot;
    if (info.has_restart_lsn)
        sp->start = info.restart_lsn;
    if (info.restart_tli)
        sp->tli = info.restart_tli;
    return 0;
}

/* Catch-up: the WAL to stream is there (or generated now); its end is
 * the server's position. */
static int catchup_span(const bench_opts *o, span *sp, wp_error *err)
{
    if (o->generate) {
        wp_log(WP_LOG_INFO, "generating %.1f MiB of WAL", (double)o->generate / MIB);
        int r = wp_bench_generate(&o->conn, wp_conn_password(sp->conn), o->generate, err);
        if (r < 0)
            return r;
    }
    wp_identity id;
    int r = wp_conn_identify_system(sp->conn, &id, err);
    if (r < 0)
        return r;
    sp->end = id.xlogpos;
    if (sp->end <= sp->start) {
        r = wp_error_set(err, WP_E_USAGE, "no WAL to stream from " WP_LSN_FMT,
                         WP_LSN_ARGS(sp->start));
        wp_error_hint(err, "Generate some with --generate SIZE, or use --mode live.");
    }
    return r;
}

/* Live mode: the clients write WAL while walpull follows it. */
static int live_run(const bench_opts *o, span *sp, measured *m, wp_error *err)
{
    wp_bench_clients clients = {0};
    int r = wp_bench_clients_start(&clients, &o->conn, wp_conn_password(sp->conn), o->clients, err);
    if (r < 0)
        return r;
    r = run_walpull(o, sp, m, err);
    wp_bench_clients_stop(&clients);
    sp->end = sp->start + m->res.bytes;
    if (atomic_load(&clients.failed))
        wp_log(WP_LOG_WARNING, "%d of %d client connections stopped early on an error",
               atomic_load(&clients.failed), o->clients);
    return r;
}

static int bench(const bench_opts *o, wp_error *err)
{
    wp_identity id;
    span sp = {0};
    measured m = {.s = {.tty = isatty(STDERR_FILENO) && !o->json,
                        .stop_after = o->mode == MODE_LIVE ? o->duration : 0}};
    char slot_name[64];
    int r = wp_conn_open(&o->conn, WP_CONN_PHYSICAL, NULL, &sp.conn, err);
    if (r == 0)
        r = wp_conn_identify_system(sp.conn, &id, err);
    if (r == 0)
        r = wp_conn_wal_segment_size(sp.conn, &sp.segsize, err);
    if (r == 0 && o->compare) {
        r = compare(o, &sp, &m, err);
    } else if (r == 0) {
        r = bench_slot(o, &id, &sp, slot_name, sizeof(slot_name), err);
        sp.start -= wp_lsn_segment_offset(sp.start, sp.segsize);
        if (r == 0 && o->mode == MODE_CATCHUP) {
            r = catchup_span(o, &sp, err);
            if (r == 0)
                r = run_walpull(o, &sp, &m, err);
        } else if (r == 0) {
            r = live_run(o, &sp, &m, err);
        }
        if (r == 0)
            report(o, &sp, &m, NULL, NULL);
    }
    if (r == 0 && o->plot)
        r = write_plot(o, &m.s, err);
    measured_reset(&m);
    wp_conn_free(sp.conn);
    return r;
}

static int parse_sink(const char *arg, void *target, wp_error *err)
{
    if (strcmp(arg, "null") == 0)
        *(const char **)target = NULL;
    else if (strncmp(arg, "dir:", 4) == 0 && arg[4])
        *(const char **)target = arg + 4;
    else
        return wp_error_set(err, WP_E_USAGE, "use null or dir:PATH");
    return 0;
}

static const wp_cli_cmd bench_cmd = {
    "bench", "walpull bench measures how fast WAL moves from a server to this client.\n\n"
             "Usage:\n  walpull bench [OPTION]...\n"};

int wp_cmd_bench(int argc, char **argv)
{
    static const char *const modes[] = {"catchup", "live", NULL};
    bench_opts o = {.mode = MODE_CATCHUP, .duration = 10, .clients = 2, .rounds = 1};
    bool temp = false;
    wp_opt table[] = {
        WP_CLI_SLOT_OPT(&o.slot, "stream the WAL this slot retains (catchup)"),
        {.long_name = "temporary-slot",
         .kind = WP_OPT_FLAG,
         .target = &temp,
         .help = "use a temporary slot (the default)"},
        {.long_name = "mode",
         .kind = WP_OPT_CHOICE,
         .target = &o.mode,
         .choices = modes,
         .arg_name = "catchup|live",
         .help = "stream retained WAL as fast as possible, or follow WAL written while the "
                 "bench runs (default catchup)"},
        {.long_name = "generate",
         .kind = WP_OPT_SIZE,
         .target = &o.generate,
         .min = 1,
         .max = INT64_C(1) << 50,
         .arg_name = "SIZE",
         .help = "first write SIZE of WAL (e.g. 512MB, 2GB)"},
        {.long_name = "duration",
         .kind = WP_OPT_INT,
         .target = &o.duration,
         .min = 1,
         .max = 86400,
         .arg_name = "SECS",
         .help = "live mode: how long (default 10)"},
        {.long_name = "clients",
         .kind = WP_OPT_INT,
         .target = &o.clients,
         .min = 0,
         .max = 64,
         .arg_name = "N",
         .help = "live mode: client connections writing WAL (default 2)"},
        {.long_name = "sink",
         .kind = WP_OPT_CALL,
         .target = &o.sink_dir,
         .parse = parse_sink,
         .arg_name = "null|dir:PATH",
         .help = "discard the WAL, or write segments into PATH"},
        {.long_name = "no-direct-io",
         .kind = WP_OPT_FLAG,
         .target = &o.buffered_io,
         .help = "dir sink: write through the page cache, not O_DIRECT"},
        {.long_name = "no-zero-copy",
         .kind = WP_OPT_FLAG,
         .target = &o.no_zero_copy,
         .help = "read WAL through libpq (copied twice), not straight into the dir sink"},
        {.long_name = "verify",
         .kind = WP_OPT_FLAG,
         .target = &o.verify,
         .help = "check every page header and record CRC as WAL arrives (as archive --verify)"},
        {.long_name = "compare-with",
         .kind = WP_OPT_STRING,
         .target = &o.compare,
         .arg_name = "PROG",
         .help = "also run pg_receivewal (PROG) over the same WAL"},
        {.long_name = "rounds",
         .kind = WP_OPT_INT,
         .target = &o.rounds,
         .min = 1,
         .max = 64,
         .arg_name = "N",
         .help = "with --compare-with: N alternating rounds (default 1; more than 1 needs "
                 "--generate)"},
        {.long_name = "json",
         .kind = WP_OPT_FLAG,
         .target = &o.json,
         .help = "print the summary as JSON"},
        {.long_name = "plot",
         .kind = WP_OPT_STRING,
         .target = &o.plot,
         .arg_name = "FILE.svg",
         .help = "chart throughput and lag over time"},
        WP_CLI_VERBOSE_OPT,
        WP_CLI_CONN_OPTS(&o.conn),
        WP_OPT_END};
    static const wp_opt_rule rules[] = {
        {WP_OPT_EXCLUDES, "slot", "temporary-slot"},
        {WP_OPT_EXCLUDES, "compare-with", "slot"},
        {WP_OPT_NEEDS, "rounds", "compare-with"},
        {WP_OPT_NEEDS, "rounds", "generate"},
    };
    int first;
    int r = wp_cli_parse(&bench_cmd, table, rules, sizeof(rules) / sizeof(rules[0]), argc, argv, 0,
                         &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (o.compare && o.mode != MODE_CATCHUP)
        return wp_cli_usage_error("bench", "--compare-with works in catchup mode");
    if (o.mode == MODE_LIVE && o.generate)
        return wp_cli_usage_error("bench", "--generate is for catchup mode");

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    wp_error err = {0};
    if (bench(&o, &err) < 0) {
        wp_log_error(&err);
        return WP_EXIT_ERROR;
    }
    return WP_EXIT_OK;
}
