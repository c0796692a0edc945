#include "walpull/walrecv.h"

#include "walpull/clock.h"
#include "walpull/msg.h"
#include "walpull/rawcopy.h"
#include "walpull/timeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Timeline switches each within a segment of the one before: a real
 * server makes one per promotion; a run of them is a server going round
 * in circles (and every one is a history file in the archive). */
#define MAX_LADDER 8

#define DEFAULT_BATCH_BYTES ((size_t)8 << 20)

/* One batch of XLogData payloads, each still in the libpq buffer it came in. */
typedef struct batch {
    uint8_t *bufs[WP_WALRECV_BATCH_MSGS];
    struct iovec iov[WP_WALRECV_BATCH_MSGS];
    int n;
    size_t bytes;
    wp_lsn start;
} batch;

typedef struct stream_state {
    wp_conn *conn;
    /* The COPY read straight from the socket into the sink's staging
     * memory (rawcopy.h), when raw_ok; else through libpq (batch). */
    bool raw_ok;
    bool sink_stages; /* the sink copies into a staging buffer of its own */
    wp_rawcopy *rc;
    size_t keep_left; /* payload bytes of the current message still to write */
    bool keep_ends;   /* the message reaches endpos: done once written */
    wp_walsink *sink;
    const wp_walrecv_config *cfg;
    wp_walrecv_stats *stats;
    uint32_t tli;
    batch b;
    bool reply_now;
    bool server_asked;  /* a keepalive asked for a reply */
    bool pinged;        /* we asked the server for a reply after a silence */
    int ladder;         /* switches each close to the one before */
    wp_lsn last_switch; /* where the last switch was */
    int64_t last_status_ms;
} stream_state;

static void batch_release(batch *b)
{
    for (int i = 0; i < b->n; i++)
        wp_conn_buf_free(b->bufs[i]);
    b->n = 0;
    b->bytes = 0;
}

static int send_status_asking(stream_state *s, bool ask, wp_error *err);

static int send_status(stream_state *s, wp_error *err)
{
    return send_status_asking(s, false, err);
}

/* ask: request a reply, to learn whether a silent server is still there. */
static int send_status_asking(stream_state *s, bool ask, wp_error *err)
{
    /* apply is 0: an archiver applies nothing. */
    wp_status_update u = {.write = s->sink->written,
                          .flush = s->sink->durable,
                          .apply = 0,
                          .client_time = wp_clock_pg_now(),
                          .reply_requested = ask};
    uint8_t msg[WP_MSG_STATUS_LEN];
    wp_msg_encode_status(&u, msg);
    int r = s->rc ? wp_rawcopy_send(s->rc, msg, sizeof(msg), err)
                  : wp_conn_copy_send(s->conn, msg, sizeof(msg), err);
    if (r == 0) {
        s->last_status_ms = wp_clock_mono_ms();
        s->reply_now = false;
        s->stats->status_sent++;
        if (s->cfg->on_status)
            s->cfg->on_status(s->cfg->user, s->tli, s->sink, s->stats);
    }
    return r;
}

/* Hand the batch to the sink in one call, then give the buffers back. */
static int write_batch(stream_state *s, wp_error *err)
{
    batch *b = &s->b;
    if (s->rc && b->bytes == 0)
        return 0;
    if (!s->rc && b->n == 0)
        return 0;
    /* Read in place already: what is staged goes to the kernel. */
    int r = s->rc ? wp_walsink_commit(s->sink, 0, true, err)
                  : wp_walsink_write(s->sink, s->tli, b->start, b->iov, b->n, err);
    b->start += b->bytes;
    batch_release(b);
    s->stats->batches++;
    if (r == 0 && s->cfg->synchronous) {
        r = wp_walsink_flush(s->sink, err);
        s->reply_now = true;
    }
    return r;
}

/* An XLogData header: the server's position and time noted; how many of
 * its bytes to keep (all, or up to endpos), *ret_at_end when that ends
 * the stream. */
