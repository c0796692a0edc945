/* Logging for the command layer. Library code never prints; it fills a
 * wp_error instead. The level is the program's one global. */
#ifndef WALPULL_LOG_H
#define WALPULL_LOG_H

#include "walpull/error.h"

typedef enum wp_log_level {
    WP_LOG_ERROR,
    WP_LOG_WARNING,
    WP_LOG_INFO,
    WP_LOG_DEBUG,
} wp_log_level;

extern wp_log_level wp_log_verbosity;

/* Print "walpull: <level>: message" to stderr when level is enabled. */
void wp_log(wp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an error once: the message, then the SQLSTATE and hint if any. */
void wp_log_error(const wp_error *err);

#endif
