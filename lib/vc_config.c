/* vc_config.c - voxcat's settings table, read from the environment. */
#include "vc_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum setting_type { T_STRING, T_INT, T_LONG, T_LISTEN, T_OCTAL, T_URL, T_CHOICE };

struct setting {
    const char *name;
    enum setting_type type;
    size_t offset;          /* of the field in struct vc_config */
    const char *def;        /* NULL = computed default or empty */
    long min, max;
    int secret;
    const char *choices;    /* for T_CHOICE: "a|b|c" */
};

#define OFF(f) offsetof(struct vc_config, f)

#ifndef VC_LISTEN_DEFAULT
#define VC_LISTEN_DEFAULT "unix:/run/voxcat/voxcat.sock"
#endif
#ifndef VC_API_LISTEN_DEFAULT
#define VC_API_LISTEN_DEFAULT "unix:/run/voxcat/voxcat-api.sock"
#endif
#ifndef VC_CACHE_DIR
#define VC_CACHE_DIR "/var/cache/voxcat"
#endif

static const struct setting settings[] = {
    { "VOXCAT_DATABASE_URL", T_STRING, OFF(database_url), "", 0, 0, 1, NULL },
    { "VOXCAT_DATABASE_URL_READ", T_STRING, OFF(database_url_read), "", 0, 0, 1, NULL },
    { "VOXCAT_LISTEN", T_LISTEN, OFF(listen), VC_LISTEN_DEFAULT, 0, 0, 0, NULL },
    { "VOXCAT_LISTEN_MODE", T_OCTAL, OFF(listen_mode), "0660", 0, 0777, 0, NULL },
    { "VOXCAT_WORKERS", T_INT, OFF(workers), NULL, 1, 128, 0, NULL },
    { "VOXCAT_API_LISTEN", T_LISTEN, OFF(api_listen), VC_API_LISTEN_DEFAULT, 0, 0, 0, NULL },
    { "VOXCAT_API_WORKERS", T_INT, OFF(api_workers), "2", 0, 128, 0, NULL },
    { "VOXCAT_MAX_REQUESTS", T_LONG, OFF(max_requests), "0", 0, LONG_MAX, 0, NULL },
    { "VOXCAT_SHUTDOWN_TIMEOUT", T_INT, OFF(shutdown_timeout), "30", 1, 3600, 0, NULL },
    { "VOXCAT_CACHE_DIR", T_STRING, OFF(cache_dir), VC_CACHE_DIR, 0, 0, 0, NULL },
    { "VOXCAT_ACCEL_PREFIX", T_STRING, OFF(accel_prefix), "/_voxcat_cache/", 0, 0, 0, NULL },
    { "VOXCAT_MAX_TEXT", T_LONG, OFF(max_text), "5000", 1, 1000000, 0, NULL },
    { "VOXCAT_DEFAULT_MODEL", T_STRING, OFF(default_model), "auto", 0, 0, 0, NULL },
    { "VOXCAT_DEFAULT_VOICE", T_STRING, OFF(default_voice), "Kore", 0, 0, 0, NULL },
    { "VOXCAT_RETRY_ATTEMPTS", T_INT, OFF(retry_attempts), "3", 1, 10, 0, NULL },
    { "VOXCAT_HTTP_TIMEOUT_MS", T_LONG, OFF(http_timeout_ms), "30000", 100, 600000, 0, NULL },
    { "VOXCAT_CONNECT_TIMEOUT_MS", T_LONG, OFF(connect_timeout_ms), "5000", 50, 60000, 0, NULL },
    { "VOXCAT_DB_TIMEOUT_MS", T_INT, OFF(db_timeout_ms), "5000", 100, 600000, 0, NULL },
    { "VOXCAT_MAX_RETRIES", T_INT, OFF(max_retries), "3", 0, 1000, 0, NULL },
    { "VOXCAT_LEASE_S", T_INT, OFF(lease_s), "300", 1, 86400, 0, NULL },
    { "VOXCAT_LOG_LEVEL", T_CHOICE, OFF(log_level), "info", 0, 0, 0, "debug|info|warn|error" },
    { "VOXCAT_AUTH", T_CHOICE, OFF(auth), "writes", 0, 0, 0, "off|writes|all" },
    { "VOXCAT_CORS_ORIGINS", T_STRING, OFF(cors_origins), "", 0, 0, 0, NULL },
    { "VOXCAT_MAX_SEGMENTS", T_INT, OFF(max_segments), "16", 1, 1000, 0, NULL },
    { "VOXCAT_MAX_AUDIO_S", T_INT, OFF(max_audio_s), "600", 1, 86400, 0, NULL },
    { "VOXCAT_REQUEST_TIMEOUT_MS", T_LONG, OFF(request_timeout_ms), "120000", 1000, 3600000, 0, NULL },
    { "VOXCAT_OPENAI_VOICES", T_STRING, OFF(openai_voices),
      "alloy=Kore,ash=Puck,ballad=Charon,coral=Aoede,echo=Fenrir,fable=Leda,nova=Zephyr,"
      "onyx=Orus,sage=Sulafat,shimmer=Despina,verse=Iapetus", 0, 0, 0, NULL },
    { "VOXCAT_CACHE_MAX_BYTES", T_LONG, OFF(cache_max_bytes), "0", 0, LONG_MAX, 0, NULL },
    { "VOXCAT_MP3_BITRATE", T_LONG, OFF(mp3_bitrate), "64000", 8000, 160000, 0, NULL },
    { "VOXCAT_OPUS_BITRATE", T_LONG, OFF(opus_bitrate), "32000", 6000, 256000, 0, NULL },
    { "VOXCAT_AAC_BITRATE", T_LONG, OFF(aac_bitrate), "64000", 8000, 144000, 0, NULL },
    { "VOXCAT_LOCK_WAIT_MS", T_LONG, OFF(lock_wait_ms), "60000", 100, 3600000, 0, NULL },
    { "GEMINI_API_KEY", T_STRING, OFF(gemini_api_key), "", 0, 0, 1, NULL },
    { "GEMINI_API_BASE", T_URL, OFF(gemini_api_base), "https://generativelanguage.googleapis.com", 0, 0, 0, NULL },
    { "VOXCAT_GEMINI_FLASH_MODEL", T_STRING, OFF(gemini_flash_model), "gemini-2.5-flash-preview-tts", 0, 0, 0, NULL },
    { "VOXCAT_GEMINI_PRO_MODEL", T_STRING, OFF(gemini_pro_model), "gemini-2.5-pro-preview-tts", 0, 0, 0, NULL },
    { "ELEVENLABS_API_KEY", T_STRING, OFF(elevenlabs_api_key), "", 0, 0, 1, NULL },
    { "ELEVENLABS_API_BASE", T_URL, OFF(elevenlabs_api_base), "https://api.elevenlabs.io", 0, 0, 0, NULL },
    { "VOXCAT_ELEVENLABS_VOICES", T_STRING, OFF(elevenlabs_voices), "", 0, 0, 0, NULL },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static char **str_field(struct vc_config *cfg, const struct setting *s)
{
    return (char **)((char *)cfg + s->offset);
}

static int *int_field(struct vc_config *cfg, const struct setting *s)
{
    return (int *)((char *)cfg + s->offset);
}

static long *long_field(struct vc_config *cfg, const struct setting *s)
{
    return (long *)((char *)cfg + s->offset);
}

static int parse_long(const char *text, int base, long *out)
{
    char *end;

    if (text[0] == '\0' || isspace((unsigned char)text[0]))
        return -1;
    errno = 0;
    *out = strtol(text, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    return 0;
}

static int choice_ok(const char *choices, const char *value)
{
    size_t n = strlen(value);
    const char *p = choices;

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0)
            return 1;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    return 0;
}

/* "unix:/abs/path", "host:port" or ":port" into the parsed fields. */
static int parse_listen(enum vc_listen_kind *kind, char **where, int *at, const char *value,
                        const char **why)
{
    const char *colon;
    long port;

    if (strncmp(value, "unix:", 5) == 0) {
        const char *path = value + 5;
        if (path[0] != '/') {
            *why = "a unix socket path must be absolute (unix:/run/voxcat/voxcat.sock)";
            return -1;
        }
        if (strlen(path) >= 108) {
            *why = "the unix socket path is longer than 107 bytes";
            return -1;
        }
        *kind = VC_LISTEN_UNIX;
        *where = strdup(path);
        return *where ? 0 : -1;
    }
    colon = strrchr(value, ':');
    if (colon == NULL || parse_long(colon + 1, 10, &port) != 0 || port < 1 || port > 65535) {
        *why = "expected unix:/path or host:port (e.g. 127.0.0.1:9000)";
        return -1;
    }
    *kind = VC_LISTEN_TCP;
    *at = (int)port;
    if (colon == value)
        *where = strdup("127.0.0.1");
    else
        *where = strndup(value, (size_t)(colon - value));
    return *where ? 0 : -1;
}

static int default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > 128 ? 128 : (int)n;
}

