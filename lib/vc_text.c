/* vc_text.c - UTF-8 validation, and string joins without a format. */
#include "vc_text.h"

#include <stdarg.h>
#include <string.h>

size_t vc_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF
        || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int vc_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t step;

        if (s[i] >= 0x01 && s[i] < 0x80) {     /* ASCII: most of any text */
            i++;
            continue;
        }
        step = vc_utf8_next(s + i, len - i, &cp);

        if (step == 0 || cp == 0)
            return 0;
        i += step;
    }
    return 1;
}

void vc_utf8_scrub(char *s)
{
    if (vc_utf8_valid(s, strlen(s)))
        return;
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80)
            *s = '?';
    }
}

int vc_strjoin(char *buf, size_t size, ...)
{
    va_list ap;
    const char *s;
    size_t used = 0;
    int fits = 1;

    if (size == 0)
        return -1;
    va_start(ap, size);
    while ((s = va_arg(ap, const char *)) != NULL) {
        size_t n = strlen(s);
        if (n >= size - used) {
            n = size - used - 1;
            fits = 0;
        }
        memcpy(buf + used, s, n);
        used += n;
        if (!fits)
            break;
    }
    va_end(ap);
    buf[used] = '\0';
    return fits ? (int)used : -1;
}

size_t vc_utoa(unsigned long long v, char *buf)
{
    char tmp[21];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}
