#include "walpull/fields.h"

#include "walpull/error.h"

#include <string.h>

int wp_field_uint(const char *text, uint64_t max, uint64_t *ret_value)
{
    if (!text || !*text)
        return WP_E_PROTO;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return WP_E_PROTO;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (max - d) / 10)
            return WP_E_PROTO;
        v = v * 10 + d;
    }
    *ret_value = v;
    return 0;
}

int wp_field_tli(const char *text, uint32_t *ret_tli)
{
    uint64_t v;
    if (wp_field_uint(text, UINT32_MAX, &v) < 0 || v == 0)
        return WP_E_PROTO;
    *ret_tli = (uint32_t)v;
    return 0;
}

int wp_field_sysid(const char *text, uint64_t *ret_sysid)
{
    uint64_t v;
    if (wp_field_uint(text, UINT64_MAX, &v) < 0 || v == 0)
        return WP_E_PROTO;
    *ret_sysid = v;
    return 0;
}

int wp_field_identify(const char *sysid, const char *tli, const char *xlogpos,
                      wp_identify_row *ret_row)
{
    wp_identify_row row;
    if (wp_field_sysid(sysid, &row.sysid) < 0 || wp_field_tli(tli, &row.tli) < 0 || !xlogpos ||
        wp_lsn_parse(xlogpos, &row.xlogpos) < 0)
        return WP_E_PROTO;
    *ret_row = row;
    return 0;
}

bool wp_field_abs_path(const char *path)
{
    if (!path || path[0] != '/' || path[1] == '\0')
        return false;
    for (const char *p = path + 1;;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}
