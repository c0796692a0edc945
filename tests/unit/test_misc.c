/* Unit tests of the smaller pure modules, and of the segment archive sink
 * against a temporary directory. */
#include "walpull/basebackup.h"
#include "walpull/conninfo.h"
#include "walpull/error.h"
#include "walpull/file_link.h"
#include "walpull/iov.h"
#include "walpull/progress.h"
#include "walpull/stats.h"
#include "walpull/svgplot.h"
#include "walpull/walarchive.h"
#include "walpull/walpage.h"

#include "check_main.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

START_TEST(test_iov_take_slices)
{
    char a[] = "abc", b[] = "", c[] = "defgh";
    struct iovec in[3] = {{a, 3}, {b, 0}, {c, 5}};
    wp_iov_cursor cur;
    wp_iov_cursor_init(&cur, in, 3);
    struct iovec out[4];
    int n;
    ck_assert_uint_eq(wp_iov_take(&cur, 2, out, 4, &n), 2);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_eq(out[0].iov_base, a);
    ck_assert_uint_eq(out[0].iov_len, 2);
    ck_assert_uint_eq(wp_iov_take(&cur, 4, out, 4, &n), 4);
    ck_assert_int_eq(n, 2);
    ck_assert_ptr_eq(out[0].iov_base, a + 2);
    ck_assert_ptr_eq(out[1].iov_base, c);
    ck_assert_uint_eq(out[1].iov_len, 3);
    ck_assert_uint_eq(wp_iov_take(&cur, 100, out, 4, &n), 2);
    ck_assert_uint_eq(wp_iov_take(&cur, 100, out, 4, &n), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(wp_iov_total(in, 3), 8);
}
END_TEST

START_TEST(test_walpage_ident_parse_cases)
{
    uint8_t b[WP_WALPAGE_LONG_HDR] = {0};
    wp_walpage_ident id;
    ck_assert_int_eq(wp_walpage_ident_parse(b, sizeof(b), &id), WP_E_PROTO);
    ck_assert_int_eq(wp_walpage_ident_parse(b, 39, &id), WP_E_TRUNCATED);
    b[0] = 0x10, b[1] = 0xD1; /* magic 0xD110 */
    b[2] = 0x06;              /* long header flag set */
    b[4] = 2;                 /* timeline 2 */
    b[11] = 0x01;             /* pageaddr 0x01000000 */
    for (int i = 0; i < 8; i++)
        b[24 + i] = (uint8_t)(0x11 * (i + 1));
    b[34] = 0x10; /* 0x00100000: 1 MB */
    b[37] = 0x20; /* 8192 */
    ck_assert_int_eq(wp_walpage_ident_parse(b, sizeof(b), &id), 0);
    ck_assert_uint_eq(id.magic, 0xD110);
    ck_assert_uint_eq(id.tli, 2);
    ck_assert_uint_eq(id.pageaddr, 0x01000000);
    ck_assert_uint_eq(id.sysid, 0x8877665544332211ull);
    ck_assert_uint_eq(id.seg_size, 1u << 20);
    ck_assert_uint_eq(id.blcksz, 8192);
}
END_TEST

START_TEST(test_conninfo_quoting)
{
    wp_buf out = {0};
    ck_assert_int_eq(wp_conninfo_append(&out, "host", "db1"), 0);
    ck_assert_int_eq(wp_conninfo_append(&out, "password", "it's\\x"), 0);
    ck_assert_int_eq(wp_conninfo_append(&out, "host", "/tmp/sock"), 0);
    ck_assert_int_eq(wp_conninfo_append(&out, "sslmode", ""), 0);
    ck_assert_str_eq(wp_buf_str(&out),
                     "host=db1 password='it\\'s\\\\x' host='/tmp/sock' sslmode=''");
    ck_assert_uint_eq(out.len, strlen(wp_buf_str(&out)));
    wp_buf q = {0};
    ck_assert_int_eq(wp_config_quote(&q, "user='u' x\\y"), 0);
    ck_assert_str_eq(wp_buf_str(&q), "'user=''u'' x\\\\y'");
    wp_buf_free(&out);
    wp_buf_free(&q);
}
END_TEST

START_TEST(test_basebackup_command_versions)
{
    wp_buf lit = {0}, sql = {0};
    ck_assert_int_eq(wp_quote_literal(&lit, "it's"), 0);
    ck_assert_str_eq(wp_buf_str(&lit), "'it''s'");
    wp_basebackup_opts o = {.label = "l",
                            .fast_checkpoint = true,
                            .progress = true,
                            .nowait = true,
                            .max_rate = 1024,
                            .manifest = true};
    ck_assert_int_eq(wp_basebackup_command(&o, 150004, &sql, NULL), 0);
    ck_assert_str_eq(wp_buf_str(&sql),
                     "BASE_BACKUP (LABEL 'l', PROGRESS, CHECKPOINT 'fast', WAIT false, "
                     "MAX_RATE 1024, MANIFEST 'yes', MANIFEST_CHECKSUMS 'CRC32C')");
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&o, 140010, &sql, NULL), 0);
    ck_assert_str_eq(wp_buf_str(&sql), "BASE_BACKUP LABEL 'l' PROGRESS FAST NOWAIT MAX_RATE 1024 "
                                       "MANIFEST 'yes' MANIFEST_CHECKSUMS 'CRC32C'");
    wp_basebackup_opts fetch = {.label = "x", .include_wal = true};
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&fetch, 180000, &sql, NULL), 0);
    ck_assert_str_eq(wp_buf_str(&sql), "BASE_BACKUP (LABEL 'x', WAL)");
    /* pg_basebackup's options: targets and server compression from 15 on. */
    wp_basebackup_opts front = {.label = "f",
                                .target = "server",
                                .target_detail = "/srv/b",
                                .manifest = true,
                                .manifest_force_encode = true,
                                .manifest_checksums = "SHA256",
                                .no_verify_checksums = true,
                                .tablespace_map = true,
                                .compression = "gzip",
                                .compression_detail = "level=3"};
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&front, 150000, &sql, NULL), 0);
    ck_assert_str_eq(wp_buf_str(&sql),
                     "BASE_BACKUP (LABEL 'f', TARGET 'server', TARGET_DETAIL '/srv/b', "
                     "TABLESPACE_MAP, VERIFY_CHECKSUMS false, MANIFEST 'force-encode', "
                     "MANIFEST_CHECKSUMS 'SHA256', COMPRESSION 'gzip', COMPRESSION_DETAIL "
                     "'level=3')");
    wp_error err = {0};
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&front, 140000, &sql, &err), WP_E_UNSUPPORTED);
    ck_assert_str_eq(err.message, "backup targets are not supported by this server version");
    wp_basebackup_opts old = {.label = "o", .no_verify_checksums = true, .tablespace_map = true};
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&old, 130000, &sql, NULL), 0);
    ck_assert_str_eq(wp_buf_str(&sql), "BASE_BACKUP LABEL 'o' TABLESPACE_MAP NOVERIFY_CHECKSUMS");
    /* A label far longer than any fixed buffer is quoted whole. */
    char label[5000];
    memset(label, '\'', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    wp_basebackup_opts big = {.label = label};
    wp_buf_reset(&sql);
    ck_assert_int_eq(wp_basebackup_command(&big, 130000, &sql, NULL), 0);
    ck_assert_uint_eq(sql.len, strlen("BASE_BACKUP LABEL ''") + 2 * (sizeof(label) - 1));
    wp_buf_free(&lit);
    wp_buf_free(&sql);
}
END_TEST

