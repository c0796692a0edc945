/* How long it takes to make a freshly written directory tree durable, by
 * two paths: one syncfs(2) for its file system, or an fsync(2) of every
 * file and directory in it (files first, then directories, deepest first,
 * as a careful copier does). Run it right after writing the tree, before
 * the kernel's own writeback gets to it, with or without another
 * program's dirty data on the same file system:
 *
 *   cc -O2 -o /tmp/sync-paths tools/sync-paths.c
 *   walpull basebackup -D /x/copy -N -c fast -X stream ...
 *   /tmp/sync-paths /x/copy syncfs      (or: fsync)
 *
 * Prints the method, the number of files and directories, and seconds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-clock.h"

static long n_files, n_dirs, n_failed;

static int sync_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F && type != FTW_DP)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fsync(fd) < 0)
        n_failed++;
    if (fd >= 0)
        close(fd);
    if (type == FTW_F)
        n_files++;
    else
        n_dirs++;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[2], "syncfs") != 0 && strcmp(argv[2], "fsync") != 0)) {
        fprintf(stderr, "usage: %s DIR syncfs|fsync\n", argv[0]);
        return 2;
    }
    double t0 = now();
    if (strcmp(argv[2], "syncfs") == 0) {
        int fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || syncfs(fd) < 0) {
            perror(argv[1]);
            return 1;
        }
        close(fd);
    } else if (nftw(argv[1], sync_one, 64, FTW_PHYS | FTW_DEPTH) != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("%s %ld %ld %.3f\n", argv[2], n_files, n_dirs, now() - t0);
    return n_failed ? 1 : 0;
}
