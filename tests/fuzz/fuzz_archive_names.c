/* libFuzzer target: archive file names and the archiver's state file. */
#include "walpull/archstate.h"
#include "walpull/walname.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    wp_walname n = wp_walname_parse(text);
    uint64_t segno;
    if (n.kind != WP_WALNAME_OTHER && n.tli == 0)
        __builtin_trap();
    (void)wp_walname_segno(&n, 16u << 20, &segno);
    wp_archstate st;
    (void)wp_archstate_parse(text, &st);
    free(text);
    return 0;
}
