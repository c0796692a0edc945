/* Writing files with O_DIRECT through aligned staging buffers, with the
 * writes in flight while the caller goes on receiving.
 *
 * A buffered write copies every byte into the page cache, and the kernel
 * then writes it back; on the machine measured (docs/performance.md) that
 * path costs 1 to 3 CPU seconds per GiB, most of it page-cache bookkeeping
 * and writeback submission. With O_DIRECT the disk reads our buffer
 * itself. The kernel wants that buffer, the file offset and the length
 * aligned, which a payload inside a protocol message never is, so the one
 * copy per byte happens here, into a staging buffer, instead of in the
 * kernel; the page cache is left out.
 *
 * Writes are submitted with Linux native AIO: once submitted, a write is
 * the kernel's (it stays in flight until the kernel completes it, even if
 * this process exits meanwhile), the buffer stays untouched until it has,
 * and the next buffer fills meanwhile. A write over a block that an
 * earlier one still in flight covers waits for it, so a later version of
 * a block never races an older one to the disk.
 *
 * A wp_dio stages one file at a time: the current buffer holds the bytes
 * of file offsets [base, base + fill), base a multiple of WP_DIO_ALIGN.
 * Where the filesystem refuses O_DIRECT the same calls write through the
 * page cache; without AIO they write synchronously (with O_DIRECT where
 * possible). Callers need no second path.
 *
 * Errors stick: after a failed write nothing more is written to the file
 * and every call returns that error until the next wp_dio_begin. */
#ifndef WALPULL_DIO_H
#define WALPULL_DIO_H

#include <linux/aio_abi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Alignment of buffers, offsets and lengths: enough for 512-byte and
 * 4 kB-sector disks alike. */
#define WP_DIO_ALIGN 4096
/* Buffers: one filling, the others in flight. */
#define WP_DIO_SLOTS 4
/* Bytes per buffer for callers without a reason to differ: a receive
 * batch (up to 8 MB) is a few writes, a big file a write per 2 MB. */
#define WP_DIO_BUFSIZE (2u << 20)

typedef struct wp_dio_slot {
    unsigned char *buf; /* owned, WP_DIO_ALIGN-aligned, `cap` bytes */
    struct iocb cb;
    bool busy;   /* a write from buf is in flight */
    bool direct; /* it was submitted with O_DIRECT */
    uint64_t off;
    size_t len;
} wp_dio_slot;

typedef struct wp_dio {
    wp_dio_slot slot[WP_DIO_SLOTS];
    size_t cap;        /* bytes per buffer, multiple of WP_DIO_ALIGN */
    aio_context_t ctx; /* 0: no AIO, write synchronously */
    int cur;           /* the slot being filled */
    int fd;            /* borrowed; -1 between files */
    bool direct;       /* fd has O_DIRECT set */
    bool broken;       /* the AIO context failed: no buffer is safe to reuse */
    int error;         /* first failed write's -errno, until the next begin */
    uint64_t base;     /* file offset of the current buffer's first byte */
    size_t fill;
    uint64_t end;     /* logical end: furthest byte staged */
    uint64_t pushed;  /* end at the last push (nothing new to push) */
    uint64_t size;    /* file size when staging began */
    uint64_t reached; /* furthest offset written, padding included */
    uint64_t write_calls;
    uint64_t direct_calls;  /* of those, with O_DIRECT */
    uint64_t bytes_written; /* padding and rewrites included; submitted
                               writes count at once */
} wp_dio;

/* Allocate the buffers (cap each, rounded up to the alignment) and an AIO
 * context. Returns 0 or -ENOMEM. */
int wp_dio_init(wp_dio *d, size_t cap);
/* Wait for writes in flight, free everything. Safe on a zeroed wp_dio. */
void wp_dio_release(wp_dio *d);

/* Start staging fd at offset (waiting for a previous file's writes);
 * turns O_DIRECT on when the filesystem takes it with our alignment. An
 * offset inside a block first reads the block's earlier bytes back from
 * the file, so fd must then be open for reading too. Returns 0 or -errno. */
int wp_dio_begin(wp_dio *d, int fd, uint64_t offset);

/* Stage bytes; each buffer that fills is submitted. Returns 0 or -errno
 * (also for an earlier write that failed). */
int wp_dio_stage(wp_dio *d, const struct iovec *iov, int iovcnt);

/* Staging without the copy: where the next bytes go (*ret_room of them,
 * to the end of the current buffer; 0 after a failed write), for the
 * caller to fill (a socket read straight into it), then wp_dio_commit the
 * bytes put there, which submits the buffer once it is full. Nothing may
 * touch the dio between the two. */
unsigned char *wp_dio_reserve(wp_dio *d, size_t *ret_room);
int wp_dio_commit(wp_dio *d, size_t n);

/* Submit everything staged, the last partial block padded with zeros (it
 * stays staged, to be rewritten once later bytes complete it). The zeros
 * overwrite whatever the file held there: fine for preallocated WAL
 * segments and new files, which the callers write. Afterwards every
 * staged byte has been handed to the kernel. */
int wp_dio_push(wp_dio *d);

/* Wait until every submitted write has completed (before an fdatasync
 * can cover them). Returns 0 or the first failure's -errno. */
int wp_dio_wait(wp_dio *d);

/* Push, wait, then cut padding that went past the file's end (the larger
 * of its size at begin and the logical end) and stop staging fd. */
int wp_dio_end(wp_dio *d);

#endif
