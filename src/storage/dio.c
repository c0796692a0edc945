#include "walpull/dio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t align_down(uint64_t v)
{
    return v & ~(uint64_t)(WP_DIO_ALIGN - 1);
}

static uint64_t align_up(uint64_t v)
{
    return align_down(v + WP_DIO_ALIGN - 1);
}

/* glibc has no wrappers for the native AIO calls. */
static long aio_setup(unsigned n, aio_context_t *ctx)
{
    return syscall(SYS_io_setup, n, ctx);
}

static long aio_destroy(aio_context_t ctx)
{
    return syscall(SYS_io_destroy, ctx);
}

static long aio_submit(aio_context_t ctx, long n, struct iocb **cbs)
{
    return syscall(SYS_io_submit, ctx, n, cbs);
}

static long aio_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
    return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

int wp_dio_init(wp_dio *d, size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->fd = -1;
    d->cap = (size_t)align_up(cap ? cap : WP_DIO_ALIGN);
    for (int i = 0; i < WP_DIO_SLOTS; i++) {
        void *buf = NULL;
        if (posix_memalign(&buf, WP_DIO_ALIGN, d->cap) != 0) {
            wp_dio_release(d);
            return -ENOMEM;
        }
        d->slot[i].buf = buf;
    }
    if (aio_setup(WP_DIO_SLOTS, &d->ctx) < 0)
        d->ctx = 0; /* synchronous writes it is */
    return 0;
}

/* Does the filesystem take direct writes with WP_DIO_ALIGN? Kernels that
 * cannot say are assumed to; a write refused later falls back. */
static bool dio_supported(int fd)
{
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN))
        return sx.stx_dio_offset_align != 0 && sx.stx_dio_offset_align <= WP_DIO_ALIGN &&
               sx.stx_dio_mem_align <= WP_DIO_ALIGN;
#endif
    return true;
}

static void set_direct(wp_dio *d, bool on)
{
    int fl = fcntl(d->fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(d->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT);
    /* Whatever was asked, record what the descriptor now does. */
    fl = fcntl(d->fd, F_GETFL);
    d->direct = fl >= 0 && (fl & O_DIRECT);
}

static void note_error(wp_dio *d, int e)
{
    if (d->error == 0)
        d->error = e;
}

/* Write a slot's range with pwrite, from `done` on: the fallback, and the
 * rest of a short asynchronous write. */
static void write_sync(wp_dio *d, wp_dio_slot *s, size_t done)
{
    if (d->fd < 0) {
        note_error(d, -EBADF); /* the file was given up meanwhile */
        return;
    }
    while (done < s->len) {
        bool direct = d->direct;
        ssize_t w = pwrite(d->fd, s->buf + done, s->len - done, (off_t)(s->off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EINVAL && direct) {
            /* O_DIRECT was accepted but this write is not: carry on
             * through the page cache. */
            set_direct(d, false);
            if (!d->direct)
                continue;
        }
        if (w <= 0) {
            note_error(d, w < 0 ? -errno : -ENOSPC);
            return;
        }
        d->write_calls++;
        d->direct_calls += direct;
        done += (size_t)w;
        d->bytes_written += (uint64_t)w;
        if (done % WP_DIO_ALIGN != 0 && d->direct)
            set_direct(d, false); /* a short write left us unaligned */
    }
}

/* Collect completions until slot i is free (or the context failed). */
static void wait_slot(wp_dio *d, int i)
{
    while (d->slot[i].busy && !d->broken) {
        struct io_event ev[WP_DIO_SLOTS];
        long n = aio_getevents(d->ctx, 1, WP_DIO_SLOTS, ev);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            /* Cannot happen with a valid context. Which writes finished
             * is unknown, so no buffer may be touched again. */
            note_error(d, -errno);
            d->broken = true;
            return;
        }
        for (long k = 0; k < n; k++) {
            /* The kernel hands back the pointer given at submission. */
            wp_dio_slot *s =
                (wp_dio_slot *)(uintptr_t)ev[k].data; /* NOLINT(performance-no-int-to-ptr) */
            s->busy = false;
            /* Bytes were counted at submission: take back what did not
             * land; a retry counts what it writes. */
            size_t landed = ev[k].res < 0 ? 0 : (size_t)ev[k].res;
            d->bytes_written -= s->len - landed;
            if (ev[k].res == -EINVAL && s->direct) {
                /* Refused with O_DIRECT (alignment is often checked only
                 * here): write it again through the page cache. */
                if (d->direct)
                    set_direct(d, false);
                write_sync(d, s, 0);
            } else if (ev[k].res < 0) {
                note_error(d, (int)ev[k].res);
            } else if (landed < s->len) {
                write_sync(d, s, landed);
            }
        }
    }
}

int wp_dio_wait(wp_dio *d)
{
    for (int i = 0; i < WP_DIO_SLOTS; i++)
        wait_slot(d, i);
    return d->error;
}

/* Hand slot i's [off, off + len) to the kernel. After an error nothing
 * more is written: the file is being given up. */
static void submit(wp_dio *d, int i, uint64_t off, size_t len)
{
    wp_dio_slot *s = &d->slot[i];
    /* An older write of the same blocks must land first. */
    for (int k = 0; k < WP_DIO_SLOTS; k++)
        if (k != i && d->slot[k].busy && d->slot[k].off < off + len &&
            off < d->slot[k].off + d->slot[k].len)
            wait_slot(d, k);
    if (d->error)
        return;
    s->off = off;
    s->len = len;
    s->direct = d->direct;
    if (off + len > d->reached)
        d->reached = off + len;
    if (d->ctx && d->direct) {
        memset(&s->cb, 0, sizeof(s->cb));
        s->cb.aio_data = (uint64_t)(uintptr_t)s;
        s->cb.aio_lio_opcode = IOCB_CMD_PWRITE;
        s->cb.aio_fildes = (uint32_t)d->fd;
        s->cb.aio_buf = (uint64_t)(uintptr_t)s->buf;
        s->cb.aio_nbytes = len;
        s->cb.aio_offset = (int64_t)off;
        struct iocb *cbs[1] = {&s->cb};
        if (aio_submit(d->ctx, 1, cbs) == 1) {
            s->busy = true;
            d->write_calls++;
            d->direct_calls++;
            d->bytes_written += len; /* counted now, so callers see it at once */
            return;
        }
    }
    write_sync(d, s, 0);
}

int wp_dio_begin(wp_dio *d, int fd, uint64_t offset)
{
    wp_dio_wait(d); /* an abandoned file's writes; its errors are moot */
    if (d->broken)
        return d->error;
    d->error = 0;
    d->fd = fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        d->fd = -1;
        return -errno;
    }
    d->size = (uint64_t)st.st_size;
    d->base = align_down(offset);
    d->fill = (size_t)(offset - d->base);
    d->end = offset;
    d->pushed = offset; /* the bytes before offset are the file's own */
    d->reached = 0;
    set_direct(d, S_ISREG(st.st_mode) && dio_supported(fd));
    unsigned char *buf = d->slot[d->cur].buf;
    if (d->fill > 0) {
        /* Keep the bytes before offset that share its block. */
        memset(buf, 0, WP_DIO_ALIGN);
        if (d->base < d->size) {
            ssize_t r = pread(fd, buf, WP_DIO_ALIGN, (off_t)d->base);
            if (r < 0 && errno == EINVAL && d->direct) {
                set_direct(d, false);
                r = pread(fd, buf, WP_DIO_ALIGN, (off_t)d->base);
            }
            if (r < 0) {
                int e = errno;
                d->fd = -1;
                return -e;
            }
        }
    }
    return 0;
}