static size_t note_xlogdata(stream_state *s, const wp_xlogdata *x, bool *ret_at_end)
{
    size_t n = x->len;
    wp_lsn endpos = s->cfg->endpos;
    if (endpos != WP_LSN_INVALID && !s->cfg->endpos_past && x->data_start + n >= endpos) {
        n = (size_t)(endpos - x->data_start);
        *ret_at_end = true;
    } else if (endpos != WP_LSN_INVALID && s->cfg->endpos_past && x->data_start + n > endpos) {
        /* pg_receivewal's rule: the message that passes endpos is kept,
         * up to the end of the segment it passes it in. */
        wp_lsn boundary = endpos - wp_lsn_segment_offset(endpos, s->cfg->segsize) + s->cfg->segsize;
        if (x->data_start + n > boundary)
            n = (size_t)(boundary - x->data_start);
        *ret_at_end = true;
    }
    s->stats->messages++;
    if (x->wal_end > s->stats->server_wal_end)
        s->stats->server_wal_end = x->wal_end;
    s->stats->server_time = x->send_time;
    return n;
}

/* Take one XLogData message into the batch (or drop it when empty). The
 * buffer is kept until the batch is written. */
static int take_xlogdata(stream_state *s, uint8_t *buf, int len, bool *ret_at_end, wp_error *err)
{
    wp_xlogdata x;
    int r = wp_msg_decode_xlogdata(buf, (size_t)len, &x);
    if (r < 0) {
        wp_conn_buf_free(buf);
        return wp_error_set(err, WP_E_PROTO, "malformed XLogData message (%d bytes)", len);
    }
    batch *b = &s->b;
    wp_lsn expect = b->start + b->bytes;
    if (x.data_start != expect) {
        wp_conn_buf_free(buf);
        return wp_error_set(err, WP_E_PROTO, "received WAL at " WP_LSN_FMT ", expected " WP_LSN_FMT,
                            WP_LSN_ARGS(x.data_start), WP_LSN_ARGS(expect));
    }
    size_t n = note_xlogdata(s, &x, ret_at_end);
    s->stats->bytes += n;
    s->stats->copied_bytes += n * (s->sink_stages ? 2 : 1);
    if (n == 0) {
        wp_conn_buf_free(buf);
        return 0;
    }
    b->bufs[b->n] = buf;
    b->iov[b->n] = (struct iovec){.iov_base = (void *)x.data, .iov_len = n};
    b->n++;
    b->bytes += n;
    return 0;
}

static void note_keepalive(stream_state *s, const wp_keepalive *k)
{
    s->stats->keepalives++;
    if (k->wal_end > s->stats->server_wal_end)
        s->stats->server_wal_end = k->wal_end;
    s->stats->server_time = k->send_time;
    if (k->reply_requested)
        s->server_asked = true;
}

/* A keepalive: the server's position and time, and whether it wants an
 * answer. The buffer is freed here. */
static int take_keepalive(stream_state *s, uint8_t *buf, int len, wp_error *err)
{
    wp_keepalive k;
    int r = wp_msg_decode_keepalive(buf, (size_t)len, &k);
    wp_conn_buf_free(buf);
    if (r < 0)
        return wp_error_set(err, WP_E_PROTO, "malformed keepalive message (%d bytes)", len);
    note_keepalive(s, &k);
    return 0;
}

typedef enum drain_end {
    DRAIN_EMPTY,      /* nothing more buffered */
    DRAIN_FULL,       /* the batch is full */
    DRAIN_ENDPOS,     /* endpos reached */
    DRAIN_SERVER_END, /* the server ended the COPY */
} drain_end;

/* Read payload bytes of the current message straight into the sink's
 * staging memory: 1 when some came, 0 when none has arrived yet. */
