/* The WAL receive loop, written once for `archive`, the WAL stream of
 * `seed`, and `bench`: START_REPLICATION, read CopyData without blocking,
 * report write/flush positions, follow timeline switches.
 *
 * Two ways in. When the sink lends its O_DIRECT staging memory
 * (wp_walsink_can_reserve) and the connection is not encrypted, the COPY
 * is read from the socket itself (rawcopy.h): each payload goes from the
 * kernel straight to where its segment file's bytes are staged, and the
 * only copies left are the kernel's (socket read, disk write from that
 * buffer). Otherwise libpq reads it, and each batch is handed to the sink
 * from libpq's buffers (libpq copies each message out of its own buffer;
 * an O_DIRECT sink copies again into its staging buffer).
 *
 * Batching: every message already received is drained before the batch is
 * written (or, read in place, handed to the kernel), up to
 * WP_WALRECV_BATCH_MSGS messages or batch_max_bytes (and at most twice
 * that many messages in all, so keepalives cannot starve status updates).
 * Memory stays bounded by the batch limits whatever the WAL volume. */
#ifndef WALPULL_WALRECV_H
#define WALPULL_WALRECV_H

#include "walpull/conn.h"
#include "walpull/walsink.h"

#include <stdbool.h>
#include <stdint.h>

#define WP_WALRECV_BATCH_MSGS 512

typedef struct wp_walrecv_stats {
    uint64_t bytes;    /* WAL payload received */
    uint64_t messages; /* XLogData messages */
    uint64_t keepalives;
    uint64_t batches;
    uint64_t status_sent;
    /* Payload bytes copied in user space (libpq's copy out of its buffer,
     * the copy into an O_DIRECT staging buffer): 0 on the zero-copy path. */
    uint64_t copied_bytes;
    bool zero_copy;        /* the COPY is read straight into the sink */
    wp_lsn server_wal_end; /* newest walEnd the server announced */
    int64_t server_time;   /* its sendTime (server epoch, microseconds) */
} wp_walrecv_stats;

typedef struct wp_walrecv_config {
    const char *slot; /* NULL: stream without a slot */
    uint32_t tli;
    wp_lsn start;
    uint64_t segsize; /* the server's WAL segment size */
    wp_lsn endpos;    /* stop once this is durable; WP_LSN_INVALID: never */
    /* endpos as pg_receivewal reads it: stop only once past it, keeping
     * the whole message that passes it (to the end of its segment). */
    bool endpos_past;
    bool synchronous; /* flush every batch and report at once */
    /* Read the COPY from the socket straight into the sink's staging
     * memory (rawcopy.h) when the sink lends it and the connection is not
     * encrypted; otherwise (and when false) through libpq. */
    bool zero_copy;
    int status_interval_ms; /* at least this often; 0: only when asked. Each
                             * interval also makes what was written durable,
                             * so the flush position (and what survives a
                             * crash) lags by one interval at most, not by a
                             * segment */
    size_t batch_max_bytes; /* 0: 8 MB */
    /* Polled between batches and after each wait, with the position
     * written so far; true ends the stream cleanly (flush, final status,
     * CopyDone). May be NULL. */
    bool (*should_stop)(void *user, wp_lsn written);
    /* A descriptor that wakes the wait for data (a pipe another thread
     * writes to when should_stop may have changed its mind); its bytes are
     * drained. Only used when has_wake_fd. */
    bool has_wake_fd;
    int wake_fd;
    /* Told of each timeline switch (may be NULL). */
    void (*on_timeline)(void *user, uint32_t old_tli, uint32_t new_tli, wp_lsn at);
    /* Told after each status update sent, with the timeline and the sink's
     * positions (may be NULL). */
    void (*on_status)(void *user, uint32_t tli, const wp_walsink *sink,
                      const wp_walrecv_stats *stats);
    void *user;
} wp_walrecv_config;

typedef enum wp_walrecv_reason {
    WP_WALRECV_ENDPOS,  /* endpos reached and durable */
    WP_WALRECV_STOPPED, /* should_stop said so */
} wp_walrecv_reason;

typedef struct wp_walrecv_result {
    wp_walrecv_reason reason;
    uint32_t tli;
    wp_lsn position; /* next LSN to stream */
} wp_walrecv_result;

/* Stream until endpos, a stop request, or an error. Returns 0 with
 * *ret_result filled; WP_E_STOPPED when the server ended streaming without
 * naming a next timeline (for instance when shutting down), after making
 * what was received durable; another negative code on failure. stats may
 * be NULL; otherwise it is updated as the stream goes. */
int wp_walrecv_run(wp_conn *conn, wp_walsink *sink, const wp_walrecv_config *cfg,
                   wp_walrecv_stats *stats, wp_walrecv_result *ret_result, wp_error *err);

#endif
