/* What the connection modules share; nothing outside src/conn uses it. */
#ifndef WALPULL_CONN_CONN_INTERNAL_H
#define WALPULL_CONN_CONN_INTERNAL_H

#include "walpull/buf.h"
#include "walpull/conn.h"

#include <libpq-fe.h>

struct wp_conn {
    PGconn *pg;
    wp_conn_kind kind;
    int version;
    char *password;           /* typed by the user; owned */
    int timeout_ms;           /* 0: none */
    bool own_connect_timeout; /* set by walpull, not asked for: not copied to a standby */
    int64_t last_input_ms;
    wp_conn_check check; /* wp_conn_watch; NULL: none */
    void *check_user;
};

/* Wait until a result can be read without blocking, for no longer than
 * the receive timeout of silence. */
int wp_conn_await(wp_conn *conn, const char *what, wp_error *err);

/* The START_REPLICATION command text, appended to out. */
int wp_conn_start_replication_sql(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                                  wp_buf *out, wp_error *err);

/* Wake poll on the socket only once bytes have queued (SO_RCVLOWAT); 1
 * for any byte, as libpq's own waits expect. Best effort: without it a
 * reader only wakes more often. */
void wp_conn_rcvlowat(wp_conn *conn, int bytes);

/* The hint for a server that stalls: raise --receive-timeout if it is
 * only slow. */
void wp_conn_hint_stall(wp_error *err);

/* Something arrived from the server. */
void wp_conn_note_input(wp_conn *conn);

/* Fill err with a server's error fields, in one shape for every path:
 * "WHAT failed: MESSAGE[: DETAIL]", the SQLSTATE, and the hint walpull
 * knows for it. Returns code. */
int wp_conn_server_error(wp_error *err, int code, const char *what, const char *msg,
                         const char *detail, const char *sqlstate);

/* Fill err from a failed result (or the connection's own message). Returns
 * WP_E_SERVER, or WP_E_CONN when the connection is gone. */
int wp_conn_set_error(wp_error *err, PGconn *pg, const PGresult *res, const char *what);

#endif
