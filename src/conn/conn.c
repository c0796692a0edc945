#include "conn/conn_internal.h"
#include "walpull/clock.h"
#include "walpull/conninfo.h"
#include "walpull/fields.h"
#include "walpull/timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

int wp_conn_server_error(wp_error *err, int code, const char *what, const char *msg,
                         const char *detail, const char *sqlstate)
{
    if (detail && detail[0])
        wp_error_set(err, code, "%s failed: %s: %s", what, msg, detail);
    else
        wp_error_set(err, code, "%s failed: %s", what, msg);
    if (err && sqlstate)
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
    const char *hint = wp_conn_hint_for(sqlstate, msg);
    if (hint)
        wp_error_hint(err, "%s", hint);
    return code;
}

int wp_conn_set_error(wp_error *err, PGconn *pg, const PGresult *res, const char *what)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char msg[400];
    if (primary)
        snprintf(msg, sizeof(msg), "%s", primary);
    else {
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
        msg[strcspn(msg, "\n")] = '\0';
    }
    /* No SQLSTATE means libpq itself failed: the connection is gone. */
    int code = state || PQstatus(pg) == CONNECTION_OK ? WP_E_SERVER : WP_E_CONN;
    return wp_conn_server_error(err, code, what, msg, detail, state);
}

const char *wp_conn_hint_for(const char *sqlstate, const char *message)
{
    static const struct {
        const char *sqlstate; /* NULL: any */
        const char *needle;   /* NULL: any message */
        const char *hint;
    } table[] = {
        {NULL, "no pg_hba.conf entry",
         "Add a \"host replication <user> <client address> scram-sha-256\" line to pg_hba.conf "
         "on the server and reload it."},
        {NULL, "password authentication failed",
         "Check the password, or the matching line of ~/.pgpass (or PGPASSFILE)."},
        {NULL, "must be superuser or replication role",
         "Give the role the privilege: ALTER ROLE <user> REPLICATION."},
        {NULL, "permission denied to start WAL sender",
         "Give the role the privilege: ALTER ROLE <user> REPLICATION."},
        {NULL, "wal_level", "Set wal_level = replica (or logical) on the server and restart it."},
        {NULL, "max_wal_senders",
         "Raise max_wal_senders on the server (and restart it; with wal_level = minimal it must "
         "stay 0, so set wal_level = replica too), or stop an idle client."},
        {NULL, "not in this server's history",
         "The server's timeline history forked before the archive's newest WAL (a failover to a "
         "standby that was behind): archive this server into a new directory, and take a new base "
         "backup (docs/operations.md, \"Failover\")."},
        {NULL, "is ahead of the WAL flush position",
         "The server has less WAL than the archive (a failover to a standby that was behind, or "
         "another server): archive it into a new directory (docs/operations.md, \"Failover\")."},
        {NULL, "exceeds max_replication_slots",
         "Raise max_replication_slots on the server, or drop an unused slot."},
        {"55006", "is active for PID",
         "Another client is streaming from this slot; stop it or use a different slot."},
        {"42704", "does not exist", "Create the slot first (--create-slot), or check its name."},
        {"58P01", NULL,
         "The WAL needed was removed from the server; start from a new slot and take a new base "
         "backup to close the gap."},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].sqlstate && (!sqlstate || strcmp(table[i].sqlstate, sqlstate) != 0))
            continue;
        if (table[i].needle && (!message || !strstr(message, table[i].needle)))
            continue;
        return table[i].hint;
    }
    return NULL;
}

/* Read a password from the terminal with echo off. */
static char *prompt_password(void)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct termios old, quiet;
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    static const char prompt[] = "Password: ";
    if (write(fd, prompt, sizeof(prompt) - 1) < 0) {
        /* nothing to do: the read below still works */
    }
    char buf[256];
    size_t n = 0;
    char c;
    while (n + 1 < sizeof(buf) && read(fd, &c, 1) == 1 && c != '\n')
        buf[n++] = c;
    buf[n] = '\0';
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* cosmetic only */
    }
    close(fd);
    return strdup(buf);
}

bool wp_conninfo_sets(const char *connstr, const char *keyword)
{
    if (!connstr)
        return false;
    PQconninfoOption *opts = PQconninfoParse(connstr, NULL);
    bool found = false;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (strcmp(o->keyword, keyword) == 0 && o->val && o->val[0])
            found = true;
    }
    PQconninfoFree(opts);
    return found;
}

/* Does the user's conninfo (or the environment) already name a database? */
static bool names_database(const char *connstr)
{
    return getenv("PGDATABASE") || wp_conninfo_sets(connstr, "dbname");
}

static int timeout_ms(const wp_conn_opts *opts)
{
    if (opts->timeout_s < 0)
        return 0;
    return (opts->timeout_s ? opts->timeout_s : WP_CONN_DEFAULT_TIMEOUT_S) * 1000;
}

/* Does walpull set connect_timeout itself (the user did not)? */
static bool adds_connect_timeout(const wp_conn_opts *opts)
{
    return timeout_ms(opts) > 0 && !getenv("PGCONNECT_TIMEOUT") &&
           !wp_conninfo_sets(opts->connstr, "connect_timeout");
}

