/*
 * shard_text.c - pl_shard_tokenize: pl_tokenize on the current record, with
 * the shard's --lossy setting and errors located in the shard. Apart from
 * shard.c so that readers of the shard alone need not link the tokenizer.
 */
#include <stdio.h>
#include <string.h>

#include "shard_int.h"

int pl_shard_tokenize(pl_shard *s, pl_tokens *tok, unsigned flags)
{
	char msg[256];
	int rc;
	if (!s->have_rec)
		return pl_error_set(PL_EUSAGE, "%s: no current record", s->path);
	if (s->opts.lossy)
		flags |= PL_TOK_LOSSY;
	tok->bad_offset = 0;
	rc = pl_tokenize(tok, s->r.text, s->r.text_len, flags);
	if (rc == PL_OK)
		return PL_OK;
	snprintf(msg, sizeof(msg), "%s", pl_error_last());
	if (rc == PL_EINVALID)
		return pl_shard_record_error(s, rc, (size_t)tok->bad_offset, "%s", msg);
	return pl_shard_record_error(s, rc, 0, "%s", msg);
}
