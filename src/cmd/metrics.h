/* The archiver's metrics in the Prometheus text exposition format, for
 * node_exporter's textfile collector (--metrics-file). Pure formatting. */
#ifndef WALPULL_CMD_METRICS_H
#define WALPULL_CMD_METRICS_H

#include "walpull/buf.h"
#include "walpull/lsn.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct wp_metrics {
    bool streaming;
    uint32_t tli;
    wp_lsn received; /* written */
    wp_lsn flushed;  /* durable, as reported */
    wp_lsn server_end;
    uint64_t received_bytes; /* since the start, over every connection */
    uint64_t segments;       /* completed since the start */
    uint64_t reconnects;
    double last_message_age; /* seconds since the server's last message was sent */
    int64_t updated;         /* seconds since the epoch */
} wp_metrics;

int wp_metrics_format(const wp_metrics *m, wp_buf *out);

#endif