static PGconn *connect_once(const wp_conn_opts *opts, wp_conn_kind kind, const char *password)
{
    const char *keys[12], *vals[12];
    char connect_timeout[16];
    int n = 0;
    /* The conninfo string goes first: with expand_dbname only the first
     * dbname is expanded, and later entries override what it says. */
    if (opts->connstr) {
        keys[n] = "dbname";
        vals[n++] = opts->connstr;
    }
    if (kind == WP_CONN_SQL && !names_database(opts->connstr)) {
        /* The role need not have a database of its own name. */
        keys[n] = "dbname";
        vals[n++] = "postgres";
    }
    keys[n] = "host";
    vals[n++] = opts->host;
    keys[n] = "port";
    vals[n++] = opts->port;
    keys[n] = "user";
    vals[n++] = opts->user;
    keys[n] = "password";
    vals[n++] = password;
    keys[n] = "fallback_application_name";
    vals[n++] = opts->app_name ? opts->app_name : "walpull";
    /* A server that accepts the connection and then says nothing (or
     * drags out authentication) is bounded too, unless the user chose. */
    if (adds_connect_timeout(opts)) {
        snprintf(connect_timeout, sizeof(connect_timeout), "%d", timeout_ms(opts) / 1000);
        keys[n] = "connect_timeout";
        vals[n++] = connect_timeout;
    }
    if (kind != WP_CONN_SQL) {
        keys[n] = "replication";
        vals[n++] = kind == WP_CONN_PHYSICAL ? "true" : "database";
    }
    keys[n] = NULL;
    vals[n] = NULL;
    return PQconnectdbParams(keys, vals, 1);
}

/* The hint for a refused connection: the pg_hba.conf line to add for the
 * address and user the server saw, where the password was looked for, or
 * the shared table's. */
static void connect_hint(PGconn *pg, const char *text, wp_error *err)
{
    char host[64], user[64];
    const char *at = strstr(text, "no pg_hba.conf entry for ");
    if (at && sscanf(at,
                     "no pg_hba.conf entry for %*s connection from host \"%63[^\"]\", user "
                     "\"%63[^\"]\"",
                     host, user) == 2) {
        bool replication = strstr(at, "for replication connection") != NULL;
        wp_error_hint(err,
                      "Add \"host %s %s %s/%s scram-sha-256\" to pg_hba.conf on the server and "
                      "reload it (SELECT pg_reload_conf()).",
                      replication ? "replication" : "all", user, host,
                      strchr(host, ':') ? "128" : "32");
        return;
    }
    if (strstr(text, "password authentication failed")) {
        /* Name where the password came from, as libpq looks for it. */
        const char *passfile = getenv("PGPASSFILE");
        wp_error_hint(err,
                      "Check the password: walpull looked in %s%s%s (host:port:database:user:"
                      "password lines; the database field \"replication\" or \"*\").",
                      getenv("PGPASSWORD") ? "PGPASSWORD, then " : "",
                      passfile ? passfile : "~/.pgpass", passfile ? " (PGPASSFILE)" : "");
        return;
    }
    const char *hint = wp_conn_hint_for(NULL, text);
    if (!hint && pg && PQconnectionNeedsPassword(pg))
        hint = "Give a password in ~/.pgpass or PGPASSWORD, or use -W to be asked for one.";
    if (hint)
        wp_error_hint(err, "%s", hint);
}

/* A connection that failed: one line from libpq's text, the code by
 * whether trying again can help, and a hint where one is known. */
static int connect_error(PGconn *pg, wp_error *err)
{
    wp_buf msg = {0};
    wp_buf_puts(&msg, pg ? PQerrorMessage(pg) : "out of memory");
    /* libpq's message may span lines; the last non-empty one is the
     * server's reason, the first names the server. */
    char *text = msg.data ? msg.data : (char *)"out of memory";
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n')
        text[--len] = '\0';
    for (char *p = text; *p; p++)
        if (*p == '\n')
            *p = ' ';
    /* A FATAL answer is the server refusing us (authentication,
     * privileges, pg_hba); a server starting up or shutting down, or
     * none at all, is worth trying again. */
    int code =
        strstr(text, "FATAL") && !strstr(text, "the database system is") ? WP_E_SERVER : WP_E_CONN;
    wp_error_set(err, code, "could not connect to the server: %s", text);
    /* libpq gives no SQLSTATE for a refused connection: name the classes
     * whose refusals pass by themselves, for the reconnect policy. */
    static const struct {
        const char *needle, *sqlstate;
    } known[] = {{"too many connections", "53300"},
                 {"too many clients already", "53300"},
                 /* the setting's name is quoted from PostgreSQL 17 on */
                 {"number of requested standby connections exceeds", "53300"},
                 {"remaining connection slots are reserved", "53300"},
                 {"the database system is starting up", "57P03"},
                 {"the database system is shutting down", "57P03"},
                 {"the database system is in recovery mode", "57P03"},
                 {"the database system is not yet accepting connections", "57P03"},
                 {"terminating connection due to administrator command", "57P01"}};
    for (size_t i = 0; err && i < sizeof(known) / sizeof(known[0]); i++)
        if (strstr(text, known[i].needle))
            snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", known[i].sqlstate);
    connect_hint(pg, text, err);
    wp_buf_free(&msg);
    return code;
}

