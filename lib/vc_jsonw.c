/* vc_jsonw.c - a small JSON text writer (see vc_jsonw.h). */
#include "vc_jsonw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_text.h"

void vc_jsonw_init(struct vc_jsonw *w, int ensure_ascii)
{
    w->buf = w->inline_buf;
    w->len = 0;
    w->cap = sizeof(w->inline_buf);
    w->ascii = ensure_ascii;
    w->failed = 0;
}

int vc_jsonw_grow(struct vc_jsonw *w, size_t n)
{
    size_t cap = w->cap;
    char *p;

    if (w->failed)
        return -1;
    if (w->len + n + 1 <= cap)
        return 0;
    while (w->len + n + 1 > cap)
        cap *= 2;
    if (w->buf == w->inline_buf) {
        p = malloc(cap);
        if (p != NULL)
            memcpy(p, w->buf, w->len);
    } else {
        p = realloc(w->buf, cap);
    }
    if (p == NULL) {
        w->failed = 1;
        return -1;
    }
    w->buf = p;
    w->cap = cap;
    return 0;
}

static void escape(struct vc_jsonw *w, uint32_t cp)
{
    char seq[16];
    int n;

    switch (cp) {
    case '\\': vc_jsonw_raw(w, "\\\\", 2); return;
    case '"':  vc_jsonw_raw(w, "\\\"", 2); return;
    case '\b': vc_jsonw_raw(w, "\\b", 2); return;
    case '\f': vc_jsonw_raw(w, "\\f", 2); return;
    case '\n': vc_jsonw_raw(w, "\\n", 2); return;
    case '\r': vc_jsonw_raw(w, "\\r", 2); return;
    case '\t': vc_jsonw_raw(w, "\\t", 2); return;
    default:
        break;
    }
    if (cp < 0x10000) {
        n = snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)cp);
    } else {
        cp -= 0x10000;
        n = snprintf(seq, sizeof(seq), "\\u%04X\\u%04X", (unsigned)(0xD800 | (cp >> 10)),
                     (unsigned)(0xDC00 | (cp & 0x3FF)));
    }
    vc_jsonw_raw(w, seq, (size_t)n);
}

/* Whether the 8 bytes at p are all plain: printable ASCII (or DEL) other
 * than '"' and '\\'. Each test flags a byte's high bit; a borrow can flag
 * a plain byte above a flagged one but never hide one, so a false alarm
 * only sends the block through the byte loop. The access log and the
 * cache key write mostly hex and words: eight bytes a step is most of
 * their cost. */
static int plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
    uint64_t v, q, b;

    memcpy(&v, p, 8);
    q = v ^ (ones * '"');
    b = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b) | v) & high
        ? 0 : 1;
}

static int plain1(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* How many bytes at the start of s need no escaping. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (n - i >= 8 && plain8(s + i))
        i += 8;
    while (i < n && plain1(s[i]))
        i++;
    return i;
}

/* n plain bytes of s, quoted, with pre before and post after when they
 * are not 0: one reservation and one copy. */
static void put_plain(struct vc_jsonw *w, char pre, const char *s, size_t n, char post)
{
    char *d;

    if (w->len + n + 5 > w->cap && vc_jsonw_grow(w, n + 4) != 0)
        return;
    d = w->buf + w->len;
    if (pre)
        *d++ = pre;
    *d++ = '"';
    memcpy(d, s, n);
    d += n;
    *d++ = '"';
    if (post)
        *d++ = post;
    w->len = (size_t)(d - w->buf);
}

void vc_jsonw_string(struct vc_jsonw *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *run = p, *end = p + n;
    size_t plain = plain_prefix(p, n);

    /* Most strings (ids, names, words) need nothing. */
    if (plain == n) {
        put_plain(w, 0, s, n, 0);
        return;
    }
    vc_jsonw_raw(w, "\"", 1);
    for (p += plain; p < end; p += plain_prefix(p, (size_t)(end - p))) {
        uint32_t cp;
        size_t len = vc_utf8_next(p, (size_t)(end - p), &cp);

        if (len == 0) {
            w->failed = 1;
            return;
        }
        if (cp == '\\' || cp == '"' || cp < 0x20 || (w->ascii && cp > 0x7F)) {
            vc_jsonw_raw(w, (const char *)run, (size_t)(p - run));
            escape(w, cp);
            run = p + len;
        }
        p += len;
    }
    vc_jsonw_raw(w, (const char *)run, (size_t)(p - run));
    vc_jsonw_raw(w, "\"", 1);
}

void vc_jsonw_cstring(struct vc_jsonw *w, const char *s)
{
    vc_jsonw_string(w, s, strlen(s));
}

