#include "walpull/walfiles.h"

#include "walpull/lsn.h"
#include "walpull/walpage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static int form_rank(const wp_walname *n)
{
    return (n->gz ? 1 : 0) + (n->partial ? 2 : 0);
}

static int compare_files(const void *a, const void *b)
{
    const wp_walfile *x = a, *y = b;
    if (x->n.kind != y->n.kind)
        return x->n.kind == WP_WALNAME_SEGMENT ? -1 : 1;
    if (x->n.kind == WP_WALNAME_SEGMENT && x->segno != y->segno)
        return x->segno < y->segno ? -1 : 1;
    if (x->n.tli != y->n.tli)
        return x->n.tli < y->n.tli ? -1 : 1;
    return form_rank(&x->n) - form_rank(&y->n);
}

int wp_walfile_open(const char *dir, const char *name, const wp_walname *n,
                    wp_walfile_reader *ret_reader, wp_error *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return wp_error_errno(err, errno, "could not open directory \"%s\"", dir);
    /* O_NONBLOCK: a FIFO under a WAL name must not hang the open. */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int e = errno;
    close(dfd);
    if (fd < 0)
        return wp_error_errno(err, e, "could not open file \"%s/%s\"", dir, name);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return wp_error_set(err, WP_E_STATE, "\"%s/%s\" is not a regular file", dir, name);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    wp_walfile_reader r = {.fd = fd, .partial = n->partial, .name = name};
    if (n->gz) {
        r.gz = gzdopen(fd, "rb");
        if (!r.gz) {
            close(fd);
            return wp_error_set(err, -ENOMEM, "out of memory");
        }
        gzbuffer(r.gz, 256 * 1024);
    }
    *ret_reader = r;
    return 0;
}

/* Does the gzip trailer's length (the file's last four bytes, modulo
 * 2^32) match what was read? */
