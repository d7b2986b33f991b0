/* pieces.h - random test strings joined from given pieces (every kind of
 * character a test cares about), for the unit tests that compare two ways
 * of writing the same text. Header only. */
#ifndef VC_TEST_PIECES_H
#define VC_TEST_PIECES_H

#include <stdlib.h>
#include <string.h>

/* Up to max - 1 pieces chosen by seed, joined into buf (cap bytes). */
__attribute__((unused))
static void join_pieces(char *buf, size_t cap, const char *const *pieces, size_t npieces,
                        int max, unsigned *seed)
{
    size_t n = 0;
    int count = (int)(rand_r(seed) % (unsigned)max);

    for (int i = 0; i < count; i++) {
        const char *p = pieces[rand_r(seed) % npieces];
        size_t len = strlen(p);

        if (n + len + 1 > cap)
            break;
        memcpy(buf + n, p, len);
        n += len;
    }
    buf[n] = '\0';
}

#endif