START_TEST(test_progress_format_lines)
{
    char out[128];
    wp_progress_format(512 * 1024, 1024 * 1024, 1.0, out, sizeof(out));
    ck_assert_str_eq(out, "512/1024 kB (50%), 0.5 MiB/s, 0:01 left");
    wp_progress_format(2048 * 1024, 1024 * 1024, 2.0, out, sizeof(out));
    ck_assert_str_eq(out, "2048/1024 kB (100%), 1.0 MiB/s");
    wp_progress_format(3 * 1024 * 1024, 0, 0.0, out, sizeof(out));
    ck_assert_str_eq(out, "3072 kB, 0.0 MiB/s");
    uint32_t r = 0;
    ck_assert_int_eq(wp_rate_parse("100", &r), 0);
    ck_assert_uint_eq(r, 100);
    ck_assert_int_eq(wp_rate_parse("100k", &r), 0);
    ck_assert_int_eq(wp_rate_parse("10M", &r), 0);
    ck_assert_uint_eq(r, 10240);
    ck_assert_int_eq(wp_rate_parse("31", &r), WP_E_RANGE);
    ck_assert_int_eq(wp_rate_parse("2G", &r), WP_E_RANGE);
    ck_assert_int_eq(wp_rate_parse("fast", &r), WP_E_RANGE);
}
END_TEST

