/* Clocks: monotonic time for intervals, wall time in the server's epoch
 * for the protocol's timestamps. */
#ifndef WALPULL_CLOCK_H
#define WALPULL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds (for deadlines and intervals). */
int64_t wp_clock_mono_ms(void);

/* A monotonic start point, and the seconds elapsed since one. */
struct timespec wp_clock_start(void);
double wp_clock_since(const struct timespec *start);

/* Seconds from the Unix epoch to the server's, 2000-01-01 00:00:00 UTC. */
#define WP_PG_EPOCH_OFFSET_SECS INT64_C(946684800)

/* Convert Unix time in microseconds to the server's epoch and back. */
int64_t wp_pgtime_from_unix_usec(int64_t unix_usec);
int64_t wp_pgtime_to_unix_usec(int64_t pg_usec);

/* Now, in microseconds since 2000-01-01 00:00:00 UTC. */
int64_t wp_clock_pg_now(void);

#endif
