/* The WAL stream that runs beside a base backup: a thread with its own
 * replication connection, streaming from the backup's start into the new
 * data directory's pg_wal through the shared receive loop (walrecv.h),
 * until told the backup's end position. */
#ifndef WALPULL_CMD_SEED_WAL_H
#define WALPULL_CMD_SEED_WAL_H

#include "walpull/conn.h"
#include "walpull/walrecv.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct wp_seed_wal {
    /* Set by the caller before wp_seed_wal_start. */
    const wp_conn_opts *conn;
    const char *password; /* typed at a prompt, or NULL */
    const char *waldir;   /* borrowed until the thread ends */
    uint64_t segsize;
    const char *slot;       /* NULL: a temporary slot of the thread's own */
    bool no_slot;           /* no slot at all (pg_basebackup --no-slot) */
    int status_interval_ms; /* 0: 10 s */
    wp_lsn start;
    uint32_t tli;
    bool direct; /* O_DIRECT segments (dio.h) */
    /* An operator's stop request, polled by the thread (safe from any
     * thread): why, or NULL to go on. May be NULL. */
    const char *(*stop_request)(void);
    /* Private to the module. */
    pthread_t thread;
    bool running;
    int wake[2];
    _Atomic uint64_t stop_at; /* 0 until the backup's end is known */
    atomic_bool abort;
    atomic_bool failed; /* the thread ended with an error */
    int result;
    wp_error err;
    wp_walrecv_stats stats;
} wp_seed_wal;

int wp_seed_wal_start(wp_seed_wal *w, wp_error *err);

/* Stream up to end (at least), then stop; returns the thread's result,
 * with its error copied into err. */
int wp_seed_wal_finish(wp_seed_wal *w, wp_lsn end, wp_error *err);

/* True once the thread has ended with an error (safe from any thread). */
bool wp_seed_wal_failed(wp_seed_wal *w);

/* Stop at once (after a failure elsewhere) and wait for the thread. */
void wp_seed_wal_abort(wp_seed_wal *w);

#endif
