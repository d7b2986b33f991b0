/* vc_config.h - voxcat's settings, read from the environment.
 *
 * Settings are one table (name, type, default, bounds, secret flag) in
 * vc_config.c; every field starts unset, defaults are merged in, and
 * validation reports every bad setting at once, naming each in quotes.
 * The config is read once per process (and again by the master on SIGHUP);
 * nothing else in voxcat calls getenv() for a VOXCAT_ setting. */
#ifndef VC_CONFIG_H
#define VC_CONFIG_H

/* Exit status of every voxcat program that stops on a bad configuration
 * (sysexits.h's EX_CONFIG). */
#define VC_EXIT_CONFIG 78

#include <stdio.h>

#include "vc_error.h"

enum vc_listen_kind { VC_LISTEN_UNIX, VC_LISTEN_TCP };

/* The worker pools, the php-fpm way: one master, a pool per socket.
 * speech takes synthesis and the queue; api everything that must stay
 * fast while synthesis is busy (search, status, track reads, audio
 * restores). nginx routes between them. */
enum vc_pool { VC_POOL_SPEECH, VC_POOL_API, VC_POOL_COUNT };

struct vc_config {
    unsigned long serial;       /* distinct for every load: memos keyed on settings */
    char *database_url;         /* "" = libpq's PG* variables */
    char *database_url_read;    /* "" = use database_url */
    char *listen;               /* "unix:/path" or "host:port" */
    enum vc_listen_kind listen_kind;
    char *listen_path;          /* unix socket path, or host for TCP */
    int listen_port;
    int listen_mode;            /* octal permission of a unix socket */
    int workers;                /* the speech pool */
    char *api_listen;           /* the api pool's socket, as listen */
    enum vc_listen_kind api_listen_kind;
    char *api_listen_path;
    int api_listen_port;
    int api_workers;            /* 0: no api pool, speech serves all */
    long max_requests;          /* 0 = never recycle */
    int shutdown_timeout;       /* seconds */
    char *cache_dir;
    char *accel_prefix;         /* nginx internal location for the cache */
    long max_text;              /* bytes */
    char *default_model;
    char *default_voice;
    int retry_attempts;
    long http_timeout_ms;
    long connect_timeout_ms;
    int db_timeout_ms;          /* connect + statement budget */
    int max_retries;            /* FAILED -> PENDING retries per track */
    int lease_s;                /* how long a PROCESSING track is held */
    char *log_level;
    char *gemini_api_key;
    char *gemini_api_base;
    char *gemini_flash_model;
    char *gemini_pro_model;
    char *elevenlabs_api_key;
    char *elevenlabs_api_base;
    char *elevenlabs_voices;    /* "Name=voice_id,..." */
    char *auth;                 /* "off" | "writes" | "all" */
    char *cors_origins;         /* "https://a.example,https://b.example" */
    int max_segments;           /* upstream calls one request may make */
    int max_audio_s;            /* longest audio one request may make */
    long request_timeout_ms;    /* one synthesis, all segments and retries */
    long lock_wait_ms;          /* wait for another worker's same synthesis */
    long mp3_bitrate, opus_bitrate, aac_bitrate;   /* bits per second */
    char *openai_voices;
    long cache_max_bytes;       /* 0: no bound */        /* "alloy=Kore,...": OpenAI's names to ours */
};

/* Read every setting from the environment into cfg (zeroed by this call),
 * merge defaults and validate. On failure returns VC_ERR_INVALID_ARGUMENT
 * and writes one line per bad setting to problems (may be NULL); cfg is
 * still filled and must be freed. */
enum vc_code vc_config_load(struct vc_config *cfg, FILE *problems) VC_MUST_CHECK;

/* Free the strings of cfg (not cfg itself). Accepts NULL. */
void vc_config_free(struct vc_config *cfg);

/* Print a database URL or conninfo with every password replaced by ****:
 * the URI's user:password@, and password= in a URI query or as a keyword
 * (quoted or not). */
void vc_config_mask_dsn(const char *dsn, FILE *out);

/* Print "NAME=value" lines for every setting, secrets masked. */
void vc_config_print(const struct vc_config *cfg, FILE *out);

/* Read KEY=VALUE lines from path into the environment (overriding), for
 * voxcat-fcgi --env-file; blank lines and # comments are skipped. */
enum vc_code vc_config_read_env_file(const char *path, struct vc_error *err) VC_MUST_CHECK;

#endif
