/* walpull status: is the archive whole and current? For people and for
 * monitoring (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
#include "cmd/cli.h"
#include "walpull/archstate.h"
#include "walpull/buf.h"
#include "walpull/cmd.h"
#include "walpull/log.h"
#include "walpull/walverify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { ST_OK, ST_WARNING, ST_CRITICAL, ST_UNKNOWN };

/* A lag threshold: a size ("64MB") or a time ("30s", "5min", "2h"). */
typedef struct threshold {
    bool set;
    bool is_time;
    uint64_t value; /* bytes or seconds */
} threshold;

static int parse_threshold(const char *arg, void *target, wp_error *err)
{
    threshold *t = target;
    static const struct {
        const char *unit;
        uint64_t secs;
    } times[] = {{"s", 1}, {"min", 60}, {"h", 3600}};
    size_t digits = strspn(arg, "0123456789");
    for (size_t i = 0; digits && i < sizeof(times) / sizeof(times[0]); i++) {
        int64_t v;
        char num[24];
        if (strcmp(arg + digits, times[i].unit) != 0 || digits >= sizeof(num))
            continue;
        memcpy(num, arg, digits);
        num[digits] = '\0';
        if (wp_opt_parse_int(num, 0, INT64_C(1) << 40, &v) < 0)
            break;
        *t = (threshold){.set = true, .is_time = true, .value = (uint64_t)v * times[i].secs};
        return 0;
    }
    uint64_t bytes;
    if (wp_size_parse(arg, &bytes) == 0) {
        *t = (threshold){.set = true, .value = bytes};
        return 0;
    }
    return wp_error_set(err, WP_E_USAGE, "use a size (e.g. 64MB) or a time (e.g. 30s, 5min, 2h)");
}

typedef struct status {
    int code;
    wp_buf reasons; /* "; "-separated */
    long pid;
    bool have_state;
    wp_archstate st;
    wp_walverify_report rep;
    char first_problem[600];
    wp_lsn durable;
    bool have_server;
    wp_lsn server;
    uint64_t lag_bytes;
    int64_t lag_secs;
    bool have_slot;
    wp_slot_info slot;
} status;