/* Pseudo-random WAL bytes for the archive tests. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(4u << 20);
    *len = fread(buf, 1, 4u << 20, f);
    fclose(f);
    return buf;
}

static void stream_into(wp_walsink *sink, const uint8_t *wal, size_t len, wp_lsn start,
                        size_t chunk)
{
    wp_error err;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = off + chunk > len ? len - off : chunk;
        /* two iovecs per call, split unevenly, as batches are */
        struct iovec v[2] = {{(void *)(wal + off), n / 3},
                             {(void *)(wal + off + n / 3), n - n / 3}};
        ck_assert_int_eq(wp_walsink_write(sink, 1, start + off, v, 2, &err), 0);
        ck_assert_uint_eq(sink->written, start + off + n);
        ck_assert_uint_le(sink->durable, sink->written);
    }
}

START_TEST(test_walarchive_chunkings)
{
    const uint64_t seg = 1u << 20;
    size_t len = 2 * seg + seg / 2; /* two full segments and half of a third */
    uint8_t *wal = malloc(len);
    fill(wal, len, 7);
    static const size_t chunks[] = {1 << 20, 8192, 77777, 3 * (1u << 20)};
    /* Every chunking, through the page cache and with O_DIRECT. */
    for (size_t c = 0; c < 2 * sizeof(chunks) / sizeof(chunks[0]); c++) {
        char dir[] = "/tmp/walpull-unit-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        wp_io_stats io = {0};
        wp_walarchive_opts o = {
            .dir = dir, .segsize = seg, .partial_suffix = true, .direct = c % 2 == 1, .stats = &io};
        wp_walsink *sink;
        wp_error err;
        ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
        stream_into(sink, wal, len, 4 * seg, chunks[c / 2]);
        /* Two complete segments are durable; the third is not yet. */
        ck_assert_uint_eq(sink->durable, 6 * seg);
        ck_assert_int_eq(sink->ops->flush(sink, &err), 0);
        ck_assert_uint_eq(sink->durable, 4 * seg + len);
        wp_walsink_free(sink);
        /* Every byte counted once; O_DIRECT may rewrite a padded block per
         * write call. */
        ck_assert_uint_ge(io.bytes_written, len);
        ck_assert_uint_le(io.bytes_written, len + io.write_calls * 4096);
        size_t n;
        char *f1 = read_file(dir, "000000010000000000000004", &n);
        ck_assert_ptr_nonnull(f1);
        ck_assert_uint_eq(n, seg);
        ck_assert_int_eq(memcmp(f1, wal, seg), 0);
        char *f2 = read_file(dir, "000000010000000000000005", &n);
        ck_assert_int_eq(memcmp(f2, wal + seg, seg), 0);
        char *f3 = read_file(dir, "000000010000000000000006.partial", &n);
        ck_assert_ptr_nonnull(f3);
        ck_assert_uint_eq(n, seg); /* preallocated */
        ck_assert_int_eq(memcmp(f3, wal + 2 * seg, seg / 2), 0);
        free(f1), free(f2), free(f3);

        wp_archive_resume res;
        ck_assert_int_eq(wp_walarchive_scan(dir, seg, 0, 0, &res, &err), 0);
        ck_assert(res.found);
        ck_assert_uint_eq(res.start, 6 * seg); /* the partial is rewritten */
        ck_assert_str_eq(res.newest, "000000010000000000000006.partial");
        ck_assert_int_eq(wp_walarchive_scan(dir, 2 * seg, 0, 0, &res, &err), WP_E_STATE);
        /* pg_receivewal's rule: skipped, and named. */
        ck_assert_int_eq(wp_walarchive_scan(dir, 2 * seg, 0, WP_SCAN_SKIP_BAD_SIZE, &res, &err), 0);
        ck_assert_str_ne(res.skipped, "");
        wp_test_rmtree(dir);
    }
    free(wal);
}
END_TEST

