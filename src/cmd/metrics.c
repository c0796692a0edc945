#include "cmd/metrics.h"

#include <inttypes.h>
#include <stdio.h>

/* One metric: HELP and TYPE lines, then its sample. */
static void metric(wp_buf *out, const char *name, const char *type, const char *help,
                   const char *value)
{
    wp_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, type, name, value);
}

static void metric_u64(wp_buf *out, const char *name, const char *type, const char *help,
                       uint64_t value)
{
    char v[32];
    snprintf(v, sizeof(v), "%" PRIu64, value);
    metric(out, name, type, help, v);
}

int wp_metrics_format(const wp_metrics *m, wp_buf *out)
{
    char age[32];
    metric_u64(out, "walpull_up", "gauge", "1 while streaming from the server.", m->streaming);
    metric_u64(out, "walpull_timeline", "gauge", "The timeline being archived.", m->tli);
    metric_u64(out, "walpull_received_lsn_bytes", "gauge",
               "WAL position received and written (as a byte offset).", m->received);
    metric_u64(out, "walpull_flushed_lsn_bytes", "gauge",
               "WAL position durable in the archive and reported to the server.", m->flushed);
    metric_u64(out, "walpull_server_end_lsn_bytes", "gauge",
               "The server's end of WAL, as it last said.", m->server_end);
    metric_u64(out, "walpull_lag_bytes", "gauge",
               "WAL the server has that the archive has not made durable.",
               m->server_end > m->flushed ? m->server_end - m->flushed : 0);
    metric_u64(out, "walpull_received_bytes_total", "counter",
               "WAL bytes received since the archiver started.", m->received_bytes);
    metric_u64(out, "walpull_segments_total", "counter",
               "Segments completed since the archiver started.", m->segments);
    metric_u64(out, "walpull_reconnects_total", "counter",
               "Connections lost and tried again since the archiver started.", m->reconnects);
    snprintf(age, sizeof(age), "%.3f", m->last_message_age < 0 ? 0.0 : m->last_message_age);
    metric(out, "walpull_last_message_age_seconds", "gauge",
           "Seconds since the server sent its last message.", age);
    metric_u64(out, "walpull_metrics_updated_seconds", "gauge",
               "When this file was written (seconds since the epoch).", (uint64_t)m->updated);
    return wp_buf_ok(out);
}
