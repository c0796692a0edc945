#include "cmd/bench_load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_BYTES (1 << 20)

int wp_bench_generate(const wp_conn_opts *opts, const char *password, uint64_t bytes, wp_error *err)
{
    wp_conn *c;
    int r = wp_conn_open(opts, WP_CONN_SQL, password, &c, err);
    if (r < 0)
        return r;
    uint64_t n = (bytes + MESSAGE_BYTES - 1) / MESSAGE_BYTES;
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_logical_emit_message(false, 'walpull-bench', repeat('x', %d))) "
             "FROM generate_series(1, %llu)",
             MESSAGE_BYTES, (unsigned long long)n);
    char *v = NULL;
    r = wp_conn_query_value(c, sql, &v, err);
    free(v);
    v = NULL;
    /* Non-transactional messages are not flushed by a commit: one
     * transactional message ends the run, and its commit flushes all of
     * it, so the server's flush position (where catch-up ends) is past
     * everything generated. */
    if (r == 0)
        r = wp_conn_query_value(
            c, "SELECT pg_logical_emit_message(true, 'walpull-bench', 'end') IS NOT NULL", &v, err);
    if (r < 0 && err && strstr(err->message, "permission denied"))
        wp_error_hint(err, "Let the role write WAL messages: GRANT EXECUTE ON FUNCTION "
                           "pg_logical_emit_message(boolean, text, text) TO <user>.");
    free(v);
    wp_conn_free(c);
    return r;
}

static void *client_main(void *p)
{
    wp_bench_client *me = p;
    wp_bench_clients *c = me->owner;
    /* 64 kB messages: many small commits' worth of WAL per round trip. */
    static const char sql[] =
        "SELECT count(pg_logical_emit_message(false, 'walpull-bench', repeat('y', 8192))) "
        "FROM generate_series(1, 8)";
    while (!atomic_load(&c->stop)) {
        char *v = NULL;
        wp_error err;
        if (wp_conn_query_value(me->conn, sql, &v, &err) < 0) {
            atomic_fetch_add(&c->failed, 1);
            break;
        }
        free(v);
        atomic_fetch_add(&c->calls, 1);
    }
    return NULL;
}

int wp_bench_clients_start(wp_bench_clients *c, const wp_conn_opts *opts, const char *password,
                           int n, wp_error *err)
{
    if (n < 0 || n > 64)
        return wp_error_set(err, WP_E_USAGE, "--clients must be between 0 and 64");
    atomic_store(&c->stop, false);
    c->n = 0;
    for (int i = 0; i < n; i++) {
        wp_bench_client *me = &c->client[i];
        me->owner = c;
        int r = wp_conn_open(opts, WP_CONN_SQL, password, &me->conn, err);
        if (r < 0) {
            wp_bench_clients_stop(c);
            return r;
        }
        if (pthread_create(&me->thread, NULL, client_main, me) != 0) {
            wp_conn_free(me->conn);
            wp_bench_clients_stop(c);
            return wp_error_set(err, -EAGAIN, "could not start a client thread");
        }
        c->n++;
    }
    return 0;
}

void wp_bench_clients_stop(wp_bench_clients *c)
{
    atomic_store(&c->stop, true);
    for (int i = 0; i < c->n; i++) {
        pthread_join(c->client[i].thread, NULL);
        wp_conn_free(c->client[i].conn);
    }
    c->n = 0;
}
