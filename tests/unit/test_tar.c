#include "walpull/error.h"
#include "walpull/extract.h"
#include "walpull/tar.h"
#include "walpull/tar_parser.h"

#include "check_main.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Build a ustar header the way a server does. */
static void make_header(uint8_t *b, const char *name, char type, uint64_t size, const char *link)
{
    memset(b, 0, WP_TAR_BLOCK);
    strncpy((char *)b, name, 100);
    snprintf((char *)b + 100, 8, "%07o", 0600);
    snprintf((char *)b + 108, 8, "%07o", 0);
    snprintf((char *)b + 116, 8, "%07o", 0);
    snprintf((char *)b + 124, 12, "%011llo", (unsigned long long)size);
    snprintf((char *)b + 136, 12, "%011o", 0);
    b[156] = (uint8_t)type;
    if (link)
        strncpy((char *)b + 157, link, 100);
    memcpy(b + 257, "ustar", 6);
    memcpy(b + 263, "00", 2);
    memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        sum += b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
}

START_TEST(test_tar_header_parse_file)
{
    uint8_t b[WP_TAR_BLOCK];
    make_header(b, "./base/1/1259", '0', 8192, NULL);
    wp_tar_member m;
    ck_assert_int_eq(wp_tar_header_parse(b, &m), 0);
    ck_assert_str_eq(m.path, "base/1/1259");
    ck_assert_int_eq(m.type, WP_TAR_FILE);
    ck_assert_uint_eq(m.size, 8192);
    ck_assert_uint_eq(m.mode, 0600);
}
END_TEST

START_TEST(test_tar_header_parse_kinds)
{
    uint8_t b[WP_TAR_BLOCK];
    wp_tar_member m;
    make_header(b, "pg_wal/", '5', 0, NULL);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), 0);
    ck_assert_str_eq(m.path, "pg_wal");
    ck_assert_int_eq(m.type, WP_TAR_DIR);
    make_header(b, "pg_tblspc/16384", '2', 0, "/srv/ts");
    ck_assert_int_eq(wp_tar_header_parse(b, &m), 0);
    ck_assert_str_eq(m.linkname, "/srv/ts");
    ck_assert_uint_eq(m.size, 0);
    make_header(b, "./", '5', 0, NULL);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), 0);
    ck_assert_str_eq(m.path, "");
    make_header(b, "dev/null", '3', 0, NULL);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), WP_E_UNSUPPORTED);
    ck_assert_str_eq(m.path, "dev/null");
    /* Base-256 size for members over 8 GB. */
    make_header(b, "big", '0', 0, NULL);
    memset(b + 124, 0, 12);
    b[124] = 0x80;
    b[131] = 0x02; /* 2 << 32 */
    memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        sum += b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), 0);
    ck_assert_uint_eq(m.size, 2ull << 32);
}
END_TEST

START_TEST(test_tar_header_parse_corrupt)
{
    uint8_t b[WP_TAR_BLOCK];
    wp_tar_member m;
    make_header(b, "file", '0', 10, NULL);
    b[0] ^= 1; /* checksum no longer matches */
    ck_assert_int_eq(wp_tar_header_parse(b, &m), WP_E_PROTO);
    make_header(b, "file", '0', 10, NULL);
    memcpy(b + 257, "xstar", 5);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), WP_E_PROTO);
    make_header(b, "file", '0', 10, NULL);
    b[124] = '9'; /* not octal; checksum fixed below */
    memset(b + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        sum += b[i];
    snprintf((char *)b + 148, 8, "%06o", sum);
    ck_assert_int_eq(wp_tar_header_parse(b, &m), WP_E_PROTO);
}
END_TEST

START_TEST(test_tar_header_build_roundtrip)
{
    uint8_t block[WP_TAR_BLOCK];
    ck_assert_int_eq(
        wp_tar_header_build("000000010000000000000003", 16777216, 0600, 1700000000, block), 0);
    wp_tar_member m;
    ck_assert_int_eq(wp_tar_header_parse(block, &m), 0);
    ck_assert_str_eq(m.path, "000000010000000000000003");
    ck_assert_int_eq(m.type, WP_TAR_FILE);
    ck_assert_uint_eq(m.size, 16777216);
    ck_assert_uint_eq(m.mode, 0600);
    /* GNU tar reads it too: the magic and version POSIX defines. */
    ck_assert_int_eq(memcmp(block + 257,
                            "ustar\0"
                            "00",
                            8),
                     0);
    char name[102];
    memset(name, 'n', 101);
    name[101] = '\0';
    ck_assert_int_eq(wp_tar_header_build(name, 1, 0600, 0, block), WP_E_RANGE);
    name[100] = '\0';
    ck_assert_int_eq(wp_tar_header_build(name, 1, 0600, 0, block), 0);
    ck_assert_int_eq(wp_tar_header_build("x", UINT64_C(1) << 33, 0600, 0, block), WP_E_RANGE);
}
END_TEST

