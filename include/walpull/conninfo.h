/* Quoting for connection strings, configuration files and replication
 * commands. Pure: each appends to a caller-owned wp_buf and returns 0, or
 * -ENOMEM when the buffer could not grow. */
#ifndef WALPULL_CONNINFO_H
#define WALPULL_CONNINFO_H

#include "walpull/buf.h"

/* Append "key='value'" (with a space before it unless out is empty); in
 * the value, \ and ' are escaped with a backslash. */
int wp_conninfo_append(wp_buf *out, const char *key, const char *value);

/* Append value quoted for postgresql.conf: '...' with ' and \ doubled. */
int wp_config_quote(wp_buf *out, const char *value);

/* Append value as an SQL string literal: '...' with ' doubled (the
 * replication grammar's literals; standard_conforming_strings holds). */
int wp_quote_literal(wp_buf *out, const char *value);

#endif