static int take_payload(stream_state *s, wp_error *err)
{
    unsigned char *ptr;
    size_t room;
    int r = wp_walsink_reserve(s->sink, s->tli, s->b.start + s->b.bytes, &ptr, &room, err);
    if (r < 0)
        return r;
    if (room == 0) /* a sink that can reserve always lends a segment's buffer */
        return wp_error_set(err, WP_E_STATE, "the WAL sink lent no room");
    ssize_t got = wp_rawcopy_payload(s->rc, ptr, room < s->keep_left ? room : s->keep_left, err);
    if (got <= 0)
        return (int)got;
    r = wp_walsink_commit(s->sink, (size_t)got, false, err);
    if (r < 0)
        return r;
    s->keep_left -= (size_t)got;
    s->b.bytes += (size_t)got;
    s->stats->bytes += (size_t)got;
    return 1;
}

/* One message header from the socket: 1 taken, 0 none yet, or
 * WP_E_STOPPED / an error. *ret_end set when it reaches endpos with
 * nothing to write. */
static int take_raw_message(stream_state *s, bool *ret_at_end, wp_error *err)
{
    wp_rawmsg m;
    int r = wp_rawcopy_next(s->rc, &m, err);
    if (r <= 0)
        return r;
    s->pinged = false;
    if (m.kind == 'k') {
        note_keepalive(s, &m.keepalive);
        return 1;
    }
    wp_lsn expect = s->b.start + s->b.bytes;
    if (m.xlog.data_start != expect)
        return wp_error_set(err, WP_E_PROTO, "received WAL at " WP_LSN_FMT ", expected " WP_LSN_FMT,
                            WP_LSN_ARGS(m.xlog.data_start), WP_LSN_ARGS(expect));
    bool at_end = false;
    s->keep_left = note_xlogdata(s, &m.xlog, &at_end);
    s->keep_ends = at_end;
    *ret_at_end = at_end && s->keep_left == 0;
    return 1;
}

/* The raw path's drain: headers and payloads as they arrive, up to the
 * batch limits. The rest of a payload cut at endpos is never read. */
static int drain_raw(stream_state *s, drain_end *ret_end, wp_error *err)
{
    size_t max_bytes = s->cfg->batch_max_bytes ? s->cfg->batch_max_bytes : DEFAULT_BATCH_BYTES;
    s->stats->copied_bytes = wp_rawcopy_copied(s->rc);
    for (int taken = 0;; taken++) {
        if (s->b.bytes >= max_bytes || taken == 4 * WP_WALRECV_BATCH_MSGS) {
            *ret_end = DRAIN_FULL;
            return 0;
        }
        bool at_end = false;
        int r = s->keep_left > 0 ? take_payload(s, err) : take_raw_message(s, &at_end, err);
        if (r == WP_E_STOPPED) {
            *ret_end = DRAIN_SERVER_END;
            return 0;
        }
        if (r < 0)
            return r;
        if (r == 0) {
            *ret_end = DRAIN_EMPTY;
            return 0;
        }
        if (at_end || (s->keep_ends && s->keep_left == 0)) {
            s->keep_ends = false;
            *ret_end = DRAIN_ENDPOS;
            return 0;
        }
    }
}

/* Take every message libpq has buffered, up to the batch limits. */
static int drain(stream_state *s, drain_end *ret_end, wp_error *err)
{
    if (s->rc)
        return drain_raw(s, ret_end, err);
    size_t max_bytes = s->cfg->batch_max_bytes ? s->cfg->batch_max_bytes : DEFAULT_BATCH_BYTES;
    /* Messages that add nothing to the batch (keepalives, empty XLogData)
     * count too: a flood of them must not starve status updates and stop
     * checks. */
    for (int taken = 0;; taken++) {
        if (s->b.n == WP_WALRECV_BATCH_MSGS || s->b.bytes >= max_bytes ||
            taken == 2 * WP_WALRECV_BATCH_MSGS) {
            *ret_end = DRAIN_FULL;
            return 0;
        }
        uint8_t *buf;
        int len = wp_conn_copy_recv(s->conn, &buf, err);
        if (len == 0) {
            *ret_end = DRAIN_EMPTY;
            return 0;
        }
        if (len == WP_E_STOPPED) {
            *ret_end = DRAIN_SERVER_END;
            return 0;
        }
        if (len < 0)
            return len;
        s->pinged = false;
        if (buf[0] == 'w') {
            bool at_end = false;
            int r = take_xlogdata(s, buf, len, &at_end, err);
            if (r < 0)
                return r;
            if (at_end) {
                *ret_end = DRAIN_ENDPOS;
                return 0;
            }
        } else if (buf[0] == 'k') {
            int r = take_keepalive(s, buf, len, err);
            if (r < 0)
                return r;
        } else {
            int kind = buf[0];
            wp_conn_buf_free(buf);
            return wp_error_set(err, WP_E_PROTO, "unexpected streaming message kind 0x%02x", kind);
        }
    }
}

