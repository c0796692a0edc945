#include "walpull/pqmsg.h"

#include "walpull/error.h"
#include "walpull/msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int wp_pqmsg_body_len(const uint8_t hdr[WP_PQMSG_HDR], size_t *ret_len)
{
    uint32_t n = wp_get_u32(hdr + 1);
    if (n < 4 || n - 4 > WP_PQMSG_MAX_BODY)
        return WP_E_PROTO;
    *ret_len = n - 4;
    return 0;
}

int wp_pqmsg_error(const uint8_t *body, size_t len, wp_pqerror *ret)
{
    wp_pqerror e = {0};
    size_t i = 0;
    while (i < len && body[i] != 0) {
        uint8_t code = body[i++];
        const uint8_t *end = memchr(body + i, 0, len - i);
        if (!end)
            return WP_E_PROTO;
        const char *v = (const char *)(body + i);
        switch (code) {
        case 'V': /* the untranslated severity, preferred */
            snprintf(e.severity, sizeof(e.severity), "%s", v);
            break;
        case 'S':
            if (!e.severity[0])
                snprintf(e.severity, sizeof(e.severity), "%s", v);
            snprintf(e.severity_local, sizeof(e.severity_local), "%s", v);
            break;
        case 'C':
            snprintf(e.sqlstate, sizeof(e.sqlstate), "%s", v);
            break;
        case 'M':
            snprintf(e.message, sizeof(e.message), "%s", v);
            break;
        case 'D':
            snprintf(e.detail, sizeof(e.detail), "%s", v);
            break;
        case 'H':
            snprintf(e.hint, sizeof(e.hint), "%s", v);
            break;
        default:
            break;
        }
        i = (size_t)(end - body) + 1;
    }
    *ret = e;
    return 0;
}

int wp_pqmsg_datarow(const uint8_t *body, size_t len, const uint8_t **cols, int32_t *lens, int max,
                     int *ret_n)
{
    if (len < 2)
        return WP_E_PROTO;
    int n = (body[0] << 8) | body[1];
    size_t at = 2;
    for (int i = 0; i < n; i++) {
        if (len - at < 4)
            return WP_E_PROTO;
        int32_t l = (int32_t)wp_get_u32(body + at);
        at += 4;
        if (l < -1 || (l > 0 && (size_t)l > len - at))
            return WP_E_PROTO;
        if (i < max) {
            cols[i] = body + at;
            lens[i] = l;
        }
        if (l > 0)
            at += (size_t)l;
    }
    *ret_n = n < max ? n : max;
    return 0;
}

static void put_header(wp_buf *out, char type, size_t body)
{
    uint8_t h[WP_PQMSG_HDR];
    h[0] = (uint8_t)type;
    wp_put_u32(h + 1, (uint32_t)(body + 4));
    wp_buf_append(out, (const char *)h, sizeof(h));
}

int wp_pqmsg_query(wp_buf *out, const char *sql)
{
    size_t n = strlen(sql) + 1;
    put_header(out, 'Q', n);
    wp_buf_append(out, sql, n);
    return wp_buf_ok(out);
}

int wp_pqmsg_copydata(wp_buf *out, const uint8_t *data, size_t len)
{
    put_header(out, 'd', len);
    wp_buf_append(out, (const char *)data, len);
    return wp_buf_ok(out);
}

int wp_pqmsg_copydone(wp_buf *out)
{
    put_header(out, 'c', 0);
    return wp_buf_ok(out);
}
