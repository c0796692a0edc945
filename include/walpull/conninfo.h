/* Quoting for connection strings and configuration files. Pure. */
#ifndef WALPULL_CONNINFO_H
#define WALPULL_CONNINFO_H

#include <stddef.h>

/* Append "key='value'" (with a space before it unless first) to out, of
 * total size `size`, whose current length is *len. In the value, \ and '
 * are escaped with a backslash. WP_E_RANGE when it does not fit (out is
 * then left as it was). */
int wp_conninfo_append(char *out, size_t size, size_t *len, const char *key, const char *value);

/* Quote value for postgresql.conf: '...' with ' doubled and \ doubled. */
int wp_config_quote(const char *value, char *out, size_t size);

#endif