START_TEST(test_tar_path_safe_cases)
{
    ck_assert(wp_tar_path_safe("base/1/1259"));
    ck_assert(wp_tar_path_safe("PG_VERSION"));
    ck_assert(wp_tar_path_safe("a..b/c"));
    ck_assert(!wp_tar_path_safe(""));
    ck_assert(!wp_tar_path_safe("/etc/passwd"));
    ck_assert(!wp_tar_path_safe("../x"));
    ck_assert(!wp_tar_path_safe("a/../../x"));
    ck_assert(!wp_tar_path_safe("a/.."));
    ck_assert(!wp_tar_path_safe("a//b"));
    ck_assert(!wp_tar_path_safe("a/./b"));
}
END_TEST

/* A tar sink that records what it is told, to compare chunkings. */
typedef struct recorder {
    wp_tar_sink base;
    char log[8192];
    size_t len;
} recorder;

static int rec_begin(wp_tar_sink *s, const wp_tar_member *m, wp_error *err)
{
    (void)err;
    recorder *r = (recorder *)s;
    r->len += (size_t)snprintf(r->log + r->len, sizeof(r->log) - r->len, "[%c %s %llu]", m->type,
                               m->path, (unsigned long long)m->size);
    return 0;
}

static int rec_data(wp_tar_sink *s, const struct iovec *iov, int n, wp_error *err)
{
    (void)err;
    recorder *r = (recorder *)s;
    for (int i = 0; i < n; i++) {
        memcpy(r->log + r->len, iov[i].iov_base, iov[i].iov_len);
        r->len += iov[i].iov_len;
    }
    return 0;
}

static int rec_end(wp_tar_sink *s, wp_error *err)
{
    (void)err;
    recorder *r = (recorder *)s;
    r->log[r->len++] = '|';
    return 0;
}

static int rec_finish(wp_tar_sink *s, wp_error *err)
{
    (void)err;
    recorder *r = (recorder *)s;
    r->log[r->len++] = '$';
    return 0;
}

static void rec_free(wp_tar_sink *s)
{
    (void)s; /* owned by the test */
}

static const wp_tar_sink_ops rec_ops = {
    .begin = rec_begin, .data = rec_data, .end = rec_end, .finish = rec_finish, .free = rec_free};

/* An archive: a directory, a 700-byte file, an empty file, end marker. */
static size_t build_archive(uint8_t *out, bool with_end)
{
    size_t n = 0;
    make_header(out + n, "dir/", '5', 0, NULL);
    n += 512;
    make_header(out + n, "dir/f", '0', 700, NULL);
    n += 512;
    for (int i = 0; i < 700; i++)
        out[n + (size_t)i] = (uint8_t)('a' + i % 26);
    memset(out + n + 700, 0, 324);
    n += 1024;
    make_header(out + n, "dir/empty", '0', 0, NULL);
    n += 512;
    if (with_end) {
        memset(out + n, 0, 1024);
        n += 1024;
    }
    return n;
}

static void feed_in_chunks(const uint8_t *tar, size_t len, size_t chunk, recorder *rec,
                           int want_finalize)
{
    wp_link *p;
    wp_error err;
    rec->base.ops = &rec_ops;
    ck_assert_int_eq(wp_tar_parser_new(&rec->base, &p, &err), 0);
    for (size_t off = 0; off < len; off += chunk) {
        struct iovec v = {.iov_base = (void *)(tar + off),
                          .iov_len = off + chunk > len ? len - off : chunk};
        ck_assert_int_eq(wp_link_content(p, &v, 1, &err), 0);
    }
    ck_assert_int_eq(wp_link_finalize(p, &err), want_finalize);
    wp_link_free(p);
}