/* End the COPY (libpq's, or the raw reader's, which hands the connection
 * back to libpq). */
static int end_copy(stream_state *s, bool server_ended, wp_stream_end *end, wp_error *err)
{
    if (!s->rc)
        return wp_conn_end_copy(s->conn, server_ended, end, err);
    wp_rawcopy *rc = s->rc;
    s->rc = NULL;
    s->keep_left = 0;
    return wp_rawcopy_end(rc, server_ended, end, err);
}

/* Make everything durable, tell the server, and end the COPY ourselves. */
static int finish_stream(stream_state *s, wp_error *err)
{
    int r = wp_walsink_flush(s->sink, err);
    if (r == 0)
        r = send_status(s, err);
    wp_stream_end end;
    if (r == 0)
        r = end_copy(s, false, &end, err);
    return r;
}

/* When the next status update is due (monotonic ms). */
static int64_t status_due(const stream_state *s)
{
    int ms = s->cfg->status_interval_ms;
    return ms > 0 ? s->last_status_ms + ms : INT64_MAX;
}

/* What a drain ended with decides whether this timeline's stream goes on:
 * *ret_done when it is over (endpos, a stop request: the stream is
 * finished here; the server's end: WP_E_STOPPED is returned). */
static int check_end(stream_state *s, drain_end how, wp_walrecv_reason *ret_reason, bool *ret_done,
                     wp_error *err)
{
    const wp_walrecv_config *cfg = s->cfg;
    *ret_done = true;
    if (how == DRAIN_ENDPOS) {
        *ret_reason = WP_WALRECV_ENDPOS;
        return finish_stream(s, err);
    }
    if (how == DRAIN_SERVER_END) {
        int r = wp_walsink_flush(s->sink, err);
        return r < 0 ? r : WP_E_STOPPED;
    }
    if (cfg->should_stop && cfg->should_stop(cfg->user, s->sink->written)) {
        *ret_reason = WP_WALRECV_STOPPED;
        return finish_stream(s, err);
    }
    *ret_done = false;
    return 0;
}

/* Answer the server: a keepalive that asked for a reply, or the status
 * interval passing. */
static int report(stream_state *s, wp_error *err)
{
    if (s->server_asked) {
        /* The server asks when it needs to know what is safe, notably
         * while shutting down, when it waits for the flush position to
         * reach the end of WAL: make everything durable first. */
        int r = wp_walsink_flush(s->sink, err);
        if (r < 0)
            return r;
        s->server_asked = false;
        s->reply_now = true;
    }
    bool due = wp_clock_mono_ms() >= status_due(s);
    if (due && s->sink->durable < s->sink->written) {
        /* A quiet server may take hours to complete a segment: make what
         * was written durable once per interval, so that is all the
         * reported flush position (and a crash) can lag by. */
        int r = wp_walsink_flush(s->sink, err);
        if (r < 0)
            return r;
    }
    if (s->reply_now || due)
        return send_status(s, err);
    return 0;
}

/* Nothing buffered: wait for input until the next status update, and at
 * most a second, so that a stop request is seen even without signals. */
