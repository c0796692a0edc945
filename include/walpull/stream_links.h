/* Two small links for the pg_basebackup front end: one that inflates a
 * gzip stream (a server-compressed archive extracted here), and a sink
 * that writes its content in order to a descriptor that need not be
 * seekable (a tar archive on standard output). */
#ifndef WALPULL_STREAM_LINKS_H
#define WALPULL_STREAM_LINKS_H

#include "walpull/link.h"

/* Decompress gzip (one or more members) and pass the bytes to next (owned,
 * freed on failure too). A stream that ends inside a member is an error at
 * finalize(). `what` names the stream in messages (borrowed). */
int wp_gunzip_link_new(wp_link *next, const char *what, wp_link **ret_link, wp_error *err);

/* Write everything to fd (borrowed: never closed) with write(2); sync()
 * and finalize() fsync it when it is a regular file. `what` names it in
 * messages (borrowed). */
int wp_fd_link_new(int fd, const char *what, wp_link **ret_link, wp_error *err);

/* Take everything and keep nothing: what a backup with a server-side
 * target announces (archive names and progress, no data) goes here. */
int wp_null_link_new(wp_link **ret_link, wp_error *err);

#endif
