/* libFuzzer target: the WAL page and record decoder, fed the input as
 * pages of a 1 MB segment (the input repeated to fill whole pages). */
#include "walpull/walrec.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t page[WP_WAL_BLCKSZ];
    if (size == 0)
        return 0;
    wp_walrec_decoder d;
    wp_walrec_init(&d, 1u << 20, 0x3000000);
    size_t off = 0;
    for (int p = 0; p < 8; p++) {
        for (size_t i = 0; i < sizeof(page); i++)
            page[i] = data[(off + i) % size];
        off += sizeof(page);
        if (wp_walrec_feed(&d, page, 1 + (data[0] & 3)) != WP_WALREC_MORE)
            break;
    }
    if (d.records && d.end < 0x3000000)
        __builtin_trap();
    return 0;
}