static int wait_input(stream_state *s, wp_error *err)
{
    int64_t wait = status_due(s) - wp_clock_mono_ms();
    if (wait > 1000)
        wait = 1000;
    if (wait < 0)
        wait = 0;
    int wake = s->cfg->has_wake_fd ? s->cfg->wake_fd : -1;
    int r = s->rc ? wp_rawcopy_wait(s->rc, (int)wait, wake, err)
                  : wp_conn_wait(s->conn, (int)wait, wake, err);
    if (r == -EINTR)
        r = 0;
    /* A server with nothing to send stays quiet while we report: after
     * half the receive timeout ask it for a reply; after all of it, give
     * up on this connection. */
    bool half = false;
    if (r == 0)
        r = wp_conn_check_idle(s->conn, &half, err);
    if (r == 0 && half && !s->pinged) {
        r = send_status_asking(s, true, err);
        s->pinged = true;
    }
    if (wake >= 0) {
        char drainbuf[64];
        while (read(wake, drainbuf, sizeof(drainbuf)) > 0) {
        }
    }
    return r;
}

/* Stream one timeline until it ends, endpos, a stop, or an error: each
 * turn drains what arrived into a batch, writes it, checks for the end,
 * reports to the server, and waits when nothing is left. Returns 0
 * (ENDPOS/STOPPED in *ret_reason) or WP_E_STOPPED when the server ended
 * the COPY. */
static int stream_timeline(stream_state *s, wp_lsn *pos, wp_walrecv_reason *ret_reason,
                           wp_error *err)
{
    s->b.start = *pos;
    s->last_status_ms = wp_clock_mono_ms();
    int r = send_status(s, err);
    while (r == 0) {
        drain_end how = DRAIN_EMPTY;
        bool done = false;
        r = drain(s, &how, err);
        if (r == 0)
            r = write_batch(s, err);
        *pos = s->b.start;
        if (r == 0)
            r = check_end(s, how, ret_reason, &done, err);
        if (done)
            return r;
        if (r == 0)
            r = report(s, err);
        if (r == 0 && how == DRAIN_EMPTY)
            r = wait_input(s, err);
    }
    batch_release(&s->b);
    return r;
}

/* The server ended timeline `tli`: fetch the next one's history, let the
 * sink close the old timeline, and move on. */
static int switch_timeline(stream_state *s, const wp_stream_end *end, wp_lsn *pos, wp_error *err)
{
    if (end->next_tli <= s->tli)
        return wp_error_set(err, WP_E_PROTO, "server switched to timeline %u, not after %u",
                            (unsigned)end->next_tli, (unsigned)s->tli);
    /* The new timeline begins where the old one ended: at or before the
     * end of what was received of it, never past a gap. */
    if (end->next_start > *pos || end->next_start == 0)
        return wp_error_set(err, WP_E_PROTO,
                            "server switched to timeline %u at " WP_LSN_FMT
                            ", past the end of timeline %u's WAL at " WP_LSN_FMT,
                            (unsigned)end->next_tli, WP_LSN_ARGS(end->next_start), (unsigned)s->tli,
                            WP_LSN_ARGS(*pos));
    if (s->last_switch && end->next_start < s->last_switch + s->cfg->segsize)
        s->ladder++;
    else
        s->ladder = 0;
    s->last_switch = end->next_start;
    if (s->ladder >= MAX_LADDER)
        return wp_error_set(
            err, WP_E_PROTO,
            "server switched timelines %d times within a segment (now to %u at " WP_LSN_FMT ")",
            MAX_LADDER + 1, (unsigned)end->next_tli, WP_LSN_ARGS(end->next_start));
    char *history = NULL;
    size_t len = 0;
    int r = wp_conn_timeline_history(s->conn, end->next_tli, s->tli, end->next_start, &history,
                                     &len, err);
    if (r == 0)
        r = wp_walsink_end_timeline(s->sink, s->tli, end->next_start, end->next_tli, history, len,
                                    err);
    free(history);
    if (r < 0)
        return r;
    if (s->cfg->on_timeline)
        s->cfg->on_timeline(s->cfg->user, s->tli, end->next_tli, end->next_start);
    s->tli = end->next_tli;
    /* Restart at the segment start on the new timeline: the server's file
     * for it holds the old timeline's bytes up to the switch point, and a
     * segment file must be whole for recovery to read it. */
    *pos = end->next_start - wp_lsn_segment_offset(end->next_start, s->cfg->segsize);
    return 0;
}

