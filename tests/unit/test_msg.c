#include "walpull/error.h"
#include "walpull/clock.h"
#include "walpull/msg.h"

#include "check_main.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_msg_decode_xlogdata_fields)
{
    uint8_t buf[WP_MSG_XLOGDATA_HDR + 3] = {'w'};
    wp_put_u64(buf + 1, 0x0000000100000010ull);
    wp_put_u64(buf + 9, 0x0000000100000020ull);
    wp_put_u64(buf + 17, 123456789ull);
    memcpy(buf + 25, "abc", 3);
    wp_xlogdata m;
    ck_assert_int_eq(wp_msg_decode_xlogdata(buf, sizeof(buf), &m), 0);
    ck_assert_uint_eq(m.data_start, 0x0000000100000010ull);
    ck_assert_uint_eq(m.wal_end, 0x0000000100000020ull);
    ck_assert_int_eq(m.send_time, 123456789);
    ck_assert_uint_eq(m.len, 3);
    ck_assert_ptr_eq(m.data, buf + 25);
    /* A header alone is a valid, empty message. */
    ck_assert_int_eq(wp_msg_decode_xlogdata(buf, WP_MSG_XLOGDATA_HDR, &m), 0);
    ck_assert_uint_eq(m.len, 0);
}
END_TEST

START_TEST(test_msg_decode_xlogdata_malformed)
{
    uint8_t buf[WP_MSG_XLOGDATA_HDR + 4] = {'w'};
    wp_xlogdata m = {.len = 99};
    for (size_t len = 0; len < WP_MSG_XLOGDATA_HDR; len++)
        ck_assert_int_eq(wp_msg_decode_xlogdata(buf, len, &m), WP_E_TRUNCATED);
    buf[0] = 'k';
    ck_assert_int_eq(wp_msg_decode_xlogdata(buf, sizeof(buf), &m), WP_E_PROTO);
    buf[0] = 'w';
    wp_put_u64(buf + 1, UINT64_MAX - 2); /* start + 4 bytes would wrap */
    ck_assert_int_eq(wp_msg_decode_xlogdata(buf, sizeof(buf), &m), WP_E_RANGE);
    ck_assert_uint_eq(m.len, 99);
}
END_TEST

START_TEST(test_msg_decode_keepalive_cases)
{
    uint8_t buf[WP_MSG_KEEPALIVE_LEN + 1] = {'k'};
    wp_put_u64(buf + 1, 0xDEADBEEFull);
    wp_put_u64(buf + 9, (uint64_t)-5);
    buf[17] = 1;
    wp_keepalive k;
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN, &k), 0);
    ck_assert_uint_eq(k.wal_end, 0xDEADBEEFull);
    ck_assert_int_eq(k.send_time, -5);
    ck_assert(k.reply_requested);
    buf[17] = 0;
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN, &k), 0);
    ck_assert(!k.reply_requested);
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN - 1, &k), WP_E_TRUNCATED);
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN + 1, &k), WP_E_PROTO);
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, 0, &k), WP_E_TRUNCATED);
    buf[17] = 2;
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN, &k), WP_E_PROTO);
    buf[0] = 'w';
    buf[17] = 0;
    ck_assert_int_eq(wp_msg_decode_keepalive(buf, WP_MSG_KEEPALIVE_LEN, &k), WP_E_PROTO);
}
END_TEST

START_TEST(test_msg_encode_status_bytes)
{
    wp_status_update u = {.write = 0x0102030405060708ull,
                          .flush = 0x1112131415161718ull,
                          .apply = 0,
                          .client_time = 0x2122232425262728ll,
                          .reply_requested = true};
    uint8_t out[WP_MSG_STATUS_LEN];
    ck_assert_uint_eq(wp_msg_encode_status(&u, out), 34);
    static const uint8_t want[34] = {
        'r', 1, 2, 3, 4, 5, 6, 7, 8,    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
        0,   0, 0, 0, 0, 0, 0, 0, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 1};
    ck_assert_mem_eq(out, want, 34);
    wp_status_update back;
    ck_assert_int_eq(wp_msg_decode_status(out, sizeof(out), &back), 0);
    ck_assert_uint_eq(back.write, u.write);
    ck_assert_uint_eq(back.flush, u.flush);
    ck_assert_uint_eq(back.apply, 0);
    ck_assert_int_eq(back.client_time, u.client_time);
    ck_assert(back.reply_requested);
    ck_assert_int_eq(wp_msg_decode_status(out, 33, &back), WP_E_TRUNCATED);
    ck_assert_int_eq(wp_msg_decode_status(want, 35, &back), WP_E_PROTO);
}
END_TEST

START_TEST(test_msg_hs_feedback_roundtrip)
{
    wp_hs_feedback f = {.client_time = 77,
                        .xmin = 0xAABBCCDD,
                        .xmin_epoch = 1,
                        .catalog_xmin = 2,
                        .catalog_xmin_epoch = 3};
    uint8_t out[WP_MSG_HSFEEDBACK_LEN];
    ck_assert_uint_eq(wp_msg_encode_hs_feedback(&f, out), 25);
    ck_assert_uint_eq(out[0], 'h');
    ck_assert_uint_eq(out[9], 0xAA);
    ck_assert_uint_eq(out[12], 0xDD);
    wp_hs_feedback back;
    ck_assert_int_eq(wp_msg_decode_hs_feedback(out, sizeof(out), &back), 0);
    ck_assert_int_eq(back.client_time, 77);
    ck_assert_uint_eq(back.xmin, 0xAABBCCDD);
    ck_assert_uint_eq(back.xmin_epoch, 1);
    ck_assert_uint_eq(back.catalog_xmin, 2);
    ck_assert_uint_eq(back.catalog_xmin_epoch, 3);
    ck_assert_int_eq(wp_msg_decode_hs_feedback(out, 24, &back), WP_E_TRUNCATED);
    out[0] = 'r';
    ck_assert_int_eq(wp_msg_decode_hs_feedback(out, 25, &back), WP_E_PROTO);
}
END_TEST

START_TEST(test_pgtime_epoch)
{
    /* 2000-01-01 00:00:00 UTC is 946684800 s after the Unix epoch. */
    ck_assert_int_eq(wp_pgtime_from_unix_usec(INT64_C(946684800000000)), 0);
    ck_assert_int_eq(wp_pgtime_to_unix_usec(0), INT64_C(946684800000000));
    ck_assert_int_eq(wp_pgtime_from_unix_usec(0), -INT64_C(946684800000000));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_msg_decode_xlogdata_fields);
    tcase_add_test(tc, test_msg_decode_xlogdata_malformed);
    tcase_add_test(tc, test_msg_decode_keepalive_cases);
    tcase_add_test(tc, test_msg_encode_status_bytes);
    tcase_add_test(tc, test_msg_hs_feedback_roundtrip);
    tcase_add_test(tc, test_pgtime_epoch);
    suite_add_tcase(s, tc);
    return wp_run_suite(s);
}
