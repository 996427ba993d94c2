/* commands.h - every command's table entry; one cmd_<name>.c defines each. */
#ifndef PL_COMMANDS_H
#define PL_COMMANDS_H

#include "cli.h"

extern const pl_cli_cmd pl_cmd_hash;

#endif
