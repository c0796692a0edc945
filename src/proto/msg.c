#include "walpull/msg.h"

#include "walpull/error.h"

void wp_put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

void wp_put_u32(uint8_t *out, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint64_t wp_get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

uint32_t wp_get_u32(const uint8_t *in)
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* Common checks of a fixed-size message: kind byte and exact length. */
static int check_fixed(const uint8_t *buf, size_t len, char kind, size_t want)
{
    if (len < 1)
        return WP_E_TRUNCATED;
    if (buf[0] != (uint8_t)kind)
        return WP_E_PROTO;
    if (len < want)
        return WP_E_TRUNCATED;
    if (len > want)
        return WP_E_PROTO;
    return 0;
}

int wp_msg_decode_xlogdata(const uint8_t *buf, size_t len, wp_xlogdata *ret_msg)
{
    if (len < 1)
        return WP_E_TRUNCATED;
    if (buf[0] != 'w')
        return WP_E_PROTO;
    if (len < WP_MSG_XLOGDATA_HDR)
        return WP_E_TRUNCATED;
    wp_lsn start = wp_get_u64(buf + 1);
    size_t n = len - WP_MSG_XLOGDATA_HDR;
    if (start > UINT64_MAX - n)
        return WP_E_RANGE;
    ret_msg->data_start = start;
    ret_msg->wal_end = wp_get_u64(buf + 9);
    ret_msg->send_time = (int64_t)wp_get_u64(buf + 17);
    ret_msg->data = buf + WP_MSG_XLOGDATA_HDR;
    ret_msg->len = n;
    return 0;
}

int wp_msg_decode_keepalive(const uint8_t *buf, size_t len, wp_keepalive *ret_msg)
{
    int r = check_fixed(buf, len, 'k', WP_MSG_KEEPALIVE_LEN);
    if (r < 0)
        return r;
    if (buf[17] > 1)
        return WP_E_PROTO;
    ret_msg->wal_end = wp_get_u64(buf + 1);
    ret_msg->send_time = (int64_t)wp_get_u64(buf + 9);
    ret_msg->reply_requested = buf[17] != 0;
    return 0;
}

size_t wp_msg_encode_status(const wp_status_update *msg, uint8_t out[WP_MSG_STATUS_LEN])
{
    out[0] = 'r';
    wp_put_u64(out + 1, msg->write);
    wp_put_u64(out + 9, msg->flush);
    wp_put_u64(out + 17, msg->apply);
    wp_put_u64(out + 25, (uint64_t)msg->client_time);
    out[33] = msg->reply_requested ? 1 : 0;
    return WP_MSG_STATUS_LEN;
}

int wp_msg_decode_status(const uint8_t *buf, size_t len, wp_status_update *ret_msg)
{
    int r = check_fixed(buf, len, 'r', WP_MSG_STATUS_LEN);
    if (r < 0)
        return r;
    if (buf[33] > 1)
        return WP_E_PROTO;
    ret_msg->write = wp_get_u64(buf + 1);
    ret_msg->flush = wp_get_u64(buf + 9);
    ret_msg->apply = wp_get_u64(buf + 17);
    ret_msg->client_time = (int64_t)wp_get_u64(buf + 25);
    ret_msg->reply_requested = buf[33] != 0;
    return 0;
}

size_t wp_msg_encode_hs_feedback(const wp_hs_feedback *msg, uint8_t out[WP_MSG_HSFEEDBACK_LEN])
{
    out[0] = 'h';
    wp_put_u64(out + 1, (uint64_t)msg->client_time);
    wp_put_u32(out + 9, msg->xmin);
    wp_put_u32(out + 13, msg->xmin_epoch);
    wp_put_u32(out + 17, msg->catalog_xmin);
    wp_put_u32(out + 21, msg->catalog_xmin_epoch);
    return WP_MSG_HSFEEDBACK_LEN;
}

int wp_msg_decode_hs_feedback(const uint8_t *buf, size_t len, wp_hs_feedback *ret_msg)
{
    int r = check_fixed(buf, len, 'h', WP_MSG_HSFEEDBACK_LEN);
    if (r < 0)
        return r;
    ret_msg->client_time = (int64_t)wp_get_u64(buf + 1);
    ret_msg->xmin = wp_get_u32(buf + 9);
    ret_msg->xmin_epoch = wp_get_u32(buf + 13);
    ret_msg->catalog_xmin = wp_get_u32(buf + 17);
    ret_msg->catalog_xmin_epoch = wp_get_u32(buf + 21);
    return 0;
}
