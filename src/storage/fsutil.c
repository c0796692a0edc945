#include "walpull/fsutil.h"

#include "walpull/buf.h"
#include "walpull/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_parents(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return mkdir(buf, 0700) < 0 ? -errno : 0;
}

int wp_dir_prepare_empty(const char *path, bool *ret_created, wp_error *err)
{
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        if (e == ENOTDIR)
            return wp_error_set(err, WP_E_STATE, "\"%s\" exists but is not a directory", path);
        if (e != ENOENT)
            return wp_error_errno(err, e, "could not access directory \"%s\"", path);
        int r = mkdir_parents(path);
        if (r < 0)
            return wp_error_errno(err, -r, "could not create directory \"%s\"", path);
        *ret_created = true;
        return 0;
    }
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = false;
    closedir(d);
    if (!empty) {
        wp_error_set(err, WP_E_STATE, "directory \"%s\" exists but is not empty", path);
        wp_error_hint(err, "Remove its contents, or name a new or empty directory.");
        return WP_E_STATE;
    }
    /* A data directory must not be readable by others. */
    if (chmod(path, 0700) < 0)
        return wp_error_errno(err, errno, "could not set permissions of \"%s\"", path);
    *ret_created = false;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int wp_dir_remove(const char *path, bool remove_self)
{
    int r = nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS);
    if (!remove_self)
        mkdir(path, 0700);
    return r < 0 ? -errno : 0;
}

int wp_dir_syncfs(const char *path, wp_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return wp_error_errno(err, errno, "could not open directory \"%s\"", path);
    int r = syncfs(fd);
    int e = errno;
    close(fd);
    if (r < 0)
        return wp_error_errno(err, e, "could not sync the file system of \"%s\"", path);
    return 0;
}

int wp_file_replace(const char *path, const char *data, size_t len, wp_error *err)
{
    wp_buf tmp = {0};
    wp_buf_printf(&tmp, "%s.tmp", path);
    if (wp_buf_ok(&tmp) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int r = 0;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || wp_write_all(fd, data, len) < 0)
        r = wp_error_errno(err, errno, "could not write \"%s\"", tmp.data);
    if (fd >= 0 && close(fd) < 0 && r == 0)
        r = wp_error_errno(err, errno, "could not write \"%s\"", tmp.data);
    if (r == 0 && rename(tmp.data, path) < 0)
        r = wp_error_errno(err, errno, "could not rename \"%s\" to \"%s\"", tmp.data, path);
    if (r < 0 && fd >= 0)
        unlink(tmp.data);
    wp_buf_free(&tmp);
    return r;
}
