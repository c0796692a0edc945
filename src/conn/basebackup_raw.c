/* BASE_BACKUP's answer read from the socket (rawcopy.h) rather than
 * through libpq: the same results, COPYs and errors, handled by the same
 * code (bbrun.h), but the data of a file whose link lends its staging
 * memory is read straight into it. */
#include "conn/bbrun.h"

#include "conn/conn_internal.h"
#include "walpull/rawcopy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(ROW_FIELDS <= WP_RAW_MAX_COLS, "raw rows keep every field read");

#define SCRATCH_BYTES ((size_t)64 << 10)
#define MAX_SMALL_MSG ((size_t)64 << 10) /* a backup message other than data */

typedef struct raw_state {
    wp_rawcopy *rc;
    bool in_set;      /* inside a result set (rows come) */
    bool in_copy;     /* inside a COPY */
    bool in_manifest; /* 13/14: this COPY is the manifest */
    bool copied;      /* a COPY has begun: silence is a stall from here */
    wp_buf cells;     /* the set's values, each NUL-terminated */
    size_t cell[WP_MAX_TABLESPACES][ROW_FIELDS]; /* offsets; SIZE_MAX: NULL */
    int n_rows, n_fields;
    uint8_t scratch[SCRATCH_BYTES]; /* bytes no link lends memory for */
} raw_state;

/* Wait for more of the answer, watching for an abandon request and, once
 * a COPY has begun, for a stalled server. */
static int raw_wait(const run_state *s, const raw_state *q, wp_error *err)
{
    int r = wp_rawcopy_wait(q->rc, q->in_copy ? WAKE_MS : 1000, -1, err);
    if (r < 0 && r != -EINTR)
        return r;
    r = bb_check_abort(s, err);
    if (r == 0 && q->copied)
        r = wp_conn_check_idle(s->conn, NULL, err);
    return r;
}

static int raw_row(raw_state *q, const wp_rawevent *ev, wp_error *err)
{
    /* As libpq checks it. */
    if (ev->ncols != q->n_fields)
        return wp_error_set(err, WP_E_PROTO, "the server sent a row of %d columns in a set of %d",
                            ev->ncols, q->n_fields);
    if (q->n_rows == WP_MAX_TABLESPACES)
        return wp_error_set(err, WP_E_PROTO, "unexpected tablespace list (more than %d rows)",
                            WP_MAX_TABLESPACES);
    int i = q->n_rows++;
    for (int f = 0; f < ROW_FIELDS; f++) {
        q->cell[i][f] = SIZE_MAX;
        if (f >= ev->ncols || ev->lens[f] < 0)
            continue;
        q->cell[i][f] = q->cells.len;
        wp_buf_append(&q->cells, (const char *)ev->cols[f], (size_t)ev->lens[f]);
        wp_buf_append(&q->cells, "", 1);
    }
    return 0;
}

/* The set just completed, as bb_tuples() takes it. */
static int raw_tuples(run_state *s, raw_state *q, wp_lsn *start, uint32_t *start_tli, wp_error *err)
{
    if (wp_buf_ok(&q->cells) < 0)
        return wp_error_set(err, -ENOMEM, "out of memory");
    bb_rows rows = {.n = q->n_rows, .nfields = q->n_fields};
    for (int i = 0; i < q->n_rows; i++)
        for (int f = 0; f < ROW_FIELDS; f++)
            rows.val[i][f] = q->cell[i][f] == SIZE_MAX ? NULL : q->cells.data + q->cell[i][f];
    int r = bb_tuples(s, &rows, start, start_tli, err);
    wp_buf_reset(&q->cells);
    q->n_rows = q->n_fields = 0;
    q->in_set = false;
    return r;
}

/* Up to len bytes of archive or manifest data, as far as they have come:
 * into the link's own memory where it lends it, else through the scratch
 * buffer. *ret_got 0: none has arrived yet. */
