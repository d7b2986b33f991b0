/* cli.c - voxcat: the command-line tool over libvoxcat.
 *
 * Each subcommand is a row of the command table; a command returns the
 * process exit status: 0 done, 1 failed, 2 usage, 78 bad configuration. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "vc_cache.h"
#include "vc_jsonl.h"
#include "vc_config.h"
#include "vc_db.h"
#include "vc_log.h"
#include "vc_engines.h"
#include "vc_migrate.h"
#include "vc_time.h"
#include "vc_tts.h"

#define EX_USAGE VC_CLI_USAGE

#ifndef VC_SQL_DIR
#define VC_SQL_DIR "/usr/local/share/voxcat/sql"
#endif

struct command {
    const char *name;
    const char *args;
    const char *help;
    int (*run)(struct vc_config *cfg, int argc, char **argv);
    int needs_valid_config;
};

static int cmd_check_config(struct vc_config *cfg, int argc, char **argv);
static int cmd_migrate(struct vc_config *cfg, int argc, char **argv);
static int cmd_version(struct vc_config *cfg, int argc, char **argv);
static int cmd_say(struct vc_config *cfg, int argc, char **argv);
static int cmd_import(struct vc_config *cfg, int argc, char **argv);
static int cmd_export(struct vc_config *cfg, int argc, char **argv);
static int cmd_cache(struct vc_config *cfg, int argc, char **argv);

static const struct command commands[] = {
    { "migrate", "[--dir DIR]", "apply pending SQL migrations", cmd_migrate, 1 },
    { "import", "FILE.jsonl|- [--quiet]", "import tracks, all or nothing", cmd_import, 1 },
    { "export", "[--quiet]", "write every track as JSON lines", cmd_export, 1 },
    { "check-config", "", "validate and print the configuration (secrets masked)", cmd_check_config, 0 },
    { "say", "TEXT [--voice V] [--language L] [--model M] [--speed S] -o FILE.wav",
      "synthesise speech to a file, its extension naming the format, without HTTP or a database",
      cmd_say, 1 },
    { "token", "create|list|revoke ...", "API tokens: scopes, daily quotas", vc_cli_token, 1 },
    { "cache", "prune [--max-bytes N]", "evict least recently used audio files to a size",
      cmd_cache, 1 },
    { "version", "", "print the version", cmd_version, 0 },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fputs("usage: voxcat COMMAND [ARGS]\n\ncommands:\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-14s %-24s %s\n", commands[i].name, commands[i].args, commands[i].help);
    fputs("\nConfiguration comes from the environment; see voxcat(1).\n", out);
}

static int cmd_version(struct vc_config *cfg, int argc, char **argv)
{
    (void)cfg;
    (void)argc;
    (void)argv;
    puts("voxcat " PACKAGE_VERSION);
    return 0;
}

/* check-config is the one command that runs with a bad configuration: it
 * exists to say what is wrong with it. */
static int cmd_check_config(struct vc_config *cfg, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    vc_config_print(cfg, stdout);
    return 0;
}

static const char *sql_dir(int argc, char **argv)
{
    const char *env = getenv("VOXCAT_SQL_DIR");

    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0)
            return argv[i + 1];
    }
    return env && env[0] ? env : VC_SQL_DIR;
}

static int cmd_migrate(struct vc_config *cfg, int argc, char **argv)
{
    struct vc_db *db;
    struct vc_error err;
    int applied = 0;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        fprintf(stderr, "voxcat migrate: unexpected argument \"%s\"\n", argv[i]);
        return EX_USAGE;
    }
    vc_error_clear(&err);
    db = vc_db_new(cfg->database_url, cfg->db_timeout_ms, 0);
    if (db == NULL) {
        fputs("voxcat migrate: out of memory\n", stderr);
        return 1;
    }
    if (vc_migrate(db, sql_dir(argc, argv), stdout, &applied, &err) != VC_OK) {
        fprintf(stderr, "voxcat migrate: %s\n", err.message);
        rc = 1;
    } else if (applied == 0) {
        puts("nothing to migrate: the schema is up to date");
    } else {
        printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
    }
    vc_db_free(db);
    return rc;
}

