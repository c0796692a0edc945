/* CRC-32C (Castagnoli), the checksum of WAL records. Uses the CPU's crc32
 * instruction where there is one (SSE 4.2), else a table. Pure. */
#ifndef WALPULL_CRC32C_H
#define WALPULL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over len bytes. Start from WP_CRC32C_INIT and finish with
 * wp_crc32c_final, as the server does (INIT/COMP/FIN_CRC32C). */
#define WP_CRC32C_INIT 0xFFFFFFFFu
uint32_t wp_crc32c_update(uint32_t crc, const void *data, size_t len);

static inline uint32_t wp_crc32c_final(uint32_t crc)
{
    return crc ^ 0xFFFFFFFFu;
}

/* The same with the table alone, whatever the CPU (tests compare both). */
uint32_t wp_crc32c_update_table(uint32_t crc, const void *data, size_t len);

/* True when the hardware instruction is used (for the record in reports). */
int wp_crc32c_hardware(void);

#endif
