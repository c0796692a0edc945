/* Writing a whole iovec array to a file, resuming after short writes. */
#ifndef WALPULL_IO_H
#define WALPULL_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Write every byte of iov (at most IOV_MAX elements) with pwritev at
 * *offset, advancing it. Returns 0, or -errno; a write of 0 bytes counts
 * as -ENOSPC. *ret_calls (may be NULL) is increased by the system calls
 * made. The array itself is not modified. */
int wp_pwritev_all(int fd, const struct iovec *iov, int iovcnt, uint64_t *offset,
                   uint64_t *ret_calls);

/* Write all len bytes at the file position, resuming after short writes
 * and EINTR. 0, or -1 with errno set (ENOSPC for a write of 0 bytes). */
int wp_write_all(int fd, const void *buf, size_t len);

#endif
