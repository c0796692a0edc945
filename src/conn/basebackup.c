#include "walpull/basebackup.h"

#include "conn/bbrun.h"
#include "conn/conn_internal.h"
#include "walpull/bbmsg.h"
#include "walpull/conninfo.h"
#include "walpull/fields.h"
#include "walpull/msg.h"
#include "walpull/rawcopy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NAME 'value' (15+) or NAME 'value' (13/14 take the same quoting). */
static void quoted_option(wp_buf *out, const char *sep, const char *name, const char *value)
{
    wp_buf_printf(out, "%s%s ", sep, name);
    wp_quote_literal(out, value);
}

/* The options only 15 and later take: a target, server compression. */
static void modern_options(const wp_basebackup_opts *o, wp_buf *out)
{
    if (o->target) {
        quoted_option(out, ", ", "TARGET", o->target);
        if (o->target_detail)
            quoted_option(out, ", ", "TARGET_DETAIL", o->target_detail);
    }
}

static void compression_options(const wp_basebackup_opts *o, wp_buf *out)
{
    if (o->compression) {
        quoted_option(out, ", ", "COMPRESSION", o->compression);
        if (o->compression_detail)
            quoted_option(out, ", ", "COMPRESSION_DETAIL", o->compression_detail);
    }
}

static void manifest_options(const wp_basebackup_opts *o, const char *sep, wp_buf *out)
{
    if (!o->manifest)
        return;
    quoted_option(out, sep, "MANIFEST", o->manifest_force_encode ? "force-encode" : "yes");
    quoted_option(out, sep, "MANIFEST_CHECKSUMS",
                  o->manifest_checksums ? o->manifest_checksums : "CRC32C");
}

int wp_basebackup_command(const wp_basebackup_opts *o, int server_version, wp_buf *out,
                          wp_error *err)
{
    /* 15 and later take an option list; 13 and 14 bare words. */
    bool list = server_version >= 150000;
    if (!list && o->target)
        return wp_error_set(err, WP_E_UNSUPPORTED,
                            "backup targets are not supported by this server version");
    if (!list && o->compression)
        return wp_error_set(err, WP_E_UNSUPPORTED,
                            "server does not support server-side compression");
    const char *sep = list ? ", " : " ";
    wp_buf_puts(out, list ? "BASE_BACKUP (LABEL " : "BASE_BACKUP LABEL ");
    wp_quote_literal(out, o->label ? o->label : "walpull base backup");
    if (list)
        modern_options(o, out);
    if (o->progress)
        wp_buf_printf(out, "%sPROGRESS", sep);
    if (o->fast_checkpoint)
        wp_buf_printf(out, "%s%s", sep, list ? "CHECKPOINT 'fast'" : "FAST");
    if (o->include_wal)
        wp_buf_printf(out, "%sWAL", sep);
    if (o->nowait)
        wp_buf_printf(out, "%s%s", sep, list ? "WAIT false" : "NOWAIT");
    if (o->max_rate)
        wp_buf_printf(out, "%sMAX_RATE %u", sep, (unsigned)o->max_rate);
    if (o->tablespace_map)
        wp_buf_printf(out, "%sTABLESPACE_MAP", sep);
    if (o->no_verify_checksums)
        wp_buf_printf(out, "%s%s", sep, list ? "VERIFY_CHECKSUMS false" : "NOVERIFY_CHECKSUMS");
    manifest_options(o, sep, out);
    if (list)
        compression_options(o, out);
    if (list)
        wp_buf_puts(out, ")");
    return wp_buf_ok(out) < 0 ? wp_error_set(err, -ENOMEM, "out of memory") : 0;
}

int bb_close_link(run_state *s, wp_error *err)
{
    if (!s->link)
        return 0;
    int r = wp_link_finalize(s->link, err);
    wp_link_free(s->link);
    s->link = NULL;
    return r;
}

int bb_end_link(run_state *s, bool failed, wp_error *err)
{
    if (!failed)
        return bb_close_link(s, err);
    wp_link_free(s->link);
    s->link = NULL;
    return 0;
}

