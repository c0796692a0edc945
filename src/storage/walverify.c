#include "walpull/walverify.h"

#include "walpull/timeline.h"
#include "walpull/walfiles.h"
#include "walpull/walrec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK  ((size_t)1 << 20) /* a multiple of the page size */
#define MAX_HISTORY ((size_t)64 << 10)
#define MAX_ENTRIES 256

typedef struct history {
    uint32_t tli;
    wp_tli_entry e[MAX_ENTRIES];
    size_t n;
} history;

typedef struct vstate {
    const wp_walverify_opts *o;
    wp_walverify_report *rep;
    wp_walfiles w;
    history *hist;
    size_t n_hist;
    uint8_t *buf;
} vstate;

static void problem(vstate *v, const char *file, wp_lsn lsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(vstate *v, const char *file, wp_lsn lsn, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    v->rep->problems++;
    if (v->o->problem)
        v->o->problem(v->o->user, file, lsn, msg);
}

static const history *find_history(const vstate *v, uint32_t tli)
{
    for (size_t i = 0; i < v->n_hist; i++)
        if (v->hist[i].tli == tli)
            return &v->hist[i];
    return NULL;
}

/* Parse every history file; one that does not parse is a problem. */
static int read_histories(vstate *v, wp_error *err)
{
    size_t n = v->w.n - v->w.n_segments;
    v->hist = calloc(n ? n : 1, sizeof(*v->hist));
    if (!v->hist)
        return wp_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = v->w.n_segments; i < v->w.n; i++) {
        const wp_walfile *f = &v->w.f[i];
        if (find_history(v, f->n.tli))
            continue; /* the same history in another form */
        v->rep->histories++;
        char *text = NULL;
        size_t len = 0;
        wp_error e = {0};
        if (wp_walfile_slurp(v->o->dir, f->name, &f->n, MAX_HISTORY, &text, &len, &e) < 0) {
            problem(v, f->name, 0, "%s", e.message);
            continue;
        }
        history *h = &v->hist[v->n_hist];
        if (wp_timeline_history_parse(text, len, f->n.tli, h->e, MAX_ENTRIES, &h->n) < 0 ||
            h->n < 2)
            problem(v, f->name, 0, "not a valid history file for timeline %u", (unsigned)f->n.tli);
        else
            h->tli = f->n.tli, v->n_hist++;
        free(text);
    }
    return 0;
}

/* Feed one file's pages to the decoder. *ret_stop when the WAL ended in
 * it (fine in the timeline's last file, a problem anywhere else). */
static void decode_file(vstate *v, wp_walrec_decoder *d, const wp_walfile *f, bool last,
                        bool *ret_stop)
{
    wp_walfile_reader rd = {.fd = -1};
    wp_error e = {0};
    wp_lsn start = wp_segno_start(f->segno, v->w.segsize);
    *ret_stop = false;
    if (wp_walfile_open(v->o->dir, f->name, &f->n, &rd, &e) < 0) {
        problem(v, f->name, start, "%s", e.message);
        return;
    }
    uint64_t total = 0;
    wp_walrec_status st = WP_WALREC_MORE;
    while (st == WP_WALREC_MORE && total < v->w.segsize) {
        size_t got = 0;
        size_t want = v->w.segsize - total < READ_CHUNK ? v->w.segsize - total : READ_CHUNK;
        if (wp_walfile_read(&rd, v->buf, want, &got, &e) < 0) {
            problem(v, f->name, start + total, "%s", e.message);
            st = WP_WALREC_BAD;
            break;
        }
        if (got == 0)
            break;
        v->rep->bytes += got;
        for (size_t off = 0; off + WP_WAL_BLCKSZ <= got && st == WP_WALREC_MORE;
             off += WP_WAL_BLCKSZ)
            st = wp_walrec_feed(d, v->buf + off, f->n.tli);
        total += got;
    }
    /* A complete one holds a segment, not more. */
    uint8_t extra;
    size_t more = 0;
    if (st == WP_WALREC_MORE && total == v->w.segsize && !f->n.partial &&
        wp_walfile_read(&rd, &extra, 1, &more, &e) == 0 && more)
        problem(v, f->name, start, "holds more than a %llu-byte segment",
                (unsigned long long)v->w.segsize);
    wp_walfile_close(&rd);
    if (st == WP_WALREC_BAD && d->why[0]) {
        problem(v, f->name, d->at, "%s", d->why);
        d->why[0] = '\0';
    } else if (st == WP_WALREC_END && !f->n.partial) {
        /* A complete segment holds WAL to its end (or to a switch). */
        problem(v, f->name, d->at, "the WAL ends inside a complete segment: %s", d->why);
    } else if (st == WP_WALREC_END && !last) {
        problem(v, f->name, d->at, "the WAL ends here, but later segments follow: %s", d->why);
    } else if (st == WP_WALREC_MORE && total < v->w.segsize && !f->n.partial) {
        problem(v, f->name, start + total, "holds %llu bytes of WAL, a segment has %llu",
                (unsigned long long)total, (unsigned long long)v->w.segsize);
    }
    *ret_stop = st != WP_WALREC_MORE;
    if (d->magic && !v->rep->major)
        v->rep->major = wp_walrec_magic_major(d->magic);
}