/* A stream that stops mid-block and resumes there, in a new sink, as after
 * a reconnect: the bytes before the resume point in that block survive,
 * with O_DIRECT and without. */
START_TEST(test_walarchive_resume_mid_block)
{
    const uint64_t seg = 1u << 20;
    const size_t first = 100, len = 5000;
    uint8_t wal[5000];
    fill(wal, len, 9);
    for (int direct = 0; direct < 2; direct++) {
        char dir[] = "/tmp/walpull-unit-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        wp_walarchive_opts o = {
            .dir = dir, .segsize = seg, .partial_suffix = true, .direct = direct};
        wp_error err;
        for (int part = 0; part < 2; part++) {
            wp_walsink *sink;
            ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
            size_t from = part ? first : 0, to = part ? len : first;
            struct iovec v = {wal + from, to - from};
            ck_assert_msg(sink->ops->write(sink, 1, seg + from, &v, 1, &err) == 0, "%s",
                          err.message);
            ck_assert_int_eq(sink->ops->flush(sink, &err), 0);
            ck_assert_uint_eq(sink->durable, seg + to);
            wp_walsink_free(sink);
        }
        size_t n;
        char *f = read_file(dir, "000000010000000000000001.partial", &n);
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(n, seg);
        ck_assert_int_eq(memcmp(f, wal, len), 0);
        free(f);
        wp_test_rmtree(dir);
    }
}
END_TEST

/* A gzip archive with .partial names in DIR, fast level. */
static wp_walarchive_opts gzip_opts(const char *dir, uint64_t seg)
{
    return (wp_walarchive_opts){.dir = dir,
                                .segsize = seg,
                                .compress = WP_COMPRESS_GZIP,
                                .gzip_level = 1,
                                .partial_suffix = true};
}

START_TEST(test_walarchive_gzip_roundtrip)
{
    const uint64_t seg = 1u << 20;
    size_t len = seg + seg / 4;
    uint8_t *wal = malloc(len);
    fill(wal, len, 3);
    char dir[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    wp_walarchive_opts o = gzip_opts(dir, seg);
    wp_walsink *sink;
    wp_error err;
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    /* Start mid-segment: the bytes before are zeros in the .gz. */
    stream_into(sink, wal, len, seg / 2, 10000);
    wp_walsink_free(sink);
    char path[256];
    snprintf(path, sizeof(path), "%s/000000010000000000000000.gz", dir);
    gzFile g = gzopen(path, "rb");
    ck_assert_ptr_nonnull(g);
    uint8_t *back = malloc(seg + 1);
    ck_assert_int_eq(gzread(g, back, (unsigned)seg + 1), (int)seg);
    gzclose(g);
    for (size_t i = 0; i < seg / 2; i++)
        ck_assert_uint_eq(back[i], 0);
    ck_assert_int_eq(memcmp(back + seg / 2, wal, seg / 2), 0);
    /* The second, unfinished segment decompresses to a prefix (sync flush). */
    snprintf(path, sizeof(path), "%s/000000010000000000000001.gz.partial", dir);
    g = gzopen(path, "rb");
    ck_assert_ptr_nonnull(g);
    int got = gzread(g, back, (unsigned)seg);
    gzclose(g);
    ck_assert_int_eq(got, (int)(len - seg / 2));
    ck_assert_int_eq(memcmp(back, wal + seg / 2, (size_t)got), 0);
    free(back);
    free(wal);
    wp_test_rmtree(dir);
}
END_TEST

/* The decompressed length of a gzip file (its durable prefix). */
static long gz_length(const char *path)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return -1;
    static uint8_t buf[1 << 16];
    long total = 0;
    int n;
    while ((n = gzread(g, buf, sizeof(buf))) > 0)
        total += n;
    gzclose(g);
    return total;
}