void bb_count_bytes(run_state *s, size_t len)
{
    s->bytes += len;
    if (s->h->progress)
        s->h->progress(s->h->user, s->bytes);
}

int bb_feed(run_state *s, const uint8_t *data, size_t len, bool count, wp_error *err)
{
    if (!s->link)
        return wp_error_set(err, WP_E_PROTO, "backup data arrived before any archive began");
    struct iovec v = {.iov_base = (void *)data, .iov_len = len};
    int r = wp_link_content(s->link, &v, 1, err);
    s->stats.handed += len;
    if (r == 0 && count)
        bb_count_bytes(s, len);
    return r;
}

int bb_step(run_state *s, const wp_bbmsg *m, size_t *ret_idx, wp_error *err)
{
    const char *why = NULL;
    if (wp_bbseq_step(&s->seq, m, ret_idx, &why) < 0)
        return wp_error_set(err, WP_E_PROTO, "the server's backup stream is out of order: %s", why);
    return 0;
}

/* One CopyData message of the 15+ stream. */
int bb_handle_message(run_state *s, const uint8_t *buf, size_t len, wp_error *err)
{
    wp_bbmsg m;
    size_t idx = 0;
    if (wp_bbmsg_decode(buf, len, &m) < 0)
        return wp_error_set(err, WP_E_PROTO, "malformed backup message (kind 0x%02x, %zu bytes)",
                            len ? buf[0] : 0, len);
    int r = bb_step(s, &m, &idx, err);
    if (r < 0)
        return r;
    switch (m.kind) {
    case WP_BBMSG_ARCHIVE:
        r = bb_close_link(s, err);
        if (r == 0)
            r = s->h->archive(s->h->user, idx, &s->link, err);
        return r;
    case WP_BBMSG_DATA:
        return bb_feed(s, m.data, m.len, !s->seq.manifest, err);
    case WP_BBMSG_PROGRESS:
        if (s->h->progress)
            s->h->progress(s->h->user, m.progress);
        return 0;
    case WP_BBMSG_MANIFEST:
        r = bb_close_link(s, err);
        if (r == 0)
            r = s->h->manifest(s->h->user, &s->link, err);
        return r;
    }
    return 0;
}

/* The driver's say: go on, or abandon the backup (a failed WAL stream, a
 * signal). */
int bb_check_abort(const run_state *s, wp_error *err)
{
    const char *why = s->h->should_abort ? s->h->should_abort(s->h->user) : NULL;
    return why ? wp_error_set(err, WP_E_STATE, "base backup stopped: %s", why) : 0;
}

/* Next CopyData message of the stream, waiting as described above:
 * *len as PQgetCopyData returns it (-1 at the end of the COPY). */
static int next_message(const run_state *s, char **buf, int *len, wp_error *err)
{
    wp_conn *conn = s->conn;
    for (;;) {
        *len = PQgetCopyData(conn->pg, buf, 1);
        if (*len == -2)
            return wp_error_set(err, WP_E_CONN, "could not read the backup stream: %s",
                                PQerrorMessage(conn->pg));
        if (*len > 0)
            wp_conn_note_input(conn);
        if (*len != 0)
            return 0;
        /* After a timeout this takes whatever is there, if less than
         * WAKE_BYTES. */
        int r = wp_conn_wait(conn, WAKE_MS, -1, err);
        if (r < 0 && r != -EINTR)
            return r;
        /* A backup stream flows (at MAX_RATE at the slowest); one that
         * stops is a stalled server. */
        r = wp_conn_check_idle(conn, NULL, err);
        if (r == 0)
            r = bb_check_abort(s, err);
        if (r < 0)
            return r;
    }
}

