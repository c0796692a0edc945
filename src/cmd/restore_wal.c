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
#include "walpull/walfind.h"
#include "walpull/walhist.h"
#include "walpull/walpage.h"
#include "walpull/walrec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* A temporary file beside the target, renamed over it once complete. */
typedef struct target {
    wp_buf tmp;
    int fd;
} target;

/* The temporary file's name for the signal handler: the server signals
 * the whole process group when it shuts down, and a restore cut short must
 * not leave its temporary file in pg_wal. */
static char pending_tmp[4096];

static void on_signal(int signo)
{
    if (pending_tmp[0])
        unlink(pending_tmp);
    signal(signo, SIG_DFL);
    raise(signo);
}

static int target_open(const char *path, target *t, wp_error *err)
{
    *t = (target){.fd = -1};
    wp_buf_printf(&t->tmp, "%s.walpull-XXXXXX", path);
    if (wp_buf_ok(&t->tmp) < 0 || t->tmp.len >= sizeof(pending_tmp))
        return wp_error_set(err, -ENOMEM, "target path too long");
    t->fd = mkostemp(t->tmp.data, O_CLOEXEC);
    if (t->fd < 0)
        return wp_error_errno(err, errno, "could not create \"%s\" (the target %%p)", t->tmp.data);
    memcpy(pending_tmp, t->tmp.data, t->tmp.len + 1);
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
    pending_tmp[0] = '\0';
    wp_buf_free(&t->tmp);
}

/* The first page must be this segment's: a long header whose address and
 * timeline fit the name. Gives the segment size it states. */
static int check_first_page(const uint8_t *buf, size_t len, const wp_walfile *f,
                            wp_walpage_ident *ret_id, wp_error *err)
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
    *ret_id = id;
    return 0;
}

/* The served segment and another of the archive must be of the same
 * database system and segment size. */
static int check_identity(const char *dir, const wp_walfind *fd, const wp_walpage_ident *id,
                          wp_error *err)
{
    if (!fd->have_reference)
        return 0;
    wp_walfile_reader rd = {.fd = -1};
    uint8_t head[WP_WALPAGE_LONG_HDR];
    size_t got = 0;
    wp_walpage_ident ref;
    wp_error ignored = {0};
    if (wp_walfile_open(dir, fd->reference.name, &fd->reference.n, &rd, &ignored) < 0)
        return 0;
    int r = wp_walfile_read(&rd, head, sizeof(head), &got, &ignored);
    wp_walfile_close(&rd);
    if (r < 0 || got < sizeof(head) || wp_walpage_ident_parse(head, got, &ref) < 0)
        return 0;
    if (ref.sysid != id->sysid || ref.seg_size != id->seg_size)
        return wp_error_set(err, WP_E_STATE,
                            "\"%s\" is of database system %llu with %u-byte segments, but \"%s\" "
                            "is of %llu with %u-byte segments",
                            fd->file.name, (unsigned long long)id->sysid, (unsigned)id->seg_size,
                            fd->reference.name, (unsigned long long)ref.sysid,
                            (unsigned)ref.seg_size);
    return 0;
}

/* A page of nothing but zeros (or fewer bytes than a header): a partial
 * segment that has no WAL yet. */
static bool no_wal_yet(const uint8_t *buf, size_t len)
{
    if (len < WP_WALPAGE_LONG_HDR)
        return true;
    for (size_t i = 0; i < WP_WALPAGE_LONG_HDR; i++)
        if (buf[i])
            return false;
    return true;
}

/* Check the records of the pages in buf (whole pages only). A complete
 * segment must hold WAL to its end (or to a switch record): the WAL
 * ending inside it means damage. In a partial one the WAL ends where its
 * durable bytes end, which is what the server will find too. */
