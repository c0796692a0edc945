#include "walpull/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(wp_buf *b, size_t extra)
{
    if (b->failed)
        return -ENOMEM;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return -ENOMEM;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int wp_buf_append(wp_buf *b, const char *s, size_t len)
{
    int r = reserve(b, len);
    if (r < 0)
        return r;
    if (len)
        memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int wp_buf_puts(wp_buf *b, const char *s)
{
    return wp_buf_append(b, s, strlen(s));
}

int wp_buf_printf(wp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return -EINVAL;
    }
    int r = reserve(b, (size_t)n);
    if (r < 0)
        return r;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int wp_buf_json_string(wp_buf *b, const char *s)
{
    wp_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            wp_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            wp_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            wp_buf_append(b, "\\n", 2);
            break;
        case '\t':
            wp_buf_append(b, "\\t", 2);
            break;
        default:
            if (*p < 0x20)
                wp_buf_printf(b, "\\u%04x", *p);
            else
                wp_buf_append(b, (const char *)p, 1);
        }
    }
    wp_buf_append(b, "\"", 1);
    return wp_buf_ok(b);
}

const char *wp_buf_str(const wp_buf *b)
{
    return b->data && !b->failed ? b->data : "";
}

int wp_buf_ok(const wp_buf *b)
{
    return b->failed ? -ENOMEM : 0;
}

void wp_buf_reset(wp_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

void wp_buf_truncate(wp_buf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

char *wp_buf_steal(wp_buf *b)
{
    char *s = NULL;
    if (!b->failed)
        s = b->data ? b->data : strdup("");
    else
        free(b->data);
    *b = (wp_buf){0};
    return s;
}

void wp_buf_free(wp_buf *b)
{
    free(b->data);
    *b = (wp_buf){0};
}