/* The checks on a file that need no reading: the gap before it, its size,
 * a partial one with more after it, two partial forms of it. */
static void check_file(vstate *v, uint32_t tli, const size_t *idx, size_t n, size_t k)
{
    uint64_t segsize = v->w.segsize;
    const wp_walfile *f = &v->w.f[idx[k]];
    wp_lsn start = wp_segno_start(f->segno, segsize);
    if (k > 0 && f->segno != v->w.f[idx[k - 1]].segno + 1) {
        uint64_t missing = v->w.f[idx[k - 1]].segno + 1;
        char from[32];
        wp_segment_name(tli, missing, segsize, from);
        problem(v, from, wp_segno_start(missing, segsize),
                "gap on timeline %u: %llu segment(s) missing before \"%s\"", (unsigned)tli,
                (unsigned long long)(f->segno - missing), f->name);
    }
    if (!f->n.gz && !f->n.partial && f->size != segsize)
        problem(v, f->name, start, "has %llu bytes, a segment has %llu",
                (unsigned long long)f->size, (unsigned long long)segsize);
    if (f->n.partial && k + 1 < n)
        problem(v, f->name, start,
                "only a partial segment, yet later segments of timeline %u follow", (unsigned)tli);
    const wp_walfile *next = idx[k] + 1 < v->w.n_segments ? &v->w.f[idx[k] + 1] : NULL;
    if (f->n.partial && !f->n.gz && next && next->segno == f->segno && next->n.tli == tli &&
        next->n.partial && next->n.gz)
        problem(v, f->name, start,
                "both \"%s\" and \"%s\" exist; which holds the newer WAL is unknown", f->name,
                next->name);
}

/* One timeline's files (indexes into w.f, one per segment, in order):
 * the checks on each file, then its records. */
static void check_timeline(vstate *v, uint32_t tli, const size_t *idx, size_t n)
{
    uint64_t segsize = v->w.segsize;
    wp_walrec_decoder d = {0};
    for (size_t k = 0; k < n; k++) {
        check_file(v, tli, idx, n, k);
        if (!v->o->decode)
            continue;
        const wp_walfile *f = &v->w.f[idx[k]];
        wp_lsn start = wp_segno_start(f->segno, segsize);
        if (k == 0)
            wp_walrec_init(&d, segsize, start);
        else if (d.next != start)
            wp_walrec_resync(&d, start);
        bool stop;
        decode_file(v, &d, f, k + 1 == n, &stop);
        if (d.end > v->rep->end_lsn && tli >= v->rep->newest_tli)
            v->rep->end_lsn = d.end;
        if (stop)
            wp_walrec_resync(&d, start + segsize);
    }
    v->rep->records += v->o->decode && n ? d.records : 0;
}

/* The step from the parent timeline into tli: both sides of the switch
 * point are there when the archive covers it. */