static int stream_messages(run_state *s, bool modern, const bool *in_manifest, wp_error *err)
{
    int r = 0;
    for (;;) {
        char *buf;
        int len;
        r = next_message(s, &buf, &len, err);
        if (r < 0)
            return r;
        if (len == -1)
            break;
        if (modern)
            r = bb_handle_message(s, (const uint8_t *)buf, (size_t)len, err);
        else
            r = bb_feed(s, (const uint8_t *)buf, (size_t)len, !*in_manifest, err);
        PQfreemem(buf);
        if (r < 0)
            return r;
        r = bb_check_abort(s, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A COPY begins: 13 and 14 send one raw tar per tablespace, in list
 * order, then the manifest; 15 and later say in the stream what comes. */
int bb_copy_begin(run_state *s, bool *ret_in_manifest, wp_error *err)
{
    *ret_in_manifest = false;
    if (s->conn->version >= 150000)
        return 0;
    int r;
    if (s->next_archive < s->n_ts) {
        r = s->h->archive(s->h->user, s->next_archive, &s->link, err);
    } else if (s->manifest_seen) {
        r = wp_error_set(err, WP_E_PROTO, "the server sent a second manifest");
    } else {
        r = s->h->manifest(s->h->user, &s->link, err);
        *ret_in_manifest = true;
        s->manifest_seen = true;
    }
    s->next_archive++;
    return r;
}

static int copy_stream(run_state *s, wp_error *err)
{
    bool modern = s->conn->version >= 150000;
    bool in_manifest = false;
    int r = bb_copy_begin(s, &in_manifest, err);
    if (r < 0)
        return r;
    wp_conn_rcvlowat(s->conn, WAKE_BYTES);
    wp_conn_note_input(s->conn);
    r = stream_messages(s, modern, &in_manifest, err);
    wp_conn_rcvlowat(s->conn, 1); /* libpq's own waits for results expect any byte */
    /* The link stays open until the result after the COPY says whether it
     * ended well: a server error must not leave a finalized, cut file. */
    return r;
}

/* The tablespace list: the main directory once (no oid, no location),
 * every other tablespace once, at an absolute path that stays where it
 * says (no "..", no "."), as the server's own tablespaces are. */
static int check_tablespaces(const run_state *s, wp_error *err)
{
    size_t mains = 0;
    for (size_t i = 0; i < s->n_ts; i++) {
        const wp_tablespace *t = &s->ts[i];
        if (t->oid == 0) {
            mains++;
            if (t->location[0])
                return wp_error_set(err, WP_E_PROTO,
                                    "the server's tablespace list gives the "
                                    "main directory a location");
            continue;
        }
        if (!wp_field_abs_path(t->location))
            return wp_error_set(err, WP_E_PROTO,
                                "the server sent tablespace %u at \"%.200s\", which is not an "
                                "absolute path without \".\" or \"..\" components",
                                (unsigned)t->oid, t->location);
        for (size_t j = 0; j < i; j++)
            if (s->ts[j].oid == t->oid)
                return wp_error_set(err, WP_E_PROTO, "the server lists tablespace %u twice",
                                    (unsigned)t->oid);
    }
    if (mains != 1)
        return wp_error_set(err, WP_E_PROTO,
                            "the server's tablespace list has %zu main directories, not one",
                            mains);
    return 0;
}

static void rows_of_result(const PGresult *res, bb_rows *rows)
{
    rows->n = PQntuples(res);
    rows->nfields = PQnfields(res);
    for (int i = 0; i < rows->n && i < WP_MAX_TABLESPACES; i++)
        for (int f = 0; f < rows->nfields && f < ROW_FIELDS; f++)
            rows->val[i][f] = PQgetisnull(res, i, f) ? NULL : PQgetvalue(res, i, f);
}

/* One row of the tablespace list, checked. */
static int tablespace_row(const char *const val[ROW_FIELDS], wp_tablespace *t, wp_error *err)
{
    uint64_t oid = 0, size = 0;
    if (val[0] && (wp_field_uint(val[0], UINT32_MAX, &oid) < 0 || oid == 0))
        return wp_error_set(err, WP_E_PROTO, "the server sent an invalid tablespace oid \"%.20s\"",
                            val[0]);
    if (val[2] && wp_field_uint(val[2], INT64_MAX / 1024, &size) < 0)
        return wp_error_set(err, WP_E_PROTO, "the server sent an invalid tablespace size \"%.20s\"",
                            val[2]);
    t->oid = (uint32_t)oid;
    const char *loc = val[1] ? val[1] : "";
    if (strlen(loc) >= sizeof(t->location))
        return wp_error_set(err, WP_E_RANGE, "tablespace location too long: \"%.64s...\"", loc);
    memcpy(t->location, loc, strlen(loc) + 1);
    t->size_kb = val[2] ? (int64_t)size : -1;
    return 0;
}

int bb_tuples(run_state *s, const bb_rows *rows, wp_lsn *ret_start, uint32_t *ret_tli,
              wp_error *err)
{
    int which = s->results++;
    if (which == 1) {
        /* The tablespace list. */
        int n = rows->n;
        if (n > WP_MAX_TABLESPACES || rows->nfields < 3)
            return wp_error_set(err, WP_E_PROTO, "unexpected tablespace list (%d rows)", n);
        for (int i = 0; i < n; i++) {
            int r = tablespace_row(rows->val[i], &s->ts[i], err);
            if (r < 0)
                return r;
        }
        s->n_ts = (size_t)n;
        int r = check_tablespaces(s, err);
        if (r < 0)
            return r;
        for (size_t i = 0; i < s->n_ts; i++)
            s->paths[i] = s->ts[i].oid ? s->ts[i].location : "";
        wp_bbseq_init(&s->seq, s->paths, s->n_ts);
        return s->h->started(s->h->user, *ret_start, *ret_tli, s->ts, s->n_ts, err);
    }
    /* The start (first) or end (last) position: LSN and timeline. */
    if (rows->n != 1 || rows->nfields < 2)
        return wp_error_set(err, WP_E_PROTO, "unexpected backup position result");
    const char *lsn_text = rows->val[0][0] ? rows->val[0][0] : "";
    const char *tli_text = rows->val[0][1] ? rows->val[0][1] : "";
    wp_lsn lsn;
    if (wp_lsn_parse(lsn_text, &lsn) < 0)
        return wp_error_set(err, WP_E_PROTO, "could not parse backup position \"%.40s\"", lsn_text);
    uint32_t tli;
    if (wp_field_tli(tli_text, &tli) < 0)
        return wp_error_set(err, WP_E_PROTO, "the server sent an invalid backup timeline \"%.20s\"",
                            tli_text);
    if (which == 0) {
        *ret_start = lsn;
        *ret_tli = tli;
    } else {
        s->end = lsn;
        s->end_tli = tli;
    }
    return 0;
}

/* Refused before it began: in the words scripts of the stock tool match
 * ("could not initiate base backup: ERROR:  ..."). */
void bb_refused_wording(const run_state *s, const char *severity, const char *primary,
                        wp_error *err)
{
    if (s->results == 0 && severity && primary && err)
        snprintf(err->message, sizeof(err->message), "could not initiate base backup: %s:  %s",
                 severity, primary);
}

/* One result of the backup: what it ends (an archive still open) and
 * what it starts (a COPY, a result set), or the server's error. */
static int handle_result(run_state *s, PGresult *res, wp_lsn *start, uint32_t *start_tli,
                         wp_error *err)
{
    ExecStatusType st = PQresultStatus(res);
    bool failed = st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE;
    int r = bb_end_link(s, failed, err);
    if (r < 0)
        return r;
    if (st == PGRES_COPY_OUT)
        return copy_stream(s, err);
    if (st == PGRES_TUPLES_OK) {
        bb_rows rows = {0};
        rows_of_result(res, &rows);
        return bb_tuples(s, &rows, start, start_tli, err);
    }
    if (st != PGRES_COMMAND_OK) {
        r = wp_conn_set_error(err, s->conn->pg, res, "BASE_BACKUP");
        bb_refused_wording(s, PQresultErrorField(res, PG_DIAG_SEVERITY),
                           PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), err);
        return r;
    }
    return 0;
}

/* Wait until the next result can be read, watching for an abandon
 * request; bounded by the receive timeout once copied (before the COPY
 * the server may be waiting for a spread checkpoint, which takes its
 * time; after it, silence is a stall). */
static int await_result(const run_state *s, bool copied, wp_error *err)
{
    wp_conn_note_input(s->conn);
    while (PQisBusy(s->conn->pg)) {
        int r = wp_conn_wait(s->conn, 1000, -1, err);
        if (r < 0 && r != -EINTR)
            return r;
        if (!PQisBusy(s->conn->pg))
            break;
        r = bb_check_abort(s, err);
        if (r == 0 && copied)
            r = wp_conn_check_idle(s->conn, NULL, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Every result up to the end; after an error, what is left is read and
 * dropped while the connection can still say more. */
static int read_results(run_state *s, wp_error *err)
{
    wp_lsn start = 0;
    uint32_t start_tli = 0;
    int r = 0;
    PGresult *res;
    bool copied = false;
    for (;;) {
        /* Before the first COPY the server may be waiting for a (spread)
         * checkpoint, which takes its time; after it, silence is a stall. */
        if (r == 0 && (r = await_result(s, copied, err)) < 0)
            break;
        if ((res = PQgetResult(s->conn->pg)) == NULL)
            break;
        ExecStatusType st = PQresultStatus(res);
        copied = copied || st == PGRES_COPY_OUT;
        if (r == 0)
            r = handle_result(s, res, &start, &start_tli, err);
        PQclear(res);
        if (r < 0 && PQstatus(s->conn->pg) == CONNECTION_BAD)
            break;
        if (r < 0 && st == PGRES_COPY_OUT)
            break; /* the COPY was abandoned: the connection is of no more use */
    }
    return r;
}

/* Through libpq. */
static int libpq_results(run_state *s, const char *sql, wp_error *err)
{
    if (!PQsendQuery(s->conn->pg, sql))
        return wp_conn_set_error(err, s->conn->pg, NULL, "BASE_BACKUP");
    return read_results(s, err);
}

int wp_basebackup_run(wp_conn *conn, const wp_basebackup_opts *opts, const wp_basebackup_handler *h,
                      wp_lsn *ret_end, uint32_t *ret_tli, wp_basebackup_stats *ret_stats,
                      wp_error *err)
{
    wp_buf sql = {0};
    int r = wp_basebackup_command(opts, conn->version, &sql, err);
    if (r < 0) {
        wp_buf_free(&sql);
        return r;
    }
    run_state *s = calloc(1, sizeof(*s));
    if (!s) {
        wp_buf_free(&sql);
        return wp_error_set(err, -ENOMEM, "out of memory");
    }
    s->conn = conn;
    s->h = h;
    if (opts->zero_copy && wp_rawcopy_usable(conn))
        r = bb_raw_results(s, wp_buf_str(&sql), err);
    else
        r = libpq_results(s, wp_buf_str(&sql), err);
    wp_buf_free(&sql);
    if (ret_stats)
        *ret_stats = s->stats;
    if (r == 0 && s->link)
        r = bb_close_link(s, err);
    wp_link_free(s->link);
    if (r == 0 && s->results < 3)
        r = wp_error_set(err, WP_E_PROTO, "the backup ended without an end position");
    /* Every tablespace listed came as an archive (13 and 14: one COPY
     * each, counted in next_archive). */
    const char *why = NULL;
    if (r == 0 && s->conn->version >= 150000 && wp_bbseq_end(&s->seq, &why) < 0)
        r = wp_error_set(err, WP_E_PROTO, "the server's backup stream is incomplete: %s", why);
    if (r == 0 && s->conn->version < 150000 && s->next_archive < s->n_ts)
        r = wp_error_set(err, WP_E_PROTO,
                         "the backup ended after %zu of its %zu tablespace archives",
                         s->next_archive, s->n_ts);
    if (r == 0) {
        *ret_end = s->end;
        *ret_tli = s->end_tli;
    }
    free(s);
    return r;
}