static bool trailer_matches(const wp_walfile_reader *r)
{
    struct stat st;
    uint8_t t[4];
    if (fstat(r->fd, &st) < 0 || st.st_size < 18 || pread(r->fd, t, 4, st.st_size - 4) != 4)
        return false;
    uint32_t isize =
        (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    return isize == (uint32_t)r->total;
}

int wp_walfile_read(wp_walfile_reader *r, void *buf, size_t len, size_t *ret_len, wp_error *err)
{
    if (!r->gz) {
        size_t got = 0;
        while (got < len) {
            ssize_t n = read(r->fd, (char *)buf + got, len - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return wp_error_errno(err, errno, "could not read file \"%s\"", r->name);
            if (n == 0)
                break;
            got += (size_t)n;
        }
        r->total += got;
        *ret_len = got;
        return 0;
    }
    if (len > INT32_MAX)
        len = INT32_MAX;
    int n = gzread(r->gz, buf, (unsigned)len);
    int zerr = Z_OK;
    const char *msg = n < 0 || (size_t)n < len ? gzerror(r->gz, &zerr) : NULL;
    /* A short read is the end; zlib then says whether the stream ended
     * properly (Z_OK) or was cut off (Z_BUF_ERROR) or corrupt. */
    if (n < 0 || (zerr != Z_OK && !(r->partial && zerr == Z_BUF_ERROR)))
        return wp_error_set(err, WP_E_STATE, "corrupt compressed file \"%s\": %s", r->name,
                            msg && msg[0] ? msg : "read error");
    r->total += (uint64_t)n;
    /* At the end of a complete one, the trailer must be there and name the
     * length read: zlib alone lets a stream cut just before it pass. */
    if ((size_t)n < len && !r->partial && !trailer_matches(r))
        return wp_error_set(err, WP_E_STATE,
                            "corrupt compressed file \"%s\": it does not end with the trailer of "
                            "its %llu bytes",
                            r->name, (unsigned long long)r->total);
    *ret_len = (size_t)n;
    return 0;
}

void wp_walfile_close(wp_walfile_reader *r)
{
    if (r->gz)
        gzclose_r(r->gz); /* closes the descriptor too */
    else if (r->fd >= 0)
        close(r->fd);
    r->gz = NULL;
    r->fd = -1;
}

int wp_walfile_slurp(const char *dir, const char *name, const wp_walname *n, size_t max,
                     char **ret_text, size_t *ret_len, wp_error *err)
{
    wp_walfile_reader rd = {.fd = -1};
    int r = wp_walfile_open(dir, name, n, &rd, err);
    if (r < 0)
        return r;
    char *text = malloc(max + 1);
    size_t len = 0;
    if (!text) {
        wp_walfile_close(&rd);
        wp_error_set(err, -ENOMEM, "out of memory");
        return -ENOMEM;
    }
    r = wp_walfile_read(&rd, text, max, &len, err);
    wp_walfile_close(&rd);
    if (r < 0) {
        free(text);
        return r;
    }
    text[len] = '\0';
    *ret_text = text;
    *ret_len = len;
    return 0;
}

/* The segment size a segment file's long page header states, 0 if none. */
static uint64_t header_segsize(const char *dir, const wp_walfile *f)
{
    wp_walfile_reader rd = {.fd = -1};
    wp_error ignored;
    uint8_t head[WP_WALPAGE_LONG_HDR];
    size_t got = 0;
    if (wp_walfile_open(dir, f->name, &f->n, &rd, &ignored) < 0)
        return 0;
    int r = wp_walfile_read(&rd, head, sizeof(head), &got, &ignored);
    wp_walfile_close(&rd);
    wp_walpage_ident id;
    if (r == 0 && got == sizeof(head) && wp_walpage_ident_parse(head, got, &id) == 0 &&
        wp_segsize_valid(id.seg_size))
        return id.seg_size;
    return 0;
}

/* The segment size from the files: what the long page headers of up to
 * three segments state (they must agree), else the size of a complete
 * plain segment. 0 when nothing says, or UINT64_MAX when they disagree. */
static uint64_t find_segsize(const char *dir, const wp_walfile *f, size_t n)
{
    uint64_t found = 0;
    int read = 0;
    for (size_t i = 0; i < n && read < 3; i++) {
        if (f[i].n.kind != WP_WALNAME_SEGMENT)
            continue;
        uint64_t s = header_segsize(dir, &f[i]);
        if (!s)
            continue;
        if (found && s != found)
            return UINT64_MAX;
        found = s;
        read++;
    }
    for (size_t i = 0; i < n && !found; i++)
        if (f[i].n.kind == WP_WALNAME_SEGMENT && !f[i].n.gz && !f[i].n.partial &&
            wp_segsize_valid(f[i].size))
            found = f[i].size;
    return found;
}

/* Add one directory entry if it is an archive file. */
static int add_entry(int dfd, const char *dir, const char *name, wp_walfiles *w, size_t *cap,
                     wp_error *err)
{
    wp_walname n = wp_walname_parse(name);
    /* Archive names are at most 35 characters; wp_walname_parse takes none
     * longer, but the copy below says so too. */
    if (n.kind == WP_WALNAME_OTHER || strlen(name) >= sizeof(((wp_walfile *)0)->name))
        return 0;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0
                               : wp_error_errno(err, errno, "could not stat \"%s/%s\"", dir, name);
    if (!S_ISREG(st.st_mode))
        return wp_error_set(err, WP_E_STATE,
                            "\"%s/%s\" is not a regular file; an archive holds only regular files",
                            dir, name);
    if (w->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        wp_walfile *p = realloc(w->f, nc * sizeof(*p));
        if (!p)
            return wp_error_set(err, -ENOMEM, "out of memory");
        w->f = p;
        *cap = nc;
    }
    wp_walfile *f = &w->f[w->n++];
    *f = (wp_walfile){.n = n, .size = (uint64_t)st.st_size, .mtime = st.st_mtim.tv_sec};
    memcpy(f->name, name, strlen(name) + 1);
    return 0;
}

/* The segment size, and every segment's number by it. */
static int number_segments(const char *dir, uint64_t segsize, wp_walfiles *w, wp_error *err)
{
    w->segsize = segsize ? segsize : find_segsize(dir, w->f, w->n);
    bool any = false;
    for (size_t i = 0; i < w->n; i++)
        any = any || w->f[i].n.kind == WP_WALNAME_SEGMENT;
    if (any && w->segsize == 0)
        return wp_error_set(err, WP_E_STATE,
                            "could not tell the WAL segment size of the files in \"%s\": no "
                            "complete segment and no readable segment header",
                            dir);
    if (w->segsize == UINT64_MAX)
        return wp_error_set(err, WP_E_STATE,
                            "the segment headers in \"%s\" disagree on the WAL segment size", dir);
    for (size_t i = 0; i < w->n; i++) {
        if (w->f[i].n.kind != WP_WALNAME_SEGMENT)
            continue;
        w->n_segments++;
        if (!wp_walname_segno(&w->f[i].n, w->segsize, &w->f[i].segno))
            return wp_error_set(err, WP_E_STATE,
                                "\"%s/%s\" is not a valid segment name for %llu-byte segments", dir,
                                w->f[i].name, (unsigned long long)w->segsize);
    }
    return 0;
}

int wp_walfiles_read(const char *dir, uint64_t segsize, wp_walfiles *ret, wp_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        int r = wp_error_errno(err, e, "could not open directory \"%s\"", dir);
        if (e == ENOENT)
            wp_error_hint(err, "Name the archive directory with -D.");
        return r;
    }
    wp_walfiles w = {0};
    size_t cap = 0;
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL)
        r = add_entry(dirfd(d), dir, de->d_name, &w, &cap, err);
    closedir(d);
    if (r == 0)
        r = number_segments(dir, segsize, &w, err);
    if (r < 0) {
        free(w.f);
        return r;
    }
    if (w.n)
        qsort(w.f, w.n, sizeof(*w.f), compare_files);
    *ret = w;
    return 0;
}

void wp_walfiles_free(wp_walfiles *w)
{
    free(w->f);
    *w = (wp_walfiles){0};
}
