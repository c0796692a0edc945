#include "walpull/rawcopy.h"

#include "conn/conn_internal.h"
#include "walpull/buf.h"
#include "walpull/clock.h"
#include "walpull/fields.h"
#include "walpull/pqmsg.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* A CopyData XLogData header: message header, kind byte, three 8-byte
 * fields. The most read past a payload's end: the next message's header. */
#define XLOG_HDR (WP_PQMSG_HDR + WP_MSG_XLOGDATA_HDR)
#define IN_CAP   64

/* How long the exchanges around the COPY may take when the connection
 * has no receive timeout of its own. */
#define DEFAULT_WAIT_MS 60000
#define BATCH_POLL_MS   5
#define CHECK_POLL_MS   1000

struct wp_rawcopy {
    wp_conn *conn;
    int fd;
    uint8_t in[IN_CAP]; /* header bytes read, not yet taken */
    size_t in_len;
    size_t payload_left;
    bool sent_done;   /* our CopyDone went out */
    bool server_done; /* the server's CopyDone came */
    bool completed;   /* ... or a lone CommandComplete: the server is leaving */
    bool generic;     /* wp_rawcopy_event reads the answer */
    int lowat;        /* SO_RCVLOWAT set, 0 or 1: none */
    bool unwatched;   /* the goodbye: the connection's watch does not apply */
    uint64_t copied;
    wp_buf body; /* bodies of the messages around the COPY */
};

bool wp_rawcopy_usable(const wp_conn *conn)
{
    return !PQsslInUse(conn->pg) && !PQgssEncInUse(conn->pg);
}

/* The connection's watch, unless it does not apply now. */
static wp_conn_check watch_of(const wp_rawcopy *rc)
{
    return rc->unwatched ? NULL : rc->conn->check;
}

static int wait_ms(const wp_rawcopy *rc)
{
    return rc->conn->timeout_ms > 0 ? rc->conn->timeout_ms : DEFAULT_WAIT_MS;
}

/* When a wait that starts now gives up: after the connection's receive
 * timeout; without one, never if the connection is watched (the check
 * can end it), else after DEFAULT_WAIT_MS. */
static int64_t deadline_from_now(const wp_rawcopy *rc)
{
    if (rc->conn->timeout_ms <= 0 && watch_of(rc))
        return INT64_MAX;
    return wp_clock_mono_ms() + wait_ms(rc);
}

/* Read what the socket has, at most len: bytes read, 0 when nothing has
 * arrived, or an error (the server closed the connection among them). */
static ssize_t sock_read(wp_rawcopy *rc, const struct iovec *iov, int iovcnt, wp_error *err)
{
    for (;;) {
        ssize_t n = readv(rc->fd, iov, iovcnt);
        if (n > 0) {
            wp_conn_note_input(rc->conn);
            return n;
        }
        if (n == 0)
            return wp_error_set(err, WP_E_CONN,
                                "could not read from the server: server closed the connection "
                                "unexpectedly");
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        /* A lost connection, whatever the errno: retried like libpq's. */
        return wp_error_set(err, WP_E_CONN, "could not read from the server: %s", strerror(errno));
    }
}

/* Wait for the socket (events), at most until deadline. */
static int await_socket(wp_rawcopy *rc, short events, int64_t deadline, wp_error *err)
{
    int64_t left = deadline - wp_clock_mono_ms();
    if (left <= 0) {
        /* As libpq's path says it (wp_conn_check_idle). */
        int r =
            wp_error_set(err, WP_E_CONN, "the server sent nothing for %d s", wait_ms(rc) / 1000);
        wp_conn_hint_stall(err);
        return r;
    }
    wp_conn_check check = watch_of(rc);
    if (check && left > CHECK_POLL_MS)
        left = CHECK_POLL_MS;
    /* With a low-water mark a short message may never wake poll: look
     * again every few milliseconds. */
    if (rc->lowat > 1 && left > BATCH_POLL_MS)
        left = BATCH_POLL_MS;
    struct pollfd p = {.fd = rc->fd, .events = events};
    int n = poll(&p, 1, (int)left);
    if (n < 0 && errno != EINTR)
        return wp_error_errno(err, errno, "poll failed");
    /* A signal, or a slice with nothing new: the check's turn. Not before
     * the poll, so that the goodbye after a stop request still gets the
     * server's answer when it comes. */
    if (n <= 0 && check)
        return check(rc->conn->check_user, err);
    return 0;
}

