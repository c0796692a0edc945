/* The fsync queue and the tree walk (syncer.h), against real files in a
 * scratch directory: every file handed over is closed and remembered,
 * a change after its fsync is noticed, and the queue's edges hold. */
#include "walpull/syncer.h"

#include "check_main.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* More than the queue holds at once, so the writer waits for the thread. */
#define N_FILES 300

static char *scratch(void)
{
    char *dir = strdup("/tmp/walpull-syncer.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static int make_file(const char *dir, int i, char *path, size_t len)
{
    snprintf(path, len, "%s/f%03d", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "walpull", 7), 7);
    return fd;
}

static void remove_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_wp_syncer_add_many_all_done)
{
    char *dir = scratch();
    wp_syncer *s = NULL;
    wp_error err = {0};
    ck_assert_int_eq(wp_syncer_new(&s, &err), 0);
    int fds[N_FILES];
    char path[256];
    for (int i = 0; i < N_FILES; i++) {
        fds[i] = make_file(dir, i, path, sizeof(path));
        ck_assert_int_eq(wp_syncer_add(s, fds[i], path, &err), 0);
    }
    ck_assert_int_eq(wp_syncer_finish(s, &err), 0);
    for (int i = 0; i < N_FILES; i++) {
        /* Closed by the syncer (the number may be reused only by a later
         * open, and none happened since). */
        ck_assert_int_eq(fcntl(fds[i], F_GETFD), -1);
        struct stat st;
        snprintf(path, sizeof(path), "%s/f%03d", dir, i);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert(wp_syncer_done(s, &st));
    }
    /* Appended to after its fsync: no longer counted as durable. */
    snprintf(path, sizeof(path), "%s/f007", dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_eq(write(fd, "!", 1), 1);
    close(fd);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(!wp_syncer_done(s, &st));
    /* A file the syncer never saw. */
    close(make_file(dir, N_FILES, path, sizeof(path)));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(!wp_syncer_done(s, &st));
    ck_assert_int_eq(wp_tree_fsync(dir, s, &err), 0);
    wp_syncer_free(s);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_wp_syncer_add_after_finish_refused)
{
    char *dir = scratch();
    wp_syncer *s = NULL;
    wp_error err = {0};
    ck_assert_int_eq(wp_syncer_new(&s, &err), 0);
    ck_assert_int_eq(wp_syncer_finish(s, &err), 0);
    char path[256];
    int fd = make_file(dir, 0, path, sizeof(path));
    ck_assert_int_eq(wp_syncer_add(s, fd, path, &err), WP_E_STATE);
    ck_assert_str_eq(err.message, "the fsync queue is closed");
    ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed all the same */
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(!wp_syncer_done(s, &st));
    wp_syncer_free(s);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_wp_syncer_free_unfinished)
{
    char *dir = scratch();
    wp_syncer *s = NULL;
    wp_error err = {0};
    ck_assert_int_eq(wp_syncer_new(&s, &err), 0);
    char path[256];
    int fds[20];
    for (int i = 0; i < 20; i++) {
        fds[i] = make_file(dir, i, path, sizeof(path));
        ck_assert_int_eq(wp_syncer_add(s, fds[i], path, &err), 0);
    }
    wp_syncer_free(s); /* given up: everything closed, nothing leaks */
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(fcntl(fds[i], F_GETFD), -1);
    wp_syncer_free(NULL);
    remove_tree(dir);
    free(dir);
}
END_TEST

START_TEST(test_wp_tree_fsync_missing_root)
{
    wp_error err = {0};
    ck_assert_int_lt(wp_tree_fsync("/nonexistent/walpull-syncer", NULL, &err), 0);
    ck_assert_str_eq(err.message,
                     "could not open directory \"/nonexistent/walpull-syncer\": No such file or "
                     "directory");
}
END_TEST

START_TEST(test_wp_fsync_parent_forms)
{
    char *dir = scratch();
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/made", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    wp_error err = {0};
    ck_assert_int_eq(wp_fsync_parent(sub, &err), 0);
    strcat(sub, "//");
    ck_assert_int_eq(wp_fsync_parent(sub, &err), 0);
    ck_assert_int_eq(wp_fsync_parent("relative-name", &err), 0); /* "." */
    ck_assert_int_eq(wp_fsync_parent("/", &err), 0);
    ck_assert_int_lt(wp_fsync_parent("/nonexistent/x/y", &err), 0);
    ck_assert_str_eq(err.message,
                     "could not open directory \"/nonexistent/x\": No such file or directory");
    remove_tree(dir);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("syncer");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_wp_syncer_add_many_all_done);
    tcase_add_test(tc, test_wp_syncer_add_after_finish_refused);
    tcase_add_test(tc, test_wp_syncer_free_unfinished);
    tcase_add_test(tc, test_wp_tree_fsync_missing_root);
    tcase_add_test(tc, test_wp_fsync_parent_forms);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