static void raise_to(status *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void raise_to(status *s, int code, const char *fmt, ...)
{
    if (code > s->code)
        s->code = code;
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    wp_buf_printf(&s->reasons, "%s%s", s->reasons.len ? "; " : "", text);
}

static void on_problem(void *user, const char *file, wp_lsn lsn, const char *message)
{
    status *s = user;
    if (!s->first_problem[0])
        snprintf(s->first_problem, sizeof(s->first_problem), "%s at " WP_LSN_FMT ": %s", file,
                 WP_LSN_ARGS(lsn), message);
}

/* The server's position and the slot, when a connection was asked for. */
static int ask_server(const wp_conn_opts *copts, const char *slot, status *s, wp_error *err)
{
    wp_conn *conn = NULL;
    wp_identity id;
    int r = wp_conn_open(copts, WP_CONN_PHYSICAL, NULL, &conn, err);
    if (r == 0)
        r = wp_conn_identify_system(conn, &id, err);
    if (r == 0) {
        s->have_server = true;
        s->server = id.xlogpos;
    }
    if (r == 0 && slot) {
        r = wp_conn_slot_health(copts, slot, wp_conn_password(conn), &s->slot, err);
        s->have_slot = r == 0;
    }
    wp_conn_free(conn);
    return r;
}

static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

static void print_text(const char *dir, const status *s)
{
    int64_t now = (int64_t)time(NULL);
    if (s->pid > 0)
        printf("archiver: running (pid %ld)\n", s->pid);
    else
        printf("archiver: not running\n");
    printf("archive \"%s\": %" PRIu64 " segments on %u timeline%s, newest %s\n", dir,
           s->rep.segments, (unsigned)s->rep.timelines, s->rep.timelines == 1 ? "" : "s",
           s->rep.newest[0] ? s->rep.newest : "(none)");
    printf("durable up to " WP_LSN_FMT ", last written %" PRId64 " s ago\n",
           WP_LSN_ARGS(s->durable),
           s->have_state ? now - s->st.updated : now - s->rep.newest_mtime);
    if (s->rep.problems)
        printf("problems: %" PRIu64 "; the first: %s\n", s->rep.problems, s->first_problem);
    else
        printf("gaps: none\n");
    if (s->have_server || s->have_state)
        printf("%s " WP_LSN_FMT ", lag %" PRIu64 " bytes, %" PRId64 " s\n",
               s->have_server ? "server at" : "server (as last seen by the archiver) at",
               WP_LSN_ARGS(s->have_server ? s->server : s->st.server_end), s->lag_bytes,
               s->lag_secs);
    if (s->have_slot && s->slot.exists)
        printf("slot: %s%s, wal_status %s, safe_wal_size %s\n",
               s->slot.active ? "active" : "inactive", s->slot.active ? " (streaming)" : "",
               s->slot.wal_status[0] ? s->slot.wal_status : "unknown",
               s->slot.has_safe_wal_size ? "limited" : "unlimited");
    printf("%s%s%s\n", names[s->code], s->reasons.len ? ": " : "", wp_buf_str(&s->reasons));
}

static void print_json(const char *dir, const status *s)
{
    wp_buf b = {0};
    wp_buf_printf(&b, "{\"status\": \"%s\", \"code\": %d, \"reasons\": ", names[s->code], s->code);
    wp_buf_json_string(&b, wp_buf_str(&s->reasons));
    wp_buf_puts(&b, ", \"directory\": ");
    wp_buf_json_string(&b, dir);
    wp_buf_printf(&b,
                  ", \"archiver_running\": %s, \"pid\": %ld, \"segments\": %" PRIu64
                  ", \"timelines\": %u, \"newest_segment\": ",
                  s->pid > 0 ? "true" : "false", s->pid > 0 ? s->pid : 0, s->rep.segments,
                  (unsigned)s->rep.timelines);
    wp_buf_json_string(&b, s->rep.newest);
    wp_buf_printf(&b,
                  ", \"durable_lsn\": \"" WP_LSN_FMT "\", \"last_write\": %" PRId64
                  ", \"problems\": %" PRIu64 ", \"first_problem\": ",
                  WP_LSN_ARGS(s->durable), s->have_state ? s->st.updated : s->rep.newest_mtime,
                  s->rep.problems);
    wp_buf_json_string(&b, s->first_problem);
    if (s->have_server || s->have_state)
        wp_buf_printf(&b,
                      ", \"server_lsn\": \"" WP_LSN_FMT "\", \"lag_bytes\": %" PRIu64
                      ", \"lag_seconds\": %" PRId64,
                      WP_LSN_ARGS(s->have_server ? s->server : s->st.server_end), s->lag_bytes,
                      s->lag_secs);
    if (s->have_slot) {
        wp_buf_printf(&b, ", \"slot\": {\"exists\": %s, \"active\": %s, \"active_pid\": %ld",
                      s->slot.exists ? "true" : "false", s->slot.active ? "true" : "false",
                      s->slot.active_pid);
        wp_buf_puts(&b, ", \"wal_status\": ");
        wp_buf_json_string(&b, s->slot.wal_status);
        if (s->slot.has_safe_wal_size)
            wp_buf_printf(&b, ", \"safe_wal_size\": %" PRId64, s->slot.safe_wal_size);
        wp_buf_puts(&b, "}");
    }
    wp_buf_puts(&b, "}\n");
    fputs(wp_buf_str(&b), stdout);
    wp_buf_free(&b);
}

/* The lag against the thresholds: the critical one first. */
static void judge_lag(status *s, const threshold *warn, const threshold *crit)
{
    const threshold *ts[] = {crit, warn};
    for (int i = 0; i < 2; i++) {
        const threshold *t = ts[i];
        uint64_t lag = t->is_time ? (uint64_t)s->lag_secs : s->lag_bytes;
        if (t->set && (s->have_server || s->have_state) && lag >= t->value && lag > 0) {
            raise_to(s, i == 0 ? ST_CRITICAL : ST_WARNING, "lag %" PRIu64 " %s >= %" PRIu64, lag,
                     t->is_time ? "s" : "bytes", t->value);
            return;
        }
    }
}

static void judge_slot(status *s)
{
    if (!s->have_slot)
        return;
    if (!s->slot.exists)
        raise_to(s, ST_CRITICAL, "the replication slot does not exist");
    else if (strcmp(s->slot.wal_status, "lost") == 0)
        raise_to(s, ST_CRITICAL, "the replication slot is invalidated (wal_status lost)");
    else if (strcmp(s->slot.wal_status, "unreserved") == 0)
        raise_to(s, ST_WARNING, "the replication slot is about to lose WAL (unreserved)");
}

/* Lag and thresholds, the slot, the archiver: the verdict. */
static void judge(status *s, const threshold *warn, const threshold *crit)
{
    int64_t now = (int64_t)time(NULL);
    wp_lsn server = s->have_server ? s->server : s->have_state ? s->st.server_end : 0;
    s->lag_bytes = server > s->durable ? server - s->durable : 0;
    int64_t since = s->have_state ? s->st.progressed : s->rep.newest_mtime;
    s->lag_secs = s->lag_bytes && since ? now - since : 0;
    /* Without word from the server, how long the archiver has said
     * nothing is the lag that can be known. */
    if (s->have_state && !s->have_server && now - s->st.updated > s->lag_secs)
        s->lag_secs = now - s->st.updated;
    if (s->have_state && s->rep.segments && s->st.durable > s->rep.newest_start + s->rep.segsize)
        raise_to(s, ST_CRITICAL,
                 "the archiver reported WAL durable up to " WP_LSN_FMT
                 ", past the archive's newest segment %s",
                 WP_LSN_ARGS(s->st.durable), s->rep.newest);
    if (s->rep.problems)
        raise_to(s, ST_CRITICAL, "%" PRIu64 " problem(s) in the archive, the first: %s",
                 s->rep.problems, s->first_problem);
    judge_lag(s, warn, crit);
    judge_slot(s);
    if (s->pid <= 0)
        raise_to(s, ST_WARNING, "no archiver is running on this directory");
}

static const wp_cli_cmd status_cmd = {
    "status", "walpull status tells whether a WAL archive is whole and current: the\n"
              "archiver (running or not), the newest durable position, gaps found by a quick\n"
              "scan, and with a connection the server's position, the lag and the slot.\n"
              "Exit status for monitoring: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\n"
              "Usage:\n  walpull status -D DIR [OPTION]...\n"};

int wp_cmd_status(int argc, char **argv)
{
    const char *dir = NULL, *slot = NULL;
    bool json = false;
    threshold warn = {0}, crit = {0};
    wp_conn_opts copts = {0};
    wp_opt table[] = {
        WP_CLI_DIR_OPT(&dir, "the archive directory"),
        WP_CLI_SLOT_OPT(&slot, "also report this slot (active, wal_status, safe_wal_size)"),
        {.long_name = "warn-lag",
         .kind = WP_OPT_CALL,
         .target = &warn,
         .parse = parse_threshold,
         .arg_name = "SIZE|TIME",
         .help = "WARNING at this lag (e.g. 64MB, or 5min)"},
        {.long_name = "crit-lag",
         .kind = WP_OPT_CALL,
         .target = &crit,
         .parse = parse_threshold,
         .arg_name = "SIZE|TIME",
         .help = "CRITICAL at this lag"},
        WP_CLI_JSON_OPT(&json),
        WP_CLI_VERBOSE_OPT,
        WP_CLI_CONN_OPTS(&copts),
        WP_OPT_END};
    int first;
    int r = wp_cli_parse(&status_cmd, table, NULL, 0, argc, argv, 0, &first);
    if (r != 0)
        return r == WP_CLI_HANDLED ? WP_EXIT_OK : ST_UNKNOWN;
    if (!dir) {
        wp_cli_usage_error("status", "no archive directory specified (-D)");
        return ST_UNKNOWN;
    }
    status s = {.code = ST_OK};
    wp_error err = {0};
    wp_walverify_opts vo = {.dir = dir, .decode = false, .problem = on_problem, .user = &s};
    r = wp_walverify_run(&vo, &s.rep, &err);
    int sr = r == 0 ? wp_archstate_read(dir, &s.st, &err) : r;
    s.have_state = sr == 0;
    if (r == 0 && sr < 0)
        r = sr;
    bool want_server = copts.connstr || copts.host || copts.port || copts.user || slot;
    if (r == 0 && want_server)
        r = ask_server(&copts, slot, &s, &err);
    if (r < 0) {
        wp_log_error(&err);
        printf("UNKNOWN: %s\n", err.message);
        wp_buf_free(&s.reasons);
        return ST_UNKNOWN;
    }
    s.pid = wp_archlock_holder(dir);
    s.durable = s.have_state ? s.st.durable : s.rep.end_lsn;
    judge(&s, &warn, &crit);
    if (json)
        print_json(dir, &s);
    else
        print_text(dir, &s);
    wp_buf_free(&s.reasons);
    return s.code;
}
