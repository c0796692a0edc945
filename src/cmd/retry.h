/* The archiver's reconnect policy, in one place: which failures heal by
 * themselves (retried with backoff) and which need a person (stop at once
 * with the hint). Pure. */
#ifndef WALPULL_CMD_RETRY_H
#define WALPULL_CMD_RETRY_H

#include "walpull/error.h"

#include <stdbool.h>

typedef enum wp_retry {
    WP_RETRY_STOP,
    WP_RETRY_AGAIN,
} wp_retry;

/* worked: streaming has begun at least once in this run (a session's COPY
 * began); wait_for_server: --wait-for-server. */
wp_retry wp_retry_decide(const wp_error *err, bool worked, bool wait_for_server);

#endif
