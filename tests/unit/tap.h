/* tap.h - a minimal TAP producer for the C unit tests.
 *
 * ok(cond, fmt, ...) prints "ok N - ..." or "not ok N - ..."; done_testing()
 * prints the plan and returns the exit status (0 when all passed). Header
 * only: each test is one program. */
#ifndef VC_TAP_H
#define VC_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    return cond;
}

__attribute__((unused))
static int is_int(long got, long want, const char *what)
{
    int r = ok(got == want, "%s", what);

    if (!r)
        printf("#   got %ld, want %ld\n", got, want);
    return r;
}

__attribute__((unused))
static int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
