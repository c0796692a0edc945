/* A replication connection to a PostgreSQL server, over libpq.
 *
 * Ownership: a wp_conn owns its PGconn and every PGresult; none escape.
 * Buffers handed out by wp_conn_copy_recv belong to the caller until given
 * back with wp_conn_buf_free. Functions that fail fill the caller's
 * wp_error with the server's message, SQLSTATE and, for known
 * misconfigurations, a hint. */
#ifndef WALPULL_CONN_H
#define WALPULL_CONN_H

#include "walpull/buf.h"
#include "walpull/error.h"
#include "walpull/lsn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_MIN_SERVER_VERSION 130000

typedef enum wp_prompt {
    WP_PROMPT_AUTO,   /* ask on a terminal when the server wants a password */
    WP_PROMPT_NEVER,  /* -w */
    WP_PROMPT_ALWAYS, /* -W */
} wp_prompt;

/* What the user gave; everything else comes from libpq's environment
 * variables, service file and .pgpass. All strings may be NULL. */
typedef struct wp_conn_opts {
    const char *connstr; /* -d: a conninfo string or URI */
    const char *host;
    const char *port;
    const char *user;
    wp_prompt prompt;
    /* --receive-timeout: how long the server may send nothing while walpull
     * waits for it (commands, the replication stream, a backup's data); 0
     * means WP_CONN_DEFAULT_TIMEOUT_S, negative means forever. It also
     * bounds connecting, unless connect_timeout is set in the connection
     * string or PGCONNECT_TIMEOUT. */
    int timeout_s;
    /* fallback_application_name; NULL: "walpull". The front ends go by the
     * stock tool's name, which synchronous_standby_names and monitoring
     * may match on. */
    const char *app_name;
} wp_conn_opts;

#define WP_CONN_DEFAULT_TIMEOUT_S 60

typedef enum wp_conn_kind {
    WP_CONN_PHYSICAL, /* replication=true */
    WP_CONN_DATABASE, /* replication=database */
    WP_CONN_SQL,      /* an ordinary connection */
} wp_conn_kind;

typedef struct wp_conn wp_conn;

typedef struct wp_identity {
    char systemid[32]; /* decimal digits only */
    uint64_t sysid;
    uint32_t timeline;
    wp_lsn xlogpos;
    char dbname[64]; /* empty for a physical connection */
} wp_identity;

typedef struct wp_slot_info {
    bool exists;
    bool logical; /* a logical slot: refused by wp_conn_read_slot */
    bool has_restart_lsn;
    wp_lsn restart_lsn;
    uint32_t restart_tli; /* 0 when the server does not say */
    char wal_status[16];  /* "lost" for an invalidated slot, where known */
    /* From pg_replication_slots only (wp_conn_slot_health; servers 13 and
     * 14 in wp_conn_read_slot): */
    bool known_active;
    bool active;
    long active_pid;
    bool has_safe_wal_size;
    int64_t safe_wal_size; /* bytes that can still be written before the slot is lost */
} wp_slot_info;

/* How a COPY BOTH stream ended. */
typedef struct wp_stream_end {
    bool timeline_ended; /* the server named a next timeline */
    uint32_t next_tli;
    wp_lsn next_start;
} wp_stream_end;

/* Connect and check the server major (13 or later). Returns WP_E_SERVER
 * when the server refused the connection (authentication, privileges,
 * pg_hba.conf), WP_E_CONN when it could not be reached or is starting or
 * stopping. A password typed at a prompt is kept: wp_conn_password gives
 * it for further connections. */
int wp_conn_open(const wp_conn_opts *opts, wp_conn_kind kind, const char *password,
                 wp_conn **ret_conn, wp_error *err);
void wp_conn_free(wp_conn *conn);

int wp_conn_server_version(const wp_conn *conn);
/* The password used, if the user typed it (NULL otherwise). */
const char *wp_conn_password(const wp_conn *conn);
/* A parameter of the live connection: host, port, user, password or
 * server_version (the server's own text); NULL when unknown. */
const char *wp_conn_param(const wp_conn *conn, const char *keyword);

int wp_conn_identify_system(wp_conn *conn, wp_identity *ret_id, wp_error *err);
int wp_conn_wal_segment_size(wp_conn *conn, uint64_t *ret_size, wp_error *err);
/* Does the server's data directory let its group read (initdb -g, the
 * data_directory_mode of 11 and later)? Copies of it follow suit. */
int wp_conn_group_access(wp_conn *conn, bool *ret_group, wp_error *err);
/* SHOW name on the replication connection: its value into out (size
 * bytes, truncated). */
int wp_conn_show(wp_conn *conn, const char *name, char *out, size_t size, wp_error *err);

enum {
    WP_SLOT_TEMPORARY = 1 << 0,  /* dropped when the connection ends */
    WP_SLOT_NO_RESERVE = 1 << 1, /* no RESERVE_WAL: restart_lsn stays NULL */
};
/* CREATE_REPLICATION_SLOT name [TEMPORARY] PHYSICAL [RESERVE_WAL] (flags:
 * WP_SLOT_*). With if_not_exists an existing slot is not an error
 * (*ret_created false). */