/* One pass: START_REPLICATION on the current timeline, stream it, and
 * follow a switch to the next. *ret_done when the stream is over (endpos,
 * a stop request) or failed. */
static int stream_once(stream_state *s, wp_lsn *pos, wp_walrecv_reason *reason, bool *ret_done,
                       wp_error *err)
{
    const wp_walrecv_config *cfg = s->cfg;
    *ret_done = true;
    /* A stop request is honoured between timelines too. */
    if (cfg->should_stop && cfg->should_stop(cfg->user, s->sink->written)) {
        *reason = WP_WALRECV_STOPPED;
        return wp_walsink_flush(s->sink, err);
    }
    if (cfg->endpos != WP_LSN_INVALID &&
        (cfg->endpos_past ? *pos > cfg->endpos : *pos >= cfg->endpos)) {
        *reason = WP_WALRECV_ENDPOS;
        return wp_walsink_flush(s->sink, err);
    }
    wp_stream_end end;
    int r = s->raw_ok ? wp_rawcopy_start(s->conn, cfg->slot, *pos, s->tli, &end, &s->rc, err)
                      : wp_conn_start_replication(s->conn, cfg->slot, *pos, s->tli, &end, err);
    if (r == WP_E_STOPPED) {
        *ret_done = false;
        return switch_timeline(s, &end, pos, err);
    }
    if (r == 0)
        r = stream_timeline(s, pos, reason, err);
    if (r != WP_E_STOPPED) {
        /* Over, or failed: a raw reader left mid-COPY is given up with the
         * connection. */
        wp_rawcopy_free(s->rc);
        s->rc = NULL;
        return r;
    }
    r = end_copy(s, true, &end, err);
    if (r < 0)
        return r;
    if (!end.timeline_ended)
        return wp_error_set(err, WP_E_STOPPED,
                            "the server ended streaming at " WP_LSN_FMT " on timeline %u",
                            WP_LSN_ARGS(*pos), (unsigned)s->tli);
    *ret_done = false;
    return switch_timeline(s, &end, pos, err);
}

int wp_walrecv_run(wp_conn *conn, wp_walsink *sink, const wp_walrecv_config *cfg,
                   wp_walrecv_stats *stats, wp_walrecv_result *ret_result, wp_error *err)
{
    wp_walrecv_stats local = {0};
    if (!wp_segsize_valid(cfg->segsize))
        return wp_error_set(err, WP_E_RANGE, "invalid WAL segment size %llu",
                            (unsigned long long)cfg->segsize);
    stream_state *s = calloc(1, sizeof(*s));
    if (!s)
        return wp_error_set(err, -ENOMEM, "out of memory");
    s->conn = conn;
    s->sink = sink;
    s->cfg = cfg;
    s->stats = stats ? stats : &local;
    s->tli = cfg->tli;
    s->sink_stages = wp_walsink_can_reserve(sink);
    s->raw_ok = cfg->zero_copy && s->sink_stages && wp_rawcopy_usable(conn);
    s->stats->zero_copy = s->raw_ok;
    /* Nothing before the start is wanted from the server: the first status
     * update says so (write and flush at the start, as pg_receivewal
     * reports them), so a slot's restart_lsn is set at once instead of
     * after the first durable write. */
    if (sink->written < cfg->start) {
        sink->written = cfg->start;
        sink->durable = cfg->start;
    }
    wp_lsn pos = cfg->start;
    wp_walrecv_reason reason = WP_WALRECV_ENDPOS;
    bool done = false;
    int r;
    do
        r = stream_once(s, &pos, &reason, &done, err);
    while (r == 0 && !done);
    if (r == 0)
        *ret_result = (wp_walrecv_result){.reason = reason, .tli = s->tli, .position = pos};
    free(s);
    return r;
}
