/* main.c - voxcat-fcgi: the FastCGI daemon's entry point.
 *
 * Reads the configuration (environment, optionally an env file that SIGHUP
 * re-reads), refuses to start on a bad one (exit 78, like check-config) and
 * hands over to the master. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "vc_config.h"
#include "vc_log.h"


static void usage(FILE *out)
{
    fputs("usage: voxcat-fcgi [--env-file FILE] [--pid-file FILE]\n"
          "       voxcat-fcgi --version | --help\n"
          "Configuration comes from the environment (see voxcat-fcgi(8));\n"
          "--env-file adds KEY=VALUE lines to it and is re-read on SIGHUP.\n", out);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "env-file", required_argument, NULL, 'e' },
        { "pid-file", required_argument, NULL, 'p' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct vc_master_options opt = { NULL, NULL };
    struct vc_config *cfg;
    struct vc_error err;
    int c;

    while ((c = getopt_long(argc, argv, "e:p:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'e': opt.env_file = optarg; break;
        case 'p': opt.pid_file = optarg; break;
        case 'V': puts("voxcat-fcgi " PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    vc_error_clear(&err);
    if (opt.env_file != NULL && vc_config_read_env_file(opt.env_file, &err) != VC_OK) {
        fprintf(stderr, "voxcat-fcgi: %s\n", err.message);
        return VC_EXIT_CONFIG;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return 1;
    if (vc_config_load(cfg, stderr) != VC_OK) {
        fprintf(stderr, "voxcat-fcgi: invalid configuration (see above)\n");
        vc_config_free(cfg);
        free(cfg);
        return VC_EXIT_CONFIG;
    }
    vc_log_set_level(cfg->log_level);
    return vc_master_run(cfg, &opt);
}
