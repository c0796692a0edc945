#include "walpull/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* Every message is one line: libpq's own messages span several, with
 * tabs; each run of line breaks and tabs becomes one space. */
static void one_line(char *text)
{
    char *out = text;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            if (out > text && out[-1] != ' ')
                *out++ = ' ';
        } else {
            *out++ = *p;
        }
    }
    while (out > text && out[-1] == ' ')
        out--;
    *out = '\0';
}

void wp_log(wp_log_level level, const char *fmt, ...)
{
    if (level > wp_log_verbosity)
        return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    one_line(text);
    fprintf(stderr, "walpull: %s: %s\n", level_name(level), text);
}

void wp_log_error(const wp_error *err)
{
    if (err->sqlstate[0])
        wp_log(WP_LOG_ERROR, "%s (SQLSTATE %s)", err->message, err->sqlstate);
    else
        wp_log(WP_LOG_ERROR, "%s", err->message);
    if (err->hint[0]) {
        char hint[sizeof(err->hint)];
        memcpy(hint, err->hint, sizeof(hint));
        one_line(hint);
        fprintf(stderr, "walpull: hint: %s\n", hint);
    }
}
