/* index_ext.c - the modules that keep tables in the index (see pl_index_ext). */
#include "ledger_internal.h"
#include "lineage_internal.h"

extern const pl_index_ext pl_index_ext_registry;

const pl_index_ext *const pl_index__exts[] = {
    &pl_index_ext_registry,
    &pl_lineage__index_ext,
    NULL,
};
