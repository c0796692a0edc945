/* Making a freshly written tree durable with an fsync per file, without
 * waiting for each one.
 *
 * A writer hands each finished file's descriptor to the syncer, which
 * fsyncs and closes it on a thread of its own while the writer goes on;
 * at the end wp_syncer_finish waits for the queue and
 * wp_tree_fsync fsyncs every directory of the tree and every file in it
 * the syncer did not (or that changed after it did). That flushes only
 * the tree's own data: a syncfs would also flush every dirty page other
 * programs have on the same file system (docs/performance.md measures
 * both).
 *
 * Ownership: the syncer owns the descriptors handed to it from the call
 * on (it closes them, also on failure); wp_syncer_free closes whatever is
 * still queued without an fsync (the copy was given up). One writer
 * thread calls add; the syncer's own thread is internal and blocks all
 * signals. */
#ifndef WALPULL_SYNCER_H
#define WALPULL_SYNCER_H

#include "walpull/error.h"

#include <stdbool.h>
#include <sys/stat.h>

typedef struct wp_syncer wp_syncer;

int wp_syncer_new(wp_syncer **ret_syncer, wp_error *err);

/* Queue fd (a regular file opened for writing) for fsync and close; path
 * names it in an error. Waits while the queue is full. Fails with the
 * first fsync failure seen so far, if any (fd is closed then too). */
int wp_syncer_add(wp_syncer *s, int fd, const char *path, wp_error *err);

/* Wait for everything queued; the first fsync failure, if any. The
 * syncer takes no more files after it. */
int wp_syncer_finish(wp_syncer *s, wp_error *err);

/* After finish: whether the file st describes was fsync'd by the syncer
 * and has not changed since (same device, inode, size, mtime and ctime:
 * any write or metadata change after the fsync makes it false). */
bool wp_syncer_done(const wp_syncer *s, const struct stat *st);

void wp_syncer_free(wp_syncer *s);

/* fsync every directory below and including root, and every regular file
 * in it unless done (NULL: none) says it is durable already; symbolic
 * links are not followed (their directory's fsync covers them). */
int wp_tree_fsync(const char *root, const wp_syncer *done, wp_error *err);

/* fsync the directory holding path, so that path's own entry (a
 * directory just created, say) is durable too. */
int wp_fsync_parent(const char *path, wp_error *err);

#endif
