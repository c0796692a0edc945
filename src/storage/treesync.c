#include "walpull/treesync.h"

#include "walpull/buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

wp_sync_method wp_sync_auto(uint64_t dirty, uint64_t files)
{
    uint64_t allowed = files * WP_SYNC_AUTO_DIRTY_PER_FILE;
    if (allowed < WP_SYNC_AUTO_MIN_DIRTY)
        allowed = WP_SYNC_AUTO_MIN_DIRTY;
    return dirty <= allowed ? WP_SYNC_SYNCFS : WP_SYNC_FSYNC;
}

/* The value in kB of the line "name:   N kB", or -EINVAL. */
static int meminfo_kb(const char *text, const char *name, uint64_t *ret_kb)
{
    size_t n = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            char *end;
            errno = 0;
            unsigned long long kb = strtoull(line + n + 1, &end, 10);
            if (errno || end == line + n + 1)
                return -EINVAL;
            *ret_kb = (uint64_t)kb;
            return 0;
        }
    }
    return -EINVAL;
}

int wp_meminfo_dirty(const char *meminfo, uint64_t *ret_bytes)
{
    uint64_t dirty = 0, writeback = 0;
    if (meminfo_kb(meminfo, "Dirty", &dirty) < 0 ||
        meminfo_kb(meminfo, "Writeback", &writeback) < 0)
        return -EINVAL;
    *ret_bytes = (dirty + writeback) * 1024;
    return 0;
}

int wp_dirty_bytes(uint64_t *ret_bytes)
{
    char text[8192];
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    text[n] = '\0';
    return wp_meminfo_dirty(text, ret_bytes);
}

static int fsync_error(wp_error *err, int e, const char *what, const wp_buf *path)
{
    return wp_error_errno(err, e, "could not %s \"%s\"", what, wp_buf_str(path));
}

static int tree_fsync_at(int dfd, wp_buf *path, wp_error *err);

/* fsync the entry name of directory dfd; path is dfd's name, for errors. */
static int fsync_entry(int dfd, const char *name, wp_buf *path, wp_error *err)
{
    struct stat st;
    size_t keep = path->len;
    wp_buf_printf(path, "/%s", name);
    if (wp_buf_ok(path) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int r = 0;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        r = fsync_error(err, errno, "stat", path);
    } else if (S_ISDIR(st.st_mode)) {
        int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = sub < 0 ? fsync_error(err, errno, "open directory", path)
                    : tree_fsync_at(sub, path, err);
    } else if (S_ISREG(st.st_mode)) {
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            r = fsync_error(err, errno, "open file", path);
        else if (fsync(fd) < 0)
            r = fsync_error(err, errno, "fsync file", path);
        if (fd >= 0)
            close(fd);
    }
    wp_buf_truncate(path, keep);
    return r;
}

/* Takes dfd: the entries below first, then the directory itself. */
static int tree_fsync_at(int dfd, wp_buf *path, wp_error *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return fsync_error(err, e, "read directory", path);
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            r = fsync_entry(dirfd(d), de->d_name, path, err);
    if (r == 0 && fsync(dirfd(d)) < 0)
        r = fsync_error(err, errno, "fsync directory", path);
    closedir(d);
    return r;
}

/* Open the directory path names, then walk it whole or fsync it alone. */
static int sync_dir_path(wp_buf *path, bool whole_tree, wp_error *err)
{
    if (wp_buf_ok(path) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int fd = open(wp_buf_str(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fsync_error(err, errno, "open directory", path);
    if (whole_tree)
        return tree_fsync_at(fd, path, err);
    int r = fsync(fd) < 0 ? fsync_error(err, errno, "fsync directory", path) : 0;
    close(fd);
    return r;
}

int wp_tree_fsync(const char *root, wp_error *err)
{
    wp_buf path = {0};
    wp_buf_puts(&path, root);
    int r = sync_dir_path(&path, true, err);
    wp_buf_free(&path);
    return r;
}

int wp_fsync_parent(const char *path, wp_error *err)
{
    /* dirname(3) may write into its argument: it gets a copy. */
    wp_buf copy = {0}, parent = {0};
    wp_buf_puts(&copy, path);
    if (wp_buf_ok(&copy) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    wp_buf_puts(&parent, dirname(copy.data));
    wp_buf_free(&copy);
    int r = sync_dir_path(&parent, false, err);
    wp_buf_free(&parent);
    return r;
}