static int cmd_import(struct vc_config *cfg, int argc, char **argv)
{
    struct vc_actor who = { "cli", NULL, NULL };
    struct vc_progress bar;
    struct vc_jsonl_progress progress = { vc_progress_update, &bar };
    struct vc_error err;
    struct vc_db *db;
    FILE *in;
    long count = 0;
    int rc = 0, quiet = argc == 3 && strcmp(argv[2], "--quiet") == 0;
    double t0 = vc_time_mono_s();

    if (argc != 2 && !quiet) {
        fputs("usage: voxcat import FILE.jsonl|- [--quiet]\n", stderr);
        return EX_USAGE;
    }
    in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
    if (in == NULL) {
        perror(argv[1]);
        return 1;
    }
    vc_error_clear(&err);
    vc_progress_init(&bar, stderr, "import", quiet);
    db = vc_db_new(cfg->database_url, cfg->db_timeout_ms, 0);
    if (db == NULL || vc_jsonl_import(db, in, &who, &progress, &count, &err) != VC_OK) {
        vc_progress_end(&bar, NULL);
        fprintf(stderr, "voxcat import: %s\n", db ? err.message : "out of memory");
        fputs("voxcat import: nothing was imported\n", stderr);
        rc = 1;
    } else {
        char summary[128];
        double secs = vc_time_mono_s() - t0;
        snprintf(summary, sizeof(summary), "import: %ld tracks in %.1f s (%.0f rows/s)", count,
                 secs, secs > 0 ? count / secs : 0.0);
        vc_progress_end(&bar, summary);
        printf("imported %ld tracks\n", count);
    }
    vc_db_free(db);
    if (in != stdin)
        fclose(in);
    return rc;
}

static int cmd_export(struct vc_config *cfg, int argc, char **argv)
{
    struct vc_actor who = { "cli", NULL, NULL };
    struct vc_progress bar;
    struct vc_jsonl_progress progress = { vc_progress_update, &bar };
    struct vc_error err;
    struct vc_db *db;
    long count = 0;
    int rc = 0, quiet = argc == 2 && strcmp(argv[1], "--quiet") == 0;
    double t0 = vc_time_mono_s();

    if (argc != 1 && !quiet) {
        fputs("usage: voxcat export [--quiet] > FILE.jsonl\n", stderr);
        return EX_USAGE;
    }
    vc_error_clear(&err);
    vc_progress_init(&bar, stderr, "export", quiet);
    db = vc_db_new(cfg->database_url, cfg->db_timeout_ms, 0);
    if (db == NULL || vc_jsonl_export(db, stdout, &who, &progress, &count, &err) != VC_OK
        || fflush(stdout) != 0) {
        vc_progress_end(&bar, NULL);
        fprintf(stderr, "voxcat export: %s\n", db ? err.message : "out of memory");
        rc = 1;
    } else {
        char summary[128];
        double secs = vc_time_mono_s() - t0;
        snprintf(summary, sizeof(summary), "exported %ld tracks in %.1f s (%.0f rows/s)", count,
                 secs, secs > 0 ? count / secs : 0.0);
        vc_progress_end(&bar, summary);
    }
    vc_db_free(db);
    return rc;
}

/* voxcat cache prune: the disk cache down to a size, least recently used
 * files first (PostgreSQL keeps every blob: nothing is lost). */
static int cmd_cache(struct vc_config *cfg, int argc, char **argv)
{
    long long max = cfg->cache_max_bytes;
    struct vc_cache_stats st;
    struct vc_error err;

    if (argc < 2 || strcmp(argv[1], "prune") != 0)
        goto usage;
    if (argc == 4 && strcmp(argv[2], "--max-bytes") == 0) {
        char *end;
        max = strtoll(argv[3], &end, 10);
        if (*end != '\0' || end == argv[3] || max < 0)
            goto usage;
    } else if (argc != 2) {
        goto usage;
    }
    if (max <= 0) {
        fputs("voxcat cache prune: no size to prune to (VOXCAT_CACHE_MAX_BYTES or --max-bytes)\n",
              stderr);
        return EX_USAGE;
    }
    vc_error_clear(&err);
    if (vc_cache_prune(cfg, (unsigned long long)max, 0, &st, &err) != VC_OK) {
        fprintf(stderr, "voxcat cache prune: %s\n", err.message);
        return 1;
    }
    printf("removed %lu files (%llu bytes); the cache holds %lu files (%llu bytes)\n",
           st.removed, st.removed_bytes, st.files, st.bytes);
    return 0;
usage:
    fputs("usage: voxcat cache prune [--max-bytes N]\n", stderr);
    return EX_USAGE;
}

