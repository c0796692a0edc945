#include "walpull/io.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

int wp_pwritev_all(int fd, const struct iovec *iov, int iovcnt, uint64_t *offset,
                   uint64_t *ret_calls)
{
    if (iovcnt > IOV_MAX)
        return -EINVAL;
    struct iovec local[IOV_MAX];
    memcpy(local, iov, sizeof(*iov) * (size_t)iovcnt);
    struct iovec *v = local;
    int n = iovcnt;
    while (n > 0) {
        ssize_t w = pwritev(fd, v, n, (off_t)*offset);
        if (ret_calls)
            (*ret_calls)++;
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -ENOSPC;
        *offset += (uint64_t)w;
        /* Skip what was written; a short write resumes mid-chunk. */
        size_t done = (size_t)w;
        while (n > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return 0;
}

int wp_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}