START_TEST(test_tar_parser_chunkings)
{
    static uint8_t tar[8192];
    size_t len = build_archive(tar, true);
    recorder whole = {0};
    feed_in_chunks(tar, len, len, &whole, 0);
    ck_assert_uint_gt(whole.len, 700);
    ck_assert_int_eq(memcmp(whole.log, "[5 dir 0]|[0 dir/f 700]abc", 26), 0);
    static const size_t sizes[] = {1, 7, 511, 512, 513, 1000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        recorder r = {0};
        feed_in_chunks(tar, len, sizes[i], &r, 0);
        ck_assert_uint_eq(r.len, whole.len);
        ck_assert_int_eq(memcmp(r.log, whole.log, r.len), 0);
    }
    /* Without the end marker (servers 13 and 14): the same members. */
    recorder noend = {0};
    feed_in_chunks(tar, build_archive(tar, false), 100, &noend, 0);
    ck_assert_uint_eq(noend.len, whole.len);
    /* Cut inside the file's data: an error at the end. */
    recorder cut = {0};
    feed_in_chunks(tar, 512 + 512 + 100, 64, &cut, WP_E_TRUNCATED);
}
END_TEST

START_TEST(test_extractor_refuses_symlink_escape)
{
    char root[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    char outside[] = "/tmp/walpull-outside-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(outside));
    static uint8_t tar[4096];
    size_t n = 0;
    make_header(tar + n, "esc", '2', 0, outside);
    n += 512;
    make_header(tar + n, "esc/pwned", '0', 5, NULL);
    n += 512;
    memcpy(tar + n, "hello", 5);
    memset(tar + n + 5, 0, 507);
    n += 512;

    wp_extract_opts eo = {.root = root};
    wp_tar_sink *sink;
    wp_link *p;
    wp_error err = {0};
    ck_assert_int_eq(wp_extractor_new(&eo, &sink, &err), 0);
    ck_assert_int_eq(wp_tar_parser_new(sink, &p, &err), 0);
    struct iovec v = {.iov_base = tar, .iov_len = n};
    ck_assert_int_eq(wp_link_content(p, &v, 1, &err), WP_E_STATE);
    ck_assert_ptr_nonnull(strstr(err.message, "refusing to follow"));
    wp_link_free(p);
    char path[256];
    snprintf(path, sizeof(path), "%s/pwned", outside);
    ck_assert_int_ne(access(path, F_OK), 0);

    /* And a path with "..": refused before anything is created. */
    ck_assert_int_eq(wp_extractor_new(&eo, &sink, &err), 0);
    ck_assert_int_eq(wp_tar_parser_new(sink, &p, &err), 0);
    make_header(tar, "../escape", '0', 0, NULL);
    v.iov_len = 512;
    ck_assert_int_eq(wp_link_content(p, &v, 1, &err), WP_E_STATE);
    ck_assert_ptr_nonnull(strstr(err.message, "unsafe path \"../escape\""));
    wp_link_free(p);

    wp_test_rmtree(root);
    wp_test_rmtree(outside);
}
END_TEST

START_TEST(test_extractor_writes_files)
{
    char root[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    static uint8_t tar[8192];
    size_t len = build_archive(tar, true);
    wp_extract_stats st = {0};
    wp_extract_opts eo = {.root = root, .prealloc_min = 1, .stats = &st};
    wp_tar_sink *sink;
    wp_link *p;
    wp_error err = {0};
    ck_assert_int_eq(wp_extractor_new(&eo, &sink, &err), 0);
    ck_assert_int_eq(wp_tar_parser_new(sink, &p, &err), 0);
    for (size_t off = 0; off < len; off += 333) {
        struct iovec v = {.iov_base = tar + off, .iov_len = off + 333 > len ? len - off : 333};
        ck_assert_int_eq(wp_link_content(p, &v, 1, &err), 0);
    }
    ck_assert_int_eq(wp_link_finalize(p, &err), 0);
    wp_link_free(p);
    ck_assert_uint_eq(st.files, 2);
    ck_assert_uint_eq(st.bytes, 700);
    char path[256], buf[800];
    snprintf(path, sizeof(path), "%s/dir/f", root);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, buf, sizeof(buf)), 700);
    close(fd);
    ck_assert_int_eq(memcmp(buf, tar + 1024, 700), 0);
    struct stat sb;
    snprintf(path, sizeof(path), "%s/dir/empty", root);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
    wp_test_rmtree(root);
}
END_TEST

/* A file member of size bytes, its data from a counter, padded. */
static size_t put_file(uint8_t *out, const char *name, size_t size, unsigned seed)
{
    make_header(out, name, '0', size, NULL);
    for (size_t i = 0; i < size; i++)
        out[512 + i] = (uint8_t)((i * 131 + seed) >> 3);
    size_t padded = (size + 511) / 512 * 512;
    memset(out + 512 + size, 0, padded - size);
    return 512 + padded;
}

