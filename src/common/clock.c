#include "walpull/clock.h"

int64_t wp_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec wp_clock_start(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

double wp_clock_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int64_t wp_clock_pg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return wp_pgtime_from_unix_usec((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int64_t wp_pgtime_from_unix_usec(int64_t unix_usec)
{
    return unix_usec - WP_PG_EPOCH_OFFSET_SECS * 1000000;
}

int64_t wp_pgtime_to_unix_usec(int64_t pg_usec)
{
    return pg_usec + WP_PG_EPOCH_OFFSET_SECS * 1000000;
}
