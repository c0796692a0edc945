/* Directory helpers for commands that create data directories. */
#ifndef WALPULL_FSUTIL_H
#define WALPULL_FSUTIL_H

#include "walpull/error.h"

#include <stdbool.h>

/* Make path ready to receive a backup: create it (and missing parents)
 * with mode 0700, or accept it when it exists and is empty. Sets
 * *ret_created when walpull made it. Non-empty or not a directory is a
 * WP_E_STATE error naming it. */
int wp_dir_prepare_empty(const char *path, bool *ret_created, wp_error *err);

/* Remove what is inside path, and path itself when remove_self. Symlinks
 * are removed, never followed. Best effort: returns the first error. */
int wp_dir_remove(const char *path, bool remove_self);

/* Replace the file at path with data, atomically: written under
 * "<path>.tmp" (mode 0644, never through a symlink), then renamed over it.
 * Not fsync'd: for files that say how things are (state, metrics), which
 * the next write replaces. */
int wp_file_replace(const char *path, const char *data, size_t len, wp_error *err);

/* Flush the filesystem holding path to disk (syncfs): one call makes
 * every file written below it durable. */
int wp_dir_syncfs(const char *path, wp_error *err);

#endif
