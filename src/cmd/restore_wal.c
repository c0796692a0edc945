/* walpull restore-wal: a restore_command that never ends a recovery early.
 * It serves a file whole from any form the archive holds, a partial
 * segment padded to the segment size, and refuses (with an exit status
 * that makes the server abort recovery) anything damaged. */
#include "cmd/cli.h"
#include "walpull/buf.h"
#include "walpull/cmd.h"
#include "walpull/io.h"
#include "walpull/io.h"
#include "walpull/log.h"
#include "walpull/lsn.h"
#include "walpull/timeline.h"
#include "walpull/walfiles.h"
#include "walpull/walpage.h"
#include "walpull/walrec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The server aborts recovery on an exit status above 125 (1 means "not
 * found", which ends recovery normally). */
#define EXIT_ABORT_RECOVERY 255
#define EXIT_NOT_FOUND      1
#define COPY_CHUNK          ((size_t)1 << 20)
#define MAX_HISTORY         ((size_t)64 << 10)

/* The file found for a name: which form, and its name in the archive. */
typedef struct found {
    char name[48];
    wp_walname n;
} found;

/* The forms to look for, best first: complete before partial. ENOENT
 * for each: 1. */
static int find_file(const char *dir, const char *want, const wp_walname *n, found *ret,
                     wp_error *err)
{
    static const bool forms[][2] = {{false, false}, {true, false}, {false, true}, {true, true}};
    size_t n_forms = n->kind == WP_WALNAME_HISTORY ? 2 : 4;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return wp_error_errno(err, errno, "could not open archive directory \"%s\"", dir);
    int r = 1;
    for (size_t i = 0; i < n_forms && r == 1; i++) {
        char name[48];
        snprintf(name, sizeof(name), "%s%s", want, wp_walname_suffix(forms[i][0], forms[i][1]));
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT)
                r = wp_error_errno(err, errno, "could not stat \"%s/%s\"", dir, name);
            continue;
        }
        if (!S_ISREG(st.st_mode)) {
            r = wp_error_set(err, WP_E_STATE, "\"%s/%s\" is not a regular file", dir, name);
            continue;
        }
        memcpy(ret->name, name, sizeof(name));
        ret->n = *n;
        ret->n.gz = forms[i][0];
        ret->n.partial = forms[i][1];
        r = 0;
    }
    close(dfd);
    return r;
}

/* A temporary file beside the target, renamed over it once complete. */
typedef struct target {
    wp_buf tmp;
    int fd;
} target;

