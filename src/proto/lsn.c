#include "walpull/lsn.h"

#include "walpull/error.h"

#include <stdio.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parse 1..maxdigits hex digits from *p, advancing it. */
static int parse_hex(const char **p, int maxdigits, uint64_t *ret)
{
    uint64_t v = 0;
    int n = 0;
    for (; n < maxdigits; n++) {
        int d = hex_value((*p)[n]);
        if (d < 0)
            break;
        v = (v << 4) | (uint64_t)d;
    }
    if (n == 0 || hex_value((*p)[n]) >= 0)
        return WP_E_RANGE;
    *p += n;
    *ret = v;
    return 0;
}

int wp_lsn_parse(const char *text, wp_lsn *ret_lsn)
{
    const char *p = text;
    uint64_t hi, lo;
    if (!text || parse_hex(&p, 8, &hi) < 0 || *p++ != '/' || parse_hex(&p, 8, &lo) < 0 || *p)
        return WP_E_RANGE;
    *ret_lsn = (hi << 32) | lo;
    return 0;
}

char *wp_lsn_format(wp_lsn lsn, char *buf, size_t size)
{
    snprintf(buf, size, WP_LSN_FMT, WP_LSN_ARGS(lsn));
    return buf;
}

bool wp_segsize_valid(uint64_t segsize)
{
    return segsize >= WP_SEGSIZE_MIN && segsize <= WP_SEGSIZE_MAX && (segsize & (segsize - 1)) == 0;
}

int wp_size_parse(const char *text, uint64_t *ret_bytes)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1},
        {"B", 1},
        {"kB", 1024},
        {"MB", 1024ull * 1024},
        {"GB", 1024ull * 1024 * 1024},
        {"TB", 1024ull * 1024 * 1024 * 1024},
    };
    if (!text || text[0] < '0' || text[0] > '9')
        return WP_E_RANGE;
    uint64_t v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return WP_E_RANGE;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].mult)
                return WP_E_RANGE;
            *ret_bytes = v * units[i].mult;
            return 0;
        }
    }
    return WP_E_RANGE;
}

/* A "log id" spans 4 GB of WAL; the file name shows it and the segment
 * within it separately. */
static uint64_t segs_per_logid(uint64_t segsize)
{
    return UINT64_C(0x100000000) / segsize;
}

void wp_segment_name(uint32_t tli, uint64_t segno, uint64_t segsize, char *buf)
{
    uint64_t per = segs_per_logid(segsize);
    snprintf(buf, WP_SEGNAME_LEN + 1, "%08X%08X%08X", (unsigned)tli, (unsigned)(segno / per),
             (unsigned)(segno % per));
}

static int parse_hex8_upper(const char *s, uint32_t *ret)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return WP_E_RANGE;
        v = (v << 4) | (uint32_t)d;
    }
    *ret = v;
    return 0;
}

int wp_segment_name_parse(const char *name, uint64_t segsize, uint32_t *ret_tli,
                          uint64_t *ret_segno)
{
    uint32_t tli, logid, seg;
    if (!wp_segsize_valid(segsize) || strlen(name) != WP_SEGNAME_LEN)
        return WP_E_RANGE;
    if (parse_hex8_upper(name, &tli) < 0 || parse_hex8_upper(name + 8, &logid) < 0 ||
        parse_hex8_upper(name + 16, &seg) < 0)
        return WP_E_RANGE;
    uint64_t per = segs_per_logid(segsize);
    if (tli == 0 || seg >= per)
        return WP_E_RANGE;
    *ret_tli = tli;
    *ret_segno = (uint64_t)logid * per + seg;
    return 0;
}

void wp_history_name(uint32_t tli, char *buf)
{
    snprintf(buf, 17, "%08X.history", (unsigned)tli);
}
