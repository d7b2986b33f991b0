/* vc_time.h - the clocks voxcat measures with: a monotonic one for
 * budgets, deadlines and latencies (it never jumps), and the UTC day that
 * daily quotas run on. */
#ifndef VC_TIME_H
#define VC_TIME_H

/* Seconds on the monotonic clock (any origin). */
double vc_time_mono_s(void);

/* Whole seconds from now until the next UTC midnight (1 .. 86400). */
int vc_time_to_utc_midnight_s(void);

#endif
