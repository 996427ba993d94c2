/* commands.h - every command's table entry; one cmd_<name>.c defines each. */
#ifndef PL_COMMANDS_H
#define PL_COMMANDS_H

#include "cli.h"

extern const pl_cli_cmd pl_cmd_init;
extern const pl_cli_cmd pl_cmd_key_gen;
extern const pl_cli_cmd pl_cmd_key_register;
extern const pl_cli_cmd pl_cmd_key_grant;
extern const pl_cli_cmd pl_cmd_key_revoke_grant;
extern const pl_cli_cmd pl_cmd_key_list;
extern const pl_cli_cmd pl_cmd_key_allowed_signers;
extern const pl_cli_cmd pl_cmd_log;
extern const pl_cli_cmd pl_cmd_show;
extern const pl_cli_cmd pl_cmd_checkpoint;
extern const pl_cli_cmd pl_cmd_prove;
extern const pl_cli_cmd pl_cmd_verify;
extern const pl_cli_cmd pl_cmd_reindex;
extern const pl_cli_cmd pl_cmd_hash;

extern const pl_cli_cmd pl_cmd_work_register;
extern const pl_cli_cmd pl_cmd_work_import;
extern const pl_cli_cmd pl_cmd_work_list;
extern const pl_cli_cmd pl_cmd_work_show;

extern const pl_cli_cmd pl_cmd_check;
extern const pl_cli_cmd pl_cmd_merge;
extern const pl_cli_cmd pl_cmd_registry_build;
extern const pl_cli_cmd pl_cmd_model_register;
extern const pl_cli_cmd pl_cmd_attest;
extern const pl_cli_cmd pl_cmd_lineage;
extern const pl_cli_cmd pl_cmd_dataset_register;
extern const pl_cli_cmd pl_cmd_dataset_recheck;
extern const pl_cli_cmd pl_cmd_dataset_list;
extern const pl_cli_cmd pl_cmd_dataset_show;
extern const pl_cli_cmd pl_cmd_model_list;
extern const pl_cli_cmd pl_cmd_model_show;
extern const pl_cli_cmd pl_cmd_hardware_register;
extern const pl_cli_cmd pl_cmd_hardware_transfer;
extern const pl_cli_cmd pl_cmd_hardware_accept;
extern const pl_cli_cmd pl_cmd_hardware_list;
extern const pl_cli_cmd pl_cmd_hardware_show;

extern const pl_cli_cmd pl_cmd_export;
extern const pl_cli_cmd pl_cmd_verify_bundle;

extern const pl_cli_cmd pl_cmd_query;

extern const pl_cli_cmd pl_cmd_serve;
extern const pl_cli_cmd pl_cmd_tiles_export;

extern const pl_cli_cmd pl_cmd_witness_key;
extern const pl_cli_cmd pl_cmd_witness_cosign;
extern const pl_cli_cmd pl_cmd_witness_serve;
extern const pl_cli_cmd pl_cmd_witness_request;

extern const pl_cli_cmd pl_cmd_mirror_init;
extern const pl_cli_cmd pl_cmd_pull;
extern const pl_cli_cmd pl_cmd_push;
extern const pl_cli_cmd pl_cmd_hook_pre_receive;
extern const pl_cli_cmd pl_cmd_monitor;

#endif