/* At least need bytes in rc->in: 1, or 0 when they have not all arrived
 * (what came is kept), or an error. Never reads past need. */
static int fill_in(wp_rawcopy *rc, size_t need, wp_error *err)
{
    while (rc->in_len < need) {
        struct iovec v = {.iov_base = rc->in + rc->in_len, .iov_len = need - rc->in_len};
        ssize_t n = sock_read(rc, &v, 1, err);
        if (n <= 0)
            return (int)n;
        rc->in_len += (size_t)n;
    }
    return 1;
}

static int fill_in_blocking(wp_rawcopy *rc, size_t need, int64_t deadline, wp_error *err)
{
    for (;;) {
        int r = fill_in(rc, need, err);
        if (r != 0)
            return r < 0 ? r : 0;
        r = await_socket(rc, POLLIN, deadline, err);
        if (r < 0)
            return r;
    }
}

static void take_in(wp_rawcopy *rc, size_t n)
{
    memmove(rc->in, rc->in + n, rc->in_len - n);
    rc->in_len -= n;
}

/* The next message's type and body length, its header left in rc->in:
 * 1, or 0 when the header has not all arrived, or an error. */
static int peek_header(wp_rawcopy *rc, char *ret_type, size_t *ret_len, wp_error *err)
{
    int r = fill_in(rc, WP_PQMSG_HDR, err);
    if (r <= 0)
        return r;
    if (wp_pqmsg_body_len(rc->in, ret_len) < 0)
        return wp_error_set(err, WP_E_PROTO, "malformed message from the server");
    *ret_type = (char)rc->in[0];
    return 1;
}

/* The whole body (len bytes) of the message whose header was taken, into
 * rc->body: what rc->in holds of it first, then the socket. */
static int read_body(wp_rawcopy *rc, size_t len, int64_t deadline, wp_error *err)
{
    wp_buf_reset(&rc->body);
    size_t have = rc->in_len < len ? rc->in_len : len;
    wp_buf_append(&rc->body, (const char *)rc->in, have);
    take_in(rc, have);
    while (rc->body.len < len && wp_buf_ok(&rc->body) == 0) {
        char chunk[4096];
        size_t want = len - rc->body.len < sizeof(chunk) ? len - rc->body.len : sizeof(chunk);
        struct iovec v = {.iov_base = chunk, .iov_len = want};
        ssize_t n = sock_read(rc, &v, 1, err);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            int r = await_socket(rc, POLLIN, deadline, err);
            if (r < 0)
                return r;
            continue;
        }
        wp_buf_append(&rc->body, chunk, (size_t)n);
    }
    return wp_buf_ok(&rc->body) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

/* The server's ErrorResponse, in err as libpq's would be. */
static int server_error(wp_rawcopy *rc, const char *what, wp_error *err)
{
    wp_pqerror e;
    if (wp_pqmsg_error((const uint8_t *)rc->body.data, rc->body.len, &e) < 0)
        return wp_error_set(err, WP_E_PROTO, "malformed error message from the server");
    int r = wp_conn_server_error(err, WP_E_SERVER, what, e.message, e.detail, e.sqlstate);
    /* Without one of walpull's own, the server's hint. */
    if (err && !err->hint[0] && e.hint[0])
        wp_error_hint(err, "%s", e.hint);
    return r;
}

/* A NoticeResponse (in rc->body), passed on as libpq would: formatted
 * as its default verbosity does, to the connection's notice processor.
 * walpull sets none of its own, so that is libpq's default, which takes
 * no argument and writes to standard error. */
