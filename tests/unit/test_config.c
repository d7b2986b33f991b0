/* test_config.c - the settings table: defaults, validation, masking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vc_config.h"

/* Load with the environment as given; returns the code and the problems
 * text (new string). */
static enum vc_code load(struct vc_config *cfg, char **problems)
{
    size_t len = 0;
    FILE *f = open_memstream(problems, &len);
    enum vc_code rc = vc_config_load(cfg, f);

    fclose(f);
    return rc;
}

static char *printed(const struct vc_config *cfg)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    vc_config_print(cfg, f);
    fclose(f);
    return out;
}

int main(void)
{
    struct vc_config cfg;
    char *problems = NULL;
    char *text;

    unsetenv("VOXCAT_WORKERS");
    unsetenv("VOXCAT_LISTEN");
    ok(load(&cfg, &problems) == VC_OK, "defaults are valid");
    ok(cfg.workers >= 1, "workers default to the CPU count");
    ok(cfg.listen_kind == VC_LISTEN_UNIX && strlen(cfg.listen_path) > 19
       && strcmp(cfg.listen_path + strlen(cfg.listen_path) - 19, "/voxcat/voxcat.sock") == 0,
       "listen defaults to the unix socket under the run state directory");
    ok(cfg.max_text == 5000, "max text defaults to 5000");
    ok(cfg.retry_attempts == 3, "retry attempts default to 3");
    vc_config_free(&cfg);
    free(problems);

    setenv("VOXCAT_LISTEN", "127.0.0.1:9000", 1);
    ok(load(&cfg, &problems) == VC_OK && cfg.listen_kind == VC_LISTEN_TCP
       && cfg.listen_port == 9000 && strcmp(cfg.listen_path, "127.0.0.1") == 0,
       "host:port parses");
    vc_config_free(&cfg);
    free(problems);

    setenv("VOXCAT_WORKERS", "0", 1);
    setenv("VOXCAT_LISTEN", "garbage", 1);
    setenv("VOXCAT_LOG_LEVEL", "loud", 1);
    ok(load(&cfg, &problems) == VC_ERR_INVALID_ARGUMENT, "bad values are refused");
    ok(strstr(problems, "\"VOXCAT_WORKERS\"") != NULL, "the problem names VOXCAT_WORKERS");
    ok(strstr(problems, "\"VOXCAT_LISTEN\"") != NULL, "and VOXCAT_LISTEN, in the same run");
    ok(strstr(problems, "\"VOXCAT_LOG_LEVEL\"") != NULL, "and VOXCAT_LOG_LEVEL");
    vc_config_free(&cfg);
    free(problems);
    unsetenv("VOXCAT_WORKERS");
    unsetenv("VOXCAT_LISTEN");
    unsetenv("VOXCAT_LOG_LEVEL");

    setenv("VOXCAT_WORKERS", "4x", 1);
    ok(load(&cfg, &problems) != VC_OK && strstr(problems, "whole number") != NULL,
       "trailing garbage in a number is refused");
    vc_config_free(&cfg);
    free(problems);
    unsetenv("VOXCAT_WORKERS");

    setenv("GEMINI_API_KEY", "sekrit-key-123", 1);
    setenv("VOXCAT_DATABASE_URL", "postgresql://app:hunter2@db.example/voxcat", 1);
    ok(load(&cfg, &problems) == VC_OK, "secrets load");
    text = printed(&cfg);
    ok(strstr(text, "sekrit-key-123") == NULL, "the API key is masked");
    ok(strstr(text, "hunter2") == NULL, "the database password is masked");
    ok(strstr(text, "db.example/voxcat") != NULL, "the rest of the database URL shows");
    free(text);
    vc_config_free(&cfg);
    free(problems);

    {
        static const struct { const char *dsn, *secret, *kept; } dsns[] = {
            { "postgresql://u:pw@h/db?password=x", "pw@", "@h/db?password=****" },
            { "postgresql://u:pw@h/db?password=x&sslmode=require", "=x", "&sslmode=require" },
            { "postgresql://u:p@ss@h/db", "p@ss", "@h/db" },
            { "host=h password='my secret' dbname=d", "secret", "dbname=d" },
            { "host=h password='it\\'s' dbname=d", "it", "dbname=d" },
            { "password=plain host=h", "plain", "host=h" },
            { "postgresql://u@h/db", "", "postgresql://u@h/db" },
        };
        for (size_t i = 0; i < sizeof(dsns) / sizeof(dsns[0]); i++) {
            char *out = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&out, &len);
            vc_config_mask_dsn(dsns[i].dsn, f);
            fclose(f);
            ok((dsns[i].secret[0] == '\0' || strstr(out, dsns[i].secret) == NULL)
               && strstr(out, dsns[i].kept) != NULL, "masked: %s -> %s", dsns[i].dsn, out);
            free(out);
        }
    }
    return done_testing();
}
