/* Slicing iovec arrays without copying the bytes they point to. Pure. */
#ifndef WALPULL_IOV_H
#define WALPULL_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* A read position within an iovec array. */
typedef struct wp_iov_cursor {
    const struct iovec *iov;
    int iovcnt;
    int index;     /* current element */
    size_t offset; /* bytes already taken from it */
} wp_iov_cursor;

void wp_iov_cursor_init(wp_iov_cursor *cur, const struct iovec *iov, int iovcnt);

/* Describe the next `want` bytes (or fewer, if the array ends or `max`
 * elements are filled) in out[], advance the cursor, set *ret_cnt and return
 * the number of bytes described. */
size_t wp_iov_take(wp_iov_cursor *cur, size_t want, struct iovec *out, int max, int *ret_cnt);

size_t wp_iov_total(const struct iovec *iov, int iovcnt);

#endif