static void pass_notice(const wp_rawcopy *rc)
{
    wp_pqerror e;
    if (wp_pqmsg_error((const uint8_t *)rc->body.data, rc->body.len, &e) < 0)
        return;
    wp_buf text = {0};
    wp_buf_printf(&text, "%s:  %s\n", e.severity_local[0] ? e.severity_local : e.severity,
                  e.message);
    if (e.detail[0])
        wp_buf_printf(&text, "DETAIL:  %s\n", e.detail);
    if (e.hint[0])
        wp_buf_printf(&text, "HINT:  %s\n", e.hint);
    PQnoticeProcessor proc = PQsetNoticeProcessor(rc->conn->pg, NULL, NULL);
    if (proc && wp_buf_ok(&text) == 0)
        proc(NULL, wp_buf_str(&text));
    wp_buf_free(&text);
}

static int send_all(wp_rawcopy *rc, const wp_buf *msg, wp_error *err)
{
    if (wp_buf_ok(msg) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    int64_t deadline = deadline_from_now(rc);
    size_t off = 0;
    while (off < msg->len) {
        ssize_t n = send(rc->fd, msg->data + off, msg->len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return wp_error_set(err, WP_E_CONN, "could not send to the server: %s",
                                strerror(errno));
        int r = await_socket(rc, POLLOUT, deadline, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* "next timeline, switch point", the row that ends a timeline. */
static int stream_end_row(const wp_rawcopy *rc, wp_stream_end *end, wp_error *err)
{
    const uint8_t *cols[2];
    int32_t lens[2];
    int n = 0;
    char tli[16], lsn[32];
    if (wp_pqmsg_datarow((const uint8_t *)rc->body.data, rc->body.len, cols, lens, 2, &n) < 0 ||
        n != 2 || lens[0] <= 0 || lens[1] <= 0 || (size_t)lens[0] >= sizeof(tli) ||
        (size_t)lens[1] >= sizeof(lsn))
        return wp_error_set(err, WP_E_PROTO, "the server sent an invalid end-of-timeline row");
    memcpy(tli, cols[0], (size_t)lens[0]);
    tli[lens[0]] = '\0';
    memcpy(lsn, cols[1], (size_t)lens[1]);
    lsn[lens[1]] = '\0';
    wp_stream_end e = {.timeline_ended = true};
    if (wp_field_tli(tli, &e.next_tli) < 0 || wp_lsn_parse(lsn, &e.next_start) < 0)
        return wp_error_set(err, WP_E_PROTO,
                            "the server sent an invalid end-of-timeline result (\"%s\", \"%s\")",
                            tli, lsn);
    *end = e;
    return 0;
}

/* What the messages around the COPY said: a next timeline, the first
 * error, whether the COPY began. */
typedef struct around {
    wp_stream_end end;
    wp_error first;
    int failed;
    bool copy;
} around;

/* One message around the COPY: 1 once it is over (ReadyForQuery, or the
 * COPY beginning when copy_ok), 0 to read on, or an error. */
static int around_message(wp_rawcopy *rc, char type, bool copy_ok, const char *what, around *a,
                          wp_error *err)
{
    switch (type) {
    case 'W':
        if (!copy_ok)
            return wp_error_set(err, WP_E_PROTO, "the server began a second COPY");
        a->copy = true;
        return 1;
    case 'c':
        rc->server_done = true;
        return 0;
    case 'D':
        if (!a->failed && stream_end_row(rc, &a->end, &a->first) < 0)
            a->failed = a->first.code;
        return 0;
    case 'E':
        if (!a->failed)
            a->failed = server_error(rc, what, &a->first);
        return 0;
    case 'Z':
        /* Nothing may follow unasked: libpq takes the connection from here. */
        if (rc->in_len != 0)
            return wp_error_set(err, WP_E_PROTO, "the server sent data after ReadyForQuery");
        return 1;
    case 'N':
        pass_notice(rc);
        return 0;
    default:
        return 0; /* CopyData we ended, RowDescription, CommandComplete, notices */
    }
}

/* Messages around the COPY, through ReadyForQuery or the start of the
 * COPY (when copy_ok): 0 with *ret_copy, 1 at ReadyForQuery, or the
 * server's error once ReadyForQuery has come. */
static int read_until_ready(wp_rawcopy *rc, bool copy_ok, const char *what, wp_stream_end *ret_end,
                            bool *ret_copy, wp_error *err)
{
    int64_t deadline = deadline_from_now(rc);
    wp_conn_check check = watch_of(rc);
    around a = {0};
    int r = 0;
    while (r == 0) {
        /* A server that keeps talking never lets a wait time out: the
         * bound and the watch are looked at for every message too. */
        if (wp_clock_mono_ms() > deadline) {
            r = wp_error_set(err, WP_E_CONN, "the server did not finish its answer in %d s",
                             wait_ms(rc) / 1000);
            wp_conn_hint_stall(err);
            break;
        }
        if (check && (r = check(rc->conn->check_user, err)) < 0)
            break;
        r = fill_in_blocking(rc, WP_PQMSG_HDR, deadline, err);
        size_t len = 0;
        if (r == 0 && wp_pqmsg_body_len(rc->in, &len) < 0)
            r = wp_error_set(err, WP_E_PROTO, "malformed message from the server");
        if (r < 0)
            break;
        char type = (char)rc->in[0];
        take_in(rc, WP_PQMSG_HDR);
        r = read_body(rc, len, deadline, err);
        if (r == 0)
            r = around_message(rc, type, copy_ok, what, &a, err);
    }
    /* A server that said why before it closed (FATAL, then no
     * ReadyForQuery): its words, not the closed connection. */
    if (r < 0 && a.failed && err)
        *err = a.first;
    if (r < 0)
        return a.failed ? a.failed : r;
    if (a.copy) {
        *ret_copy = true;
        return 0;
    }
    if (a.failed && err)
        *err = a.first;
    *ret_end = a.end;
    return a.failed ? a.failed : 1;
}

/* A reader for conn, with sql sent. */
static int rc_query(wp_conn *conn, const char *sql, wp_rawcopy **ret_rc, wp_error *err)
{
    wp_rawcopy *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return wp_error_set(err, -ENOMEM, "out of memory");
    rc->conn = conn;
    rc->fd = PQsocket(conn->pg);
    wp_buf msg = {0};
    int r = wp_pqmsg_query(&msg, sql) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
    if (r == 0)
        r = send_all(rc, &msg, err);
    wp_buf_free(&msg);
    if (r < 0) {
        wp_rawcopy_free(rc);
        return r;
    }
    *ret_rc = rc;
    return 0;
}

int wp_rawcopy_query(wp_conn *conn, const char *sql, wp_rawcopy **ret_rc, wp_error *err)
{
    int r = rc_query(conn, sql, ret_rc, err);
    if (r == 0)
        (*ret_rc)->generic = true;
    return r;
}

/* The answer's message after a header of type (taken) and its body. */
static int event_of(wp_rawcopy *rc, char type, wp_rawevent *ev, wp_error *err)
{
    const uint8_t *body = (const uint8_t *)rc->body.data;
    switch (type) {
    case 'T':
        ev->kind = WP_RAW_ROWS;
        if (rc->body.len < 2)
            return wp_error_set(err, WP_E_PROTO, "malformed row description from the server");
        ev->ncols = (body[0] << 8) | body[1];
        return 1;
    case 'D':
        ev->kind = WP_RAW_ROW;
        if (wp_pqmsg_datarow(body, rc->body.len, ev->cols, ev->lens, WP_RAW_MAX_COLS, &ev->ncols) <
            0)
            return wp_error_set(err, WP_E_PROTO, "malformed data row from the server");
        ev->ncols = (body[0] << 8) | body[1]; /* all of them, kept or not */
        return 1;
    case 'C':
        ev->kind = WP_RAW_COMPLETE;
        return 1;
    case 'H':
        ev->kind = WP_RAW_COPY;
        return 1;
    case 'c':
        ev->kind = WP_RAW_COPY_DONE;
        return 1;
    case 'E':
        ev->kind = WP_RAW_ERROR;
        if (wp_pqmsg_error(body, rc->body.len, &ev->error) < 0)
            return wp_error_set(err, WP_E_PROTO, "malformed error message from the server");
        return 1;
    case 'Z':
        /* Nothing may follow unasked: libpq takes the connection from here. */
        if (rc->in_len != 0)
            return wp_error_set(err, WP_E_PROTO, "the server sent data after ReadyForQuery");
        ev->kind = WP_RAW_READY;
        return 1;
    case 'N':
        pass_notice(rc);
        return 0;
    case 'S':
        return 0;
    }
    return wp_error_set(err, WP_E_PROTO, "unexpected message type 0x%02x from the server",
                        (unsigned)(uint8_t)type);
}

int wp_rawcopy_event(wp_rawcopy *rc, wp_rawevent *ret_ev, wp_error *err)
{
    if (rc->payload_left > 0)
        return wp_error_set(err, WP_E_STATE, "a CopyData payload was left unread");
    for (;;) {
        char type = 0;
        size_t len = 0;
        int r = peek_header(rc, &type, &len, err);
        if (r <= 0)
            return r;
        take_in(rc, WP_PQMSG_HDR);
        *ret_ev = (wp_rawevent){.len = len};
        if (type == 'd') {
            ret_ev->kind = WP_RAW_DATA;
            rc->payload_left = len;
            return 1;
        }
        r = read_body(rc, len, deadline_from_now(rc), err);
        if (r == 0)
            r = event_of(rc, type, ret_ev, err);
        if (r != 0)
            return r;
    }
}

int wp_rawcopy_payload_all(wp_rawcopy *rc, void *dst, size_t len, wp_error *err)
{
    if (len > rc->payload_left)
        return wp_error_set(err, WP_E_STATE, "read past the end of a CopyData payload");
    int64_t deadline = deadline_from_now(rc);
    uint8_t *p = dst;
    while (len > 0) {
        ssize_t n = wp_rawcopy_payload(rc, p, len, err);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            int r = await_socket(rc, POLLIN, deadline, err);
            if (r < 0)
                return r;
            continue;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int wp_rawcopy_start(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                     wp_stream_end *ret_end, wp_rawcopy **ret_rc, wp_error *err)
{
    wp_buf sql = {0};
    wp_rawcopy *rc = NULL;
    int r = wp_conn_start_replication_sql(conn, slot, lsn, tli, &sql, err);
    if (r == 0)
        r = rc_query(conn, wp_buf_str(&sql), &rc, err);
    wp_buf_free(&sql);
    if (r < 0)
        return r;
    bool copy = false;
    wp_stream_end end = {0};
    r = read_until_ready(rc, true, "START_REPLICATION", &end, &copy, err);
    if (r == 0 && copy) {
        *ret_rc = rc;
        return 0;
    }
    wp_rawcopy_free(rc);
    if (r < 0)
        return r;
    if (!end.timeline_ended)
        return wp_error_set(err, WP_E_PROTO, "START_REPLICATION returned neither COPY nor a row");
    *ret_end = end;
    return WP_E_STOPPED;
}

/* An XLogData header (its kind byte already in rc->in): 1 taken, 0 not
 * all there yet. */
static int take_xlog_header(wp_rawcopy *rc, size_t len, wp_rawmsg *ret_msg, wp_error *err)
{
    if (len < WP_MSG_XLOGDATA_HDR)
        return wp_error_set(err, WP_E_PROTO, "malformed XLogData message (%zu bytes)", len);
    int r = fill_in(rc, XLOG_HDR, err);
    if (r <= 0)
        return r;
    const uint8_t *h = rc->in + WP_PQMSG_HDR + 1;
    *ret_msg = (wp_rawmsg){.kind = 'w',
                           .xlog = {.data_start = wp_get_u64(h),
                                    .wal_end = wp_get_u64(h + 8),
                                    .send_time = (int64_t)wp_get_u64(h + 16),
                                    .len = len - WP_MSG_XLOGDATA_HDR}};
    if (ret_msg->xlog.data_start + ret_msg->xlog.len < ret_msg->xlog.data_start)
        return wp_error_set(err, WP_E_PROTO, "XLogData past the end of the WAL space");
    take_in(rc, XLOG_HDR);
    rc->payload_left = ret_msg->xlog.len;
    return 1;
}

/* Any other CopyData: only a keepalive is expected (checked before reading
 * on: it has one size). */
static int take_keepalive(wp_rawcopy *rc, size_t len, wp_rawmsg *ret_msg, wp_error *err)
{
    if (rc->in[WP_PQMSG_HDR] != 'k' || len != WP_MSG_KEEPALIVE_LEN)
        return wp_error_set(err, WP_E_PROTO, "unexpected streaming message kind 0x%02x",
                            rc->in[WP_PQMSG_HDR]);
    int r = fill_in(rc, WP_PQMSG_HDR + len, err);
    if (r <= 0)
        return r;
    wp_keepalive k;
    if (wp_msg_decode_keepalive(rc->in + WP_PQMSG_HDR, len, &k) < 0)
        return wp_error_set(err, WP_E_PROTO, "malformed keepalive message");
    take_in(rc, WP_PQMSG_HDR + len);
    *ret_msg = (wp_rawmsg){.kind = 'k', .keepalive = k};
    return 1;
}

/* Anything but CopyData, which is rare: read whole, waiting if need be.
 * WP_E_STOPPED at the end of the COPY, 0 for one to pass over. */
static int take_other(wp_rawcopy *rc, char type, size_t len, wp_error *err)
{
    take_in(rc, WP_PQMSG_HDR);
    int r = read_body(rc, len, deadline_from_now(rc), err);
    if (r < 0)
        return r;
    /* CopyDone; or CommandComplete alone, which a server shutting down
     * sends to end the COPY before it exits. */
    if (type == 'c' || type == 'C') {
        rc->server_done = true;
        rc->completed = type == 'C';
        return WP_E_STOPPED;
    }
    if (type == 'E')
        return server_error(rc, "replication stream", err);
    if (type == 'N')
        pass_notice(rc);
    if (type != 'N' && type != 'S')
        return wp_error_set(err, WP_E_PROTO, "unexpected message type 0x%02x in the stream",
                            (unsigned)(uint8_t)type);
    return 0;
}

int wp_rawcopy_next(wp_rawcopy *rc, wp_rawmsg *ret_msg, wp_error *err)
{
    for (;;) {
        char type = 0;
        size_t len = 0;
        int r = peek_header(rc, &type, &len, err);
        if (r <= 0)
            return r;
        if (type != 'd') {
            r = take_other(rc, type, len, err);
            if (r != 0)
                return r;
            continue;
        }
        /* CopyData: its kind byte too (a CopyDone has no body to wait for). */
        if (len == 0)
            return wp_error_set(err, WP_E_PROTO, "empty CopyData message");
        if ((r = fill_in(rc, WP_PQMSG_HDR + 1, err)) <= 0)
            return r;
        return rc->in[WP_PQMSG_HDR] == 'w' ? take_xlog_header(rc, len, ret_msg, err)
                                           : take_keepalive(rc, len, ret_msg, err);
    }
}

size_t wp_rawcopy_payload_left(const wp_rawcopy *rc)
{
    return rc->payload_left;
}

ssize_t wp_rawcopy_payload(wp_rawcopy *rc, void *dst, size_t len, wp_error *err)
{
    size_t n = len < rc->payload_left ? len : rc->payload_left;
    if (n == 0)
        return 0;
    if (rc->in_len > 0) {
        /* Only a header should be there; take what is payload of it. */
        size_t m = rc->in_len < n ? rc->in_len : n;
        memcpy(dst, rc->in, m);
        take_in(rc, m);
        rc->copied += m;
        rc->payload_left -= m;
        return (ssize_t)m;
    }
    /* The read that ends the payload also takes the next header (never
     * more: no payload byte lands in rc->in). */
    struct iovec v[2] = {{.iov_base = dst, .iov_len = n},
                         {.iov_base = rc->in, .iov_len = XLOG_HDR}};
    ssize_t got = sock_read(rc, v, n == rc->payload_left ? 2 : 1, err);
    if (got <= 0)
        return got;
    if ((size_t)got > n) {
        rc->in_len = (size_t)got - n;
        got = (ssize_t)n;
    }
    rc->payload_left -= (size_t)got;
    return got;
}

int wp_rawcopy_send(wp_rawcopy *rc, const uint8_t *data, size_t len, wp_error *err)
{
    wp_buf msg = {0};
    wp_pqmsg_copydata(&msg, data, len);
    int r = send_all(rc, &msg, err);
    wp_buf_free(&msg);
    return r;
}

/* Is there a message to take without reading? */
static bool header_ready(const wp_rawcopy *rc)
{
    if (rc->payload_left > 0 || rc->in_len < WP_PQMSG_HDR)
        return false;
    if (rc->in[0] != 'd' || rc->generic)
        return true;
    if (rc->in_len < WP_PQMSG_HDR + 1)
        return false;
    size_t need = rc->in[WP_PQMSG_HDR] == 'k' ? WP_PQMSG_HDR + WP_MSG_KEEPALIVE_LEN : XLOG_HDR;
    return rc->in_len >= need;
}

int wp_rawcopy_wait(wp_rawcopy *rc, int timeout_ms, int wake_fd, wp_error *err)
{
    if (header_ready(rc))
        return 0;
    struct pollfd p[2] = {{.fd = rc->fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    if (poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms) < 0)
        return errno == EINTR ? -EINTR : wp_error_errno(err, errno, "poll failed");
    return 0;
}

int wp_rawcopy_end(wp_rawcopy *rc, bool server_ended, wp_stream_end *ret_end, wp_error *err)
{
    (void)server_ended; /* rc knows whether the server's CopyDone came */
    /* The goodbye is bounded, never cut short by a stop request: its
     * answer is what lets the server log a clean end. */
    rc->unwatched = true;
    int64_t deadline = deadline_from_now(rc);
    int r = 0;
    /* The rest of a payload we stopped reading goes unread no further. */
    while (r == 0 && rc->payload_left > 0) {
        char scratch[8192];
        ssize_t n = wp_rawcopy_payload(rc, scratch, sizeof(scratch), err);
        if (n < 0)
            r = (int)n;
        else if (n == 0)
            r = await_socket(rc, POLLIN, deadline, err);
    }
    if (rc->completed) {
        /* The server ended the command and is leaving: nothing to answer,
         * no ReadyForQuery to wait for. */
        wp_rawcopy_free(rc);
        *ret_end = (wp_stream_end){0};
        return r;
    }
    if (r == 0 && !rc->sent_done) {
        wp_buf msg = {0};
        wp_pqmsg_copydone(&msg);
        r = send_all(rc, &msg, err);
        wp_buf_free(&msg);
        rc->sent_done = true;
    }
    wp_stream_end end = {0};
    bool copy = false;
    if (r == 0)
        r = read_until_ready(rc, false, "replication stream", &end, &copy, err);
    wp_rawcopy_free(rc);
    if (r < 0)
        return r;
    *ret_end = end;
    return 0;
}

void wp_rawcopy_batch(wp_rawcopy *rc, int bytes)
{
    wp_conn_rcvlowat(rc->conn, bytes);
    rc->lowat = bytes;
}

void wp_rawcopy_free(wp_rawcopy *rc)
{
    if (!rc)
        return;
    if (rc->lowat > 1)
        wp_rawcopy_batch(rc, 1);
    wp_buf_free(&rc->body);
    free(rc);
}

uint64_t wp_rawcopy_copied(const wp_rawcopy *rc)
{
    return rc->copied;
}
