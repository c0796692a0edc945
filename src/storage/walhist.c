#include "walpull/walhist.h"

#include <errno.h>
#include <stdlib.h>

int wp_walhist_load(const char *dir, const wp_walfile *f, wp_walhist *ret_hist, wp_error *err)
{
    wp_walhist h = {.tli = f->n.tli};
    int r = wp_walfile_slurp(dir, f->name, &f->n, WP_WALHIST_MAX + 1, &h.text, &h.len, err);
    if (r < 0)
        return r;
    if (h.len > WP_WALHIST_MAX) {
        free(h.text);
        return wp_error_set(err, WP_E_STATE, "\"%s\" is larger than %zu bytes", f->name,
                            WP_WALHIST_MAX);
    }
    size_t cap = wp_timeline_history_cap(h.text, h.len);
    h.e = calloc(cap, sizeof(*h.e));
    const char *why = "out of memory";
    if (!h.e || wp_timeline_history_check(h.text, h.len, h.tli, 0, 0, h.e, cap, &why) < 0 ||
        wp_timeline_history_parse(h.text, h.len, h.tli, h.e, cap, &h.n) < 0) {
        r = wp_error_set(err, h.e ? WP_E_STATE : -ENOMEM,
                         "\"%s\" is not a valid history file of timeline %u: %s", f->name,
                         (unsigned)h.tli, why);
        wp_walhist_free(&h);
        return r;
    }
    *ret_hist = h;
    return 0;
}

void wp_walhist_free(wp_walhist *h)
{
    free(h->e);
    free(h->text);
    *h = (wp_walhist){0};
}

wp_lsn wp_walhist_switch_from(const wp_walhist *h, uint32_t from)
{
    for (size_t i = 0; i + 1 < h->n; i++)
        if (h->e[i].tli == from)
            return h->e[i].end;
    return 0;
}
