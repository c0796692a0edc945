#include "cmd/retry.h"

#include <errno.h>
#include <string.h>

static bool class_of(const wp_error *err, const char *cls)
{
    return strncmp(err->sqlstate, cls, 2) == 0;
}

wp_retry wp_retry_decide(const wp_error *err, bool worked, bool wait_for_server)
{
    /* 08: connection exception; 53: out of resources (too many
     * connections, no free WAL sender); 57: starting up, shutting down,
     * crash recovery. They pass by themselves, at the start too. */
    if (class_of(err, "08") || class_of(err, "53") || class_of(err, "57"))
        return WP_RETRY_AGAIN;
    switch (err->code) {
    case WP_E_STOPPED:
        /* The server ended streaming (shutting down, restarting). */
        return WP_RETRY_AGAIN;
    case WP_E_CONN:
        /* Refused, unreachable, lost, silent. At the very start that is as
         * likely a wrong host or port: stop, unless told to wait. */
        return worked || wait_for_server ? WP_RETRY_AGAIN : WP_RETRY_STOP;
    case WP_E_SERVER:
        /* The slot is active: after a lost connection the server's old WAL
         * sender holds it until its wal_sender_timeout; at the start it is
         * another client's. */
        if (strcmp(err->sqlstate, "55006") == 0)
            return worked ? WP_RETRY_AGAIN : WP_RETRY_STOP;
        return WP_RETRY_STOP;
    default:
        /* A full disk may empty again (space freed, old WAL expired). */
        if (worked && (err->code == -ENOSPC || err->code == -EDQUOT))
            return WP_RETRY_AGAIN;
        return WP_RETRY_STOP;
    }
}
