/* cli_token.c - `voxcat token create|list|revoke`: API tokens for the
 * operator, from the shell. A new token is printed once, alone on the last
 * line of stdout; only its sha256 is kept. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vc_auth.h"
#include "vc_db.h"

static int token_usage(void)
{
    fputs("usage: voxcat token create NAME [--scopes LIST] [--daily-chars N]\n"
          "       voxcat token list\n"
          "       voxcat token revoke NAME\n"
          "scopes: tts (default), tts:remote, catalog:write, read, admin\n", stderr);
    return VC_CLI_USAGE;
}

static int fail(const char *what, const struct vc_error *err)
{
    fprintf(stderr, "voxcat token %s: %s%s%s\n", what, err->field[0] ? err->field : "",
            err->field[0] ? ": " : "", err->message);
    return 1;
}

static int create(const struct vc_config *cfg, struct vc_db *db, int argc, char **argv)
{
    char secret[VC_TOKEN_SECRET_SIZE];
    const char *scopes = "tts";
    long long daily = -1;
    unsigned bits;
    struct vc_error err;

    vc_error_clear(&err);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--scopes") == 0 && i + 1 < argc) {
            scopes = argv[++i];
        } else if (strcmp(argv[i], "--daily-chars") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            daily = strtoll(argv[++i], &end, 10);
            if (errno != 0 || *end != '\0' || end == argv[i] || daily < 0) {
                fprintf(stderr, "voxcat token create: --daily-chars takes a whole number >= 0\n");
                return VC_CLI_USAGE;
            }
        } else {
            return token_usage();
        }
    }
    if (vc_scopes_parse(scopes, &bits, &err) != 0)
        return fail("create", &err);
    if (vc_auth_create(db, argv[1], bits, daily, secret, &err) != VC_OK)
        return fail("create", &err);
    /* Made for later, but nothing asks for it now: say so, or its scopes
     * and quota look like they protect something. */
    if (strcmp(cfg->auth, "off") == 0)
        fputs("warning: this shell's VOXCAT_AUTH=off: a service run so asks for no token, so "
              "neither its scopes nor its quota apply until VOXCAT_AUTH is writes or all\n",
              stderr);
    fprintf(stderr, "token %s created with scopes %s%s; it is shown once, keep it now:\n",
            argv[1], scopes, daily >= 0 ? " and a daily quota" : "");
    printf("%s\n", secret);
    return 0;
}

static int list(struct vc_db *db)
{
    struct vc_error err;
    json_t *tokens, *t;
    size_t i;

    vc_error_clear(&err);
    tokens = vc_auth_list(db, &err);
    if (tokens == NULL)
        return fail("list", &err);
    printf("%-20s %-36s %12s %12s  %-20s %s\n", "NAME", "SCOPES", "DAILY", "USED TODAY",
           "LAST USED", "STATE");
    json_array_foreach(tokens, i, t) {
        char scopes[128] = "", daily[24] = "-", last[21];
        json_t *s;
        size_t k;

        json_array_foreach(json_object_get(t, "scopes"), k, s) {
            if (k > 0)
                strncat(scopes, ",", sizeof(scopes) - strlen(scopes) - 1);
            strncat(scopes, json_string_value(s), sizeof(scopes) - strlen(scopes) - 1);
        }
        if (json_is_integer(json_object_get(t, "daily_chars")))
            snprintf(daily, sizeof(daily), "%lld",
                     (long long)json_integer_value(json_object_get(t, "daily_chars")));
        snprintf(last, sizeof(last), "%.19s",
                 json_is_string(json_object_get(t, "last_used_at"))
                 ? json_string_value(json_object_get(t, "last_used_at")) : "never");
        printf("%-20s %-36s %12s %12lld  %-20s %s\n", json_string_value(json_object_get(t, "name")),
               scopes, daily, (long long)json_integer_value(json_object_get(t, "used_today_total")),
               last, json_is_null(json_object_get(t, "revoked_at")) ? "live" : "revoked");
    }
    json_decref(tokens);
    return 0;
}

int vc_cli_token(struct vc_config *cfg, int argc, char **argv)
{
    struct vc_error err;
    struct vc_db *db;
    int rc;

    if (argc < 2)
        return token_usage();
    if ((strcmp(argv[1], "create") == 0 || strcmp(argv[1], "revoke") == 0) && argc < 3)
        return token_usage();
    db = vc_db_new(cfg->database_url, cfg->db_timeout_ms, 0);
    if (db == NULL) {
        fputs("voxcat token: out of memory\n", stderr);
        return 1;
    }
    vc_error_clear(&err);
    if (strcmp(argv[1], "create") == 0) {
        rc = create(cfg, db, argc - 1, argv + 1);
    } else if (strcmp(argv[1], "list") == 0 && argc == 2) {
        rc = list(db);
    } else if (strcmp(argv[1], "revoke") == 0 && argc == 3) {
        rc = vc_auth_revoke(db, argv[2], &err) == VC_OK ? 0 : fail("revoke", &err);
        if (rc == 0)
            fprintf(stderr, "token %s revoked\n", argv[2]);
    } else {
        rc = token_usage();
    }
    vc_db_free(db);
    return rc;
}
