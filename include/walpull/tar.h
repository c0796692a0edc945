/* ustar headers, as the server writes them in a base backup. Pure. */
#ifndef WALPULL_TAR_H
#define WALPULL_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_TAR_BLOCK 512

typedef enum wp_tar_type {
    WP_TAR_FILE = '0',
    WP_TAR_SYMLINK = '2',
    WP_TAR_DIR = '5',
} wp_tar_type;

typedef struct wp_tar_member {
    char path[257];     /* prefix "/" name, without "./" before it or '/' after
                           it; empty for the archive's root itself */
    char linkname[101]; /* symlink target */
    wp_tar_type type;
    uint64_t size; /* data bytes that follow (0 but for files) */
    uint32_t mode;
} wp_tar_member;

/* True for an all-zero block (the end-of-archive marker). */
bool wp_tar_block_is_zero(const uint8_t block[WP_TAR_BLOCK]);

/* Decode one header block. WP_E_PROTO for a bad checksum, number or magic;
 * WP_E_UNSUPPORTED for an entry type other than file, directory and
 * symlink (the member is still filled, so the caller can name it). */
int wp_tar_header_parse(const uint8_t block[WP_TAR_BLOCK], wp_tar_member *ret_member);

/* Encode a ustar header for a regular file of `size` bytes named `name`
 * (at most 100 bytes), with mode and modification time. WP_E_RANGE if
 * the name does not fit. Pure. */
int wp_tar_header_build(const char *name, uint64_t size, uint32_t mode, uint64_t mtime,
                        uint8_t block[WP_TAR_BLOCK]);
/* Bytes of padding after size bytes of data. */
static inline uint64_t wp_tar_padding(uint64_t size)
{
    return (WP_TAR_BLOCK - size % WP_TAR_BLOCK) % WP_TAR_BLOCK;
}

/* Check that a member path stays inside the directory it is extracted to:
 * relative, no "." or ".." component, no empty component, not empty. */
bool wp_tar_path_safe(const char *path);

#endif
