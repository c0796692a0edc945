/* The archiver's engine, shared by `walpull archive` and the
 * pg_receivewal front end: sessions, resume, slot handling, reconnects. */
#ifndef WALPULL_CMD_ARCHIVE_H
#define WALPULL_CMD_ARCHIVE_H

#include "walpull/conn.h"
#include "walpull/lsn.h"
#include "walpull/walarchive.h"

#include <stdbool.h>

typedef struct wp_archive_opts {
    wp_conn_opts conn;
    const char *dir;
    const char *slot;
    bool create_slot;
    bool create_only; /* with create_slot: create it, then exit (pg_receivewal) */
    bool if_not_exists;
    bool synchronous;
    bool no_loop;
    bool wait_for_server;
    bool drop_slot;
    bool buffered_io;
    bool no_zero_copy; /* read the COPY through libpq (walrecv.h) */
    bool verify;
    /* No walpull.lock or walpull.state in the directory: it holds WAL
     * files only, as pg_receivewal's does (Barman reads it). */
    bool bare;
    bool endpos_past; /* pg_receivewal's --endpos (walrecv.h) */
    const char *metrics_file;
    int status_interval_secs;
    wp_compress compress;
    int gzip_level;
    wp_lsn endpos;
} wp_archive_opts;

/* Run with the options parsed: the exit code. */
int wp_archive_main(const wp_archive_opts *o);

#endif
