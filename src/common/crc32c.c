#include "walpull/crc32c.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* The reflected Castagnoli polynomial. */
#define POLY 0x82F63B78u

/* The table is computed once and only read afterwards. */
static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
}

uint32_t wp_crc32c_update_table(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    pthread_once(&table_once, make_table);
    while (len--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
    while (len && ((uintptr_t)p & 7)) {
        crc = __builtin_ia32_crc32qi(crc, *p++);
        len--;
    }
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        len -= 8;
    }
    crc = (uint32_t)c;
    while (len--)
        crc = __builtin_ia32_crc32qi(crc, *p++);
    return crc;
}

int wp_crc32c_hardware(void)
{
    return __builtin_cpu_supports("sse4.2");
}

uint32_t wp_crc32c_update(uint32_t crc, const void *data, size_t len)
{
    return wp_crc32c_hardware() ? crc_hw(crc, data, len) : wp_crc32c_update_table(crc, data, len);
}
#else
int wp_crc32c_hardware(void)
{
    return 0;
}

uint32_t wp_crc32c_update(uint32_t crc, const void *data, size_t len)
{
    return wp_crc32c_update_table(crc, data, len);
}
#endif
