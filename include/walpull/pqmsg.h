/* The few frontend/backend protocol messages walpull reads and writes
 * itself, around the COPY of START_REPLICATION when it reads the socket
 * directly (conn/rawcopy.c): the framing, ErrorResponse and
 * NoticeResponse fields, DataRow columns, Query, CopyData and CopyDone.
 * Pure functions over caller-owned bytes; never a read past len. */
#ifndef WALPULL_PQMSG_H
#define WALPULL_PQMSG_H

#include "walpull/buf.h"

#include <stddef.h>
#include <stdint.h>

/* A backend message: type byte, then a length that counts itself. */
#define WP_PQMSG_HDR 5
/* Bodies above this are refused: no message of the COPY exchange is
 * bigger (XLogData payloads are at most 128 kB). */
#define WP_PQMSG_MAX_BODY ((size_t)64 << 20)

typedef struct wp_pqerror {
    char severity[16];       /* untranslated where the server says it ('V') */
    char severity_local[32]; /* as the server's language says it ('S'), as libpq prints it */
    char sqlstate[6];
    char message[400];
    char detail[256];
    char hint[256];
} wp_pqerror;

/* The body length of a message whose 5-byte header is hdr: 0 and
 * *ret_len, or WP_E_PROTO for a length below 4 or above the limit. */
int wp_pqmsg_body_len(const uint8_t hdr[WP_PQMSG_HDR], size_t *ret_len);

/* ErrorResponse / NoticeResponse fields (truncated to fit). WP_E_PROTO
 * when a field is not terminated. */
int wp_pqmsg_error(const uint8_t *body, size_t len, wp_pqerror *ret);

/* DataRow: up to max columns (pointers into body; length -1 for NULL).
 * WP_E_PROTO for a column past the end. */
int wp_pqmsg_datarow(const uint8_t *body, size_t len, const uint8_t **cols, int32_t *lens, int max,
                     int *ret_n);

/* Append a Query message for sql; a CopyData message around data; a
 * CopyDone message. 0 or -ENOMEM. */
int wp_pqmsg_query(wp_buf *out, const char *sql);
int wp_pqmsg_copydata(wp_buf *out, const uint8_t *data, size_t len);
int wp_pqmsg_copydone(wp_buf *out);

#endif
