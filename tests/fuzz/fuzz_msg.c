/* libFuzzer target: the replication stream's CopyData messages. */
#include "walpull/msg.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_xlogdata x;
    wp_keepalive k;
    wp_status_update u;
    wp_hs_feedback h;
    if (wp_msg_decode_xlogdata(data, size, &x) == 0 && x.len > size)
        __builtin_trap(); /* the payload must lie inside the message */
    (void)wp_msg_decode_keepalive(data, size, &k);
    (void)wp_msg_decode_status(data, size, &u);
    (void)wp_msg_decode_hs_feedback(data, size, &h);
    return 0;
}