/* A resumed gzip segment is rewritten from its start, but what the partial
 * held (and was reported durable) stays until the rewrite has as much. */
START_TEST(test_walarchive_gzip_resume_never_shrinks)
{
    const uint64_t seg = 1u << 20;
    size_t len = seg / 2;
    uint8_t *wal = malloc(len);
    fill(wal, len, 9);
    char dir[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    wp_walarchive_opts o = gzip_opts(dir, seg);
    wp_walsink *sink;
    wp_error err;
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    stream_into(sink, wal, len, 0, 65536);
    ck_assert_int_eq(wp_walsink_flush(sink, &err), 0);
    wp_walsink_free(sink);
    char partial[256], rewrite[300];
    snprintf(partial, sizeof(partial), "%s/000000010000000000000000.gz.partial", dir);
    snprintf(rewrite, sizeof(rewrite), "%s.new", partial);
    ck_assert_int_eq(gz_length(partial), (long)len);
    /* The resume: the segment again from its start, a quarter of it so far. */
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    stream_into(sink, wal, len / 4, 0, 8192);
    ck_assert_int_eq(wp_walsink_flush(sink, &err), 0);
    ck_assert_int_eq(gz_length(partial), (long)len);
    ck_assert_int_eq(gz_length(rewrite), (long)len / 4);
    /* Past what the partial held: the rewrite takes its name. */
    stream_into(sink, wal + len / 4, len - len / 4, len / 4, 8192);
    ck_assert_int_eq(wp_walsink_flush(sink, &err), 0);
    ck_assert_int_eq(gz_length(partial), (long)len);
    ck_assert_int_eq(access(rewrite, F_OK), -1);
    wp_walsink_free(sink);
    /* A resume stopped before it got as far leaves the partial as it was. */
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    stream_into(sink, wal, 1000, 0, 1000);
    ck_assert_int_eq(wp_walsink_flush(sink, &err), 0);
    wp_walsink_free(sink);
    ck_assert_int_eq(gz_length(partial), (long)len);
    ck_assert_int_eq(access(rewrite, F_OK), -1);
    free(wal);
    wp_test_rmtree(dir);
}
END_TEST

/* A complete segment is never replaced: the same bytes again are fine,
 * different bytes are refused and the archive's copy kept. */
START_TEST(test_walarchive_never_replaces_complete)
{
    const uint64_t seg = 1u << 20;
    uint8_t *wal = malloc(seg), *other = malloc(seg);
    fill(wal, seg, 5);
    fill(other, seg, 6);
    char dir[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    wp_walarchive_opts o = {.dir = dir, .segsize = seg, .partial_suffix = true};
    wp_walsink *sink;
    wp_error err;
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    stream_into(sink, wal, seg, 0, 65536);
    wp_walsink_free(sink);
    char path[256];
    snprintf(path, sizeof(path), "%s/000000010000000000000000", dir);
    /* The same segment again, the same bytes: accepted. */
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    stream_into(sink, wal, seg, 0, 65536);
    wp_walsink_free(sink);
    /* Different bytes: the last write, which completes it, is refused. */
    ck_assert_int_eq(wp_walarchive_open(&o, &sink, &err), 0);
    struct iovec v = {.iov_base = other, .iov_len = seg};
    ck_assert_int_eq(wp_walsink_write(sink, 1, 0, &v, 1, &err), WP_E_STATE);
    ck_assert_msg(strstr(err.message, "again with different bytes"), "%s", err.message);
    wp_walsink_free(sink);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *back = malloc(seg);
    ck_assert_uint_eq(fread(back, 1, seg, f), seg);
    fclose(f);
    ck_assert_int_eq(memcmp(back, wal, seg), 0);
    free(back);
    free(wal);
    free(other);
    wp_test_rmtree(dir);
}
END_TEST

START_TEST(test_file_link_refuses_symlink)
{
    char dir[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char target[300], link[300];
    snprintf(target, sizeof(target), "%s/target", dir);
    snprintf(link, sizeof(link), "%s/seg", dir);
    FILE *f = fopen(target, "w");
    fputs("keep", f);
    fclose(f);
    ck_assert_int_eq(symlink(target, link), 0);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    wp_file_link_opts fo = {.dirfd = dirfd, .path = "seg", .prealloc = 1u << 20};
    wp_link *l;
    wp_error err = {0};
    ck_assert_int_eq(wp_file_link_new(&fo, NULL, &l, &err), 0);
    struct iovec v = {.iov_base = (void *)"data", .iov_len = 4};
    ck_assert_int_lt(wp_link_content(l, &v, 1, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "could not open file \"seg\""));
    wp_link_free(l);
    close(dirfd);
    struct stat st;
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert_int_eq(st.st_size, 4); /* neither preallocated nor written */
    wp_test_rmtree(dir);
}
END_TEST

START_TEST(test_percentile_nearest_rank)
{
    double v[] = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
    ck_assert_double_eq(wp_percentile(v, 10, 50), 5);
    ck_assert_double_eq(wp_percentile(v, 10, 95), 10);
    ck_assert_double_eq(wp_percentile(v, 10, 10), 1);
    ck_assert_double_eq(wp_percentile(v, 10, 0), 1);
    ck_assert_double_eq(wp_percentile(v, 0, 50), 0);
    double m[] = {3, 1, 2, 4};
    ck_assert_double_eq(wp_median(m, 4), 2.5);
    ck_assert_double_eq(wp_median(m, 3), 2);
}
END_TEST

START_TEST(test_svgplot_points)
{
    wp_plot_point p[3] = {{0.1, 100, 10}, {0.2, 200, 5}, {0.3, 50, 0}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(wp_svgplot_write(f, "t", p, 3), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "<svg "));
    ck_assert_ptr_nonnull(strstr(buf, "</svg>"));
    /* two polylines of three points each */
    const char *first = strstr(buf, "<polyline");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(strstr(first + 1, "<polyline"));
    /* t 0.2 of 0.3 is at x 70 + 2/3 of 660; 200 of 220 (10% headroom) at y 350 - 281.8 */
    ck_assert_ptr_nonnull(strstr(buf, "510.0,68.2"));
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("misc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_iov_take_slices);
    tcase_add_test(tc, test_walpage_ident_parse_cases);
    tcase_add_test(tc, test_conninfo_quoting);
    tcase_add_test(tc, test_basebackup_command_versions);
    tcase_add_test(tc, test_progress_format_lines);
    tcase_add_test(tc, test_walarchive_chunkings);
    tcase_add_test(tc, test_walarchive_resume_mid_block);
    tcase_add_test(tc, test_walarchive_gzip_roundtrip);
    tcase_add_test(tc, test_walarchive_gzip_resume_never_shrinks);
    tcase_add_test(tc, test_walarchive_never_replaces_complete);
    tcase_add_test(tc, test_file_link_refuses_symlink);
    tcase_add_test(tc, test_percentile_nearest_rank);
    tcase_add_test(tc, test_svgplot_points);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