static int check_records(wp_walrec_decoder *d, const uint8_t *buf, size_t len, const wp_walfile *f,
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

/* What copying a segment knows as it goes. */
typedef struct copy_state {
    const char *dir;
    const wp_walfind *fd;
    uint64_t total;
    uint64_t segsize;
    wp_walrec_decoder d;
    bool ended;
} copy_state;

/* The first chunk: the segment's header, its identity, where its records
 * begin. 1 for a partial segment with no WAL in it yet. */
static int begin_segment(copy_state *c, const uint8_t *buf, size_t got, wp_error *err)
{
    const wp_walfile *f = &c->fd->file;
    if (f->n.partial && no_wal_yet(buf, got))
        return 1;
    wp_walpage_ident id = {0};
    int r = check_first_page(buf, got, f, &id, err);
    if (r == 0)
        r = check_identity(c->dir, c->fd, &id, err);
    if (r < 0)
        return r;
    c->segsize = id.seg_size;
    uint64_t segno = 0;
    wp_walname_segno(&f->n, c->segsize, &segno);
    wp_walrec_init(&c->d, c->segsize, wp_segno_start(segno, c->segsize));
    return 0;
}

/* One chunk checked and written to the target. */
static int copy_chunk(copy_state *c, const uint8_t *buf, size_t got, int out, wp_error *err)
{
    const wp_walfile *f = &c->fd->file;
    int r = c->total == 0 ? begin_segment(c, buf, got, err) : 0;
    if (r != 0)
        return r;
    if (c->total + got > c->segsize)
        return wp_error_set(err, WP_E_STATE, "\"%s\" holds more than a %llu-byte segment", f->name,
                            (unsigned long long)c->segsize);
    r = check_records(&c->d, buf, got, f, &c->ended, err);
    if (r == 0 && wp_write_all(out, buf, got) < 0)
        r = wp_error_errno(err, errno, "could not write the restored segment (the target %%p)");
    c->total += got;
    return r;
}

/* Copy a segment into the target: whole when complete (exactly the
 * segment size), padded with zeros to it when partial; its page headers
 * and records checked on the way. */
static int copy_segment(const char *dir, const wp_walfind *fd, int out, wp_error *err)
{
    const wp_walfile *f = &fd->file;
    wp_walfile_reader rd = {.fd = -1};
    int r = wp_walfile_open(dir, f->name, &f->n, &rd, err);
    if (r < 0)
        return r;
    uint8_t *buf = malloc(COPY_CHUNK);
    if (!buf) {
        wp_walfile_close(&rd);
        wp_error_set(err, -ENOMEM, "out of memory");
        return -ENOMEM;
    }
    copy_state c = {.dir = dir, .fd = fd};
    size_t got = 0;
    while ((r = wp_walfile_read(&rd, buf, COPY_CHUNK, &got, err)) == 0 && got > 0 &&
           (r = copy_chunk(&c, buf, got, out, err)) == 0) {
    }
    free(buf);
    wp_walfile_close(&rd);
    if (r == 0 && c.total == 0)
        r = f->n.partial ? 1 : wp_error_set(err, WP_E_STATE, "\"%s\" is empty", f->name);
    if (r == 0 && c.total < c.segsize && !f->n.partial)
        r = wp_error_set(err, WP_E_STATE, "\"%s\" holds %llu bytes, a segment has %llu", f->name,
                         (unsigned long long)c.total, (unsigned long long)c.segsize);
    /* A partial segment: zeros after its last durable byte, as the server
     * expects of a segment whose WAL ends there. */
    if (r == 0 && c.total < c.segsize && ftruncate(out, (off_t)c.segsize) < 0)
        r = wp_error_errno(err, errno, "could not extend the restored segment");
    return r;
}

/* A history file, checked before it is served. */
static int copy_history(const char *dir, const wp_walfind *fd, int out, wp_error *err)
{
    wp_walhist h;
    int r = wp_walhist_load(dir, &fd->file, &h, err);
    if (r < 0)
        return r;
    if (wp_write_all(out, h.text, h.len) < 0)
        r = wp_error_errno(err, errno,
                           "could not write the restored history file (the target %%p)");
    wp_walhist_free(&h);
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
    wp_opt table[] = {WP_CLI_DIR_OPT(&dir, "the archive directory"), WP_CLI_VERBOSE_OPT,
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
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    wp_walname n = wp_walname_parse(want);
    if (n.kind == WP_WALNAME_OTHER || n.gz || n.partial) {
        wp_log(WP_LOG_INFO, "\"%s\" is not a WAL file name; not in the archive", want);
        return EXIT_NOT_FOUND;
    }
    wp_error err = {0};
    wp_walfiles w = {0};
    wp_walfind fd = {0};
    /* Any doubt about the archive as a whole stops recovery: a listing
     * that fails cannot tell a hole from the end. */
    r = wp_walfiles_read(dir, 0, &w, &err);
    if (r == 0)
        r = wp_walfind_lookup(dir, &w, &n, &fd, &err);
    wp_walfiles_free(&w);
    target t = {.fd = -1};
    if (r == 0)
        r = target_open(path, &t, &err);
    if (r == 0)
        r = n.kind == WP_WALNAME_HISTORY ? copy_history(dir, &fd, t.fd, &err)
                                         : copy_segment(dir, &fd, t.fd, &err);
    if (r == 0)
        r = target_commit(&t, path, &err);
    target_drop(&t);
    if (r == 1) {
        wp_log(WP_LOG_INFO, "\"%s\" is not in the archive \"%s\"", want, dir);
        return EXIT_NOT_FOUND;
    }
    if (r < 0) {
        if (!err.hint[0])
            wp_error_hint(&err,
                          "Recovery stops here rather than end early with WAL missing; repair "
                          "the archive (walpull verify -D \"%s\" lists what is wrong), or end "
                          "recovery deliberately with a recovery target.",
                          dir);
        wp_log_error(&err);
        return EXIT_ABORT_RECOVERY;
    }
    wp_log(WP_LOG_INFO, "restored \"%s\" from \"%s/%s\"", want, dir, fd.file.name);
    return WP_EXIT_OK;
}
