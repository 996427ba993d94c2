/*
 * pl_sketch.h - the dataset sketch (SPEC §8 step 5, scheme bloom-winnow-v1):
 * a Bloom filter over the winnow-v1 (k=13, w=38) fingerprints of every record
 * of a dataset, so that a work registered later can be looked for without the
 * lab's data.
 *
 * Layout (the attachment): bits/8 bytes; bit j of the filter is bit (j % 8)
 * of byte j / 8. For a fingerprint x (u64), with a = x and
 * b = (x >> 32 | x << 32) | 1, the filter sets bits (a + i * b) mod bits for
 * i = 0 .. hashes-1, computed in u64 arithmetic (wrapping). bits is a
 * multiple of 64, about 10 per fingerprint; hashes = 7.
 *
 * A query fingerprints the work and reports "probably holds" when a run of at
 * least 8 consecutive work fingerprints (in position order) all hit.
 */
#ifndef PL_SKETCH_H
#define PL_SKETCH_H

#include <stdint.h>

#include "pl_common.h"
#include "pl_text.h"

#define PL_SKETCH_HASHES 7
#define PL_SKETCH_BITS_PER_FP 10
#define PL_SKETCH_RUN 8

typedef struct {
	unsigned char *bits;
	uint64_t nbits;
	unsigned hashes;
	uint64_t count; /* fingerprints inserted */
} pl_sketch;

/* A zeroed filter sized for count fingerprints. */
int pl_sketch_init(pl_sketch *s, uint64_t count);
void pl_sketch_add(pl_sketch *s, uint64_t fp);
int pl_sketch_has(const pl_sketch *s, uint64_t fp);
/* Wrap an attachment (borrowed: bits points into data). PL_EINVALID on a bad size. */
int pl_sketch_view(pl_sketch *s, const void *data, size_t len, uint64_t nbits, unsigned hashes,
                   uint64_t count);
void pl_sketch_free(pl_sketch *s); /* for pl_sketch_init only */

/* The longest run of consecutive fps (by position) that all hit. */
size_t pl_sketch_longest_run(const pl_sketch *s, const pl_fps *fps);

/* The chance that a run of `run` fingerprints all hit by accident somewhere
 * among nfps work fingerprints: nfps * p^run, p the filter's false-positive
 * rate at its fill. */
double pl_sketch_false_odds(const pl_sketch *s, size_t nfps, size_t run);

#endif
