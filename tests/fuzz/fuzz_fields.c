/* libFuzzer target: result-row fields from the server (IDENTIFY_SYSTEM,
 * slots, timelines, tablespace paths), split at NUL bytes. */
#include "walpull/fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 3);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    memset(copy + size, 0, 3);
    const char *a = copy;
    const char *b = a + strlen(a) + 1;
    const char *c = b <= copy + size ? b + strlen(b) + 1 : copy + size + 2;
    if (b > copy + size)
        b = copy + size + 1;
    if (c > copy + size + 2)
        c = copy + size + 2;
    wp_identify_row row;
    if (wp_field_identify(a, b, c, &row) == 0 && (row.sysid == 0 || row.tli == 0))
        __builtin_trap();
    uint32_t tli;
    if (wp_field_tli(a, &tli) == 0 && tli == 0)
        __builtin_trap();
    if (wp_field_abs_path(a) && (a[0] != '/' || strstr(a, "/../") || strstr(a, "//")))
        __builtin_trap();
    free(copy);
    return 0;
}
