#include "walpull/syncer.h"

#include "walpull/buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Descriptors held open at once: well below the usual limit of 1024. */
#define QUEUE_LEN 128

typedef struct queued {
    int fd;
    char *path;
} queued;

typedef struct synced {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} synced;

struct wp_syncer {
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* queue grew or shrank, or closing was set */
    queued q[QUEUE_LEN];
    size_t head, count;
    bool closing;
    bool abandon; /* given up: close what is queued without an fsync */
    /* The first failure, set by the thread; read under lock. */
    int failed;
    wp_error first;
    /* What the thread made durable; sorted by finish. */
    synced *done;
    size_t n_done, cap_done;
    bool sorted;
};

static int cmp_synced(const void *a, const void *b)
{
    const synced *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return 0;
}

/* Record what fd is now, after its fsync (thread only). A file not
 * recorded, for want of memory, is only fsync'd again by the tree walk. */
static void remember(wp_syncer *s, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    if (s->n_done == s->cap_done) {
        size_t cap = s->cap_done ? s->cap_done * 2 : 1024;
        synced *d = realloc(s->done, cap * sizeof(*d));
        if (!d)
            return;
        s->done = d;
        s->cap_done = cap;
    }
    s->done[s->n_done++] = (synced){st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

static void *sync_main(void *p)
{
    wp_syncer *s = p;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (s->count == 0 && !s->closing)
            pthread_cond_wait(&s->changed, &s->lock);
        if (s->count == 0)
            break;
        queued item = s->q[s->head];
        bool skip = s->abandon;
        pthread_mutex_unlock(&s->lock);
        const char *what = "fsync";
        int e = !skip && fsync(item.fd) < 0 ? errno : 0;
        if (e == 0 && !skip)
            remember(s, item.fd);
        if (close(item.fd) < 0 && e == 0 && !skip) {
            e = errno;
            what = "close";
        }
        pthread_mutex_lock(&s->lock);
        if (e && !s->failed)
            s->failed = wp_error_errno(&s->first, e, "could not %s file \"%s\"", what, item.path);
        free(item.path);
        s->head = (s->head + 1) % QUEUE_LEN;
        s->count--;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int wp_syncer_new(wp_syncer **ret_syncer, wp_error *err)
{
    wp_syncer *s = calloc(1, sizeof(*s));
    if (!s)
        return wp_error_set(err, -ENOMEM, "out of memory");
    if (pthread_mutex_init(&s->lock, NULL) != 0 || pthread_cond_init(&s->changed, NULL) != 0) {
        free(s);
        return wp_error_set(err, -ENOMEM, "could not set up the fsync thread");
    }
    /* Signals are for the main thread: its waits are the ones to wake. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&s->thread, NULL, sync_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        wp_syncer_free(s);
        return wp_error_errno(err, e, "could not start the fsync thread");
    }
    s->started = true;
    *ret_syncer = s;
    return 0;
}

/* The thread's first failure as the caller's error; under lock. */
static int failure(const wp_syncer *s, wp_error *err)
{
    if (err)
        *err = s->first;
    return s->failed;
}

int wp_syncer_add(wp_syncer *s, int fd, const char *path, wp_error *err)
{
    char *copy = strdup(path);
    pthread_mutex_lock(&s->lock);
    while (s->count == QUEUE_LEN && !s->failed)
        pthread_cond_wait(&s->changed, &s->lock);
    int r = 0;
    if (s->failed || !copy || s->closing) {
        r = s->failed ? failure(s, err)
                      : wp_error_set(err, copy ? WP_E_STATE : -ENOMEM,
                                     copy ? "the fsync queue is closed" : "out of memory");
        close(fd);
        free(copy);
    } else {
        s->q[(s->head + s->count) % QUEUE_LEN] = (queued){fd, copy};
        s->count++;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* Stop taking files, let the thread drain the queue, and join it. */
static void drain(wp_syncer *s)
{
    if (!s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->started = false;
}

int wp_syncer_finish(wp_syncer *s, wp_error *err)
{
    drain(s);
    if (!s->sorted) {
        qsort(s->done, s->n_done, sizeof(*s->done), cmp_synced);
        s->sorted = true;
    }
    return s->failed ? failure(s, err) : 0;
}

bool wp_syncer_done(const wp_syncer *s, const struct stat *st)
{
    if (!s || !s->sorted || s->n_done == 0)
        return false;
    synced key = {.dev = st->st_dev, .ino = st->st_ino};
    const synced *d = bsearch(&key, s->done, s->n_done, sizeof(key), cmp_synced);
    return d && d->size == st->st_size && d->mtime.tv_sec == st->st_mtim.tv_sec &&
           d->mtime.tv_nsec == st->st_mtim.tv_nsec && d->ctime.tv_sec == st->st_ctim.tv_sec &&
           d->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

void wp_syncer_free(wp_syncer *s)
{
    if (!s)
        return;
    /* What is still queued is closed, not fsync'd: the copy is finished
     * (nothing queued) or given up. */
    pthread_mutex_lock(&s->lock);
    s->abandon = true;
    pthread_mutex_unlock(&s->lock);
    drain(s);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s->done);
    free(s);
}

static int fsync_error(wp_error *err, int e, const char *what, const wp_buf *path)
{
    return wp_error_errno(err, e, "could not %s \"%s\"", what, wp_buf_str(path));
}

static int tree_fsync_at(int dfd, wp_buf *path, const wp_syncer *done, wp_error *err);

/* fsync the entry name of directory dfd; path is dfd's name, for errors. */
static int fsync_entry(int dfd, const char *name, wp_buf *path, const wp_syncer *done,
                       wp_error *err)
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
                    : tree_fsync_at(sub, path, done, err);
    } else if (S_ISREG(st.st_mode) && !wp_syncer_done(done, &st)) {
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            r = fsync_error(err, errno, "open file", path);
        else if (fsync(fd) < 0)
            r = fsync_error(err, errno, "fsync file", path);
        if (fd >= 0)
            close(fd);
    }
    path->len = keep;
    path->data[keep] = '\0';
    return r;
}

/* Takes dfd: the entries below first, then the directory itself. */
static int tree_fsync_at(int dfd, wp_buf *path, const wp_syncer *done, wp_error *err)
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
            r = fsync_entry(dirfd(d), de->d_name, path, done, err);
    if (r == 0 && fsync(dirfd(d)) < 0)
        r = fsync_error(err, errno, "fsync directory", path);
    closedir(d);
    return r;
}

int wp_tree_fsync(const char *root, const wp_syncer *done, wp_error *err)
{
    wp_buf path = {0};
    wp_buf_puts(&path, root);
    if (wp_buf_ok(&path) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = fd < 0 ? fsync_error(err, errno, "open directory", &path)
                   : tree_fsync_at(fd, &path, done, err);
    wp_buf_free(&path);
    return r;
}

int wp_fsync_parent(const char *path, wp_error *err)
{
    wp_buf parent = {0};
    wp_buf_puts(&parent, path);
    if (wp_buf_ok(&parent) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    /* dirname without its surprises: trailing slashes first, then the
     * last component. */
    char *p = parent.data;
    size_t n = parent.len;
    while (n > 1 && p[n - 1] == '/')
        n--;
    while (n > 0 && p[n - 1] != '/')
        n--;
    while (n > 1 && p[n - 1] == '/')
        n--;
    if (n == 0)
        p[n++] = '.';
    p[n] = '\0';
    parent.len = n;
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = 0;
    if (fd < 0)
        r = fsync_error(err, errno, "open directory", &parent);
    else if (fsync(fd) < 0)
        r = fsync_error(err, errno, "fsync directory", &parent);
    if (fd >= 0)
        close(fd);
    wp_buf_free(&parent);
    return r;
}