static void check_switch(vstate *v, uint32_t tli, uint64_t first_segno)
{
    const history *h = find_history(v, tli);
    if (!h) {
        char name[20];
        wp_history_name(tli, name);
        problem(v, name, wp_segno_start(first_segno, v->w.segsize),
                "timeline %u has segments but no history file", (unsigned)tli);
        return;
    }
    const wp_tli_entry *parent = &h->e[h->n - 2];
    uint64_t sw = wp_lsn_segno(parent->end, v->w.segsize);
    if (first_segno < sw)
        problem(v, "", wp_segno_start(first_segno, v->w.segsize),
                "timeline %u has segments before its start at " WP_LSN_FMT, (unsigned)tli,
                WP_LSN_ARGS(parent->end));
    bool parent_before = false, parent_at = false, child_at = false;
    for (size_t i = 0; i < v->w.n_segments; i++) {
        const wp_walfile *f = &v->w.f[i];
        parent_before = parent_before || (f->n.tli == parent->tli && f->segno < sw);
        parent_at = parent_at || (f->n.tli == parent->tli && f->segno == sw);
        child_at = child_at || (f->n.tli == tli && f->segno == sw);
    }
    char name[32];
    if (parent_before && !parent_at) {
        wp_segment_name(parent->tli, sw, v->w.segsize, name);
        problem(
            v, name, parent->end,
            "the switch from timeline %u to %u at " WP_LSN_FMT " is missing timeline %u's segment",
            (unsigned)parent->tli, (unsigned)tli, WP_LSN_ARGS(parent->end), (unsigned)parent->tli);
    }
    if (parent_before && !child_at) {
        wp_segment_name(tli, sw, v->w.segsize, name);
        problem(v, name, parent->end,
                "the switch from timeline %u to %u at " WP_LSN_FMT
                " is missing timeline %u's first segment",
                (unsigned)parent->tli, (unsigned)tli, WP_LSN_ARGS(parent->end), (unsigned)tli);
    }
}

/* Every timeline with segments, in order. */
static int check_segments(vstate *v, wp_error *err)
{
    size_t *idx = malloc((v->w.n_segments ? v->w.n_segments : 1) * sizeof(*idx));
    if (!idx)
        return wp_error_set(err, -ENOMEM, "out of memory");
    uint32_t tli = 0;
    for (;;) {
        /* The next timeline up. */
        uint32_t next = UINT32_MAX;
        for (size_t i = 0; i < v->w.n_segments; i++)
            if (v->w.f[i].n.tli > tli && v->w.f[i].n.tli < next)
                next = v->w.f[i].n.tli;
        if (next == UINT32_MAX)
            break;
        tli = next;
        size_t n = 0;
        for (size_t i = 0; i < v->w.n_segments; i++) {
            const wp_walfile *f = &v->w.f[i];
            /* Sorted with the complete plain form first: one file per segment. */
            if (f->n.tli == tli && (n == 0 || v->w.f[idx[n - 1]].segno != f->segno))
                idx[n++] = i;
        }
        if (n == 0)
            continue;
        v->rep->timelines++;
        v->rep->segments += n;
        v->rep->newest_tli = tli;
        if (tli > 1)
            check_switch(v, tli, v->w.f[idx[0]].segno);
        check_timeline(v, tli, idx, n);
    }
    free(idx);
    return 0;
}

int wp_walverify_run(const wp_walverify_opts *opts, wp_walverify_report *ret_report, wp_error *err)
{
    wp_walverify_report rep = {0};
    vstate v = {.o = opts, .rep = &rep};
    int r = wp_walfiles_read(opts->dir, 0, &v.w, err);
    if (r < 0)
        return r;
    rep.segsize = v.w.segsize;
    v.buf = opts->decode ? malloc(READ_CHUNK) : NULL;
    if (opts->decode && !v.buf)
        r = wp_error_set(err, -ENOMEM, "out of memory");
    if (r == 0)
        r = read_histories(&v, err);
    if (r == 0)
        r = check_segments(&v, err);
    for (size_t i = 0; i < v.w.n; i++)
        if (v.w.f[i].mtime > rep.newest_mtime)
            rep.newest_mtime = v.w.f[i].mtime;
    if (v.w.n_segments) {
        const wp_walfile *last = &v.w.f[v.w.n_segments - 1];
        const wp_walfile *first = &v.w.f[0];
        snprintf(rep.newest, sizeof(rep.newest), "%s", last->name);
        rep.newest_start = wp_segno_start(last->segno, v.w.segsize);
        rep.first_lsn = wp_segno_start(first->segno, v.w.segsize);
        if (!opts->decode)
            rep.end_lsn =
                wp_segno_start(last->segno, v.w.segsize) + (last->n.partial ? 0 : v.w.segsize);
    }
    free(v.buf);
    free(v.hist);
    wp_walfiles_free(&v.w);
    if (r == 0)
        *ret_report = rep;
    return r;
}
