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

/* Now, in microseconds since 2000-01-01 00:00:00 UTC. */
int64_t wp_clock_pg_now(void);

#endif
