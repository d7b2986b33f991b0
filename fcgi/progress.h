/* progress.h - how far a long command has come, for a person: a bar with
 * rows/s and an ETA redrawn on a terminal, plain periodic lines when
 * stderr is not one (a log has no use for carriage returns), nothing when
 * quiet. Used by `voxcat import` and `voxcat export`. */
#ifndef VC_PROGRESS_H
#define VC_PROGRESS_H

#include <stdio.h>

struct vc_progress {
    FILE *out;                  /* borrowed: stderr */
    const char *what;           /* "import", "export" */
    int tty, quiet;
    double start, last;
    int drawn;
};

void vc_progress_init(struct vc_progress *p, FILE *out, const char *what, int quiet);

/* A report: rows so far; done of total (any unit; total -1 when unknown). */
void vc_progress_update(void *ctx, long rows, long long done, long long total);

/* Clear the bar; summary (may be NULL) goes on a line of its own. */
void vc_progress_end(struct vc_progress *p, const char *summary);

#endif
