/* libFuzzer target: tar headers, and the tar parser feeding an extractor
 * into a scratch directory (nothing may land outside it). */
#include "walpull/extract.h"
#include "walpull/tar.h"
#include "walpull/tar_parser.h"

#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

static void rmtree(const char *dir)
{
    if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        __builtin_trap();
}

/* Is "root" the only entry of dir? */
static bool only_root(const char *dir)
{
    DIR *d = opendir(dir);
    bool ok = d != NULL;
    struct dirent *de;
    while (ok && (de = readdir(d)) != NULL)
        ok = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
             strcmp(de->d_name, "root") == 0;
    if (d)
        closedir(d);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= WP_TAR_BLOCK) {
        wp_tar_member m;
        if (wp_tar_header_parse(data, &m) == 0 && !memchr(m.path, '\0', sizeof(m.path)))
            __builtin_trap();
    }
    char root[] = "/dev/shm/walpull-fuzz-XXXXXX";
    if (!mkdtemp(root))
        return 0;
    char inner[64];
    snprintf(inner, sizeof(inner), "%s/root", root);
    mkdir(inner, 0700);
    wp_extract_opts eo = {.root = inner, .prealloc_min = 1u << 30};
    wp_tar_sink *sink;
    wp_link *link;
    wp_error err;
    if (wp_extractor_new(&eo, &sink, &err) == 0 && wp_tar_parser_new(sink, &link, &err) == 0) {
        /* In odd chunks, as the network delivers them. */
        size_t off = 0, step = 1;
        int r = 0;
        while (r == 0 && off < size) {
            size_t n = step < size - off ? step : size - off;
            struct iovec v = {.iov_base = (void *)(data + off), .iov_len = n};
            r = wp_link_content(link, &v, 1, &err);
            off += n;
            step = step * 3 + 1;
        }
        if (r == 0)
            (void)wp_link_finalize(link, &err);
        wp_link_free(link);
    }
    /* Only "root" may be in the scratch directory. */
    if (!only_root(root))
        __builtin_trap();
    rmtree(root);
    return 0;
}