/* n more bytes are in the current buffer: a full one is submitted and the
 * next one (once its own write is done) is filled from then on. */
static void advance(wp_dio *d, size_t n)
{
    d->fill += n;
    d->end += n;
    if (d->fill == d->cap) {
        submit(d, d->cur, d->base, d->cap);
        d->cur = (d->cur + 1) % WP_DIO_SLOTS;
        wait_slot(d, d->cur); /* its buffer is filled next */
        d->base += d->cap;
        d->fill = 0;
    }
}

int wp_dio_stage(wp_dio *d, const struct iovec *iov, int iovcnt)
{
    for (int i = 0; i < iovcnt && !d->error; i++) {
        const unsigned char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0 && !d->error) {
            size_t n = d->cap - d->fill < left ? d->cap - d->fill : left;
            memcpy(d->slot[d->cur].buf + d->fill, p, n);
            advance(d, n);
            p += n;
            left -= n;
        }
    }
    return d->error;
}

unsigned char *wp_dio_reserve(wp_dio *d, size_t *ret_room)
{
    *ret_room = d->error ? 0 : d->cap - d->fill;
    return d->slot[d->cur].buf + d->fill;
}

int wp_dio_commit(wp_dio *d, size_t n)
{
    if (n > d->cap - d->fill)
        return -EINVAL; /* more than was reserved */
    if (!d->error && n > 0)
        advance(d, n);
    return d->error;
}

int wp_dio_push(wp_dio *d)
{
    /* Pushed already: the staged tail block is in the kernel's hands. */
    if (d->fill > 0 && !d->error && d->pushed != d->end) {
        d->pushed = d->end;
        wp_dio_slot *s = &d->slot[d->cur];
        size_t n = (size_t)align_up(d->fill);
        memset(s->buf + d->fill, 0, n - d->fill);
        submit(d, d->cur, d->base, n);
        /* The unfinished last block moves on to the next buffer (reading
         * a buffer while the disk reads it too is fine). */
        size_t whole = (size_t)align_down(d->fill);
        int next = (d->cur + 1) % WP_DIO_SLOTS;
        wait_slot(d, next);
        if (!d->error) {
            memcpy(d->slot[next].buf, s->buf + whole, d->fill - whole);
            d->cur = next;
            d->base += whole;
            d->fill -= whole;
        }
    }
    return d->error;
}

int wp_dio_end(wp_dio *d)
{
    wp_dio_push(d);
    int r = wp_dio_wait(d);
    /* Cut our padding even after a failure: never leave zeros past the
     * end of a file. */
    uint64_t keep = d->end > d->size ? d->end : d->size;
    if (d->fd >= 0 && d->reached > keep && ftruncate(d->fd, (off_t)keep) < 0 && r == 0)
        r = -errno;
    d->fd = -1;
    d->fill = 0;
    return r;
}

void wp_dio_release(wp_dio *d)
{
    if (d->ctx) {
        wp_dio_wait(d);
        /* Waits for anything still in flight before the buffers go. */
        aio_destroy(d->ctx);
        d->ctx = 0;
    }
    for (int i = 0; i < WP_DIO_SLOTS; i++) {
        free(d->slot[i].buf);
        d->slot[i].buf = NULL;
    }
    d->fd = -1;
}
