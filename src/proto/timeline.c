#include "walpull/timeline.h"

#include "walpull/error.h"

#include <string.h>

/* Skip spaces and tabs within a line. */
static const char *skip_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static int parse_u32(const char **p, const char *end, uint32_t *ret)
{
    uint64_t v = 0;
    const char *s = *p;
    while (s < end && *s >= '0' && *s <= '9') {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return WP_E_PROTO;
        s++;
    }
    if (s == *p)
        return WP_E_PROTO;
    *p = s;
    *ret = (uint32_t)v;
    return 0;
}

/* Parse an "X/X" LSN token ending at a blank or the end of the line. */
static int parse_lsn_token(const char **p, const char *end, wp_lsn *ret)
{
    char tok[20];
    size_t n = 0;
    const char *s = *p;
    while (s < end && *s != ' ' && *s != '\t' && *s != '\r') {
        if (n + 1 >= sizeof(tok))
            return WP_E_PROTO;
        tok[n++] = *s++;
    }
    tok[n] = '\0';
    if (wp_lsn_parse(tok, ret) < 0)
        return WP_E_PROTO;
    *p = s;
    return 0;
}

int wp_timeline_history_parse(const char *text, size_t len, uint32_t tli, wp_tli_entry *entries,
                              size_t cap, size_t *ret_n)
{
    const char *p = text, *end = text + len;
    size_t n = 0;
    wp_lsn prev_end = 0;
    uint32_t prev_tli = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *s = skip_blank(p, eol);
        if (s < eol && *s != '#' && *s != '\r') {
            uint32_t parent;
            wp_lsn sw;
            if (parse_u32(&s, eol, &parent) < 0)
                return WP_E_PROTO;
            s = skip_blank(s, eol);
            if (parse_lsn_token(&s, eol, &sw) < 0)
                return WP_E_PROTO;
            if (parent <= prev_tli || parent >= tli || sw < prev_end)
                return WP_E_PROTO;
            if (n >= cap)
                return WP_E_RANGE;
            entries[n++] = (wp_tli_entry){.tli = parent, .begin = prev_end, .end = sw};
            prev_end = sw;
            prev_tli = parent;
        }
        p = eol + 1;
    }
    if (n >= cap)
        return WP_E_RANGE;
    entries[n++] = (wp_tli_entry){.tli = tli, .begin = prev_end, .end = WP_LSN_INVALID};
    *ret_n = n;
    return 0;
}

uint32_t wp_timeline_of_lsn(const wp_tli_entry *entries, size_t n, wp_lsn lsn)
{
    for (size_t i = 0; i < n; i++) {
        if (lsn >= entries[i].begin && (entries[i].end == WP_LSN_INVALID || lsn < entries[i].end))
            return entries[i].tli;
    }
    return 0;
}

size_t wp_timeline_history_cap(const char *text, size_t len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    return lines + 1;
}

int wp_timeline_history_check(const char *text, size_t len, uint32_t tli, uint32_t parent,
                              wp_lsn switch_point, wp_tli_entry *e, size_t cap,
                              const char **ret_why)
{
    size_t n = 0;
    const char *why = NULL;
    if (wp_timeline_history_parse(text, len, tli, e, cap, &n) < 0)
        why = "it does not parse as a history file of this timeline";
    else if (n < 2)
        why = "it names no parent timeline";
    else if (parent && e[n - 2].tli != parent)
        why = "its last parent is not the timeline being left";
    else if (parent && e[n - 2].end != switch_point)
        why = "its switch point is not the one the server reported";
    if (why) {
        *ret_why = why;
        return WP_E_PROTO;
    }
    return 0;
}
