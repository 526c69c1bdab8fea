/* Wall-clock seconds from CLOCK_MONOTONIC (src/base/clock.c): immune to
 * changes of the system time, so durations are never negative. */
#ifndef PAIRNET_CLOCK_H
#define PAIRNET_CLOCK_H

double pn_now(void);

#endif
