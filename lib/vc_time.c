/* vc_time.c - monotonic seconds and the UTC day. */
#include "vc_time.h"

#include <time.h>

double vc_time_mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int vc_time_to_utc_midnight_s(void)
{
    time_t now = time(NULL);

    return (int)(86400 - now % 86400);
}
