/* What a running archiver leaves in its directory for other commands:
 * "walpull.lock", locked (an open file description lock, fcntl(2)) for as
 * long as `walpull archive`
 * runs (its pid inside), so that a second archiver is refused and
 * `status` can tell whether one runs; and "walpull.state", rewritten
 * atomically after each status update with the positions reported. */
#ifndef WALPULL_ARCHSTATE_H
#define WALPULL_ARCHSTATE_H

#include "walpull/buf.h"
#include "walpull/error.h"
#include "walpull/lsn.h"

#include <stdint.h>

#define WP_ARCHSTATE_LOCK "walpull.lock"
#define WP_ARCHSTATE_FILE "walpull.state"

typedef struct wp_archstate {
    long pid;
    uint32_t tli;
    wp_lsn written;     /* handed to the kernel */
    wp_lsn durable;     /* on disk: what was reported as flushed */
    wp_lsn server_end;  /* the server's end of WAL, as it last said */
    int64_t updated;    /* seconds since the epoch */
    int64_t progressed; /* when durable last moved */
} wp_archstate;

/* Text form: "key=value" lines. Pure. parse: unknown keys are skipped; a
 * missing or malformed known key is WP_E_PROTO. */
int wp_archstate_format(const wp_archstate *st, wp_buf *out);
int wp_archstate_parse(const char *text, wp_archstate *ret_state);

/* Write dir/walpull.state atomically (a temporary name, then rename). */
int wp_archstate_write(const char *dir, const wp_archstate *st, wp_error *err);

/* Read it: 0, 1 when there is none, or an error. */
int wp_archstate_read(const char *dir, wp_archstate *ret_state, wp_error *err);

/* Take the directory's lock for this process (the descriptor stays open
 * until exit); a directory already locked is WP_E_STATE naming the pid
 * that holds it. The directory must exist and be writable. */
int wp_archlock_acquire(const char *dir, int *ret_fd, wp_error *err);

/* The pid of the process holding dir's lock, 0 when none does. */
long wp_archlock_holder(const char *dir);

#endif