int wp_conn_create_slot(wp_conn *conn, const char *name, unsigned flags, bool if_not_exists,
                        bool *ret_created, wp_error *err);
/* READ_REPLICATION_SLOT on 15 and later; on 13/14 pg_replication_slots
 * through an ordinary connection made with opts. On 15+ a slot without a
 * restart_lsn is looked up there too (best effort) to learn whether it was
 * invalidated (wal_status "lost"). */
int wp_conn_read_slot(wp_conn *conn, const wp_conn_opts *opts, const char *name,
                      wp_slot_info *ret_info, wp_error *err);
int wp_conn_drop_slot(wp_conn *conn, const char *name, bool wait, wp_error *err);

/* TIMELINE_HISTORY: the history file of timeline tli, checked before it is
 * handed out: its name is tli's, it parses, it names a parent, and when
 * parent is not 0 its last step is from parent at switch_point (a server
 * whose history disagrees is WP_E_PROTO). *ret_content is the caller's to
 * free(), NUL-terminated. */
int wp_conn_timeline_history(wp_conn *conn, uint32_t tli, uint32_t parent, wp_lsn switch_point,
                             char **ret_content, size_t *ret_len, wp_error *err);

/* Run a query on an ordinary (or replication=database) connection and
 * return the first column of the first row as text, malloc'd. */
/* The slot as pg_replication_slots shows it (active, by which pid,
 * wal_status, safe_wal_size), over an ordinary connection to database
 * "postgres" (or the one -d names). */
int wp_conn_slot_health(const wp_conn_opts *opts, const char *name, const char *password,
                        wp_slot_info *ret_info, wp_error *err);

int wp_conn_query_value(wp_conn *conn, const char *sql, char **ret_value, wp_error *err);

/* START_REPLICATION [SLOT s] PHYSICAL lsn TIMELINE tli. Returns 0 with the
 * stream open, or WP_E_STOPPED with *ret_end filled when the server answers
 * at once that the timeline ended before lsn. */
int wp_conn_start_replication(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                              wp_stream_end *ret_end, wp_error *err);

/* Take one CopyData message without blocking: returns its length (> 0) and
 * a buffer to give back with wp_conn_buf_free, 0 when nothing is buffered,
 * WP_E_STOPPED when the server ended the COPY, or another negative code. */
int wp_conn_copy_recv(wp_conn *conn, uint8_t **ret_buf, wp_error *err);
void wp_conn_buf_free(void *buf);

/* Send one CopyData message and flush it. */
int wp_conn_copy_send(wp_conn *conn, const uint8_t *data, size_t len, wp_error *err);

/* Wait until the socket is readable, wake_fd (if >= 0) is readable, or
 * timeout_ms passes (-1: forever), then read what arrived into libpq's
 * buffer (after a timeout as well). 0 on success or timeout, -EINTR when a
 * signal came, negative on a lost connection. */
int wp_conn_wait(wp_conn *conn, int timeout_ms, int wake_fd, wp_error *err);

/* A check of whether to give up waiting (an operator's stop request): 0
 * to wait on, or an error that ends the wait. */
typedef int (*wp_conn_check)(void *user, wp_error *err);

/* Have check polled while a command's answer is awaited, on either
 * reader, whenever a signal cuts a wait short or a second passes with
 * nothing new; its error ends the wait. With a check, a connection
 * without a receive timeout waits as long as the server takes; without
 * one, the exchanges around a COPY give up after 60 s. NULL: none. user
 * must outlive the watch. */
void wp_conn_watch(wp_conn *conn, wp_conn_check check, void *user);

/* How long the server has sent nothing: an error (WP_E_CONN) once that is
 * past the receive timeout; *ret_half (may be NULL) once it is past half
 * of it, when a caller in COPY BOTH asks the server for a reply, as the
 * server's own WAL receiver does. */
int wp_conn_check_idle(wp_conn *conn, bool *ret_half, wp_error *err);

/* A primary_conninfo value for a standby of this server: the live
 * connection's parameters, without replication, dbname,
 * fallback_application_name and values equal to libpq's built-in
 * defaults, and without the password unless
 * with_password. Written into out (quoted for a conninfo string, not yet
 * for a configuration file). */
int wp_conn_standby_conninfo(const wp_conn *conn, bool with_password, wp_buf *out, wp_error *err);

/* End the COPY and read the results: after WP_E_STOPPED from copy_recv
 * (server_ended), or to end the stream ourselves. Sets *ret_end, with
 * timeline_ended when the server named a next timeline. */
int wp_conn_end_copy(wp_conn *conn, bool server_ended, wp_stream_end *ret_end, wp_error *err);

/* Does the conninfo string set keyword to a non-empty value? */
bool wp_conninfo_sets(const char *connstr, const char *keyword);

/* A hint for a known misconfiguration given a SQLSTATE and message, or NULL.
 * Pure; exposed for tests. */
const char *wp_conn_hint_for(const char *sqlstate, const char *message);

#endif