static void expect_file(const char *root, const char *name, const uint8_t *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, name);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    uint8_t *got = malloc(size + 1);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(read(fd, got, size + 1), (ssize_t)size);
    close(fd);
    ck_assert_int_eq(memcmp(got, data, size), 0);
    free(got);
}

/* A producer that puts bytes into the memory the parser lends (a socket
 * read, in the backup driver) wherever it lends any, in odd amounts, and
 * hands them over with content() elsewhere: every file comes out whole,
 * the room lent never reaches past a member's data, and no byte of the
 * staged files is copied. */
START_TEST(test_extractor_lends_staging_memory)
{
    char root[] = "/tmp/walpull-unit-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(root));
    size_t cap = (size_t)5 << 20;
    uint8_t *tar = calloc(1, cap);
    ck_assert_ptr_nonnull(tar);
    static const struct {
        const char *name;
        size_t size;
    } files[] = {{"big", (3u << 20) + 123}, {"small", 700}, {"big2", 10000}, {"exact", 8192}};
    size_t n = 0, at[4];
    for (unsigned i = 0; i < 4; i++) {
        at[i] = n + 512;
        n += put_file(tar + n, files[i].name, files[i].size, i);
    }
    memset(tar + n, 0, 1024);
    n += 1024;
    wp_extract_stats st = {0};
    wp_extract_opts eo = {.root = root, .prealloc_min = 1, .direct_min = 8192, .stats = &st};
    wp_tar_sink *sink;
    wp_link *p;
    wp_error err = {0};
    ck_assert_int_eq(wp_extractor_new(&eo, &sink, &err), 0);
    ck_assert_int_eq(wp_tar_parser_new(sink, &p, &err), 0);
    ck_assert(wp_link_can_reserve(p));
    /* Outside a member's data nothing is lent, and a commit is refused. */
    unsigned char *ptr = NULL;
    size_t room = 1;
    ck_assert_int_eq(wp_link_reserve(p, &ptr, &room, &err), 0);
    ck_assert_uint_eq(room, 0);
    ck_assert_int_eq(wp_link_commit(p, 1, false, &err), WP_E_STATE);
    size_t off = 0, lent = 0;
    static const size_t steps[] = {777, 4096, 1, 65536, 333};
    for (unsigned k = 0; off < n; k++) {
        size_t want = steps[k % 5];
        ck_assert_int_eq(wp_link_reserve(p, &ptr, &room, &err), 0);
        if (room > 0) {
            size_t m = room < want ? room : want;
            ck_assert_uint_le(off + m, n);
            memcpy(ptr, tar + off, m);
            ck_assert_int_eq(wp_link_commit(p, m, false, &err), 0);
            off += m;
            lent += m;
            continue;
        }
        size_t m = n - off < want ? n - off : want;
        struct iovec v = {.iov_base = tar + off, .iov_len = m};
        ck_assert_int_eq(wp_link_content(p, &v, 1, &err), 0);
        off += m;
    }
    ck_assert_int_eq(wp_link_finalize(p, &err), 0);
    wp_link_free(p);
    for (unsigned i = 0; i < 4; i++)
        expect_file(root, files[i].name, tar + at[i], files[i].size);
    ck_assert_uint_eq(st.files, 4);
    ck_assert_uint_eq(st.bytes, (3u << 20) + 123 + 700 + 10000 + 8192);
    /* Bytes of the staged files that came by content(): only those after
     * a header in the same step, never the bulk. */
    ck_assert_uint_lt(st.copied, 4 * 65536);
    ck_assert_uint_gt(lent, 3u << 20);
    free(tar);
    wp_test_rmtree(root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tar");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_tar_header_parse_file);
    tcase_add_test(tc, test_tar_header_parse_kinds);
    tcase_add_test(tc, test_tar_header_parse_corrupt);
    tcase_add_test(tc, test_tar_path_safe_cases);
    tcase_add_test(tc, test_tar_parser_chunkings);
    tcase_add_test(tc, test_extractor_refuses_symlink_escape);
    tcase_add_test(tc, test_extractor_writes_files);
    tcase_add_test(tc, test_extractor_lends_staging_memory);
    tcase_add_test(tc, test_tar_header_build_roundtrip);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