static int raw_chunk(run_state *s, raw_state *q, size_t len, bool count, size_t *ret_got,
                     wp_error *err)
{
    unsigned char *ptr = NULL;
    size_t room = 0;
    int r = wp_link_can_reserve(s->link) ? wp_link_reserve(s->link, &ptr, &room, err) : 0;
    if (r < 0)
        return r;
    bool straight = room > 0;
    if (!straight) {
        ptr = q->scratch;
        room = sizeof(q->scratch);
    }
    ssize_t got = wp_rawcopy_payload(q->rc, ptr, len < room ? len : room, err);
    if (got <= 0) {
        *ret_got = 0;
        return (int)got;
    }
    *ret_got = (size_t)got;
    if (!straight)
        return bb_feed(s, ptr, (size_t)got, count, err);
    r = wp_link_commit(s->link, (size_t)got, false, err);
    s->stats.straight += (size_t)got;
    if (r == 0 && count)
        bb_count_bytes(s, (size_t)got);
    return r;
}

/* len bytes of archive or manifest data, waiting for them as they come. */
static int raw_stream(run_state *s, raw_state *q, size_t len, bool count, wp_error *err)
{
    if (!s->link)
        return wp_error_set(err, WP_E_PROTO, "backup data arrived before any archive began");
    while (len > 0) {
        size_t got = 0;
        int r = raw_chunk(s, q, len, count, &got, err);
        if (r == 0 && got == 0)
            r = raw_wait(s, q, err);
        if (r < 0)
            return r;
        len -= got;
    }
    return bb_check_abort(s, err);
}

/* A payload read and dropped (after the server's error). */
static int raw_drop(run_state *s, raw_state *q, size_t len, wp_error *err)
{
    while (len > 0) {
        ssize_t got =
            wp_rawcopy_payload(q->rc, q->scratch, len < SCRATCH_BYTES ? len : SCRATCH_BYTES, err);
        if (got < 0)
            return (int)got;
        int r = got == 0 ? raw_wait(s, q, err) : 0;
        if (r < 0)
            return r;
        len -= (size_t)got;
    }
    return 0;
}

/* One CopyData message of len bytes (its payload still to read). */
static int raw_data(run_state *s, raw_state *q, size_t len, wp_error *err)
{
    if (!q->in_copy)
        return wp_error_set(err, WP_E_PROTO, "the server sent data outside a COPY");
    if (s->conn->version < 150000)
        return raw_stream(s, q, len, !q->in_manifest, err);
    uint8_t kind = 0;
    int r = len ? wp_rawcopy_payload_all(q->rc, &kind, 1, err)
                : wp_error_set(err, WP_E_PROTO, "malformed backup message (kind 0x00, 0 bytes)");
    if (r < 0)
        return r;
    if (kind == 'd') {
        /* The sequence is checked as for any message; the bytes stream. */
        wp_bbmsg m = {.kind = WP_BBMSG_DATA, .len = len - 1};
        size_t idx = 0;
        r = bb_step(s, &m, &idx, err);
        return r < 0 ? r : raw_stream(s, q, len - 1, !s->seq.manifest, err);
    }
    if (len > MAX_SMALL_MSG)
        return wp_error_set(err, WP_E_PROTO, "malformed backup message (kind 0x%02x, %zu bytes)",
                            kind, len);
    q->scratch[0] = kind;
    r = wp_rawcopy_payload_all(q->rc, q->scratch + 1, len - 1, err);
    return r < 0 ? r : bb_handle_message(s, q->scratch, len, err);
}

/* One message of the answer: 1 at ReadyForQuery, 0 to read on, or an
 * error; the server's first error is kept in *first, read on after. */
