/* test_scoreboard.c - the shared scoreboard: a STOPPING slot stays so when
 * its worker finishes a request (a shrink must not stop one worker too
 * many), and a released slot is free again. */
#include "scoreboard.h"
#include "tap.h"

int main(void)
{
    struct vc_scoreboard *sb = vc_scoreboard_create();
    int i;

    if (sb == NULL) {
        puts("Bail out! no scoreboard");
        return 1;
    }
    i = vc_scoreboard_alloc(sb);
    ok(i >= 0 && vc_scoreboard_state(sb, i) == VC_SLOT_STARTING, "a new slot is starting");
    vc_scoreboard_set_state(sb, i, VC_SLOT_IDLE);
    vc_scoreboard_set_state(sb, i, VC_SLOT_BUSY);
    ok(vc_scoreboard_state(sb, i) == VC_SLOT_BUSY, "a worker moves its slot between idle and busy");
    vc_scoreboard_set_state(sb, i, VC_SLOT_STOPPING);       /* the master's word */
    vc_scoreboard_set_state(sb, i, VC_SLOT_IDLE);           /* the request in hand ends */
    ok(vc_scoreboard_state(sb, i) == VC_SLOT_STOPPING, "STOPPING survives the worker going idle");
    vc_scoreboard_set_state(sb, i, VC_SLOT_BUSY);
    ok(vc_scoreboard_state(sb, i) == VC_SLOT_STOPPING, "and going busy");
    vc_scoreboard_release(sb, i);
    ok(vc_scoreboard_state(sb, i) == VC_SLOT_FREE, "a released slot is free");
    ok(vc_scoreboard_alloc(sb) >= 0, "and can be had again");
    return done_testing();
}
