/* The O_DIRECT staging writer (dio.h), against real files: on a
 * filesystem that takes O_DIRECT (ext4 under /tmp here) and on tmpfs,
 * whichever path each one takes. */
#include "walpull/dio.h"

#include "check_main.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return buf;
}

/* Whether this file's filesystem takes an aligned O_DIRECT write: found
 * by trying one on a scratch file beside it, not by asking statx as
 * wp_dio_begin does, so the test checks the decision against what the
 * filesystem really does. */
static bool filesystem_takes_direct(const char *path)
{
    char probe[80];
    snprintf(probe, sizeof(probe), "%s.probe", path);
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0600);
    bool ok = false;
    if (fd >= 0) {
        void *block = NULL;
        ck_assert_int_eq(posix_memalign(&block, WP_DIO_ALIGN, WP_DIO_ALIGN), 0);
        memset(block, 0, WP_DIO_ALIGN);
        ok = pwrite(fd, block, WP_DIO_ALIGN, 0) == WP_DIO_ALIGN;
        free(block);
        close(fd);
    }
    unlink(probe);
    return ok;
}

static const char *const roots[] = {"/tmp", "/dev/shm"};

/* Bytes in odd chunks, pushed now and then (each push rewrites the last
 * block later), end: the file is exactly the bytes, padding cut. */
START_TEST(test_dio_chunks_and_pushes)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/walpull-dio-XXXXXX", roots[_i]);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const size_t len = 3 * 65536 + 12345;
    uint8_t *data = malloc(len);
    fill(data, len, 11);
    wp_dio d;
    ck_assert_int_eq(wp_dio_init(&d, 65536), 0);
    ck_assert_int_eq(wp_dio_begin(&d, fd, 0), 0);
    ck_assert_int_eq(d.direct, filesystem_takes_direct(path));
    size_t off = 0, chunk = 1;
    int n = 0;
    while (off < len) {
        size_t c = off + chunk > len ? len - off : chunk;
        struct iovec v[2] = {{data + off, c / 2}, {data + off + c / 2, c - c / 2}};
        ck_assert_int_eq(wp_dio_stage(&d, v, 2), 0);
        off += c;
        chunk = chunk * 3 + 7;
        if (chunk > 100000)
            chunk = 333;
        if (++n % 2 == 0)
            ck_assert_int_eq(wp_dio_push(&d), 0);
    }
    ck_assert_int_eq(wp_dio_end(&d), 0);
    ck_assert_uint_eq(d.end, len);
    ck_assert_uint_ge(d.bytes_written, len);
    size_t got;
    uint8_t *back = slurp(path, &got);
    ck_assert_uint_eq(got, len);
    ck_assert_int_eq(memcmp(back, data, len), 0);
    wp_dio_release(&d);
    close(fd);
    unlink(path);
    free(back);
    free(data);
}
END_TEST

/* Starting inside a block keeps the bytes before the start, and a file
 * that was longer keeps its length (only our own padding is cut). */
START_TEST(test_dio_unaligned_start_keeps_head)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/walpull-dio-XXXXXX", roots[_i]);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const size_t old_len = 20000, start = 5000, add = 3000;
    uint8_t *old = malloc(old_len), *add_data = malloc(add);
    fill(old, old_len, 1);
    fill(add_data, add, 2);
    ck_assert_int_eq(pwrite(fd, old, old_len, 0), (ssize_t)old_len);
    wp_dio d;
    ck_assert_int_eq(wp_dio_init(&d, 8192), 0);
    ck_assert_int_eq(wp_dio_begin(&d, fd, start), 0);
    struct iovec v = {add_data, add};
    ck_assert_int_eq(wp_dio_stage(&d, &v, 1), 0);
    ck_assert_int_eq(wp_dio_push(&d), 0);
    ck_assert_int_eq(wp_dio_end(&d), 0);
    size_t got;
    uint8_t *back = slurp(path, &got);
    ck_assert_uint_eq(got, old_len);
    ck_assert_int_eq(memcmp(back, old, start), 0);
    ck_assert_int_eq(memcmp(back + start, add_data, add), 0);
    /* Past the new bytes, to the end of their block: padding zeros. */
    size_t pad_end = ((start + add + WP_DIO_ALIGN - 1) / WP_DIO_ALIGN) * WP_DIO_ALIGN;
    for (size_t i = start + add; i < pad_end; i++)
        ck_assert_uint_eq(back[i], 0);
    ck_assert_int_eq(memcmp(back + pad_end, old + pad_end, old_len - pad_end), 0);
    wp_dio_release(&d);
    close(fd);
    unlink(path);
    free(back);
    free(old);
    free(add_data);
}
END_TEST

/* One staging buffer serves one file after another. */
START_TEST(test_dio_reused_across_files)
{
    wp_dio d;
    ck_assert_int_eq(wp_dio_init(&d, 4096), 0);
    uint8_t data[10000];
    for (int f = 0; f < 3; f++) {
        char path[64];
        snprintf(path, sizeof(path), "%s/walpull-dio-XXXXXX", roots[_i]);
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        size_t len = 1000 + (size_t)f * 4000;
        fill(data, len, (uint32_t)f);
        ck_assert_int_eq(wp_dio_begin(&d, fd, 0), 0);
        struct iovec v = {data, len};
        ck_assert_int_eq(wp_dio_stage(&d, &v, 1), 0);
        ck_assert_int_eq(wp_dio_end(&d), 0);
        size_t got;
        uint8_t *back = slurp(path, &got);
        ck_assert_uint_eq(got, len);
        ck_assert_int_eq(memcmp(back, data, len), 0);
        free(back);
        close(fd);
        unlink(path);
    }
    wp_dio_release(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dio");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_dio_chunks_and_pushes, 0, 2);
    tcase_add_loop_test(tc, test_dio_unaligned_start_keeps_head, 0, 2);
    tcase_add_loop_test(tc, test_dio_reused_across_files, 0, 2);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
