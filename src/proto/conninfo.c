#include "walpull/conninfo.h"

#include "walpull/error.h"

#include <string.h>

int wp_conninfo_append(char *out, size_t size, size_t *len, const char *key, const char *value)
{
    size_t n = *len;
    size_t klen = strlen(key);
    /* separator, key, '=', quotes, terminator */
    if (n + (n ? 1 : 0) + klen + 3 + 1 > size)
        return WP_E_RANGE;
    if (n)
        out[n++] = ' ';
    memcpy(out + n, key, klen);
    n += klen;
    out[n++] = '=';
    out[n++] = '\'';
    for (const char *p = value; *p; p++) {
        size_t need = (*p == '\\' || *p == '\'') ? 2 : 1;
        if (n + need + 2 > size) {
            out[*len] = '\0';
            return WP_E_RANGE;
        }
        if (need == 2)
            out[n++] = '\\';
        out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
    *len = n;
    return 0;
}

int wp_config_quote(const char *value, char *out, size_t size)
{
    size_t n = 0;
    if (size < 3)
        return WP_E_RANGE;
    out[n++] = '\'';
    for (const char *p = value; *p; p++) {
        size_t need = (*p == '\'' || *p == '\\') ? 2 : 1;
        if (n + need + 2 > size)
            return WP_E_RANGE;
        out[n++] = *p;
        if (need == 2)
            out[n++] = *p;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
}
