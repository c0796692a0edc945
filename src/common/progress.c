#include "walpull/progress.h"

#include "walpull/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void wp_progress_format(uint64_t done, uint64_t total, double elapsed_secs, char *out, size_t size)
{
    double rate = elapsed_secs > 0 ? (double)done / elapsed_secs / (1024.0 * 1024.0) : 0.0;
    unsigned long long done_kb = (unsigned long long)(done / 1024);
    if (total == 0) {
        snprintf(out, size, "%llu kB, %.1f MiB/s", done_kb, rate);
        return;
    }
    /* The total is the server's estimate: any value at all, so nothing
     * here may overflow on it. */
    unsigned pct = done >= total ? 100 : (unsigned)((double)done / (double)total * 100.0);
    char left[32] = "";
    if (done < total && rate > 0) {
        double secs = (double)(total - done) / (rate * 1024 * 1024) + 0.5;
        if (secs < 100.0 * 3600)
            snprintf(left, sizeof(left), ", %lu:%02lu left", (unsigned long)secs / 60,
                     (unsigned long)secs % 60);
    }
    snprintf(out, size, "%llu/%llu kB (%u%%), %.1f MiB/s%s", done_kb,
             (unsigned long long)(total / 1024), pct, rate, left);
}

int wp_rate_parse(const char *text, uint32_t *ret_kbps)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || v <= 0)
        return WP_E_RANGE;
    if (strcmp(end, "M") == 0)
        v *= 1024;
    else if (strcmp(end, "k") != 0 && *end != '\0')
        return WP_E_RANGE;
    if (v < 32 || v > 1024 * 1024)
        return WP_E_RANGE;
    *ret_kbps = (uint32_t)v;
    return 0;
}
