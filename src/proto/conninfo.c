#include "walpull/conninfo.h"

#include <stdbool.h>
#include <string.h>

/* Append value with every character in `special` preceded by `escape`
 * (or doubled, when escape is 0). */
static void append_escaped(wp_buf *out, const char *value, const char *special, char escape)
{
    for (const char *p = value; *p; p++) {
        if (strchr(special, *p))
            wp_buf_append(out, escape ? &escape : p, 1);
        wp_buf_append(out, p, 1);
    }
}

/* Letters, digits, '_' and '.' only: a value libpq reads unquoted. */
static bool plain_value(const char *value)
{
    if (!value[0])
        return false;
    for (const char *p = value; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.'))
            return false;
    return true;
}

int wp_conninfo_append(wp_buf *out, const char *key, const char *value)
{
    if (out->len)
        wp_buf_puts(out, " ");
    if (plain_value(value)) {
        /* As the stock tools write it, so scripts matching "port=5432" find it. */
        wp_buf_printf(out, "%s=%s", key, value);
        return wp_buf_ok(out);
    }
    wp_buf_printf(out, "%s='", key);
    append_escaped(out, value, "\\'", '\\');
    wp_buf_puts(out, "'");
    return wp_buf_ok(out);
}

int wp_config_quote(wp_buf *out, const char *value)
{
    wp_buf_puts(out, "'");
    append_escaped(out, value, "'\\", 0);
    wp_buf_puts(out, "'");
    return wp_buf_ok(out);
}

int wp_quote_literal(wp_buf *out, const char *value)
{
    wp_buf_puts(out, "'");
    append_escaped(out, value, "'", 0);
    wp_buf_puts(out, "'");
    return wp_buf_ok(out);
}
