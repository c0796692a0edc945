/* walpull check: every preflight a seed or an archive needs, one line
 * each, pass / warn / fail, and for each failure the fix. */
#include "cmd/cli.h"
#include "walpull/buf.h"
#include "walpull/cmd.h"
#include "walpull/conn.h"
#include "walpull/log.h"
#include "walpull/lsn.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

enum { CHECK_PASS, CHECK_WARN, CHECK_FAIL };
enum { FOR_SEED, FOR_ARCHIVE };

typedef struct checker {
    bool json;
    int worst;
    wp_buf out; /* JSON array elements */
} checker;

static void say(checker *c, int verdict, const char *what, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void say(checker *c, int verdict, const char *what, const char *fix, const char *fmt, ...)
{
    static const char *const names[] = {"pass", "warn", "fail"};
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (verdict > c->worst)
        c->worst = verdict;
    if (!c->json) {
        printf("%-4s  %-22s %s\n", names[verdict], what, detail);
        if (fix && fix[0] && verdict != CHECK_PASS)
            printf("      %-22s fix: %s\n", "", fix);
        return;
    }
    wp_buf *b = &c->out;
    wp_buf_printf(b, "%s{\"check\": ", b->len ? ", " : "");
    wp_buf_json_string(b, what);
    wp_buf_printf(b, ", \"result\": \"%s\", \"detail\": ", names[verdict]);
    wp_buf_json_string(b, detail);
    if (fix && fix[0] && verdict != CHECK_PASS) {
        wp_buf_puts(b, ", \"fix\": ");
        wp_buf_json_string(b, fix);
    }
    wp_buf_puts(b, "}");
}

/* The replication connection: the first thing everything needs. The fix
 * comes from the same table as every command's hints. */
static wp_conn *check_connect(checker *c, const wp_conn_opts *copts)
{
    wp_conn *conn = NULL;
    wp_error err = {0};
    if (wp_conn_open(copts, WP_CONN_PHYSICAL, NULL, &conn, &err) < 0) {
        say(c, CHECK_FAIL, "replication connection", err.hint, "%s", err.message);
        return NULL;
    }
    int v = wp_conn_server_version(conn);
    say(c, CHECK_PASS, "replication connection", NULL, "connected to PostgreSQL %d.%d", v / 10000,
        v % 100);
    return conn;
}

/* One value from the server over the ordinary connection, or NULL. */
static char *value(wp_conn *sql, const char *query)
{
    char *v = NULL;
    wp_error ignored = {0};
    return wp_conn_query_value(sql, query, &v, &ignored) == 0 ? v : NULL;
}

static long long number(wp_conn *sql, const char *query)
{
    char *v = value(sql, query);
    long long n = v ? strtoll(v, NULL, 10) : -1;
    free(v);
    return n;
}

/* what: FOR_SEED needs two WAL senders (the backup and its WAL stream),
 * an archive one; connected: our own replication connection holds one. */
static void check_settings(checker *c, wp_conn *sql, int what, bool connected)
{
    char *level = value(sql, "SELECT current_setting('wal_level')");
    if (level && strcmp(level, "minimal") == 0)
        say(c, CHECK_FAIL, "wal_level", "Set wal_level = replica on the server and restart it.",
            "wal_level is minimal: no WAL for replication");
    else if (level)
        say(c, CHECK_PASS, "wal_level", NULL, "wal_level is %s", level);
    free(level);
    long long senders = number(sql, "SELECT current_setting('max_wal_senders')::int");
    long long used = number(sql, "SELECT count(*) FROM pg_stat_replication");
    if (senders == 0)
        say(c, CHECK_FAIL, "WAL senders",
            "Set max_wal_senders = 10 (it needs wal_level = replica) and restart the server.",
            "max_wal_senders is 0");
    long long others = used - (connected ? 1 : 0), need = what == FOR_SEED ? 2 : 1;
    if (senders > 0 && senders - others < need)
        say(c, CHECK_FAIL, "WAL senders",
            "Raise max_wal_senders (and restart the server), or stop an idle client.",
            "%lld of %lld WAL senders are taken by other clients; %s needs %lld", others, senders,
            what == FOR_SEED ? "a seed" : "an archiver", need);
    else if (senders > 0)
        say(c, CHECK_PASS, "WAL senders", NULL, "%lld of %lld taken by other clients", others,
            senders);
}

static void check_slot(checker *c, const wp_conn_opts *copts, const char *slot,
                       const char *password)
{
    wp_slot_info info;
    wp_error err = {0};
    if (wp_conn_slot_health(copts, slot, password, &info, &err) < 0) {
        say(c, CHECK_WARN, "replication slot", err.hint, "could not read slot \"%s\": %s", slot,
            err.message);
        return;
    }
    char fix[256];
    snprintf(fix, sizeof(fix), "Create it: walpull slot create %s (or --create-slot).", slot);
    if (!info.exists) {
        say(c, CHECK_FAIL, "replication slot", fix, "slot \"%s\" does not exist", slot);
        return;
    }
    if (info.logical) {
        say(c, CHECK_FAIL, "replication slot", "Use a physical slot.", "slot \"%s\" is logical",
            slot);
        return;
    }
    if (strcmp(info.wal_status, "lost") == 0) {
        snprintf(fix, sizeof(fix),
                 "Drop and recreate it (walpull slot drop %s), and take a new base backup.", slot);
        say(c, CHECK_FAIL, "replication slot", fix,
            "slot \"%s\" is invalidated: the WAL it kept was removed", slot);
        return;
    }
    if (info.active) {
        say(c, CHECK_WARN, "replication slot",
            "Stop the other client, or wait for the server's wal_sender_timeout if it was this "
            "host's previous connection.",
            "slot \"%s\" is active, held by the server's process %ld", slot, info.active_pid);
        return;
    }
    say(c, info.has_safe_wal_size ? CHECK_WARN : CHECK_PASS, "replication slot",
        "max_slot_wal_keep_size may invalidate the slot when the archive falls behind; "
        "watch walpull status --slot.",
        "slot \"%s\" is physical, free, wal_status %s%s", slot,
        info.wal_status[0] ? info.wal_status : "unknown",
        info.has_safe_wal_size ? ", limited by max_slot_wal_keep_size" : "");
}

static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    bool empty = d != NULL;
    struct dirent *de;
    while (empty && (de = readdir(d)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    if (d)
        closedir(d);
    return empty;
}

/* Room for what the directory is for: the databases' size for a seed, a
 * gigabyte for an archive. */
static void check_space(checker *c, const char *dir, int what, long long db_bytes)
{
    struct statvfs vfs;
    if (statvfs(dir, &vfs) < 0)
        return;
    unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    unsigned long long need =
        what == FOR_SEED && db_bytes > 0 ? (unsigned long long)db_bytes : 1ULL << 30;
    if (avail < need)
        say(c, CHECK_FAIL, "free space", "Free space, or use a larger file system.",
            "%llu MB free in \"%s\", %s %llu MB", avail >> 20, dir,
            what == FOR_SEED ? "the databases need" : "an archive wants at least", need >> 20);
    else
        say(c, CHECK_PASS, "free space", NULL, "%llu MB free in \"%s\"", avail >> 20, dir);
}

/* The target directory: usable for what it is for, with room. */
static void check_directory(checker *c, const char *dir, int what, long long db_bytes)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (what == FOR_SEED && errno == ENOENT) {
            say(c, CHECK_PASS, "directory", NULL, "\"%s\" does not exist: it will be created", dir);
            return;
        }
        say(c, CHECK_FAIL, "directory",
            what == FOR_ARCHIVE ? "Create it, owned by the user that runs the archiver." : "",
            "\"%s\": %s", dir, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        say(c, CHECK_FAIL, "directory", "Name a directory.", "\"%s\" is not a directory", dir);
        return;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        say(c, CHECK_FAIL, "directory", "Give the user running walpull write access to it.",
            "\"%s\" is not writable: %s", dir, strerror(errno));
        return;
    }
    if (what == FOR_SEED && !dir_empty(dir)) {
        say(c, CHECK_FAIL, "directory", "Seed into a new or empty directory.",
            "\"%s\" is not empty", dir);
        return;
    }
    check_space(c, dir, what, db_bytes);
    say(c, CHECK_PASS, "directory", NULL, "\"%s\" is usable", dir);
}

static const wp_cli_cmd check_cmd = {
    "check", "walpull check runs every preflight a seed or an archive needs: the connection,\n"
             "the server's settings, the slot and the target directory, one line each (pass,\n"
             "warn or fail), with the fix for each failure. Exit status 0: nothing failed.\n\n"
             "Usage:\n  walpull check [OPTION]...\n"};

int wp_cmd_check(int argc, char **argv)
{
    static const char *const fors[] = {"seed", "archive", NULL};
    wp_conn_opts copts = {0};
    const char *slot = NULL, *dir = NULL;
    int what = FOR_ARCHIVE;
    bool json = false;
    wp_opt table[] = {WP_CLI_SLOT_OPT(&slot, "check this slot"),
                      WP_CLI_DIR_OPT(&dir, "check this target directory"),
                      {.long_name = "for",
                       .kind = WP_OPT_CHOICE,
                       .target = &what,
                       .choices = fors,
                       .arg_name = "seed|archive",
                       .help = "what the directory is for (default archive)"},
                      WP_CLI_JSON_OPT(&json),
                      WP_CLI_VERBOSE_OPT,
                      WP_CLI_CONN_OPTS(&copts),
                      WP_OPT_END};
    int first;
    int r = wp_cli_parse(&check_cmd, table, NULL, 0, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    checker c = {.json = json};
    wp_conn *conn = check_connect(&c, &copts);
    wp_conn *sql = NULL;
    long long db_bytes = -1;
    /* The settings over an ordinary connection, also when replication was
     * refused: they often say why (wal_level, max_wal_senders). */
    wp_error serr = {0};
    if (wp_conn_open(&copts, WP_CONN_SQL, conn ? wp_conn_password(conn) : NULL, &sql, &serr) < 0)
        say(&c, CHECK_WARN, "server settings", serr.hint,
            "could not read the settings over an ordinary connection: %s", serr.message);
    if (sql) {
        check_settings(&c, sql, what, conn != NULL);
        db_bytes = number(sql, "SELECT sum(pg_database_size(oid))::bigint FROM pg_database");
        if (slot)
            check_slot(&c, &copts, slot, wp_conn_password(conn));
    }
    if (dir)
        check_directory(&c, dir, what, db_bytes);
    if (json)
        printf("{\"ok\": %s, \"checks\": [%s]}\n", c.worst == CHECK_FAIL ? "false" : "true",
               wp_buf_str(&c.out));
    wp_buf_free(&c.out);
    wp_conn_free(sql);
    wp_conn_free(conn);
    return c.worst == CHECK_FAIL ? WP_EXIT_ERROR : WP_EXIT_OK;
}
