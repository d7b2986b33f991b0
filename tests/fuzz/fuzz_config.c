/* fuzz_config.c - libFuzzer: an --env-file through the reader and the
 * settings table (every value validated, then printed with secrets
 * masked). The names a run set are unset after it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/vc_fuzz_envXXXXXX";
    int fd = mkstemp(path);
    FILE *quiet = fopen("/dev/null", "w");
    struct vc_config cfg;
    struct vc_error err;
    char *copy, *line, *save = NULL;

    if (fd < 0 || quiet == NULL || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd), unlink(path);
        if (quiet)
            fclose(quiet);
        return 0;
    }
    close(fd);
    vc_error_clear(&err);
    if (vc_config_read_env_file(path, &err) == VC_OK) {
        (void)vc_config_load(&cfg, quiet);
        vc_config_print(&cfg, quiet);
        vc_config_free(&cfg);
    }
    unlink(path);
    fclose(quiet);
    /* Leave the environment as it was for the next input. */
    copy = malloc(size + 1);
    if (copy != NULL) {
        memcpy(copy, data, size);
        copy[size] = '\0';
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *eq = strchr(line, '=');
            if (eq != NULL) {
                *eq = '\0';
                line += strspn(line, " \t");
                if (*line)
                    unsetenv(line);
            }
        }
        free(copy);
    }
    return 0;
}
