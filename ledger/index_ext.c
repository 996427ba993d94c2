/* index_ext.c - the modules that keep tables in the index (pl_index.h): the
 * one place that names the rooms above the log, so that the log calls them
 * without depending on them. */
#include "pl_index.h"
#include "pl_lineage.h"
#include "pl_registry.h"

const pl_index_ext *const pl_index__exts[] = {
    &pl_index_ext_registry,
    &pl_index_ext_lineage,
    NULL,
};