struct say_args {
    const char *names[6];
    const char *values[6];
    int n;
};

static const char *say_get(void *ctx, const char *name)
{
    struct say_args *a = ctx;

    for (int i = 0; i < a->n; i++) {
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    }
    return NULL;
}

/* voxcat say: the same validation and engines as POST /tts, straight to a
 * file (written whole to a temporary name, then renamed). */
static int cmd_say(struct vc_config *cfg, int argc, char **argv)
{
    struct say_args a = { { "text" }, { NULL }, 1 };
    struct vc_tts_input in;
    struct vc_error err;
    unsigned char *wav = NULL;
    size_t len = 0;
    const char *outpath = NULL;
    char tmp[4096];
    FILE *f;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if ((strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0) && i + 1 < argc) {
            outpath = argv[++i];
        } else if (strncmp(opt, "--", 2) == 0 && i + 1 < argc
                   && (strcmp(opt + 2, "voice") == 0 || strcmp(opt + 2, "language") == 0
                       || strcmp(opt + 2, "model") == 0 || strcmp(opt + 2, "speed") == 0)) {
            if (a.n == 6)
                goto usage;
            a.names[a.n] = opt + 2;
            a.values[a.n++] = argv[++i];
        } else if (opt[0] != '-' && a.values[0] == NULL) {
            a.values[0] = opt;
        } else {
            goto usage;
        }
    }
    if (a.values[0] == NULL || outpath == NULL)
        goto usage;

    vc_error_clear(&err);
    if (vc_engines_init(cfg, &err) != VC_OK) {
        fprintf(stderr, "voxcat say: %s\n", err.message);
        return 1;
    }
    if (vc_tts_input_from_query(cfg, say_get, &a, &in, &err) != VC_OK) {
        fprintf(stderr, "voxcat say: %s%s%s\n", err.field[0] ? err.field : "",
                err.field[0] ? ": " : "", err.message);
        goto out;
    }
    {
        /* The file's extension names the format: out.mp3 is MP3. */
        const char *dot = strrchr(outpath, '.');
        if (dot == NULL || vc_format_parse(dot + 1, &in.format) != 0)
            in.format = VC_FORMAT_WAV;
    }
    if (vc_tts_render(cfg, &in, &wav, &len, NULL, &err) != VC_OK) {
        fprintf(stderr, "voxcat say: %s\n", err.message);
        goto free_in;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", outpath);
    f = fopen(tmp, "wb");
    if (f == NULL || fwrite(wav, 1, len, f) != len || fclose(f) != 0 || rename(tmp, outpath) != 0) {
        perror(outpath);
        remove(tmp);
        goto free_in;
    }
    rc = 0;
free_in:
    vc_tts_input_free(&in);
out:
    free(wav);
    vc_engines_shutdown();
    return rc;
usage:
    fputs("usage: voxcat say TEXT [--voice V] [--language L] [--model M] [--speed S] -o FILE.wav\n",
          stderr);
    return EX_USAGE;
}

int main(int argc, char **argv)
{
    const struct command *cmd = NULL;
    struct vc_config cfg;
    int bad, rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EX_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(NULL, 0, NULL);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            cmd = &commands[i];
    }
    if (cmd == NULL) {
        fprintf(stderr, "voxcat: unknown command \"%s\"\n\n", argv[1]);
        usage(stderr);
        return EX_USAGE;
    }
    /* The CLI talks to people: keep its log lines for warnings. */
    vc_log_threshold = VC_LOG_WARN;
    bad = vc_config_load(&cfg, stderr) != VC_OK;
    if (bad && cmd->run == cmd_check_config) {
        vc_config_print(&cfg, stdout);
        fputs("voxcat: invalid configuration (see above)\n", stderr);
        vc_config_free(&cfg);
        return VC_EXIT_CONFIG;
    }
    if (bad && cmd->needs_valid_config) {
        fputs("voxcat: invalid configuration (see above)\n", stderr);
        vc_config_free(&cfg);
        return VC_EXIT_CONFIG;
    }
    if (getenv("VOXCAT_LOG_LEVEL") != NULL)
        vc_log_set_level(cfg.log_level);
    rc = cmd->run(&cfg, argc - 1, argv + 1);
    vc_config_free(&cfg);
    return rc;
}
