/* How fast this machine's disk takes WAL-shaped writes, by two paths:
 * through the page cache (pwrite + sync_file_range, fdatasync per segment)
 * and with O_DIRECT from a reused aligned buffer after a copy from an
 * unaligned source (as walpull's dio.h does, without the AIO overlap).
 * Writes 128 preallocated 16 MB segments into DIR, then removes them.
 *
 *   cc -O2 -o /tmp/write-paths tools/write-paths.c
 *   sync; echo 3 > /proc/sys/vm/drop_caches; /tmp/write-paths DIR buffered 8
 *   sync; echo 3 > /proc/sys/vm/drop_caches; /tmp/write-paths DIR direct 8
 *
 * The last argument is the write size in MB. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-clock.h"

#define SEGMENTS 128
#define SEGSIZE  (16u << 20)

static int fail(const char *what)
{
    perror(what);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[2], "buffered") != 0 && strcmp(argv[2], "direct") != 0)) {
        fprintf(stderr, "usage: %s DIR buffered|direct WRITE_MB\n", argv[0]);
        return 2;
    }
    int direct = strcmp(argv[2], "direct") == 0;
    size_t chunk = (size_t)atoi(argv[3]) << 20;
    if (chunk == 0 || SEGSIZE % chunk != 0) {
        fprintf(stderr, "WRITE_MB must divide 16\n");
        return 2;
    }
    /* The payload of a message starts 25 bytes in: never aligned. */
    char *src = malloc(chunk + 64);
    void *staging = NULL;
    if (!src || posix_memalign(&staging, 4096, chunk) != 0)
        return fail("malloc");
    memset(src, 'x', chunk + 64);
    memset(staging, 0, chunk);
    double t0 = now(), c0 = cpu_seconds();
    char path[4096];
    for (int s = 0; s < SEGMENTS; s++) {
        snprintf(path, sizeof(path), "%s/write-paths.%d", argv[1], s);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | (direct ? O_DIRECT : 0), 0600);
        if (fd < 0 || fallocate(fd, 0, 0, SEGSIZE) < 0)
            return fail(path);
        for (size_t off = 0; off < SEGSIZE; off += chunk) {
            ssize_t w;
            if (direct) {
                memcpy(staging, src + 25, chunk);
                w = pwrite(fd, staging, chunk, (off_t)off);
            } else {
                w = pwrite(fd, src + 25, chunk, (off_t)off);
                sync_file_range(fd, (off_t)off, (off_t)chunk, SYNC_FILE_RANGE_WRITE);
            }
            if (w != (ssize_t)chunk)
                return fail("pwrite");
        }
        if (fdatasync(fd) < 0 || close(fd) < 0)
            return fail("fdatasync");
    }
    double wall = now() - t0, cpu = cpu_seconds() - c0;
    double mib = (double)SEGMENTS * SEGSIZE / (1 << 20);
    printf("%s, %zu MB writes: %.0f MiB in %.2f s = %.0f MiB/s, CPU %.2f s = %.2f s/GiB\n", argv[2],
           chunk >> 20, mib, wall, mib / wall, cpu, cpu / (mib / 1024));
    for (int s = 0; s < SEGMENTS; s++) {
        snprintf(path, sizeof(path), "%s/write-paths.%d", argv[1], s);
        unlink(path);
    }
    free(src);
    free(staging);
    return 0;
}
