#include "cmd/cli.h"
#include "walpull/buf.h"
#include "walpull/clock.h"
#include "walpull/cmd.h"
#include "walpull/crc32c.h"
#include "walpull/log.h"
#include "walpull/walverify.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct verify_out {
    bool json;
    wp_buf problems; /* JSON array elements */
    char first_file[48];
    wp_lsn first_lsn;
    uint64_t n;
} verify_out;

static void on_problem(void *user, const char *file, wp_lsn lsn, const char *message)
{
    verify_out *out = user;
    if (out->n++ == 0) {
        snprintf(out->first_file, sizeof(out->first_file), "%s", file);
        out->first_lsn = lsn;
    }
    if (!out->json) {
        printf("problem: %s%s" WP_LSN_FMT ": %s\n", file, file[0] ? " at " : "at ",
               WP_LSN_ARGS(lsn), message);
        return;
    }
    wp_buf *b = &out->problems;
    wp_buf_puts(b, b->len ? ", {\"file\": " : "{\"file\": ");
    wp_buf_json_string(b, file);
    wp_buf_printf(b, ", \"lsn\": \"" WP_LSN_FMT "\", \"message\": ", WP_LSN_ARGS(lsn));
    wp_buf_json_string(b, message);
    wp_buf_puts(b, "}");
}

static void print_json(const char *dir, const wp_walverify_report *r, verify_out *out, double secs)
{
    wp_buf b = {0};
    wp_buf_puts(&b, "{\"directory\": ");
    wp_buf_json_string(&b, dir);
    wp_buf_printf(&b,
                  ", \"ok\": %s, \"segment_size\": %" PRIu64 ", \"segments\": %" PRIu64
                  ", \"history_files\": %" PRIu64 ", \"timelines\": %u, \"newest_timeline\": %u"
                  ", \"newest\": ",
                  r->problems ? "false" : "true", r->segsize, r->segments, r->histories,
                  (unsigned)r->timelines, (unsigned)r->newest_tli);
    wp_buf_json_string(&b, r->newest);
    wp_buf_printf(
        &b,
        ", \"first_lsn\": \"" WP_LSN_FMT "\", \"end_lsn\": \"" WP_LSN_FMT "\", \"bytes\": %" PRIu64
        ", \"records\": %" PRIu64 ", \"seconds\": %.6f, \"mb_per_s\": %.1f, \"server_major\": %d"
        ", \"problems\": [%s]}\n",
        WP_LSN_ARGS(r->first_lsn), WP_LSN_ARGS(r->end_lsn), r->bytes, r->records, secs,
        secs > 0 ? (double)r->bytes / 1e6 / secs : 0.0, r->major, wp_buf_str(&out->problems));
    fputs(wp_buf_str(&b), stdout);
    wp_buf_free(&b);
}

static void print_text(const char *dir, const wp_walverify_report *r, const verify_out *out,
                       double secs)
{
    printf("archive \"%s\": %" PRIu64 " segments of %" PRIu64 " MB on %u timeline%s, %" PRIu64
           " history file%s\n",
           dir, r->segments, r->segsize >> 20, (unsigned)r->timelines, r->timelines == 1 ? "" : "s",
           r->histories, r->histories == 1 ? "" : "s");
    if (r->segments)
        printf("WAL from " WP_LSN_FMT " to " WP_LSN_FMT ", newest file %s\n",
               WP_LSN_ARGS(r->first_lsn), WP_LSN_ARGS(r->end_lsn), r->newest);
    if (r->bytes)
        printf("checked %.1f MB of WAL, %" PRIu64 " records, in %.2f s (%.0f MB/s, CRC-32C %s)\n",
               (double)r->bytes / 1e6, r->records, secs,
               secs > 0 ? (double)r->bytes / 1e6 / secs : 0.0,
               wp_crc32c_hardware() ? "in hardware" : "by table");
    if (out->n)
        printf("%" PRIu64 " problem%s; the first at " WP_LSN_FMT " (%s)\n", out->n,
               out->n == 1 ? "" : "s", WP_LSN_ARGS(out->first_lsn),
               out->first_file[0] ? out->first_file : dir);
    else
        printf("no problems found\n");
}

static const wp_cli_cmd verify_cmd = {
    "verify", "walpull verify checks a WAL archive as recovery would read it: names, sizes,\n"
              "gaps, history files and switch points, gzip integrity, every page header and\n"
              "the CRC-32C of every record. Exit status 0: no problem; 1: problems found.\n\n"
              "Usage:\n  walpull verify -D DIR [OPTION]...\n"};

int wp_cmd_verify(int argc, char **argv)
{
    const char *dir = NULL;
    bool json = false, quick = false;
    wp_opt table[] = {WP_CLI_DIR_OPT(&dir, "the archive directory"),
                      {.long_name = "quick",
                       .kind = WP_OPT_FLAG,
                       .target = &quick,
                       .help = "names, sizes, gaps and histories only; no record checks"},
                      WP_CLI_JSON_OPT(&json),
                      WP_CLI_VERBOSE_OPT,
                      WP_OPT_END};
    int first;
    int r = wp_cli_parse(&verify_cmd, table, NULL, 0, argc, argv, 0, &first);
    if (r != 0)
        return wp_cli_exit(r);
    if (!dir)
        return wp_cli_usage_error("verify", "no archive directory specified (-D)");
    verify_out out = {.json = json};
    wp_walverify_opts vo = {.dir = dir, .decode = !quick, .problem = on_problem, .user = &out};
    wp_walverify_report rep;
    wp_error err = {0};
    struct timespec t0 = wp_clock_start();
    r = wp_walverify_run(&vo, &rep, &err);
    double secs = wp_clock_since(&t0);
    if (r < 0) {
        wp_log_error(&err);
        wp_buf_free(&out.problems);
        return WP_EXIT_ERROR;
    }
    if (json)
        print_json(dir, &rep, &out, secs);
    else
        print_text(dir, &rep, &out, secs);
    wp_buf_free(&out.problems);
    return rep.problems ? WP_EXIT_ERROR : WP_EXIT_OK;
}
