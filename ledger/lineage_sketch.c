/* lineage_sketch.c - the sketch finding of SPEC §6.7: a dataset whose Bloom
 * sketch probably holds a work registered after its newest check. It needs
 * the registry's fingerprints and the bloom-winnow-v1 sketch code; until those
 * land this hook reports nothing. */
#include "lineage_internal.h"

int pl_lineage__sketch_findings(pl_ledger *l, json_t *findings, uint64_t dataset_seq,
                                const char *dataset_name)
{
	(void)l;
	(void)findings;
	(void)dataset_seq;
	(void)dataset_name;
	return PL_OK;
}