/* Parse one setting into cfg; on a bad value print the reason to problems
 * and return -1. */
static int load_one(struct vc_config *cfg, const struct setting *s, FILE *problems)
{
    const char *env = getenv(s->name);
    const char *value = (env != NULL && env[0] != '\0') ? env : s->def;
    const char *why = NULL;
    long n = 0;

    if (value == NULL) {            /* computed defaults */
        if (s->offset == OFF(workers)) {
            *int_field(cfg, s) = default_workers();
            return 0;
        }
        value = "";
    }

    switch (s->type) {
    case T_STRING:
    case T_URL:
    case T_CHOICE:
    case T_LISTEN:
        *str_field(cfg, s) = strdup(value);
        if (*str_field(cfg, s) == NULL) {
            why = "out of memory";
            break;
        }
        if (s->type == T_URL && strncmp(value, "http://", 7) != 0
            && strncmp(value, "https://", 8) != 0)
            why = "expected an http:// or https:// URL";
        else if (s->type == T_CHOICE && !choice_ok(s->choices, value))
            why = s->choices;
        else if (s->type == T_LISTEN && s->offset == OFF(api_listen)
                 && parse_listen(&cfg->api_listen_kind, &cfg->api_listen_path,
                                 &cfg->api_listen_port, value, &why) != 0 && why == NULL)
            why = "out of memory";
        else if (s->type == T_LISTEN && s->offset == OFF(listen)
                 && parse_listen(&cfg->listen_kind, &cfg->listen_path, &cfg->listen_port, value,
                                 &why) != 0 && why == NULL)
            why = "out of memory";
        break;
    case T_INT:
    case T_LONG:
    case T_OCTAL:
        if (parse_long(value, s->type == T_OCTAL ? 8 : 10, &n) != 0) {
            why = s->type == T_OCTAL ? "expected an octal mode such as 0660" : "expected a whole number";
            break;
        }
        if (n < s->min || n > s->max) {
            if (problems != NULL)
                fprintf(problems, "\"%s\": %s is out of range (%ld to %ld)\n",
                        s->name, value, s->min, s->max);
            return -1;
        }
        if (s->type == T_LONG)
            *long_field(cfg, s) = n;
        else
            *int_field(cfg, s) = (int)n;
        break;
    }
    if (why != NULL) {
        if (problems != NULL) {
            if (s->type == T_CHOICE)
                fprintf(problems, "\"%s\": \"%s\" is not one of %s\n", s->name, value, why);
            else
                fprintf(problems, "\"%s\": %s: %s\n", s->name,
                        s->secret ? "(value hidden)" : value, why);
        }
        return -1;
    }
    return 0;
}

