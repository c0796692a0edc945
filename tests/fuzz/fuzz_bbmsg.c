/* libFuzzer target: a BASE_BACKUP stream's messages and their order. The
 * input is a sequence of messages, each a length byte and that many bytes,
 * against a list of a main directory and one tablespace. */
#include "walpull/bbmsg.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"", "/srv/ts1"};
    wp_bbseq q;
    wp_bbseq_init(&q, paths, 2);
    size_t i = 0;
    while (i < size) {
        size_t len = data[i++];
        if (len > size - i)
            len = size - i;
        wp_bbmsg m;
        size_t idx = 99;
        const char *why;
        if (wp_bbmsg_decode(data + i, len, &m) == 0 && wp_bbseq_step(&q, &m, &idx, &why) == 0 &&
            m.kind == WP_BBMSG_ARCHIVE && idx > 1)
            __builtin_trap();
        i += len;
    }
    const char *why;
    (void)wp_bbseq_end(&q, &why);
    return 0;
}
