#include "walpull/iov.h"

#include <stdint.h>

void wp_iov_cursor_init(wp_iov_cursor *cur, const struct iovec *iov, int iovcnt)
{
    *cur = (wp_iov_cursor){.iov = iov, .iovcnt = iovcnt};
}

size_t wp_iov_take(wp_iov_cursor *cur, size_t want, struct iovec *out, int max, int *ret_cnt)
{
    size_t got = 0;
    int n = 0;
    while (got < want && n < max && cur->index < cur->iovcnt) {
        const struct iovec *v = &cur->iov[cur->index];
        size_t left = v->iov_len - cur->offset;
        if (left == 0) {
            cur->index++;
            cur->offset = 0;
            continue;
        }
        size_t take = left < want - got ? left : want - got;
        out[n].iov_base = (uint8_t *)v->iov_base + cur->offset;
        out[n].iov_len = take;
        n++;
        got += take;
        cur->offset += take;
        if (cur->offset == v->iov_len) {
            cur->index++;
            cur->offset = 0;
        }
    }
    *ret_cnt = n;
    return got;
}

size_t wp_iov_total(const struct iovec *iov, int iovcnt)
{
    size_t t = 0;
    for (int i = 0; i < iovcnt; i++)
        t += iov[i].iov_len;
    return t;
}
