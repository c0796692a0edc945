/* Logging for the command layer. Library code never prints; it fills a
 * wp_error instead. The level, and where and how lines go, are the
 * program's one global (a process has one log).
 *
 * Every line is one line (line breaks in messages, libpq's included,
 * become spaces). Text lines carry a timestamp unless stderr is the
 * journal (JOURNAL_STREAM), which stamps them itself; JSON lines are one
 * object each: {"time", "level", "message"[, "sqlstate"][, "hint"]}. */
#ifndef WALPULL_LOG_H
#define WALPULL_LOG_H

#include "walpull/error.h"

#include <stdbool.h>

typedef enum wp_log_level {
    WP_LOG_ERROR,
    WP_LOG_WARNING,
    WP_LOG_INFO,
    WP_LOG_DEBUG,
} wp_log_level;

extern wp_log_level wp_log_verbosity;

/* Lines as JSON objects instead of text. */
void wp_log_set_json(bool json);

/* Lines in the stock PostgreSQL tools' shape, "PROGRAM: error: ...",
 * with no timestamp or SQLSTATE (the pg_receivewal and pg_basebackup
 * front ends). program is borrowed for the process's life. */
void wp_log_set_program(const char *program);
/* Write to the file at path (appending; created 0640) instead of stderr.
 * The path is kept for wp_log_reopen. */
int wp_log_open_file(const char *path, wp_error *err);

/* Open the log file again under its name (after a rotation: SIGHUP). */
int wp_log_reopen(wp_error *err);

/* Print a line when level is enabled. */
void wp_log(wp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an error once: the message, the SQLSTATE and the hint if any. */
void wp_log_error(const wp_error *err);

#endif
