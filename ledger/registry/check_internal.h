/* check_internal.h - the report's shape, shared by check.c and check_part.c,
 * so that a merged report is built exactly as a single run's. */
#ifndef PL_CHECK_INTERNAL_H
#define PL_CHECK_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

/* {"path", "sha256", "records", "bytes"}: a shard as the report lists it. */
json_t *pl_check__shard_json(const char *name, const char *sha_hex, uint64_t records,
                             uint64_t bytes);

/* The SPEC §6.3 report (without "created"); registry, params, shards and
 * matches are referenced, not stolen. NULL on OOM. */
json_t *pl_check__report(json_t *registry, json_t *params, json_t *shards, uint64_t records,
                         uint64_t bytes, uint64_t tokens, uint64_t ignored, json_t *matches);

#endif
