/* A growable string buffer: every string walpull builds (paths, commands,
 * conninfo, quoted literals, JSON) is built in one, never in a fixed array.
 *
 * A zeroed wp_buf is empty and ready. Appends that run out of memory leave
 * the buffer as it was and mark it failed; later appends do nothing, so a
 * caller can build a whole string and check once (wp_buf_ok). The buffer
 * owns its data until wp_buf_free or wp_buf_steal. */
#ifndef WALPULL_BUF_H
#define WALPULL_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wp_buf {
    char *data; /* NUL-terminated once anything was appended; NULL before */
    size_t len;
    size_t cap;
    bool failed;
} wp_buf;

/* Append len bytes; 0 or -ENOMEM. */
int wp_buf_append(wp_buf *b, const char *s, size_t len);

/* Append a C string. */
int wp_buf_puts(wp_buf *b, const char *s);

/* Append printf-style. */
int wp_buf_printf(wp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append s as a JSON string: quoted, with ", \ and control characters
 * escaped (bytes of 0x80 and above are passed through). */
int wp_buf_json_string(wp_buf *b, const char *s);

/* The string so far; "" for an empty buffer, never NULL. */
const char *wp_buf_str(const wp_buf *b);

/* 0, or -ENOMEM if any append failed. */
int wp_buf_ok(const wp_buf *b);

/* Empty it, keeping the memory. */
void wp_buf_reset(wp_buf *b);

/* Cut it back to its first len bytes (no-op if it is not longer): to
 * undo appends made since len was read from it. */
void wp_buf_truncate(wp_buf *b, size_t len);

/* Hand the string to the caller (free() it); the buffer is empty after.
 * NULL when an append failed or memory ran out. */
char *wp_buf_steal(wp_buf *b);

void wp_buf_free(wp_buf *b);

#endif
