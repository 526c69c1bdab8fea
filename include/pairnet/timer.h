/* Wall-clock seconds from CLOCK_MONOTONIC (src/core/timer.c): immune to
 * changes of the system time, so durations are never negative. */
#ifndef PAIRNET_TIMER_H
#define PAIRNET_TIMER_H

double pn_now(void);

#endif