enum vc_code vc_config_load(struct vc_config *cfg, FILE *problems)
{
    static unsigned long loads;
    int bad = 0;

    memset(cfg, 0, sizeof(*cfg));
    cfg->serial = ++loads;
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (load_one(cfg, &settings[i], problems) != 0)
            bad++;
    }
    /* Fields a failed parse left NULL become "" so users of a bad config
     * (check-config prints it) never meet a NULL string. */
    for (size_t i = 0; i < NSETTINGS; i++) {
        enum setting_type t = settings[i].type;
        if ((t == T_STRING || t == T_URL || t == T_CHOICE || t == T_LISTEN)
            && *str_field(cfg, &settings[i]) == NULL) {
            *str_field(cfg, &settings[i]) = strdup("");
            if (*str_field(cfg, &settings[i]) == NULL)
                bad++;
        }
    }
    /* A lease shorter than a synthesis may take would hand a live job to a
     * second worker. */
    if (cfg->lease_s * 1000L <= cfg->http_timeout_ms + cfg->db_timeout_ms) {
        if (problems != NULL)
            fprintf(problems, "\"VOXCAT_LEASE_S\": %d s is not longer than a synthesis may take "
                    "(VOXCAT_HTTP_TIMEOUT_MS + VOXCAT_DB_TIMEOUT_MS)\n", cfg->lease_s);
        bad++;
    }
    if (cfg->api_workers > 0 && cfg->listen != NULL && cfg->api_listen != NULL
        && strcmp(cfg->listen, cfg->api_listen) == 0) {
        if (problems != NULL)
            fprintf(problems, "\"VOXCAT_API_LISTEN\": the api pool needs a socket of its own "
                    "(it is VOXCAT_LISTEN's); VOXCAT_API_WORKERS=0 runs one pool\n");
        bad++;
    }
    if (cfg->listen_path == NULL)
        cfg->listen_path = strdup("");
    if (cfg->api_listen_path == NULL)
        cfg->api_listen_path = strdup("");
    if (cfg->listen_path == NULL || cfg->api_listen_path == NULL)
        bad++;
    return bad ? VC_ERR_INVALID_ARGUMENT : VC_OK;
}