void vc_jsonw_int(struct vc_jsonw *w, long long v)
{
    char num[24];
    size_t n = 0;

    if (v < 0)
        num[n++] = '-';
    n += vc_utoa(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, num + n);
    vc_jsonw_raw(w, num, n);
}

/* v with at most two decimals and a modest integer part: written by hand
 * as "%.9g" would (1 -> "1.0", 0.7 -> "0.7", -12.25 -> "-12.25"). */
static int two_decimals(struct vc_jsonw *w, double v)
{
    char num[32];
    long long c;
    int n = 0, frac;

    if (!(v > -1e6 && v < 1e6))
        return 0;
    c = llround(v * 100);
    if (fabs(v * 100 - (double)c) > 1e-7)
        return 0;
    if (c < 0) {
        num[n++] = '-';
        c = -c;
    }
    frac = (int)(c % 100);
    n += (int)vc_utoa((unsigned long long)c / 100, num + n);
    num[n++] = '.';
    num[n++] = (char)('0' + frac / 10);
    if (frac % 10 != 0)
        num[n++] = (char)('0' + frac % 10);
    vc_jsonw_raw(w, num, (size_t)n);
    return 1;
}

void vc_jsonw_real(struct vc_jsonw *w, double v, int precision)
{
    char num[64];
    int n;

    if (precision >= 9 && two_decimals(w, v))
        return;
    n = snprintf(num, sizeof(num), "%.*g", precision, v);
    if (n < 0 || (size_t)n >= sizeof(num) - 2) {
        w->failed = 1;
        return;
    }
    if (strpbrk(num, ".eEin") == NULL) {
        memcpy(num + n, ".0", 3);
        n += 2;
    }
    vc_jsonw_raw(w, num, (size_t)n);
}

void vc_jsonw_key(struct vc_jsonw *w, const char *key, int first)
{
    size_t n = strlen(key);

    /* A key is nearly always a plain name (a line of the access log has
     * twenty): written with its punctuation in one go. */
    if (plain_prefix((const unsigned char *)key, n) == n) {
        put_plain(w, first ? 0 : ',', key, n, ':');
        return;
    }
    if (!first)
        vc_jsonw_raw(w, ",", 1);
    vc_jsonw_cstring(w, key);
    vc_jsonw_raw(w, ":", 1);
}

void vc_jsonw_value(struct vc_jsonw *w, const json_t *v, int precision)
{
    const char *key;
    json_t *item;
    size_t i;
    int first = 1;

    switch (json_typeof(v)) {
    case JSON_STRING:
        vc_jsonw_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        vc_jsonw_int(w, (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        vc_jsonw_real(w, json_real_value(v), precision);
        break;
    case JSON_TRUE:
        VC_JSONW_LIT(w, "true");
        break;
    case JSON_FALSE:
        VC_JSONW_LIT(w, "false");
        break;
    case JSON_NULL:
        VC_JSONW_LIT(w, "null");
        break;
    case JSON_ARRAY:
        vc_jsonw_raw(w, "[", 1);
        json_array_foreach((json_t *)v, i, item) {
            if (i > 0)
                vc_jsonw_raw(w, ",", 1);
            vc_jsonw_value(w, item, precision);
        }
        vc_jsonw_raw(w, "]", 1);
        break;
    case JSON_OBJECT:
        vc_jsonw_raw(w, "{", 1);
        json_object_foreach((json_t *)v, key, item) {
            vc_jsonw_key(w, key, first);
            vc_jsonw_value(w, item, precision);
            first = 0;
        }
        vc_jsonw_raw(w, "}", 1);
        break;
    }
}

void vc_jsonw_json(struct vc_jsonw *w, const char *s, size_t n)
{
    char *out;
    int in_string = 0;

    if (w->len + n + 1 > w->cap && vc_jsonw_grow(w, n) != 0)
        return;
    out = w->buf + w->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (in_string) {
            if (c == '\\' && i + 1 < n) {
                *out++ = c;
                c = s[++i];     /* an escaped quote does not end the string */
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_string = 1;
        }
        *out++ = c;
    }
    w->len = (size_t)(out - w->buf);
}

const char *vc_jsonw_text(struct vc_jsonw *w, size_t *len)
{
    if (w->failed)
        return NULL;
    w->buf[w->len] = '\0';
    if (len != NULL)
        *len = w->len;
    return w->buf;
}

void vc_jsonw_release(struct vc_jsonw *w)
{
    if (w->buf != w->inline_buf)
        free(w->buf);
    w->buf = w->inline_buf;
    w->len = 0;
    w->cap = sizeof(w->inline_buf);
}
