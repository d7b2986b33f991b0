/* progress.c - a progress bar on a terminal, plain lines elsewhere. */
#include "progress.h"

#include <unistd.h>

#include "vc_time.h"

#define BAR 24
#define TTY_EVERY_S 0.1         /* redraws at most ten times a second */
#define LINE_EVERY_S 5.0        /* a plain line every five seconds */

void vc_progress_init(struct vc_progress *p, FILE *out, const char *what, int quiet)
{
    p->out = out;
    p->what = what;
    p->tty = isatty(fileno(out));
    p->quiet = quiet;
    p->start = p->last = vc_time_mono_s();
    p->drawn = 0;
}

void vc_progress_update(void *ctx, long rows, long long done, long long total)
{
    struct vc_progress *p = ctx;
    double now = vc_time_mono_s(), secs = now - p->start;
    double rate = secs > 0 ? rows / secs : 0;
    double frac = total > 0 ? (double)done / (double)total : -1;

    if (p->quiet || now - p->last < (p->tty ? TTY_EVERY_S : LINE_EVERY_S))
        return;
    p->last = now;
    if (!p->tty) {
        if (frac >= 0)
            fprintf(p->out, "%s: %ld rows, %.0f rows/s, %.0f%%\n", p->what, rows, rate, frac * 100);
        else
            fprintf(p->out, "%s: %ld rows, %.0f rows/s\n", p->what, rows, rate);
        fflush(p->out);
        return;
    }
    fprintf(p->out, "\r\033[K%s ", p->what);
    if (frac >= 0) {
        int full = (int)(frac * BAR + 0.5);
        double eta = frac > 0 ? secs / frac - secs : 0;
        fputc('[', p->out);
        for (int i = 0; i < BAR; i++)
            fputc(i < full ? '#' : '-', p->out);
        fprintf(p->out, "] %3.0f%%  %ld rows  %.0f rows/s  ETA %d:%02d", frac * 100, rows, rate,
                (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(p->out, "%ld rows  %.0f rows/s", rows, rate);
    }
    fflush(p->out);
    p->drawn = 1;
}

void vc_progress_end(struct vc_progress *p, const char *summary)
{
    if (p->drawn)
        fputs("\r\033[K", p->out);
    if (summary != NULL && !p->quiet)
        fprintf(p->out, "%s\n", summary);
    fflush(p->out);
}