void vc_config_free(struct vc_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < NSETTINGS; i++) {
        enum setting_type t = settings[i].type;
        if (t == T_STRING || t == T_URL || t == T_CHOICE || t == T_LISTEN) {
            free(*str_field(cfg, &settings[i]));
            *str_field(cfg, &settings[i]) = NULL;
        }
    }
    free(cfg->listen_path);
    cfg->listen_path = NULL;
    free(cfg->api_listen_path);
    cfg->api_listen_path = NULL;
}

/* The end of a keyword value that starts at v: a 'quoted' value (with
 * backslash escapes) or up to white space; in a URI query, up to '&'. */
static const char *value_end(const char *v, int in_uri)
{
    if (!in_uri && *v == '\'') {
        for (v++; *v && *v != '\''; v++) {
            if (*v == '\\' && v[1])
                v++;
        }
        return *v ? v + 1 : v;
    }
    while (*v && !(in_uri ? *v == '&' || *v == '#' : isspace((unsigned char)*v)))
        v++;
    return v;
}

void vc_config_mask_dsn(const char *dsn, FILE *out)
{
    const char *scheme = strstr(dsn, "://");
    const char *p = dsn;
    int in_uri = scheme != NULL;

    if (in_uri) {
        /* postgresql://user:pw@host - the userinfo ends at the last '@'
         * before the path, as a password may hold an '@' itself. */
        const char *auth = scheme + 3;
        const char *end = auth + strcspn(auth, "/?#");
        const char *at = NULL, *colon;

        for (const char *c = auth; c < end; c++) {
            if (*c == '@')
                at = c;
        }
        colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon != NULL) {
            fprintf(out, "%.*s:****", (int)(colon - dsn), dsn);
            p = at;
        }
    }
    for (;;) {
        const char *kw = strstr(p, "password=");
        if (kw == NULL)
            break;
        fprintf(out, "%.*spassword=****", (int)(kw - p), p);
        p = value_end(kw + 9, in_uri);
    }
    fputs(p, out);
}

void vc_config_print(const struct vc_config *cfg, FILE *out)
{
    struct vc_config *c = (struct vc_config *)cfg;

    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        fprintf(out, "%s=", s->name);
        switch (s->type) {
        case T_STRING:
        case T_URL:
        case T_CHOICE:
        case T_LISTEN: {
            const char *v = *str_field(c, s);
            if (v == NULL)
                v = "";
            if (s->secret && s->offset != OFF(database_url) && s->offset != OFF(database_url_read))
                fputs(v[0] ? "****" : "", out);
            else if (s->secret)
                vc_config_mask_dsn(v, out);
            else
                fputs(v, out);
            break;
        }
        case T_INT:
            fprintf(out, "%d", *int_field(c, s));
            break;
        case T_LONG:
            fprintf(out, "%ld", *long_field(c, s));
            break;
        case T_OCTAL:
            fprintf(out, "%04o", (unsigned)*int_field(c, s));
            break;
        }
        fputc('\n', out);
    }
}

enum vc_code vc_config_read_env_file(const char *path, struct vc_error *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0;
    enum vc_code rc = VC_OK;

    if (f == NULL)
        return vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "env-file",
                            "cannot open %s: %s", path, strerror(errno));
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line;
        char *eq;
        size_t n;

        lineno++;
        n = strlen(p);
        while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
            p[--n] = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (strncmp(p, "export ", 7) == 0)
            p += 7;
        eq = strchr(p, '=');
        if (eq == NULL || eq == p) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "env-file",
                              "%s: line %d: expected KEY=VALUE", path, lineno);
            goto out;
        }
        *eq = '\0';
        if (setenv(p, eq + 1, 1) != 0) {
            rc = vc_error_set(err, VC_ERR_INVALID_ARGUMENT, "env-file",
                              "%s: line %d: bad name \"%s\"", path, lineno, p);
            goto out;
        }
    }
out:
    fclose(f);
    return rc;
}
