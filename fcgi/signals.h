/* signals.h - the master's self-pipe for signals.
 *
 * The handler only saves errno, writes the signal number as one byte to a
 * non-blocking close-on-exec pipe and restores errno; the master's poll loop
 * reads the bytes and does the work outside signal context. */
#ifndef VC_SIGNALS_H
#define VC_SIGNALS_H

/* Install handlers for CHLD, TERM, INT, QUIT and HUP. -1 on failure. */
int vc_signals_init(void);

/* The fd to poll for readability. */
int vc_signals_fd(void);

/* Next pending signal number, or 0 when none is queued. */
int vc_signals_next(void);

/* In a freshly forked child: restore default handlers and close the pipe. */
void vc_signals_child_reset(void);

#endif
