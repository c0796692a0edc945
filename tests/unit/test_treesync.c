/* Making a tree durable (treesync.h): the choice between syncfs and an
 * fsync per file, /proc/meminfo's dirty bytes, and the walks against real
 * directories. */
#include "walpull/treesync.h"

#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(test_wp_sync_auto_table)
{
    static const struct {
        uint64_t dirty, files;
        wp_sync_method want;
    } cases[] = {
        {0, 0, WP_SYNC_SYNCFS},
        {WP_SYNC_AUTO_MIN_DIRTY, 1, WP_SYNC_SYNCFS},
        {WP_SYNC_AUTO_MIN_DIRTY + 1, 1, WP_SYNC_FSYNC},
        /* 1000 files: up to 1000 x 256 kB of others' data is still cheaper. */
        {(uint64_t)1000 << 18, 1000, WP_SYNC_SYNCFS},
        {((uint64_t)1000 << 18) + 1, 1000, WP_SYNC_FSYNC},
        {(uint64_t)1536 << 20, 1000, WP_SYNC_FSYNC},
        {(uint64_t)1536 << 20, 100000, WP_SYNC_SYNCFS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_int_eq(wp_sync_auto(cases[i].dirty, cases[i].files), cases[i].want);
}
END_TEST

START_TEST(test_wp_meminfo_dirty_lines)
{
    uint64_t b = 0;
    ck_assert_int_eq(wp_meminfo_dirty("MemTotal:       24000000 kB\nDirty:              1536 kB\n"
                                      "Writeback:            64 kB\nWritebackTmp:          9 kB\n",
                                      &b),
                     0);
    ck_assert_uint_eq(b, (uint64_t)1600 * 1024);
    /* Writeback first, Dirty last, no trailing newline. */
    ck_assert_int_eq(wp_meminfo_dirty("Writeback: 0 kB\nDirty: 4 kB", &b), 0);
    ck_assert_uint_eq(b, 4096);
    /* "WritebackTmp" is not "Writeback". */
    ck_assert_int_eq(wp_meminfo_dirty("Dirty: 4 kB\nWritebackTmp: 0 kB\n", &b), -EINVAL);
    ck_assert_int_eq(wp_meminfo_dirty("Dirty: x kB\nWriteback: 0 kB\n", &b), -EINVAL);
    ck_assert_int_eq(wp_meminfo_dirty("", &b), -EINVAL);
    ck_assert_int_eq(wp_dirty_bytes(&b), 0); /* this machine's */
}
END_TEST

/* A scratch directory dir with one directory named sub in it, at path. */
static void scratch(char *dir, const char *sub, char *path, size_t len)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, len, "%s/%s", dir, sub);
    ck_assert_int_eq(mkdir(path, 0700), 0);
}

START_TEST(test_wp_tree_fsync_tree_and_missing_root)
{
    char dir[] = "/tmp/walpull-treesync.XXXXXX";
    char path[300];
    scratch(dir, "sub", path, sizeof(path));
    snprintf(path, sizeof(path), "%s/sub/file", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "walpull", 7), 7);
    close(fd);
    snprintf(path, sizeof(path), "%s/dangling", dir);
    ck_assert_int_eq(symlink("/nonexistent/target", path), 0); /* never followed */
    wp_error err = {0};
    ck_assert_int_eq(wp_tree_fsync(dir, &err), 0);
    ck_assert_int_lt(wp_tree_fsync("/nonexistent/walpull-treesync", &err), 0);
    ck_assert_str_eq(err.message,
                     "could not open directory \"/nonexistent/walpull-treesync\": No such file or "
                     "directory");
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_wp_fsync_parent_forms)
{
    char dir[] = "/tmp/walpull-treesync.XXXXXX";
    char sub[300];
    scratch(dir, "made", sub, sizeof(sub));
    wp_error err = {0};
    ck_assert_int_eq(wp_fsync_parent(sub, &err), 0);
    strcat(sub, "//");
    ck_assert_int_eq(wp_fsync_parent(sub, &err), 0);
    ck_assert_int_eq(wp_fsync_parent("relative-name", &err), 0); /* "." */
    ck_assert_int_eq(wp_fsync_parent("/", &err), 0);
    ck_assert_int_lt(wp_fsync_parent("/nonexistent/x/y", &err), 0);
    ck_assert_str_eq(err.message,
                     "could not open directory \"/nonexistent/x\": No such file or directory");
    rmdir(sub);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("treesync");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wp_sync_auto_table);
    tcase_add_test(tc, test_wp_meminfo_dirty_lines);
    tcase_add_test(tc, test_wp_tree_fsync_tree_and_missing_root);
    tcase_add_test(tc, test_wp_fsync_parent_forms);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
