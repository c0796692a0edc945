#include "walpull/tar.h"

#include "walpull/error.h"

#include <stdio.h>
#include <string.h>

bool wp_tar_block_is_zero(const uint8_t block[WP_TAR_BLOCK])
{
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        if (block[i])
            return false;
    return true;
}

/* An octal field (spaces or NULs end it), or base-256 when the top bit of
 * the first byte is set (used for values too large for octal). */
static int parse_number(const uint8_t *field, size_t len, uint64_t *ret)
{
    uint64_t v = 0;
    if (field[0] & 0x80) {
        if (field[0] != 0x80)
            return WP_E_PROTO; /* negative or too large */
        for (size_t i = 1; i < len; i++) {
            if (v >> 56)
                return WP_E_PROTO;
            v = (v << 8) | field[i];
        }
        *ret = v;
        return 0;
    }
    size_t i = 0;
    while (i < len && field[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++, digits++) {
        if (v >> 61)
            return WP_E_PROTO;
        v = (v << 3) | (uint64_t)(field[i] - '0');
    }
    for (; i < len; i++)
        if (field[i] != ' ' && field[i] != '\0')
            return WP_E_PROTO;
    if (digits == 0)
        return WP_E_PROTO;
    *ret = v;
    return 0;
}

static void copy_field(char *dst, const uint8_t *src, size_t len)
{
    size_t n = 0;
    while (n < len && src[n])
        n++;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int wp_tar_header_parse(const uint8_t block[WP_TAR_BLOCK], wp_tar_member *ret_member)
{
    uint64_t sum_stored, size, mode;
    if (parse_number(block + 148, 8, &sum_stored) < 0)
        return WP_E_PROTO;
    uint64_t sum = 0;
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : block[i];
    if (sum != sum_stored)
        return WP_E_PROTO;
    if (memcmp(block + 257, "ustar", 5) != 0)
        return WP_E_PROTO;
    if (parse_number(block + 124, 12, &size) < 0 || parse_number(block + 100, 8, &mode) < 0)
        return WP_E_PROTO;

    wp_tar_member m;
    memset(&m, 0, sizeof(m));
    char name[101], prefix[156];
    /* path holds prefix (155) + '/' + name (100) at most */
    copy_field(name, block, 100);
    copy_field(prefix, block + 345, 155);
    if (prefix[0])
        snprintf(m.path, sizeof(m.path), "%s/%s", prefix, name);
    else
        snprintf(m.path, sizeof(m.path), "%s", name);
    size_t len = strlen(m.path);
    while (len > 0 && m.path[len - 1] == '/')
        m.path[--len] = '\0';
    /* "./x" names x; "." alone is the archive's root. */
    while (strncmp(m.path, "./", 2) == 0)
        memmove(m.path, m.path + 2, strlen(m.path + 2) + 1);
    if (strcmp(m.path, ".") == 0)
        m.path[0] = '\0';
    copy_field(m.linkname, block + 157, 100);
    m.mode = (uint32_t)(mode & 07777);
    char type = (char)block[156];
    m.type = type == '\0' ? WP_TAR_FILE : (wp_tar_type)type;
    m.size = (m.type == WP_TAR_FILE) ? size : 0;
    *ret_member = m;
    if (m.type != WP_TAR_FILE && m.type != WP_TAR_DIR && m.type != WP_TAR_SYMLINK)
        return WP_E_UNSUPPORTED;
    return 0;
}

/* Bytes into a fixed field (no terminator: the field's width is its end). */
static void put_bytes(uint8_t *field, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        field[i] = (uint8_t)text[i];
}

/* An octal field of width bytes: digits, then a NUL. */
static void put_octal(uint8_t *field, size_t width, uint64_t value)
{
    field[width - 1] = '\0';
    for (size_t i = width - 1; i > 0; i--) {
        field[i - 1] = (uint8_t)('0' + (value & 7));
        value >>= 3;
    }
}

int wp_tar_header_build(const char *name, uint64_t size, uint32_t mode, uint64_t mtime,
                        uint8_t block[WP_TAR_BLOCK])
{
    size_t len = strlen(name);
    /* 11 octal digits hold sizes below 8 GB: more than a WAL segment. */
    if (len == 0 || len > 100 || size >= (UINT64_C(1) << 33))
        return WP_E_RANGE;
    memset(block, 0, WP_TAR_BLOCK);
    put_bytes(block, name, len);
    put_octal(block + 100, 8, mode & 07777);
    put_octal(block + 108, 8, 0); /* uid */
    put_octal(block + 116, 8, 0); /* gid */
    put_octal(block + 124, 12, size);
    put_octal(block + 136, 12, mtime);
    block[156] = WP_TAR_FILE;
    put_bytes(block + 257, "ustar", 6); /* POSIX: "ustar\0" then version "00" */
    put_bytes(block + 263, "00", 2);
    /* The checksum counts its own field as spaces. */
    memset(block + 148, ' ', 8);
    uint64_t sum = 0;
    for (int i = 0; i < WP_TAR_BLOCK; i++)
        sum += block[i];
    put_octal(block + 148, 7, sum);
    block[155] = ' ';
    return 0;
}

bool wp_tar_path_safe(const char *path)
{
    if (!path[0] || path[0] == '/')
        return false;
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}
