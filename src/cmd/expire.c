/* walpull expire: remove the WAL a recovery can no longer need. */
#include "cmd/cli.h"
#include "walpull/archstate.h"
#include "walpull/cmd.h"
#include "walpull/log.h"
#include "walpull/walfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first segment to keep, from a segment name, an LSN, or a base
 * backup's backup_label (its START WAL LOCATION line). */
static int cutoff_segno(const char *before, uint64_t segsize, uint64_t *ret_segno, wp_error *err)
{
    wp_walname n = wp_walname_parse(before);
    if (n.kind == WP_WALNAME_SEGMENT && !n.gz && !n.partial) {
        if (!wp_walname_segno(&n, segsize, ret_segno))
            return wp_error_set(err, WP_E_USAGE,
                                "\"%s\" is not a segment name for %" PRIu64 "-byte segments",
                                before, segsize);
        return 0;
    }
    wp_lsn lsn;
    if (wp_lsn_parse(before, &lsn) == 0) {
        *ret_segno = wp_lsn_segno(lsn, segsize);
        return 0;
    }
    FILE *f = fopen(before, "re");
    if (!f)
        return wp_error_set(err, WP_E_USAGE,
                            "--before \"%s\" is neither a segment name, an LSN nor a readable "
                            "backup_label file",
                            before);
    char line[512];
    int r = 1;
    while (r == 1 && fgets(line, sizeof(line), f)) {
        unsigned hi, lo;
        if (sscanf(line, "START WAL LOCATION: %X/%X", &hi, &lo) == 2) {
            *ret_segno = wp_lsn_segno((wp_lsn)hi << 32 | lo, segsize);
            r = 0;
        }
    }
    fclose(f);
    if (r == 1)
        return wp_error_set(err, WP_E_USAGE, "\"%s\" has no START WAL LOCATION line", before);
    return 0;
}

/* Never past what the archiver has made durable, nor the newest segment:
 * both may be all a recovery has. */
static int check_cutoff(const char *dir, const wp_walfiles *w, uint64_t cut, wp_error *err)
{
    wp_archstate st;
    int r = wp_archstate_read(dir, &st, err);
    if (r < 0)
        return r;
    if (r == 0 && cut > wp_lsn_segno(st.durable, w->segsize))
        return wp_error_set(
            err, WP_E_USAGE,
            "refusing to remove WAL past the archiver's durable position " WP_LSN_FMT,
            WP_LSN_ARGS(st.durable));
    uint64_t newest = w->n_segments ? w->f[w->n_segments - 1].segno : 0;
    if (w->n_segments && cut > newest)
        return wp_error_set(err, WP_E_USAGE,
                            "refusing to remove the newest segment of the archive");
    return 0;
}

/* Remove (or with dry_run, list) every segment file before segment cut,
 * oldest first; the directory is synced once at the end. */
static int remove_before(const char *dir, const wp_walfiles *w, uint64_t cut, bool dry_run,
                         uint64_t *ret_files, uint64_t *ret_bytes, wp_error *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return wp_error_errno(err, errno, "could not open directory \"%s\"", dir);
    int r = 0;
    for (size_t i = 0; r == 0 && i < w->n_segments && w->f[i].segno < cut; i++) {
        if (!dry_run && unlinkat(dfd, w->f[i].name, 0) < 0 && errno != ENOENT) {
            r = wp_error_errno(err, errno, "could not remove \"%s/%s\"", dir, w->f[i].name);
            break;
        }
        printf("%s %s\n", dry_run ? "would remove" : "removed", w->f[i].name);
        (*ret_files)++;
        *ret_bytes += w->f[i].size;
    }
    if (r == 0 && !dry_run && *ret_files && fsync(dfd) < 0)
        r = wp_error_errno(err, errno, "could not fsync directory \"%s\"", dir);
    close(dfd);
    return r;
}

static const wp_cli_cmd expire_cmd = {
    "expire", "walpull expire removes the WAL older than a point from an archive: every\n"
              "segment before it, in every form (plain, .gz, .partial, .gz.partial), on\n"
              "every timeline. History files are kept. It never removes past the\n"
              "archiver's durable position or the newest segment.\n\n"
              "Usage:\n  walpull expire -D DIR --before SEGMENT|LSN|BACKUP_LABEL [OPTION]...\n"};

int wp_cmd_expire(int argc, char **argv)
{
    const char *dir = NULL, *before = NULL;
    bool dry_run = false;
    wp_opt table[] = {WP_CLI_DIR_OPT(&dir, "the archive directory"),
                      {.long_name = "before",
                       .kind = WP_OPT_STRING,
                       .target = &before,
                       .arg_name = "POINT",
                       .help = "keep this segment (a name, an LSN, or the backup_label of "
                               "the oldest base backup to keep) and everything after it"},
                      {.short_name = 'n',
                       .long_name = "dry-run",
                       .kind = WP_OPT_FLAG,
                       .target = &dry_run,
                       .help = "say what would be removed, remove nothing"},
                      WP_CLI_VERBOSE_OPT,
                      WP_OPT_END};
    int first;
    int r = wp_cli_parse(&expire_cmd, table, NULL, 0, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (!dir)
        return wp_cli_usage_error("expire", "no archive directory specified (-D)");
    if (!before)
        return wp_cli_usage_error("expire", "no point given (--before)");
    wp_error err = {0};
    wp_walfiles w = {0};
    uint64_t cut = 0;
    r = wp_walfiles_read(dir, 0, &w, &err);
    if (r == 0 && w.n_segments == 0) {
        printf("no WAL segments in \"%s\"; nothing to remove\n", dir);
        wp_walfiles_free(&w);
        return WP_EXIT_OK;
    }
    if (r == 0)
        r = cutoff_segno(before, w.segsize, &cut, &err);
    if (r == 0)
        r = check_cutoff(dir, &w, cut, &err);
    uint64_t files = 0, bytes = 0;
    if (r == 0)
        r = remove_before(dir, &w, cut, dry_run, &files, &bytes, &err);
    wp_walfiles_free(&w);
    if (r < 0) {
        wp_log_error(&err);
        return WP_EXIT_ERROR;
    }
    printf("%s %" PRIu64 " file%s, %.1f MB\n", dry_run ? "would remove" : "removed", files,
           files == 1 ? "" : "s", (double)bytes / 1e6);
    return WP_EXIT_OK;
}
