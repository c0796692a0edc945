/* libFuzzer target: timeline history files as TIMELINE_HISTORY sends them
 * (the first byte picks the timeline they are for). */
#include "walpull/timeline.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t tli = (uint32_t)data[0] + 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    size_t cap = wp_timeline_history_cap(text, len);
    wp_tli_entry *e = malloc(cap * sizeof(*e));
    if (!e)
        return 0;
    size_t n = 0;
    const char *why;
    if (wp_timeline_history_parse(text, len, tli, e, cap, &n) == 0) {
        if (n < 1 || n > cap || e[n - 1].tli != tli)
            __builtin_trap();
        for (size_t i = 1; i < n; i++)
            if (e[i].tli <= e[i - 1].tli || e[i].begin < e[i - 1].begin)
                __builtin_trap();
    }
    (void)wp_timeline_history_check(text, len, tli, tli > 1 ? tli - 1 : 0, 0x3000000, e, cap, &why);
    free(e);
    return 0;
}