int wp_conn_open(const wp_conn_opts *opts, wp_conn_kind kind, const char *password,
                 wp_conn **ret_conn, wp_error *err)
{
    char *typed = NULL;
    if (!password && opts->prompt == WP_PROMPT_ALWAYS) {
        typed = prompt_password();
        password = typed;
    }
    PGconn *pg = connect_once(opts, kind, password);
    if (pg && PQstatus(pg) == CONNECTION_BAD && PQconnectionNeedsPassword(pg) && !password &&
        opts->prompt == WP_PROMPT_AUTO && isatty(STDIN_FILENO)) {
        PQfinish(pg);
        typed = prompt_password();
        password = typed;
        pg = connect_once(opts, kind, password);
    }
    if (!pg || PQstatus(pg) == CONNECTION_BAD) {
        int code = connect_error(pg, err);
        PQfinish(pg);
        free(typed);
        return code;
    }
    int version = PQserverVersion(pg);
    if (version < WP_MIN_SERVER_VERSION) {
        wp_error_set(err, WP_E_UNSUPPORTED, "server version %d.%d is not supported",
                     version / 10000, version % 10000);
        wp_error_hint(err, "walpull works with PostgreSQL 13 and later.");
        PQfinish(pg);
        free(typed);
        return WP_E_UNSUPPORTED;
    }
    wp_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        PQfinish(pg);
        free(typed);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    c->pg = pg;
    c->kind = kind;
    c->version = version;
    c->password = typed;
    c->timeout_ms = timeout_ms(opts);
    c->own_connect_timeout = adds_connect_timeout(opts);
    c->last_input_ms = wp_clock_mono_ms();
    *ret_conn = c;
    return 0;
}

void wp_conn_note_input(wp_conn *conn)
{
    conn->last_input_ms = wp_clock_mono_ms();
}

int wp_conn_check_idle(wp_conn *conn, bool *ret_half, wp_error *err)
{
    int64_t idle = wp_clock_mono_ms() - conn->last_input_ms;
    if (ret_half)
        *ret_half = conn->timeout_ms > 0 && idle >= conn->timeout_ms / 2;
    if (conn->timeout_ms <= 0 || idle < conn->timeout_ms)
        return 0;
    int r =
        wp_error_set(err, WP_E_CONN, "the server sent nothing for %d s", conn->timeout_ms / 1000);
    wp_conn_hint_stall(err);
    return r;
}

void wp_conn_hint_stall(wp_error *err)
{
    wp_error_hint(err, "The server or the network stalls; raise --receive-timeout if it is "
                       "only slow.");
}

void wp_conn_free(wp_conn *conn)
{
    if (!conn)
        return;
    PQfinish(conn->pg);
    if (conn->password) {
        memset(conn->password, 0, strlen(conn->password));
        free(conn->password);
    }
    free(conn);
}

int wp_conn_server_version(const wp_conn *conn)
{
    return conn->version;
}

const char *wp_conn_password(const wp_conn *conn)
{
    return conn->password;
}

const char *wp_conn_param(const wp_conn *conn, const char *keyword)
{
    if (strcmp(keyword, "host") == 0)
        return PQhost(conn->pg);
    if (strcmp(keyword, "port") == 0)
        return PQport(conn->pg);
    if (strcmp(keyword, "user") == 0)
        return PQuser(conn->pg);
    if (strcmp(keyword, "password") == 0)
        return PQpass(conn->pg);
    if (strcmp(keyword, "server_version") == 0)
        return PQparameterStatus(conn->pg, "server_version");
    return NULL;
}

void wp_conn_watch(wp_conn *conn, wp_conn_check check, void *user)
{
    conn->check = check;
    conn->check_user = user;
}

int wp_conn_await(wp_conn *conn, const char *what, wp_error *err)
{
    while (PQisBusy(conn->pg)) {
        int r = wp_conn_wait(conn, 1000, -1, err);
        if (r < 0 && r != -EINTR)
            return r;
        if (PQisBusy(conn->pg) && conn->check && (r = conn->check(conn->check_user, err)) < 0)
            return r;
        if (PQisBusy(conn->pg) && wp_conn_check_idle(conn, NULL, err) < 0) {
            r = wp_error_set(err, WP_E_CONN, "%s: the server sent no answer for %d s", what,
                             conn->timeout_ms / 1000);
            wp_conn_hint_stall(err);
            return r;
        }
    }
    return 0;
}

/* The last result of a command sent with PQsendQuery, waiting no longer
 * than the receive timeout for the server to answer. NULL with err set
 * when it does not. */
static PGresult *await_result(wp_conn *conn, const char *what, wp_error *err)
{
    wp_conn_note_input(conn);
    /* The first result is the answer (a row set, COPY, or an error); what
     * follows (the command's completion) is read and dropped, unless it is
     * an error, which then wins. */
    PGresult *last = NULL, *res;
    for (;;) {
        if (wp_conn_await(conn, what, err) < 0) {
            PQclear(last);
            return NULL;
        }
        if ((res = PQgetResult(conn->pg)) == NULL)
            break;
        ExecStatusType st = PQresultStatus(res);
        if (!last || st == PGRES_FATAL_ERROR) {
            PQclear(last);
            last = res;
        } else {
            PQclear(res);
        }
        /* COPY results come alone and are the caller's to go on with. */
        if (st == PGRES_COPY_BOTH || st == PGRES_COPY_OUT || st == PGRES_COPY_IN)
            break;
    }
    if (!last)
        wp_conn_set_error(err, conn->pg, NULL, what);
    return last;
}