static int target_open(const char *path, target *t, wp_error *err)
{
    *t = (target){.fd = -1};
    wp_buf_printf(&t->tmp, "%s.walpull-XXXXXX", path);
    if (wp_buf_ok(&t->tmp) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    t->fd = mkostemp(t->tmp.data, O_CLOEXEC);
    if (t->fd < 0)
        return wp_error_errno(err, errno, "could not create \"%s\"", t->tmp.data);
    return 0;
}

static int target_commit(target *t, const char *path, wp_error *err)
{
    int r = 0;
    if (close(t->fd) < 0)
        r = wp_error_errno(err, errno, "could not write \"%s\"", t->tmp.data);
    t->fd = -1;
    if (r == 0 && rename(t->tmp.data, path) < 0)
        r = wp_error_errno(err, errno, "could not rename \"%s\" to \"%s\"", t->tmp.data, path);
    return r;
}

static void target_drop(target *t)
{
    if (t->fd >= 0)
        close(t->fd);
    if (t->tmp.data)
        unlink(t->tmp.data);
    wp_buf_free(&t->tmp);
}

/* The first page must be this segment's: a long header whose address and
 * timeline fit the name. Gives the segment size it states. */
static int check_first_page(const uint8_t *buf, size_t len, const found *f, uint64_t *ret_segsize,
                            wp_error *err)
{
    wp_walpage_ident id;
    uint64_t segno;
    if (len < WP_WALPAGE_LONG_HDR || wp_walpage_ident_parse(buf, len, &id) < 0 ||
        (id.magic & 0xFF00) != 0xD100)
        return wp_error_set(err, WP_E_STATE, "\"%s\" does not begin with a WAL segment header",
                            f->name);
    if (!wp_segsize_valid(id.seg_size) || !wp_walname_segno(&f->n, id.seg_size, &segno))
        return wp_error_set(err, WP_E_STATE, "\"%s\" states an invalid segment size %u", f->name,
                            (unsigned)id.seg_size);
    if (id.pageaddr != wp_segno_start(segno, id.seg_size) || id.tli == 0 || id.tli > f->n.tli)
        return wp_error_set(err, WP_E_STATE,
                            "\"%s\" holds the segment at " WP_LSN_FMT " of timeline %u, not the "
                            "one its name says",
                            f->name, WP_LSN_ARGS(id.pageaddr), (unsigned)id.tli);
    *ret_segsize = id.seg_size;
    return 0;
}

/* Check the records of the pages in buf (whole pages only). A complete
 * segment must hold WAL to its end (or to a switch record): the WAL
 * ending inside it means damage. In a partial one the WAL ends where its
 * durable bytes end, which is what the server will find too. */
static int check_records(wp_walrec_decoder *d, const uint8_t *buf, size_t len, const found *f,
                         bool *ended, wp_error *err)
{
    for (size_t off = 0; off + WP_WAL_BLCKSZ <= len && !*ended; off += WP_WAL_BLCKSZ) {
        wp_walrec_status st = wp_walrec_feed(d, buf + off, f->n.tli);
        if (st == WP_WALREC_BAD || (st == WP_WALREC_END && !f->n.partial))
            return wp_error_set(err, WP_E_STATE, "\"%s\" is damaged at " WP_LSN_FMT ": %s", f->name,
                                WP_LSN_ARGS(d->at), d->why);
        *ended = st == WP_WALREC_END;
    }
    return 0;
}

/* Copy a segment into the target: whole when complete (exactly the
 * segment size), padded with zeros to it when partial; its page headers
 * and records checked on the way. */
static int copy_segment(const char *dir, const found *f, int out, wp_error *err)
{
    wp_walfile_reader rd = {.fd = -1};
    int r = wp_walfile_open(dir, f->name, &f->n, &rd, err);
    if (r < 0)
        return r;
    uint8_t *buf = malloc(COPY_CHUNK);
    uint64_t total = 0, segsize = 0;
    wp_walrec_decoder d;
    bool ended = false;
    if (!buf)
        r = wp_error_set(err, -ENOMEM, "out of memory");
    while (r == 0) {
        size_t got = 0;
        r = wp_walfile_read(&rd, buf, COPY_CHUNK, &got, err);
        if (r < 0 || got == 0)
            break;
        if (total == 0)
            r = check_first_page(buf, got, f, &segsize, err);
        if (r == 0 && total == 0) {
            uint64_t segno = 0;
            wp_walname_segno(&f->n, segsize, &segno);
            wp_walrec_init(&d, segsize, wp_segno_start(segno, segsize));
        }
        if (r == 0)
            r = check_records(&d, buf, got, f, &ended, err);
        if (r == 0 && total + got > segsize)
            r = wp_error_set(err, WP_E_STATE, "\"%s\" holds more than a %llu-byte segment", f->name,
                             (unsigned long long)segsize);
        if (r == 0 && wp_write_all(out, buf, got) < 0)
            r = wp_error_errno(err, errno, "could not write the restored segment");
        total += got;
    }
    free(buf);
    wp_walfile_close(&rd);
    if (r == 0 && total == 0)
        r = wp_error_set(err, WP_E_STATE, "\"%s\" is empty", f->name);
    if (r == 0 && total < segsize && !f->n.partial)
        r = wp_error_set(err, WP_E_STATE, "\"%s\" holds %llu bytes, a segment has %llu", f->name,
                         (unsigned long long)total, (unsigned long long)segsize);
    /* A partial segment: zeros after its last durable byte, as the server
     * expects of a segment whose WAL ends there. */
    if (r == 0 && total < segsize && ftruncate(out, (off_t)segsize) < 0)
        r = wp_error_errno(err, errno, "could not extend the restored segment");
    return r;
}

/* A history file, checked before it is served. */
static int copy_history(const char *dir, const found *f, int out, wp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int r = wp_walfile_slurp(dir, f->name, &f->n, MAX_HISTORY, &text, &len, err);
    if (r < 0)
        return r;
    wp_tli_entry entries[256];
    size_t n;
    if (wp_timeline_history_parse(text, len, f->n.tli, entries, 256, &n) < 0 || n < 2)
        r = wp_error_set(err, WP_E_STATE, "\"%s\" is not a valid history file for timeline %u",
                         f->name, (unsigned)f->n.tli);
    if (r == 0 && wp_write_all(out, text, len) < 0)
        r = wp_error_errno(err, errno, "could not write the restored history file");
    free(text);
    return r;
}

/* Did timeline tli begin at or before segment segno, by its history? */
static bool history_begins_by(const char *dir, const wp_walfiles *w, uint32_t tli, uint64_t segno)
{
    for (size_t i = w->n_segments; i < w->n; i++) {
        const wp_walfile *f = &w->f[i];
        if (f->n.tli != tli)
            continue;
        char *text = NULL;
        size_t len = 0;
        wp_error ignored = {0};
        wp_tli_entry e[64];
        size_t n = 0;
        bool begun = false;
        if (wp_walfile_slurp(dir, f->name, &f->n, MAX_HISTORY, &text, &len, &ignored) == 0 &&
            wp_timeline_history_parse(text, len, tli, e, 64, &n) == 0 && n >= 2)
            begun = wp_lsn_segno(e[n - 2].end, w->segsize) <= segno;
        free(text);
        return begun;
    }
    return false;
}

/* A segment that is not in the archive is the end of the WAL only when
 * nothing of its timeline follows it: with later segments of the same
 * timeline there, and that timeline already begun at it (timeline 1, or
 * its history's switch point at or before it), it is a hole that recovery
 * must not end at. 1: not found; an error for a hole. */
static int check_not_a_gap(const char *dir, const wp_walname *n, wp_error *err)
{
    wp_walfiles w = {0};
    wp_error ignored = {0};
    if (wp_walfiles_read(dir, 0, &w, &ignored) < 0 || w.segsize == 0) {
        wp_walfiles_free(&w);
        return 1;
    }
    uint64_t segno = 0, first_later = 0;
    bool later = false, begun = n->tli == 1;
    wp_walname_segno(n, w.segsize, &segno);
    for (size_t i = 0; i < w.n; i++) {
        const wp_walfile *f = &w.f[i];
        if (f->n.kind == WP_WALNAME_SEGMENT && f->n.tli == n->tli && f->segno > segno && !later) {
            later = true;
            first_later = f->segno;
        }
        if (f->n.kind == WP_WALNAME_SEGMENT && f->n.tli == n->tli && f->segno < segno)
            begun = true;
    }
    if (!begun && later)
        begun = history_begins_by(dir, &w, n->tli, segno);
    int r = 1;
    if (later && begun) {
        char next[32];
        wp_segment_name(n->tli, first_later, w.segsize, next);
        r = wp_error_set(err, WP_E_STATE,
                         "segment \"%08X%08X%08X\" is missing from the archive, but \"%s\" of "
                         "the same timeline follows: a gap",
                         (unsigned)n->tli, (unsigned)n->log, (unsigned)n->seg, next);
    }
    wp_walfiles_free(&w);
    return r;
}

static const wp_cli_cmd restore_cmd = {
    "restore-wal", "walpull restore-wal serves one WAL file from an archive to the server, as its\n"
                   "restore_command:\n\n"
                   "  restore_command = 'walpull restore-wal -D /archive %f %p'\n\n"
                   "A segment is served from its plain or .gz file, or, when only a partial one\n"
                   "exists, from the .partial or .gz.partial padded to the segment size. Exit\n"
                   "status: 0 served; 1 not in the archive (the server then ends recovery, or\n"
                   "tries the next timeline); 255 damaged or unreadable, which makes the server\n"
                   "stop recovery instead of ending it early.\n\n"
                   "Usage:\n  walpull restore-wal -D DIR WALFILE TARGET [OPTION]...\n"};

int wp_cmd_restore_wal(int argc, char **argv)
{
    const char *dir = NULL;
    wp_opt table[] = {{.short_name = 'D',
                       .long_name = "directory",
                       .kind = WP_OPT_STRING,
                       .target = &dir,
                       .arg_name = "DIR",
                       .help = "the archive directory"},
                      WP_CLI_VERBOSE_OPT,
                      WP_OPT_END};
    int first;
    int r = wp_cli_parse(&restore_cmd, table, NULL, 0, argc, argv, 2, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (!dir)
        return wp_cli_usage_error("restore-wal", "no archive directory specified (-D)");
    if (argc - first != 2)
        return wp_cli_usage_error("restore-wal", "expected the WAL file name (%%f) and the "
                                                 "target path (%%p)");
    const char *want = argv[first], *path = argv[first + 1];
    wp_walname n = wp_walname_parse(want);
    if (n.kind == WP_WALNAME_OTHER || n.gz || n.partial) {
        wp_log(WP_LOG_INFO, "\"%s\" is not a WAL file name; not in the archive", want);
        return EXIT_NOT_FOUND;
    }
    wp_error err = {0};
    found f = {0};
    r = find_file(dir, want, &n, &f, &err);
    if (r == 1 && n.kind == WP_WALNAME_SEGMENT)
        r = check_not_a_gap(dir, &n, &err);
    if (r == 1) {
        wp_log(WP_LOG_INFO, "\"%s\" is not in the archive \"%s\"", want, dir);
        return EXIT_NOT_FOUND;
    }
    target t = {.fd = -1};
    if (r == 0)
        r = target_open(path, &t, &err);
    if (r == 0)
        r = n.kind == WP_WALNAME_HISTORY ? copy_history(dir, &f, t.fd, &err)
                                         : copy_segment(dir, &f, t.fd, &err);
    if (r == 0)
        r = target_commit(&t, path, &err);
    target_drop(&t);
    if (r < 0) {
        wp_log_error(&err);
        fprintf(stderr,
                "walpull: hint: Recovery stops here rather than end early with WAL "
                "missing; repair or replace \"%s/%s\", or end recovery deliberately "
                "with a recovery target.\n",
                dir, f.name[0] ? f.name : want);
        return EXIT_ABORT_RECOVERY;
    }
    wp_log(WP_LOG_INFO, "restored \"%s\" from \"%s/%s\"", want, dir, f.name);
    return WP_EXIT_OK;
}
