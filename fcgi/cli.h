/* cli.h - the `voxcat` command-line tool: subcommands that live in files
 * of their own, and the exit statuses they share (0 done, 1 failed,
 * 2 usage, 78 bad configuration). */
#ifndef VC_CLI_H
#define VC_CLI_H

#include "vc_config.h"

#define VC_CLI_USAGE 2

/* voxcat token create|list|revoke (cli_token.c). */
int vc_cli_token(struct vc_config *cfg, int argc, char **argv);

#endif