/* PQexec with the receive timeout on the answer. NULL with err set when
 * the command could not be sent or the server did not answer. */
static PGresult *exec_bounded(wp_conn *conn, const char *sql, const char *what, wp_error *err)
{
    if (!PQsendQuery(conn->pg, sql)) {
        wp_conn_set_error(err, conn->pg, NULL, what);
        return NULL;
    }
    return await_result(conn, what, err);
}

/* Run a command; on a status other than `want`, the error recorded in err
 * (and its code returned). *ret_res is the caller's to PQclear. */
static int run(wp_conn *conn, const char *sql, ExecStatusType want, const char *what,
               PGresult **ret_res, wp_error *err)
{
    PGresult *res = exec_bounded(conn, sql, what, err);
    if (!res)
        return err ? err->code : WP_E_CONN;
    if (res && PQresultStatus(res) == want) {
        *ret_res = res;
        return 0;
    }
    int r = wp_conn_set_error(err, conn->pg, res, what);
    PQclear(res);
    return r;
}

/* Check a result's shape: at least `rows` rows and at least `cols` columns
 * (newer servers may add columns at the end). */
static int check_shape(const PGresult *res, int rows, int cols, const char *what, wp_error *err)
{
    if (PQntuples(res) < rows || PQnfields(res) < cols)
        return wp_error_set(err, WP_E_PROTO,
                            "unexpected result from %s: %d rows and %d columns, expected %d and %d",
                            what, PQntuples(res), PQnfields(res), rows, cols);
    return 0;
}

