/* A COPY read from the socket directly (START_REPLICATION's, and the
 * answer to BASE_BACKUP), so that payloads go straight from the kernel
 * into the caller's memory (the O_DIRECT staging buffer of a WAL segment
 * or of a data file) with no copy in between.
 *
 * libpq keeps everything else: the connection, authentication, and every
 * command before and after. The query is sent here on an idle connection
 * whose input buffer libpq has emptied (its last command ended with
 * ReadyForQuery and the server says nothing unasked), and every byte from
 * then until the ReadyForQuery that ends the command is read here, so
 * libpq's state is untouched and the connection goes back to it idle.
 * Message headers go into a small buffer of the module's own, reading
 * never more than one header past the end of a payload, so payload bytes
 * never pass through it.
 *
 * Encrypted connections (TLS, GSSAPI) are read by libpq only: see
 * wp_rawcopy_usable. The socket is libpq's, non-blocking. */
#ifndef WALPULL_RAWCOPY_H
#define WALPULL_RAWCOPY_H

#include "walpull/conn.h"
#include "walpull/msg.h"
#include "walpull/pqmsg.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct wp_rawcopy wp_rawcopy;

/* Can this connection be read directly? Not when it is encrypted: the
 * bytes on the socket are not the protocol's. */
bool wp_rawcopy_usable(const wp_conn *conn);

/* Send START_REPLICATION [SLOT slot] PHYSICAL lsn TIMELINE tli and read
 * the answer: 0 with *ret_rc once the COPY has begun; WP_E_STOPPED with
 * *ret_end when the timeline ended at or before lsn (the connection is
 * idle again); the server's error otherwise. */
int wp_rawcopy_start(wp_conn *conn, const char *slot, wp_lsn lsn, uint32_t tli,
                     wp_stream_end *ret_end, wp_rawcopy **ret_rc, wp_error *err);

typedef struct wp_rawmsg {
    char kind;        /* 'w' XLogData (payload still to read), 'k' keepalive */
    wp_xlogdata xlog; /* 'w': data is NULL; len is the payload to read */
    wp_keepalive keepalive;
} wp_rawmsg;

/* The next message, without blocking: 1 with *ret_msg, 0 when no whole
 * header has arrived yet, WP_E_STOPPED when the server ended the COPY, or
 * an error (the server's, mid-stream, among them). After a 'w' its
 * payload must be read with wp_rawcopy_payload before the next call. */
int wp_rawcopy_next(wp_rawcopy *rc, wp_rawmsg *ret_msg, wp_error *err);

/* Payload bytes of the current XLogData still to read. */
size_t wp_rawcopy_payload_left(const wp_rawcopy *rc);

/* Read up to len of them into dst, without blocking: the bytes read (0:
 * none has arrived yet), or a negative error. */
ssize_t wp_rawcopy_payload(wp_rawcopy *rc, void *dst, size_t len, wp_error *err);

/* Send one CopyData message (a status update), waiting for the socket
 * at most the connection's timeout. */
int wp_rawcopy_send(wp_rawcopy *rc, const uint8_t *data, size_t len, wp_error *err);

/* Wait until input arrives (or timeout_ms passes, or wake_fd is readable).
 * Returns at once when a whole header is already buffered. */
int wp_rawcopy_wait(wp_rawcopy *rc, int timeout_ms, int wake_fd, wp_error *err);

/* End the COPY (ours, unless the server ended it) and read the rest of
 * the command through ReadyForQuery: the connection is libpq's again.
 * *ret_end says whether a next timeline was named. Frees rc. */
int wp_rawcopy_end(wp_rawcopy *rc, bool server_ended, wp_stream_end *ret_end, wp_error *err);

/* Any other command whose answer holds COPY OUT streams (BASE_BACKUP):
 * send sql on the idle connection, then read every message of the answer
 * with wp_rawcopy_event, through ReadyForQuery. */
int wp_rawcopy_query(wp_conn *conn, const char *sql, wp_rawcopy **ret_rc, wp_error *err);

typedef enum wp_rawkind {
    WP_RAW_ROWS,      /* RowDescription: a result set of ncols columns begins */
    WP_RAW_ROW,       /* DataRow: ncols, cols and lens */
    WP_RAW_COMPLETE,  /* CommandComplete: a result ends */
    WP_RAW_COPY,      /* CopyOutResponse: a COPY begins */
    WP_RAW_DATA,      /* CopyData: len bytes to read (wp_rawcopy_payload) */
    WP_RAW_COPY_DONE, /* CopyDone */
    WP_RAW_ERROR,     /* ErrorResponse: in error */
    WP_RAW_READY,     /* ReadyForQuery: the connection is libpq's again */
} wp_rawkind;

#define WP_RAW_MAX_COLS 4

typedef struct wp_rawevent {
    wp_rawkind kind;
    size_t len;
    int ncols;                            /* the row's columns, at most WP_RAW_MAX_COLS */
    const uint8_t *cols[WP_RAW_MAX_COLS]; /* borrowed until the next call */
    int32_t lens[WP_RAW_MAX_COLS];        /* -1 for NULL */
    wp_pqerror error;
} wp_rawevent;

/* The next message of the answer, without blocking for its header: 1
 * with *ret_ev, 0 when no whole header has arrived yet, or an error (a
 * read that failed, a message the answer cannot hold). Bodies other than
 * CopyData's are read whole here, waiting at most the connection's
 * timeout; a CopyData's must be read (wp_rawcopy_payload) before the
 * next call. Notices go where libpq's would; parameter reports are
 * passed over. */
int wp_rawcopy_event(wp_rawcopy *rc, wp_rawevent *ret_ev, wp_error *err);

/* All len bytes of the current payload into dst, waiting for them at most
 * the connection's timeout (small messages: a name, a count). */
int wp_rawcopy_payload_all(wp_rawcopy *rc, void *dst, size_t len, wp_error *err);

/* Wake only once bytes have queued (SO_RCVLOWAT), or every few
 * milliseconds: a stream of small messages costs fewer wake-ups. 1 wakes
 * for any byte, as libpq expects (wp_rawcopy_free sets it back). */
void wp_rawcopy_batch(wp_rawcopy *rc, int bytes);

/* Give up (the connection is not used again): frees rc. */
void wp_rawcopy_free(wp_rawcopy *rc);

/* Payload bytes that went through the module's own buffer (a copy);
 * stays 0 unless a server splits headers in odd ways. */
uint64_t wp_rawcopy_copied(const wp_rawcopy *rc);

#endif
