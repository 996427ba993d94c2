/*
 * pl_names.h - the names and numbers entries hold, checked the same way by
 * every room (the rules of the log, lineage's commands): NAME@VERSION, the
 * exact number syntax of compute figures, RFC 3339 times. Pure functions.
 *
 * Number syntax (training_flop, parameters, max_training_flop): a
 * non-negative decimal integer without leading zeros ("380000000000"), or a
 * mantissa with an optional fraction and an exponent ("1.2e12", "3.8E+25",
 * "38e24"). No sign on the mantissa, no hex, inf or nan, no spaces, no
 * leading '.', no fraction without an exponent, no negative exponent; the
 * value must be a whole number below 1e1000. The canonical form, stored in
 * entries, is scientific: one non-zero digit, an optional fraction without
 * trailing zeros, 'e', the exponent in decimal ("3.8e25", "1e12", "5e0";
 * zero is "0e0").
 */
#ifndef PL_NAMES_H
#define PL_NAMES_H

#include "pl_common.h"

/* Check a NAME or VERSION: 1..128 bytes of printable ASCII without space,
 * '@', '"' or '\'. what ("name", "version") goes into the message.
 * PL_EINVALID otherwise. */
int pl_lineage_check_name(const char *s, const char *what);

/* Split "NAME@VERSION" (exactly one '@', both parts valid as above) into
 * name and version (each cleared, then filled). PL_EINVALID otherwise. */
int pl_lineage_parse_ref(pl_buf *name, pl_buf *version, const char *s);

/* Parse s in the number syntax above; out is cleared and receives the
 * canonical form. PL_EINVALID with a message naming s and the fault. */
int pl_lineage_parse_number(pl_buf *out, const char *s);

/* Compare two canonical numbers exactly (no floating point): <0, 0, >0.
 * Inputs that are not canonical compare as equal to nothing in particular:
 * callers pass only the output of pl_lineage_parse_number. */
int pl_lineage_number_cmp(const char *a, const char *b);

/* 1 when canonical training_flop >= 1e25 or parameters >= 1e12. */
int pl_lineage_is_frontier(const char *training_flop, const char *parameters);

/* PL_EINVALID unless s is "YYYY-MM-DDTHH:MM:SSZ"; what names the field. */
int pl_lineage__check_time(const char *s, const char *what);

#endif
