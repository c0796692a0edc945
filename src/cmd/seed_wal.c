#include "cmd/seed_wal.h"

#include "walpull/walarchive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *stop_requested(const wp_seed_wal *w)
{
    return w->stop_request ? w->stop_request() : NULL;
}

/* The operator's stop request as an error, or 0. */
static int stop_error(const wp_seed_wal *w, wp_error *err)
{
    const char *why = stop_requested(w);
    return why ? wp_error_set(err, WP_E_STATE, "seed stopped: %s", why) : 0;
}

static bool should_stop(void *user, wp_lsn written)
{
    wp_seed_wal *w = user;
    uint64_t stop = atomic_load(&w->stop_at);
    return atomic_load(&w->abort) || stop_requested(w) || (stop != 0 && written >= stop);
}

/* Told to stop, the thread gives up a wait for the server's answer too
 * (START_REPLICATION, the temporary slot). */
static int stop_check(void *user, wp_error *err)
{
    const wp_seed_wal *w = user;
    int r = stop_error(w, err);
    if (r < 0)
        return r;
    return atomic_load(&w->abort) ? wp_error_set(err, WP_E_STATE, "the WAL stream was stopped") : 0;
}

static void *run(void *arg)
{
    wp_seed_wal *w = arg;
    wp_conn *conn = NULL;
    wp_walsink *sink = NULL;
    char temp[64];
    const char *slot = w->slot;
    int r = wp_conn_open(w->conn, WP_CONN_PHYSICAL, w->password, &conn, &w->err);
    if (r == 0)
        wp_conn_watch(conn, stop_check, w);
    if (r == 0 && !slot && !w->no_slot) {
        /* Keeps the WAL from the backup's start until this connection ends. */
        snprintf(temp, sizeof(temp), "walpull_%ld", (long)getpid());
        r = wp_conn_create_slot(conn, temp, WP_SLOT_TEMPORARY, false, NULL, &w->err);
        slot = temp;
    }
    wp_walarchive_opts ao = {.dir = w->waldir,
                             .segsize = w->segsize,
                             .compress = WP_COMPRESS_NONE,
                             .partial_suffix = false,
                             .direct = w->direct};
    if (r == 0)
        r = wp_walarchive_open(&ao, &sink, &w->err);
    if (r == 0) {
        wp_walrecv_config cfg = {.slot = slot,
                                 .tli = w->tli,
                                 .start = w->start,
                                 .segsize = w->segsize,
                                 .status_interval_ms =
                                     w->status_interval_ms ? w->status_interval_ms : 10000,
                                 .zero_copy = true,
                                 .should_stop = should_stop,
                                 .has_wake_fd = true,
                                 .wake_fd = w->wake[0],
                                 .user = w};
        wp_walrecv_result res;
        r = wp_walrecv_run(conn, sink, &cfg, &w->stats, &res, &w->err);
    }
    /* Stopped on request, the stream may be short of the backup's end:
     * never a success. */
    if (r == 0)
        r = stop_error(w, &w->err);
    wp_walsink_free(sink);
    wp_conn_free(conn);
    w->result = r;
    atomic_store(&w->failed, r < 0);
    return NULL;
}

int wp_seed_wal_start(wp_seed_wal *w, wp_error *err)
{
    if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) < 0)
        return wp_error_errno(err, errno, "could not create a pipe");
    atomic_store(&w->stop_at, 0);
    atomic_store(&w->abort, false);
    atomic_store(&w->failed, false);
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e != 0) {
        close(w->wake[0]);
        close(w->wake[1]);
        return wp_error_errno(err, e, "could not start the WAL stream");
    }
    w->running = true;
    return 0;
}

static void join(wp_seed_wal *w)
{
    if (write(w->wake[1], "x", 1) < 0) {
        /* the pipe is full: the thread is awake anyway */
    }
    pthread_join(w->thread, NULL);
    close(w->wake[0]);
    close(w->wake[1]);
    w->running = false;
}

int wp_seed_wal_finish(wp_seed_wal *w, wp_lsn end, wp_error *err)
{
    if (!w->running)
        return 0;
    atomic_store(&w->stop_at, end ? end : 1);
    join(w);
    if (w->result < 0 && err)
        *err = w->err;
    return w->result;
}

bool wp_seed_wal_failed(wp_seed_wal *w)
{
    return w->running && atomic_load(&w->failed);
}

void wp_seed_wal_abort(wp_seed_wal *w)
{
    if (!w->running)
        return;
    atomic_store(&w->abort, true);
    join(w);
}