static int raw_event(run_state *s, raw_state *q, const wp_rawevent *ev, wp_lsn *start,
                     uint32_t *start_tli, wp_error *first, int *failed, wp_error *err)
{
    int r = 0;
    switch (ev->kind) {
    case WP_RAW_ROWS:
        r = bb_end_link(s, *failed, err);
        q->in_set = true;
        q->n_fields = ev->ncols;
        return r;
    case WP_RAW_ROW:
        if (!q->in_set)
            return wp_error_set(err, WP_E_PROTO, "the server sent a row outside a result set");
        return *failed ? 0 : raw_row(q, ev, err);
    case WP_RAW_COMPLETE:
        r = bb_end_link(s, *failed, err);
        if (r == 0 && q->in_set && !*failed)
            r = raw_tuples(s, q, start, start_tli, err);
        q->in_set = false;
        return r;
    case WP_RAW_COPY:
        if (q->in_copy || q->in_set)
            return wp_error_set(err, WP_E_PROTO, "the server began a COPY inside another result");
        r = bb_end_link(s, *failed, err);
        /* After the server's error nothing more is written. */
        if (r == 0 && !*failed)
            r = bb_copy_begin(s, &q->in_manifest, err);
        q->in_copy = q->copied = true;
        wp_rawcopy_batch(q->rc, WAKE_BYTES);
        wp_conn_note_input(s->conn);
        return r;
    case WP_RAW_DATA:
        return *failed ? raw_drop(s, q, ev->len, err) : raw_data(s, q, ev->len, err);
    case WP_RAW_COPY_DONE:
        /* The link stays open until the next result says whether the
         * COPY ended well: a server error must not leave a finalized,
         * cut file. */
        q->in_copy = false;
        wp_rawcopy_batch(q->rc, 1);
        return 0;
    case WP_RAW_ERROR:
        bb_end_link(s, true, err);
        q->in_copy = q->in_set = false;
        wp_rawcopy_batch(q->rc, 1); /* what follows is short */
        if (!*failed) {
            *failed = wp_conn_server_error(first, WP_E_SERVER, "BASE_BACKUP", ev->error.message,
                                           ev->error.detail, ev->error.sqlstate);
            bb_refused_wording(s, ev->error.severity_local, ev->error.message, first);
        }
        return 0;
    case WP_RAW_READY:
        if (q->in_copy || q->in_set)
            return wp_error_set(err, WP_E_PROTO, "the backup's answer ended inside a result");
        r = bb_end_link(s, *failed, err);
        return r < 0 ? r : 1;
    }
    return 0;
}

/* The reader's waits inside a message end on the same requests. */
static int raw_check(void *user, wp_error *err)
{
    return bb_check_abort(user, err);
}

/* The whole answer, read from the socket, through ReadyForQuery. */
int bb_raw_results(run_state *s, const char *sql, wp_error *err)
{
    raw_state *q = calloc(1, sizeof(*q));
    if (!q)
        return wp_error_set(err, -ENOMEM, "out of memory");
    s->stats.zero_copy = true;
    /* For this answer only (s goes with it); the caller's watch after. */
    wp_conn_check outer = s->conn->check;
    void *outer_user = s->conn->check_user;
    wp_conn_watch(s->conn, raw_check, s);
    int r = wp_rawcopy_query(s->conn, sql, &q->rc, err);
    wp_lsn start = 0;
    uint32_t start_tli = 0;
    wp_error first = {0};
    int failed = 0;
    wp_conn_note_input(s->conn);
    while (r == 0) {
        wp_rawevent ev;
        r = wp_rawcopy_event(q->rc, &ev, err);
        if (r == 0)
            r = raw_wait(s, q, err);
        else if (r == 1)
            r = raw_event(s, q, &ev, &start, &start_tli, &first, &failed, err);
    }
    /* A server that said why before it closed: its words. */
    if (failed && err)
        *err = first;
    if (failed)
        r = failed;
    wp_rawcopy_free(q->rc);
    wp_conn_watch(s->conn, outer, outer_user);
    wp_buf_free(&q->cells);
    free(q);
    return r < 0 ? r : 0;
}
