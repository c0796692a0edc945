/* What the connection modules share; nothing outside src/conn uses it. */
#ifndef WALPULL_CONN_CONN_INTERNAL_H
#define WALPULL_CONN_CONN_INTERNAL_H

#include "walpull/conn.h"

#include <libpq-fe.h>

struct wp_conn {
    PGconn *pg;
    wp_conn_kind kind;
    int version;
    char *password; /* typed by the user; owned */
};

/* Fill err from a failed result (or the connection's own message). Returns
 * WP_E_SERVER, or WP_E_CONN when the connection is gone. */
int wp_conn_set_error(wp_error *err, PGconn *pg, const PGresult *res, const char *what);

#endif
