/* WAL generators for `walpull bench`: non-transactional logical messages
 * (pg_logical_emit_message), which the server writes to WAL at any
 * wal_level and any role may emit. */
#ifndef WALPULL_CMD_BENCH_LOAD_H
#define WALPULL_CMD_BENCH_LOAD_H

#include "walpull/conn.h"

#include <pthread.h>
#include <stdatomic.h>

/* Write about `bytes` of WAL through one ordinary connection. */
int wp_bench_generate(const wp_conn_opts *opts, const char *password, uint64_t bytes,
                      wp_error *err);

/* N client connections writing WAL until stopped. */
typedef struct wp_bench_clients wp_bench_clients;

typedef struct wp_bench_client {
    pthread_t thread;
    wp_conn *conn;
    wp_bench_clients *owner;
} wp_bench_client;

struct wp_bench_clients {
    wp_bench_client client[64];
    int n;
    atomic_bool stop;
    _Atomic uint64_t calls;
    atomic_int failed; /* clients that stopped on an error */
};

int wp_bench_clients_start(wp_bench_clients *c, const wp_conn_opts *opts, const char *password,
                           int n, wp_error *err);
void wp_bench_clients_stop(wp_bench_clients *c);

#endif
