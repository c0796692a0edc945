#include "walpull/walfind.h"

#include "walpull/archstate.h"
#include "walpull/lsn.h"
#include "walpull/walhist.h"

#include <stdio.h>
#include <string.h>

/* The files of the archive for one segment name, by form. */
typedef struct forms {
    const wp_walfile *plain, *gz, *partial, *gz_partial;
} forms;

static forms forms_of(const wp_walfiles *w, uint32_t tli, uint64_t segno)
{
    forms f = {0};
    for (size_t i = 0; i < w->n_segments; i++) {
        const wp_walfile *x = &w->f[i];
        if (x->n.tli != tli || x->segno != segno)
            continue;
        const wp_walfile **slot =
            x->n.partial ? (x->n.gz ? &f.gz_partial : &f.partial) : (x->n.gz ? &f.gz : &f.plain);
        *slot = x;
    }
    return f;
}

/* The first later segment of the timeline, NULL if none. */
static const wp_walfile *later_on(const wp_walfiles *w, uint32_t tli, uint64_t segno)
{
    for (size_t i = 0; i < w->n_segments; i++)
        if (w->f[i].n.tli == tli && w->f[i].segno > segno)
            return &w->f[i];
    return NULL;
}

static bool earlier_on(const wp_walfiles *w, uint32_t tli, uint64_t segno)
{
    for (size_t i = 0; i < w->n_segments; i++)
        if (w->f[i].n.tli == tli && w->f[i].segno < segno)
            return true;
    return false;
}

/* What the history files say of timeline tli around segment segno: *begun
 * when tli began at or before it (tli's own history), *went_on when tli
 * went on past it (a later timeline's history switching out of tli in a
 * later segment). A history file that cannot be read says nothing. */
static void histories_say(const char *dir, const wp_walfiles *w, uint32_t tli, uint64_t segno,
                          bool *begun, bool *went_on)
{
    for (size_t i = w->n_segments; i < w->n; i++) {
        const wp_walfile *f = &w->f[i];
        if (f->n.tli < tli || (i > w->n_segments && w->f[i - 1].n.tli == f->n.tli))
            continue;
        wp_walhist h;
        wp_error ignored = {0};
        if (wp_walhist_load(dir, f, &h, &ignored) < 0)
            continue;
        if (f->n.tli == tli)
            *begun = *begun || wp_lsn_segno(h.e[h.n - 2].end, w->segsize) <= segno;
        wp_lsn out = f->n.tli > tli ? wp_walhist_switch_from(&h, tli) : 0;
        *went_on = *went_on || (out && wp_lsn_segno(out, w->segsize) > segno);
        wp_walhist_free(&h);
    }
}

static int hole(const wp_walname *want, const char *why, wp_error *err)
{
    int r = wp_error_set(err, WP_E_STATE,
                         "segment \"%08X%08X%08X\" is missing from the archive, but %s: a gap",
                         (unsigned)want->tli, (unsigned)want->log, (unsigned)want->seg, why);
    wp_error_hint(err, "walpull verify lists every gap; restore the missing segment, or end "
                       "recovery before it with a recovery target.");
    return r;
}

/* The segment is not there: the end of the WAL, or a hole? */
static int missing(const char *dir, const wp_walfiles *w, const wp_walname *want, uint64_t segno,
                   wp_error *err)
{
    bool begun = want->tli == 1 || earlier_on(w, want->tli, segno), went_on = false;
    histories_say(dir, w, want->tli, segno, &begun, &went_on);
    const wp_walfile *next = later_on(w, want->tli, segno);
    char why[160];
    if (next && begun) {
        snprintf(why, sizeof(why), "\"%s\" of the same timeline follows", next->name);
        return hole(want, why, err);
    }
    if (went_on)
        return hole(want, "a later timeline's history says its timeline went on past it", err);
    wp_archstate st;
    wp_error ignored = {0};
    if (wp_archstate_read(dir, &st, &ignored) == 0 && st.tli == want->tli &&
        st.durable > wp_segno_start(segno, w->segsize))
        return hole(want, "the archiver reported WAL in it durable", err);
    return 1;
}

/* Another complete segment, the nearest to segno, to vouch for identity. */
static const wp_walfile *reference_for(const wp_walfiles *w, const wp_walfile *served)
{
    const wp_walfile *best = NULL;
    for (size_t i = 0; i < w->n_segments; i++) {
        const wp_walfile *x = &w->f[i];
        if (x->n.partial || x->segno == served->segno)
            continue;
        uint64_t d = x->segno > served->segno ? x->segno - served->segno : served->segno - x->segno;
        uint64_t bd = !best ? UINT64_MAX
                            : (best->segno > served->segno ? best->segno - served->segno
                                                           : served->segno - best->segno);
        if (d < bd)
            best = x;
    }
    return best;
}

static int find_history(const wp_walfiles *w, const wp_walname *want, wp_walfind *ret)
{
    for (size_t i = w->n_segments; i < w->n; i++) {
        if (w->f[i].n.tli == want->tli) {
            /* Sorted plain before .gz: the plain one serves. */
            *ret = (wp_walfind){.file = w->f[i]};
            return 0;
        }
    }
    return 1;
}

int wp_walfind_lookup(const char *dir, const wp_walfiles *w, const wp_walname *want,
                      wp_walfind *ret_find, wp_error *err)
{
    if (want->kind == WP_WALNAME_HISTORY)
        return find_history(w, want, ret_find);
    uint64_t segno;
    if (!wp_walname_segno(want, w->segsize, &segno))
        return 1; /* not a name this archive's segments can have */
    forms f = forms_of(w, want->tli, segno);
    const wp_walfile *serve = f.plain ? f.plain : f.gz;
    if (!serve && f.partial && f.gz_partial)
        return wp_error_set(err, WP_E_STATE,
                            "both \"%s\" and \"%s\" are in the archive; which holds the newer "
                            "WAL is unknown",
                            f.partial->name, f.gz_partial->name);
    if (!serve && (f.partial || f.gz_partial)) {
        serve = f.partial ? f.partial : f.gz_partial;
        const wp_walfile *next = later_on(w, want->tli, segno);
        if (next)
            return wp_error_set(err, WP_E_STATE,
                                "only the partial \"%s\" is in the archive, but \"%s\" of the "
                                "same timeline follows: WAL is missing in between",
                                serve->name, next->name);
    }
    if (!serve)
        return missing(dir, w, want, segno, err);
    const wp_walfile *ref = reference_for(w, serve);
    *ret_find = (wp_walfind){.file = *serve, .have_reference = ref != NULL};
    if (ref)
        ret_find->reference = *ref;
    return 0;
}