int wp_conn_identify_system(wp_conn *conn, wp_identity *ret_id, wp_error *err)
{
    PGresult *res = NULL;
    int rr = run(conn, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "IDENTIFY_SYSTEM", &res, err);
    if (rr < 0)
        return rr;
    wp_identity id = {0};
    int r = check_shape(res, 1, 3, "IDENTIFY_SYSTEM", err);
    if (r == 0) {
        wp_identify_row row;
        if (wp_field_identify(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
                              &row) < 0) {
            r = wp_error_set(err, WP_E_PROTO,
                             "the server sent an invalid IDENTIFY_SYSTEM result (system "
                             "identifier \"%.40s\", timeline \"%.20s\", position \"%.40s\")",
                             PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
        } else {
            snprintf(id.systemid, sizeof(id.systemid), "%llu", (unsigned long long)row.sysid);
            id.sysid = row.sysid;
            id.timeline = row.tli;
            id.xlogpos = row.xlogpos;
        }
        if (PQnfields(res) >= 4 && !PQgetisnull(res, 0, 3))
            snprintf(id.dbname, sizeof(id.dbname), "%s", PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    if (r == 0)
        *ret_id = id;
    return r;
}

int wp_conn_wal_segment_size(wp_conn *conn, uint64_t *ret_size, wp_error *err)
{
    PGresult *res = NULL;
    int rr =
        run(conn, "SHOW wal_segment_size", PGRES_TUPLES_OK, "SHOW wal_segment_size", &res, err);
    if (rr < 0)
        return rr;
    int r = check_shape(res, 1, 1, "SHOW wal_segment_size", err);
    uint64_t size = 0;
    if (r == 0 && (wp_size_parse(PQgetvalue(res, 0, 0), &size) < 0 || !wp_segsize_valid(size)))
        r = wp_error_set(err, WP_E_PROTO, "the server reports an invalid WAL segment size \"%s\"",
                         PQgetvalue(res, 0, 0));
    PQclear(res);
    if (r == 0)
        *ret_size = size;
    return r;
}

int wp_conn_show(wp_conn *conn, const char *name, char *out, size_t size, wp_error *err)
{
    wp_buf sql = {0};
    wp_buf_printf(&sql, "SHOW %s", name);
    if (wp_buf_ok(&sql) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    PGresult *res = NULL;
    int r = run(conn, wp_buf_str(&sql), PGRES_TUPLES_OK, "SHOW", &res, err);
    if (r == 0)
        r = check_shape(res, 1, 1, "SHOW", err);
    if (r == 0)
        snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    wp_buf_free(&sql);
    return r;
}

int wp_conn_group_access(wp_conn *conn, bool *ret_group, wp_error *err)
{
    char mode[16] = "0700";
    if (conn->version >= 110000) {
        int r = wp_conn_show(conn, "data_directory_mode", mode, sizeof(mode), err);
        if (r < 0)
            return r;
    }
    *ret_group = (strtoul(mode, NULL, 8) & 0050) == 0050;
    return 0;
}

/* Quote a slot name for a replication command; owned by the caller.
 * The server takes 1 to 63 lower-case letters, digits and underscores. */
static int append_slot_name(wp_conn *conn, wp_buf *out, const char *name, wp_error *err)
{
    size_t len = strlen(name);
    bool ok = len > 0 && len < 64;
    for (const char *p = name; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (!ok) {
        int r = wp_error_set(err, WP_E_USAGE, "invalid replication slot name \"%s\"", name);
        wp_error_hint(err, "Use 1 to 63 lower-case letters, digits and underscores.");
        return r;
    }
    char *q = PQescapeIdentifier(conn->pg, name, len);
    if (!q)
        return wp_error_set(err, WP_E_USAGE, "invalid name \"%s\": %s", name,
                            PQerrorMessage(conn->pg));
    wp_buf_puts(out, q);
    PQfreemem(q);
    return wp_buf_ok(out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

int wp_conn_create_slot(wp_conn *conn, const char *name, unsigned flags, bool if_not_exists,
                        bool *ret_created, wp_error *err)
{
    wp_buf sql = {0};
    wp_buf_puts(&sql, "CREATE_REPLICATION_SLOT ");
    int r = append_slot_name(conn, &sql, name, err);
    /* 15 takes the parenthesised option list; 13 and 14 the bare keyword. */
    wp_buf_printf(&sql, "%s PHYSICAL", (flags & WP_SLOT_TEMPORARY) ? " TEMPORARY" : "");
    if (!(flags & WP_SLOT_NO_RESERVE))
        wp_buf_puts(&sql, conn->version >= 150000 ? " (RESERVE_WAL)" : " RESERVE_WAL");
    if (r == 0 && wp_buf_ok(&sql) < 0)
        r = wp_error_set(err, -ENOMEM, "out of memory");
    if (r < 0) {
        wp_buf_free(&sql);
        return r;
    }
    PGresult *res = exec_bounded(conn, wp_buf_str(&sql), "CREATE_REPLICATION_SLOT", err);
    if (!res) {
        wp_buf_free(&sql);
        /* No answer (a stop, a stall, a lost connection): the server may
         * have made the slot all the same, and it would hold WAL back. */
        if (err && !(flags & WP_SLOT_TEMPORARY))
            wp_error_hint(err,
                          "The server may have created slot \"%s\" all the same; \"walpull slot "
                          "drop %s\" removes it if it is not wanted.",
                          name, name);
        return err ? err->code : WP_E_CONN;
    }
    wp_buf_free(&sql);
    bool created = true;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (if_not_exists && state && strcmp(state, "42710") == 0)
            created = false;
        else
            r = wp_conn_set_error(err, conn->pg, res, "CREATE_REPLICATION_SLOT");
    }
    PQclear(res);
    if (r == 0 && ret_created)
        *ret_created = created;
    return r;
}

/* The slot's row of pg_replication_slots, on a connection of its own,
 * bounded by the receive timeout and watched as watched is (may be NULL). */
static int read_slot_sql(const wp_conn_opts *opts, const wp_conn *watched, const char *name,
                         wp_slot_info *info, const char *password, wp_error *err)
{
    wp_conn *sql = NULL;
    int r = wp_conn_open(opts, WP_CONN_SQL, password, &sql, err);
    if (r < 0 || !sql) {
        if (err)
            wp_error_hint(err, "On servers before 15 walpull reads slots from "
                               "pg_replication_slots; allow the role an ordinary connection "
                               "to database \"postgres\" in pg_hba.conf.");
        return r;
    }
    if (watched)
        wp_conn_watch(sql, watched->check, watched->check_user);
    const char *what = "reading pg_replication_slots";
    const char *params[1] = {name};
    PGresult *res = NULL;
    if (!PQsendQueryParams(sql->pg,
                           "SELECT slot_type, restart_lsn::text, wal_status, active, "
                           "active_pid, safe_wal_size "
                           "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                           1, NULL, params, NULL, NULL, 0))
        r = wp_conn_set_error(err, sql->pg, NULL, what);
    else if (!(res = await_result(sql, what, err)))
        r = err ? err->code : WP_E_CONN;
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        r = wp_conn_set_error(err, sql->pg, res, what);
    else if (PQntuples(res) == 1) {
        info->exists = true;
        info->logical = strcmp(PQgetvalue(res, 0, 0), "physical") != 0;
        if (!PQgetisnull(res, 0, 1))
            info->has_restart_lsn = wp_lsn_parse(PQgetvalue(res, 0, 1), &info->restart_lsn) == 0;
        if (!PQgetisnull(res, 0, 2))
            snprintf(info->wal_status, sizeof(info->wal_status), "%s", PQgetvalue(res, 0, 2));
        info->known_active = true;
        info->active = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        info->active_pid = PQgetisnull(res, 0, 4) ? 0 : strtol(PQgetvalue(res, 0, 4), NULL, 10);
        info->has_safe_wal_size = !PQgetisnull(res, 0, 5);
        info->safe_wal_size =
            info->has_safe_wal_size ? strtoll(PQgetvalue(res, 0, 5), NULL, 10) : 0;
    }
    PQclear(res);
    wp_conn_free(sql);
    return r;
}

int wp_conn_slot_health(const wp_conn_opts *opts, const char *name, const char *password,
                        wp_slot_info *ret_info, wp_error *err)
{
    wp_slot_info info = {0};
    int r = read_slot_sql(opts, NULL, name, &info, password, err);
    if (r == 0)
        *ret_info = info;
    return r;
}

int wp_conn_read_slot(wp_conn *conn, const wp_conn_opts *opts, const char *name,
                      wp_slot_info *ret_info, wp_error *err)
{
    wp_slot_info info = {0};
    int r = 0;
    if (conn->version < 150000) {
        r = read_slot_sql(opts, conn, name, &info, conn->password, err);
    } else {
        wp_buf sql = {0};
        wp_buf_puts(&sql, "READ_REPLICATION_SLOT ");
        PGresult *res = NULL;
        r = append_slot_name(conn, &sql, name, err);
        if (r == 0)
            r = run(conn, wp_buf_str(&sql), PGRES_TUPLES_OK, "READ_REPLICATION_SLOT", &res, err);
        wp_buf_free(&sql);
        if (r < 0)
            return r;
        r = check_shape(res, 1, 3, "READ_REPLICATION_SLOT", err);
        if (r == 0 && !PQgetisnull(res, 0, 0)) {
            info.exists = true;
            info.logical = strcmp(PQgetvalue(res, 0, 0), "physical") != 0;
            if (!PQgetisnull(res, 0, 1))
                info.has_restart_lsn = wp_lsn_parse(PQgetvalue(res, 0, 1), &info.restart_lsn) == 0;
            if (!PQgetisnull(res, 0, 2) &&
                wp_field_tli(PQgetvalue(res, 0, 2), &info.restart_tli) < 0)
                r = wp_error_set(err, WP_E_PROTO,
                                 "the server sent an invalid timeline \"%.20s\" for slot \"%s\"",
                                 PQgetvalue(res, 0, 2), name);
        }
        PQclear(res);
        if (r == 0 && info.exists && !info.has_restart_lsn) {
            /* No restart_lsn: never reserved, or invalidated. Only
             * pg_replication_slots tells which; ask it if we may. */
            wp_slot_info sql = {0};
            wp_error ignored;
            if (read_slot_sql(opts, conn, name, &sql, conn->password, &ignored) == 0)
                snprintf(info.wal_status, sizeof(info.wal_status), "%s", sql.wal_status);
        }
    }
    if (r == 0 && info.logical)
        r = wp_error_set(err, WP_E_USAGE, "replication slot \"%s\" is not a physical slot", name);
    if (r == 0)
        *ret_info = info;
    return r;
}

int wp_conn_drop_slot(wp_conn *conn, const char *name, bool wait, wp_error *err)
{
    wp_buf sql = {0};
    wp_buf_puts(&sql, "DROP_REPLICATION_SLOT ");
    PGresult *res = NULL;
    int r = append_slot_name(conn, &sql, name, err);
    wp_buf_puts(&sql, wait ? " WAIT" : "");
    if (r == 0)
        r = run(conn, wp_buf_str(&sql), PGRES_COMMAND_OK, "DROP_REPLICATION_SLOT", &res, err);
    wp_buf_free(&sql);
    PQclear(res);
    return r;
}

/* The content of a history file from the server, checked (see conn.h). */
static int check_history(const char *text, size_t len, uint32_t tli, uint32_t parent,
                         wp_lsn switch_point, wp_error *err)
{
    size_t cap = wp_timeline_history_cap(text, len);
    wp_tli_entry *scratch = calloc(cap, sizeof(*scratch));
    if (!scratch)
        return wp_error_set(err, -ENOMEM, "out of memory");
    const char *why = NULL;
    int r = 0;
    if (wp_timeline_history_check(text, len, tli, parent, switch_point, scratch, cap, &why) < 0)
        r = wp_error_set(err, WP_E_PROTO,
                         "the server's history file of timeline %u is not valid: %s", (unsigned)tli,
                         why);
    free(scratch);
    return r;
}

int wp_conn_timeline_history(wp_conn *conn, uint32_t tli, uint32_t parent, wp_lsn switch_point,
                             char **ret_content, size_t *ret_len, wp_error *err)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "TIMELINE_HISTORY %u", (unsigned)tli);
    PGresult *res = NULL;
    int r = run(conn, sql, PGRES_TUPLES_OK, "TIMELINE_HISTORY", &res, err);
    if (r < 0)
        return r;
    r = check_shape(res, 1, 2, "TIMELINE_HISTORY", err);
    char want[20];
    wp_history_name(tli, want);
    if (r == 0 && strcmp(PQgetvalue(res, 0, 0), want) != 0)
        r = wp_error_set(err, WP_E_PROTO,
                         "the server sent the history file \"%.40s\" for timeline %u, not \"%s\"",
                         PQgetvalue(res, 0, 0), (unsigned)tli, want);
    size_t len = r == 0 ? (size_t)PQgetlength(res, 0, 1) : 0;
    char *copy = r == 0 ? malloc(len + 1) : NULL;
    if (r == 0 && !copy)
        r = wp_error_set(err, -ENOMEM, "out of memory");
    if (r == 0 && copy) {
        memcpy(copy, PQgetvalue(res, 0, 1), len);
        copy[len] = '\0';
        r = check_history(copy, len, tli, parent, switch_point, err);
    }
    PQclear(res);
    if (r < 0) {
        free(copy);
        return r;
    }
    *ret_content = copy;
    *ret_len = len;
    return 0;
}

int wp_conn_query_value(wp_conn *conn, const char *sql, char **ret_value, wp_error *err)
{
    PGresult *res = NULL;
    int rr = run(conn, sql, PGRES_TUPLES_OK, "query", &res, err);
    if (rr < 0)
        return rr;
    int r = check_shape(res, 1, 1, "query", err);
    if (r == 0) {
        char *v = strdup(PQgetvalue(res, 0, 0));
        if (!v)
            r = wp_error_set(err, -ENOMEM, "out of memory");
        else
            *ret_value = v;
    }
    PQclear(res);
    return r;
}

/* Read a "next timeline, switch point" row ending a stream. */
static int parse_stream_end(const PGresult *res, wp_stream_end *ret_end, wp_error *err)
{
    int r = check_shape(res, 1, 2, "end of streaming", err);
    if (r < 0)
        return r;
    wp_stream_end end = {.timeline_ended = true};
    if (wp_field_tli(PQgetvalue(res, 0, 0), &end.next_tli) < 0 ||
        wp_lsn_parse(PQgetvalue(res, 0, 1), &end.next_start) < 0)
        return wp_error_set(err, WP_E_PROTO,
                            "the server sent an invalid end-of-timeline result (\"%.20s\", "
                            "\"%.40s\")",
                            PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    *ret_end = end;
    return 0;
}

int wp_conn_start_replication_sql(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                                  wp_buf *out, wp_error *err)
{
    wp_buf_puts(out, "START_REPLICATION ");
    if (slot) {
        wp_buf_puts(out, "SLOT ");
        int rs = append_slot_name(conn, out, slot, err);
        if (rs < 0)
            return rs;
        wp_buf_puts(out, " ");
    }
    wp_buf_printf(out, "PHYSICAL " WP_LSN_FMT " TIMELINE %u", WP_LSN_ARGS(lsn), (unsigned)tli);
    return wp_buf_ok(out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

int wp_conn_start_replication(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                              wp_stream_end *ret_end, wp_error *err)
{
    wp_buf sql = {0};
    int rs = wp_conn_start_replication_sql(conn, slot, lsn, tli, &sql, err);
    if (rs < 0) {
        wp_buf_free(&sql);
        return rs;
    }
    PGresult *res = exec_bounded(conn, wp_buf_str(&sql), "START_REPLICATION", err);
    if (!res) {
        wp_buf_free(&sql);
        return err->code;
    }
    wp_buf_free(&sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int r;
    if (st == PGRES_COPY_BOTH) {
        r = 0;
    } else if (st == PGRES_TUPLES_OK) {
        /* The requested timeline ended at or before lsn. */
        r = parse_stream_end(res, ret_end, err);
        PQclear(res);
        return r < 0 ? r : WP_E_STOPPED;
    } else {
        r = wp_conn_set_error(err, conn->pg, res, "START_REPLICATION");
    }
    PQclear(res);
    return r;
}

int wp_conn_copy_recv(wp_conn *conn, uint8_t **ret_buf, wp_error *err)
{
    char *buf = NULL;
    int n = PQgetCopyData(conn->pg, &buf, 1);
    if (n == 0) {
        /* libpq's buffer holds no whole message: take what the socket has
         * (a non-blocking read), so one batch gathers every message that
         * has already arrived. A read that met the end may have brought
         * the server's reason with it: that comes first. */
        int ok = PQconsumeInput(conn->pg);
        n = PQgetCopyData(conn->pg, &buf, 1);
        if (!ok && n == 0)
            return wp_error_set(err, WP_E_CONN, "could not read from the server: %s",
                                PQerrorMessage(conn->pg));
    }
    if (n > 0) {
        wp_conn_note_input(conn);
        *ret_buf = (uint8_t *)buf;
        return n;
    }
    if (n == 0)
        return 0;
    if (n == -1)
        return WP_E_STOPPED;
    return wp_error_set(err, WP_E_CONN, "could not read from the replication stream: %s",
                        PQerrorMessage(conn->pg));
}

void wp_conn_buf_free(void *buf)
{
    if (buf)
        PQfreemem(buf);
}

int wp_conn_copy_send(wp_conn *conn, const uint8_t *data, size_t len, wp_error *err)
{
    if (PQputCopyData(conn->pg, (const char *)data, (int)len) <= 0 || PQflush(conn->pg) != 0)
        return wp_error_set(err, WP_E_CONN, "could not send to the server: %s",
                            PQerrorMessage(conn->pg));
    return 0;
}

void wp_conn_rcvlowat(wp_conn *conn, int bytes)
{
    (void)setsockopt(PQsocket(conn->pg), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes));
}

int wp_conn_wait(wp_conn *conn, int timeout_ms, int wake_fd, wp_error *err)
{
    struct pollfd pfd[2] = {{.fd = PQsocket(conn->pg), .events = POLLIN},
                            {.fd = wake_fd, .events = POLLIN}};
    if (pfd[0].fd < 0) {
        const char *why = PQerrorMessage(conn->pg);
        return why[0] ? wp_error_set(err, WP_E_CONN, "could not read from the server: %s", why)
                      : wp_error_set(err, WP_E_CONN, "the connection to the server is lost");
    }
    int r = poll(pfd, wake_fd >= 0 ? 2 : 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? -EINTR : wp_error_errno(err, errno, "poll failed");
    /* After a timeout too: under a receive low-water mark (SO_RCVLOWAT)
     * fewer bytes than the mark may be waiting without waking poll. */
    if ((r == 0 || (pfd[0].revents & (POLLIN | POLLERR | POLLHUP))) &&
        PQconsumeInput(conn->pg) == 0) {
        /* A read that met the end may have brought the server's reason
         * with it (TLS hands both over at once): libpq keeps it, and the
         * caller's next read takes it. Once the socket is gone, the next
         * wait says why. */
        if (PQsocket(conn->pg) < 0)
            return 0;
        return wp_error_set(err, WP_E_CONN, "could not read from the server: %s",
                            PQerrorMessage(conn->pg));
    }
    return 0;
}

#define END_COPY_TIMEOUT_MS 30000

/* Wait, at most until deadline, until libpq has input to hand over. */
static int await_input(wp_conn *conn, int64_t deadline, wp_error *err)
{
    for (;;) {
        int64_t left = deadline - wp_clock_mono_ms();
        if (left <= 0)
            return wp_error_set(err, WP_E_CONN, "the server did not end the stream within %d s",
                                END_COPY_TIMEOUT_MS / 1000);
        int r = wp_conn_wait(conn, (int)left, -1, err);
        if (r < 0 && r != -EINTR)
            return r;
        if (!PQisBusy(conn->pg))
            return 0;
    }
}

static int send_copy_end(wp_conn *conn, wp_error *err)
{
    if (PQputCopyEnd(conn->pg, NULL) <= 0 || PQflush(conn->pg) != 0)
        return wp_error_set(err, WP_E_CONN, "could not end the stream: %s",
                            PQerrorMessage(conn->pg));
    return 0;
}

/* Discard the rest of a COPY's data until libpq reports its end (or the
 * deadline passes). */
static int discard_copy_data(wp_conn *conn, int64_t deadline, wp_error *err)
{
    for (;;) {
        char *buf;
        int n = PQgetCopyData(conn->pg, &buf, 1);
        if (n > 0)
            PQfreemem(buf);
        else if (n < 0)
            return 0; /* -1: done; -2: the error shows in the results */
        else {
            int r = await_input(conn, deadline, err);
            if (r < 0)
                return r;
        }
    }
}

/* One result after a COPY: the server's CopyDone (answered with ours
 * unless sent already), a leftover COPY OUT, the next timeline, or an
 * error. */
static int end_copy_result(wp_conn *conn, PGresult *res, int64_t deadline, bool *sent_end,
                           wp_stream_end *end, wp_error *err)
{
    switch (PQresultStatus(res)) {
    case PGRES_COPY_IN:
    case PGRES_COPY_BOTH:
        if (*sent_end)
            return 0;
        *sent_end = true;
        return send_copy_end(conn, err);
    case PGRES_COPY_OUT:
        return discard_copy_data(conn, deadline, err);
    case PGRES_TUPLES_OK:
        return parse_stream_end(res, end, err);
    case PGRES_COMMAND_OK:
        return 0;
    default:
        return wp_conn_set_error(err, conn->pg, res, "replication stream");
    }
}

int wp_conn_end_copy(wp_conn *conn, bool server_ended, wp_stream_end *ret_end, wp_error *err)
{
    wp_stream_end end = {0};
    int64_t deadline = wp_clock_mono_ms() + END_COPY_TIMEOUT_MS;
    int r = 0;
    bool sent_end = false;
    if (!server_ended) {
        /* We end it: say so, then read (without blocking past the
         * deadline) what the server still sends until its own CopyDone. */
        r = send_copy_end(conn, err);
        sent_end = true;
        if (r == 0)
            r = discard_copy_data(conn, deadline, err);
    }
    while (r == 0 && PQstatus(conn->pg) != CONNECTION_BAD) {
        if (PQisBusy(conn->pg) && (r = await_input(conn, deadline, err)) < 0)
            break;
        PGresult *res = PQgetResult(conn->pg);
        if (!res)
            break;
        r = end_copy_result(conn, res, deadline, &sent_end, &end, err);
        PQclear(res);
    }
    if (r == 0 && PQstatus(conn->pg) == CONNECTION_BAD)
        r = wp_error_set(err, WP_E_CONN, "the connection to the server was lost: %s",
                         PQerrorMessage(conn->pg));
    if (r == 0)
        *ret_end = end;
    return r;
}

int wp_conn_standby_conninfo(const wp_conn *conn, bool with_password, wp_buf *out, wp_error *err)
{
    static const char *const skip[] = {"replication", "dbname", "fallback_application_name"};
    PQconninfoOption *opts = PQconninfo(conn->pg);
    if (!opts)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int r = 0;
    for (PQconninfoOption *o = opts; o->keyword && r == 0; o++) {
        /* Values equal to libpq's built-in defaults are left out: the
         * standby's own libpq, perhaps older, may not know those options. */
        bool skipped = !o->val || !o->val[0] || (o->compiled && strcmp(o->val, o->compiled) == 0) ||
                       (!with_password && strcmp(o->keyword, "password") == 0) ||
                       (conn->own_connect_timeout && strcmp(o->keyword, "connect_timeout") == 0);
        for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
            skipped = skipped || strcmp(o->keyword, skip[i]) == 0;
        if (skipped)
            continue;
        r = wp_conninfo_append(out, o->keyword, o->val);
    }
    PQconninfoFree(opts);
    if (r < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    return 0;
}
