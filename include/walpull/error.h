/* Error codes and the error detail carried by every fallible call.
 *
 * A function that can fail returns 0 or a negative code: -errno for system
 * errors, or one of the WP_E_* values below. The human-readable message, and
 * for server errors the SQLSTATE and a hint, go into a caller-owned wp_error.
 */
#ifndef WALPULL_ERROR_H
#define WALPULL_ERROR_H

#include <stddef.h>

enum {
    WP_E_PROTO = -1000, /* malformed or unexpected protocol data */
    WP_E_TRUNCATED,     /* input ends before a complete item */
    WP_E_RANGE,         /* a value outside its allowed range */
    WP_E_SERVER,        /* the server reported an error */
    WP_E_CONN,          /* connection could not be made or was lost */
    WP_E_UNSUPPORTED,   /* server version or feature not supported */
    WP_E_USAGE,         /* bad user input */
    WP_E_STATE,         /* local state conflicts with the request */
    WP_E_STOPPED,       /* the server ended the stream */
};

typedef struct wp_error {
    int code;
    char message[512];
    char sqlstate[6]; /* empty unless the server sent one */
    char hint[256];   /* empty unless a fix is known */
} wp_error;

/* Clear all fields. */
void wp_error_clear(wp_error *err);

/* Record a message (printf-style) and return code, so callers can write
 * `return wp_error_set(err, -EIO, "...")`. err may be NULL. */
int wp_error_set(wp_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a system error: the message (printf-style) followed by ": " and
 * strerror(errnum); the code is -errnum. errnum 0 (a short write) counts as
 * ENOSPC. */
int wp_error_errno(wp_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the hint of an error already recorded. err may be NULL. */
void wp_error_hint(wp_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
