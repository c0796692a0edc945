#include "walpull/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wp_error_clear(wp_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

int wp_error_set(wp_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    wp_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

int wp_error_errno(wp_error *err, int errnum, const char *fmt, ...)
{
    if (errnum == 0)
        errnum = ENOSPC;
    if (!err)
        return -errnum;
    wp_error_clear(err);
    err->code = -errnum;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->message))
        snprintf(err->message + n, sizeof(err->message) - (size_t)n, ": %s", strerror(errnum));
    return -errnum;
}

void wp_error_hint(wp_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
    va_end(ap);
}
