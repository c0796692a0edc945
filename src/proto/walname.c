#include "walpull/walname.h"

#include <string.h>

static bool hex8(const char *s, uint32_t *ret)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *ret = v;
    return true;
}

/* Take an optional ".gz" then an optional ".partial"; true when nothing
 * else follows. */
static bool suffixes(const char *rest, bool allow_partial, wp_walname *n)
{
    if (strncmp(rest, ".gz", 3) == 0) {
        n->gz = true;
        rest += 3;
    }
    if (allow_partial && strcmp(rest, ".partial") == 0) {
        n->partial = true;
        rest += 8;
    }
    return *rest == '\0';
}

wp_walname wp_walname_parse(const char *name)
{
    wp_walname n = {.kind = WP_WALNAME_OTHER};
    size_t len = strnlen(name, 64);
    if (len >= 16 && hex8(name, &n.tli) && n.tli > 0 && strncmp(name + 8, ".history", 8) == 0 &&
        suffixes(name + 16, false, &n)) {
        n.kind = WP_WALNAME_HISTORY;
        return n;
    }
    n = (wp_walname){.kind = WP_WALNAME_OTHER};
    if (len >= 24 && hex8(name, &n.tli) && n.tli > 0 && hex8(name + 8, &n.log) &&
        hex8(name + 16, &n.seg) && suffixes(name + 24, true, &n)) {
        n.kind = WP_WALNAME_SEGMENT;
        return n;
    }
    return (wp_walname){.kind = WP_WALNAME_OTHER};
}

bool wp_walname_segno(const wp_walname *n, uint64_t segsize, uint64_t *ret_segno)
{
    if (n->kind != WP_WALNAME_SEGMENT || segsize == 0)
        return false;
    uint64_t per = UINT64_C(0x100000000) / segsize;
    if (n->seg >= per)
        return false;
    *ret_segno = (uint64_t)n->log * per + n->seg;
    return true;
}

const char *wp_walname_suffix(bool gz, bool partial)
{
    return gz ? (partial ? ".gz.partial" : ".gz") : (partial ? ".partial" : "");
}
