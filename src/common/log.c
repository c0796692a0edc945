#include "walpull/log.h"

#include <stdarg.h>
#include <stdio.h>

wp_log_level wp_log_verbosity = WP_LOG_WARNING;

static const char *level_name(wp_log_level level)
{
    switch (level) {
    case WP_LOG_ERROR:
        return "error";
    case WP_LOG_WARNING:
        return "warning";
    case WP_LOG_INFO:
        return "info";
    case WP_LOG_DEBUG:
        return "debug";
    }
    return "log";
}

void wp_log(wp_log_level level, const char *fmt, ...)
{
    if (level > wp_log_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "walpull: %s: ", level_name(level));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void wp_log_error(const wp_error *err)
{
    if (err->sqlstate[0])
        wp_log(WP_LOG_ERROR, "%s (SQLSTATE %s)", err->message, err->sqlstate);
    else
        wp_log(WP_LOG_ERROR, "%s", err->message);
    if (err->hint[0])
        fprintf(stderr, "walpull: hint: %s\n", err->hint);
}
