/* Codecs for the CopyData messages of physical streaming replication.
 *
 * Pure functions over caller-owned bytes: decoders never read past len and
 * return WP_E_TRUNCATED for short input, WP_E_PROTO for a wrong kind byte or
 * an oversized fixed-size message. Decoded XLogData points into the input
 * buffer (borrowed: valid as long as that buffer is). All integers are
 * big-endian on the wire. Times are microseconds since 2000-01-01 UTC. */
#ifndef WALPULL_MSG_H
#define WALPULL_MSG_H

#include "walpull/lsn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_MSG_XLOGDATA_HDR   25
#define WP_MSG_KEEPALIVE_LEN  18
#define WP_MSG_STATUS_LEN     34
#define WP_MSG_HSFEEDBACK_LEN 25

typedef struct wp_xlogdata {
    wp_lsn data_start;
    wp_lsn wal_end;
    int64_t send_time;
    const uint8_t *data; /* borrowed from the decoded buffer */
    size_t len;
} wp_xlogdata;

typedef struct wp_keepalive {
    wp_lsn wal_end;
    int64_t send_time;
    bool reply_requested;
} wp_keepalive;

typedef struct wp_status_update {
    wp_lsn write;
    wp_lsn flush;
    wp_lsn apply;
    int64_t client_time;
    bool reply_requested;
} wp_status_update;

typedef struct wp_hs_feedback {
    int64_t client_time;
    uint32_t xmin;
    uint32_t xmin_epoch;
    uint32_t catalog_xmin;
    uint32_t catalog_xmin_epoch;
} wp_hs_feedback;

void wp_put_u64(uint8_t *out, uint64_t v);
void wp_put_u32(uint8_t *out, uint32_t v);
uint64_t wp_get_u64(const uint8_t *in);
uint32_t wp_get_u32(const uint8_t *in);

/* 'w': header plus payload; data_start + len must not overflow. */
int wp_msg_decode_xlogdata(const uint8_t *buf, size_t len, wp_xlogdata *ret_msg);
/* 'k': exactly WP_MSG_KEEPALIVE_LEN bytes. */
int wp_msg_decode_keepalive(const uint8_t *buf, size_t len, wp_keepalive *ret_msg);

/* Encoders write exactly the fixed length into out and return it. */
size_t wp_msg_encode_status(const wp_status_update *msg, uint8_t out[WP_MSG_STATUS_LEN]);
size_t wp_msg_encode_hs_feedback(const wp_hs_feedback *msg, uint8_t out[WP_MSG_HSFEEDBACK_LEN]);
/* 'r' and 'h' decoders, the mirror of the encoders (exact length). */
int wp_msg_decode_status(const uint8_t *buf, size_t len, wp_status_update *ret_msg);
int wp_msg_decode_hs_feedback(const uint8_t *buf, size_t len, wp_hs_feedback *ret_msg);

#endif
