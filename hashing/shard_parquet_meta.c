/*
 * shard_parquet_meta.c - the Parquet footer: the trailing magic and length,
 * FileMetaData (schema, row counts, row groups, the text column's chunk in
 * each), checked whole before the first record. Pages and records are in
 * shard_parquet.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard_parquet.h"

typedef unsigned long long ull;

#define PQ_FOOTER_MAX ((uint64_t)64 << 20) /* FileMetaData, serialized */
#define PQ_SCHEMA_MAX 100000               /* schema elements */

typedef struct {
	int64_t type, repetition, nchildren, converted;
	int has_type, has_rep, string_logical;
	const unsigned char *name;
	size_t name_len;
} pq_elem;

const char *pl_shard__pq_codec(int64_t c)
{
	static const char *n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
	                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
	return c >= 0 && c < 8 ? n[c] : "unknown";
}
static const char *type_name(int64_t t)
{
	static const char *n[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
	                          "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
	return t >= 0 && t < 8 ? n[t] : "unknown";
}
static int read_elem(pl_shard__tc *t, int type, pq_elem *e)
{
	int id = 0, ft;
	int64_t v;
	memset(e, 0, sizeof(*e));
	e->type = -1;
	if (pl_shard__tc_enter(t, type) < 0)
		return -1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		switch (id) {
		case 1:
		case 3:
		case 5:
		case 6:
			if (pl_shard__tc_int(t, ft, &v) < 0)
				return -1;
			if (id == 1) {
				e->type = v;
				e->has_type = 1;
			} else if (id == 3) {
				e->repetition = v;
				e->has_rep = 1;
			} else if (id == 5) {
				e->nchildren = v;
			} else {
				e->converted = v + 1; /* 0: none */
			}
			break;
		case 4:
			if (ft != PL_TC_BINARY)
				return pl_shard__tc_fail(t, "name of another type");
			if (pl_shard__tc_binary(t, &e->name, &e->name_len) < 0)
				return -1;
			break;
		case 10: {
			/* LogicalType, a union: STRING is its field 1. */
			int lid = 0, lt;
			if (pl_shard__tc_enter(t, ft) < 0)
				return -1;
			for (;;) {
				if (pl_shard__tc_field(t, &lid, &lt, lid) < 0)
					return -1;
				if (lt == PL_TC_STOP)
					break;
				if (lid == 1)
					e->string_logical = 1;
				if (pl_shard__tc_skip(t, lt) < 0)
					return -1;
			}
			t->depth--;
			break;
		}
		default:
			if (pl_shard__tc_skip(t, ft) < 0)
				return -1;
		}
	}
	t->depth--;
	return 0;
}

static int read_colmeta(pl_shard__tc *t, int type, pq_chunk *c)
{
	int id = 0, ft;
	int64_t v, data_off = -1, dict_off = -1;
	uint64_t n;
	int et;
	if (pl_shard__tc_enter(t, type) < 0)
		return -1;
	c->has_meta = 1;
	c->size = -1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		switch (id) {
		case 1:
		case 4:
		case 5:
		case 7:
		case 9:
		case 11:
			if (pl_shard__tc_int(t, ft, &v) < 0)
				return -1;
			if (id == 1)
				c->type = v;
			else if (id == 4)
				c->codec = v;
			else if (id == 5)
				c->num_values = v;
			else if (id == 7)
				c->size = v;
			else if (id == 9)
				data_off = v;
			else
				dict_off = v;
			break;
		case 3:
			if (ft != PL_TC_LIST)
				return pl_shard__tc_fail(t, "path_in_schema of another type");
			if (pl_shard__tc_list(t, &n, &et) < 0)
				return -1;
			if (et != PL_TC_BINARY)
				return pl_shard__tc_fail(t, "path_in_schema of another type");
			c->npath = n > 1000 ? 1000 : (int)n;
			for (uint64_t i = 0; i < n; i++) {
				const unsigned char *p;
				size_t len;
				if (pl_shard__tc_binary(t, &p, &len) < 0)
					return -1;
				if (i == 0) {
					c->path0 = p;
					c->path0_len = len;
				}
			}
			break;
		default:
			if (pl_shard__tc_skip(t, ft) < 0)
				return -1;
		}
	}
	t->depth--;
	/* The chunk starts at its dictionary page when it has one. Some
	 * writers set dictionary_page_offset to 0 for none. */
	c->start = dict_off > 0 && dict_off < data_off ? dict_off : data_off;
	return 0;
}

static int read_chunk(pl_shard__tc *t, int type, pq_chunk *c)
{
	int id = 0, ft;
	if (pl_shard__tc_enter(t, type) < 0)
		return -1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		if (id == 1)
			c->external = 1;
		if (id == 3) {
			if (read_colmeta(t, ft, c) < 0)
				return -1;
		} else if (pl_shard__tc_skip(t, ft) < 0) {
			return -1;
		}
	}
	t->depth--;
	return 0;
}

static int read_group(pl_shard__tc *t, int type, pq_group *g, int col)
{
	int id = 0, ft, et;
	uint64_t n;
	int64_t v;
	memset(g, 0, sizeof(*g));
	g->num_rows = -1;
	if (pl_shard__tc_enter(t, type) < 0)
		return -1;
	for (;;) {
		if (pl_shard__tc_field(t, &id, &ft, id) < 0)
			return -1;
		if (ft == PL_TC_STOP)
			break;
		if (id == 1 && ft == PL_TC_LIST) {
			if (pl_shard__tc_list(t, &n, &et) < 0)
				return -1;
			if (et != PL_TC_STRUCT)
				return pl_shard__tc_fail(t, "columns of another type");
			for (uint64_t i = 0; i < n; i++) {
				pq_chunk scratch;
				memset(&scratch, 0, sizeof(scratch));
				if (read_chunk(t, et, i == (uint64_t)col ? &g->col : &scratch) < 0)
					return -1;
			}
			g->seen = n > INT32_MAX ? INT32_MAX : (int)n;
		} else if (id == 3) {
			if (pl_shard__tc_int(t, ft, &v) < 0)
				return -1;
			g->num_rows = v;
		} else if (pl_shard__tc_skip(t, ft) < 0) {
			return -1;
		}
	}
	t->depth--;
	return 0;
}

int pl_shard__pq_err(pl_shard *s, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_error_set(code, "%s: %s", s->path, msg);
}

/* The top-level column names for a "no column" message, escaped (they
 * come from the file: no control bytes reach a terminal). */
static void top_names(pl_buf *out, const pq_elem *el, size_t nel)
{
	size_t i = 1;
	int64_t nchild = nel ? el[0].nchildren : 0;
	for (int64_t c = 0; c < nchild && i < nel; c++) {
		if (out->len > 400) {
			pl_buf_puts(out, ", ...");
			return;
		}
		pl_buf_puts(out, c ? ", '" : "'");
		if (el[i].name)
			pl_buf_put_escaped(out, (const char *)el[i].name,
			                   el[i].name_len > 64 ? 64 : el[i].name_len);
		pl_buf_putc(out, '\'');
		/* Skip this field's subtree (find_column checked the counts). */
		int64_t pending = 1;
		while (pending > 0 && i < nel) {
			pending += el[i].nchildren - 1;
			i++;
		}
	}
}

int pl_shard__pq_pread(pl_shard *s, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k =
		    pread(s->fd, (char *)buf + got, n - got, (off_t)(s->pq->base + off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return pl_shard__pq_err(s, PL_ERROR, "read error at byte %llu: %s",
			                        (ull)(off + got), strerror(errno));
		if (k == 0)
			return pl_shard__pq_err(s, PL_EINVALID,
			                        "truncated: the file ended at byte %llu",
			                        (ull)(off + got));
		got += (size_t)k;
	}
	return PL_OK;
}

/* Find the text column in the schema: its leaf index, or an error. */
static int find_column(pl_shard *s, const pq_elem *el, size_t nel)
{
	pl_shard__pq *q = s->pq;
	size_t i = 1;
	int leaf = 0;
	if (nel == 0 || el[0].nchildren < 1)
		return pl_shard__pq_err(s, PL_EINVALID, "the schema has no columns");
	for (int64_t c = 0; c < el[0].nchildren; c++) {
		if (i >= nel)
			return pl_shard__pq_err(s, PL_EINVALID,
			                        "the schema is shorter than its children say");
		size_t top = i;
		int leaves = 0;
		int64_t pending = 1;
		while (pending > 0) {
			if (i >= nel)
				return pl_shard__pq_err(
				    s, PL_EINVALID, "the schema is shorter than its children say");
			if (el[i].nchildren < 0 || el[i].nchildren > PQ_SCHEMA_MAX)
				return pl_shard__pq_err(s, PL_EINVALID,
				                        "schema element with %lld children",
				                        (long long)el[i].nchildren);
			if (el[i].nchildren == 0)
				leaves++;
			pending += el[i].nchildren - 1;
			i++;
		}
		const pq_elem *e = &el[top];
		if (e->name && e->name_len == s->field_len &&
		    memcmp(e->name, s->field, s->field_len) == 0) {
			if (e->nchildren > 0 || e->repetition == 2)
				return pl_shard__pq_err(
				    s, PL_EINVALID,
				    "column '%s': nested or repeated columns are not "
				    "supported",
				    q->colname);
			if (!e->has_type || e->type != 6)
				return pl_shard__pq_err(
				    s, PL_EINVALID,
				    "column '%s' is %s, not a BYTE_ARRAY (text) column", q->colname,
				    type_name(e->type));
			if (e->repetition != 0 && e->repetition != 1)
				return pl_shard__pq_err(s, PL_EINVALID,
				                        "column '%s': unknown repetition type %lld",
				                        q->colname, (long long)e->repetition);
			q->col = leaf;
			q->max_def = e->repetition == 1;
			q->type = e->type;
			return PL_OK;
		}
		leaf += leaves;
	}
	pl_buf names = PL_BUF_INIT;
	top_names(&names, el, nel);
	int rc = pl_shard__pq_err(s, PL_EINVALID, "no column '%s' (the columns: %s)", q->colname,
	                          names.ptr ? names.ptr : "");
	pl_buf_free(&names);
	return rc;
}

int pl_shard__pq_open(pl_shard *s)
{
	pl_shard__pq *q;
	pl_buf foot = PL_BUF_INIT;
	pq_elem *el = NULL;
	pl_shard__tc t;
	struct stat st;
	unsigned char tail[8];
	int rc = PL_OK;

	if (s->comp != PL_COMPRESSION_NONE)
		return pl_shard__pq_err(
		    s, PL_EINVALID,
		    "a %s-compressed Parquet file is not supported (Parquet compresses "
		    "its pages; decompress the file first)",
		    pl_compression_name(s->comp));
	off_t cur = lseek(s->fd, 0, SEEK_CUR);
	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode) || cur < 0 || (uint64_t)cur < s->stored)
		return pl_shard__pq_err(
		    s, PL_EINVALID,
		    "Parquet needs a regular file (its footer is at the end): not a "
		    "pipe or stdin");
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	s->pq = q;
	snprintf(q->colname, sizeof(q->colname), "%.100s", s->field);
	q->base = (uint64_t)cur - s->stored;
	q->size = (uint64_t)st.st_size > q->base ? (uint64_t)st.st_size - q->base : 0;
	if (q->size < 12)
		return pl_shard__pq_err(s, PL_EINVALID, "not a Parquet file: %llu bytes, too short",
		                        (ull)q->size);
	if ((rc = pl_shard__pq_pread(s, tail, 4, 0)) < 0)
		return rc;
	if (memcmp(tail, "PAR1", 4) != 0)
		return pl_shard__pq_err(s, PL_EINVALID,
		                        "not a Parquet file: no PAR1 magic at byte 0");
	if ((rc = pl_shard__pq_pread(s, tail, 8, q->size - 8)) < 0)
		return rc;
	if (memcmp(tail + 4, "PAR1", 4) != 0)
		return pl_shard__pq_err(s, PL_EINVALID,
		                        "truncated or not a Parquet file: no PAR1 magic at the end "
		                        "(byte %llu)",
		                        (ull)(q->size - 4));
	uint64_t flen = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 |
	                (uint64_t)tail[3] << 24;
	if (flen > q->size - 12)
		return pl_shard__pq_err(s, PL_EINVALID,
		                        "footer length %llu is beyond the file (%llu bytes)",
		                        (ull)flen, (ull)q->size);
	if (flen > PQ_FOOTER_MAX)
		return pl_shard__pq_err(s, PL_ELIMIT,
		                        "footer of %llu bytes, over the limit of %llu", (ull)flen,
		                        (ull)PQ_FOOTER_MAX);
	uint64_t fstart = q->size - 8 - flen;
	if ((rc = pl_buf_grow(&foot, (size_t)flen)) < 0)
		goto done;
	if ((rc = pl_shard__pq_pread(s, foot.ptr, (size_t)flen, fstart)) < 0)
		goto done;

	/* FileMetaData: 2 schema, 3 num_rows, 4 row_groups. */
	pl_shard__tc_init(&t, (const unsigned char *)foot.ptr, (size_t)flen);
	int id = 0, ft, et, have_schema = 0;
	size_t nel = 0;
	uint64_t n;
	int64_t v;
	q->total_rows = -1;
	for (;;) {
		if (pl_shard__tc_field(&t, &id, &ft, id) < 0)
			goto bad;
		if (ft == PL_TC_STOP)
			break;
		if (id == 2 && ft == PL_TC_LIST) {
			if (have_schema++)
				goto dup;
			if (pl_shard__tc_list(&t, &n, &et) < 0)
				goto bad;
			if (n > PQ_SCHEMA_MAX) {
				rc = pl_shard__pq_err(s, PL_ELIMIT, "schema of %llu elements",
				                      (ull)n);
				goto done;
			}
			if (n && (el = calloc((size_t)n, sizeof(*el))) == NULL) {
				rc = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			for (nel = 0; nel < n; nel++)
				if (read_elem(&t, et, &el[nel]) < 0)
					goto bad;
			if ((rc = find_column(s, el, nel)) < 0)
				goto done;
		} else if (id == 3) {
			if (pl_shard__tc_int(&t, ft, &v) < 0)
				goto bad;
			q->total_rows = v;
		} else if (id == 4 && ft == PL_TC_LIST) {
			if (!have_schema) {
				rc = pl_shard__pq_err(s, PL_EINVALID,
				                      "footer: row groups before the schema");
				goto done;
			}
			if (q->groups)
				goto dup;
			if (pl_shard__tc_list(&t, &n, &et) < 0)
				goto bad;
			if (n && (q->groups = calloc((size_t)n, sizeof(*q->groups))) == NULL) {
				rc = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
			for (q->ngroups = 0; q->ngroups < n; q->ngroups++)
				if (read_group(&t, et, &q->groups[q->ngroups], q->col) < 0)
					goto bad;
		} else if (pl_shard__tc_skip(&t, ft) < 0) {
			goto bad;
		}
	}
	if (!have_schema) {
		rc = pl_shard__pq_err(s, PL_EINVALID, "footer: no schema");
		goto done;
	}
	/* Check each row group's chunk of the column now, before any record. */
	int64_t sum = 0;
	for (size_t g = 0; g < q->ngroups; g++) {
		const pq_group *gr = &q->groups[g];
		const pq_chunk *c = &gr->col;
		if (gr->num_rows < 0) {
			rc = pl_shard__pq_err(s, PL_EINVALID, "row group %zu: no row count", g);
			goto done;
		}
		if (gr->seen <= q->col || !c->has_meta) {
			rc = pl_shard__pq_err(s, PL_EINVALID,
			                      "row group %zu: no column chunk for column '%s'", g,
			                      q->colname);
			goto done;
		}
		if (c->external) {
			rc = pl_shard__pq_err(
			    s, PL_EINVALID,
			    "column '%s': row group %zu: column chunks in other files are not "
			    "supported",
			    q->colname, g);
			goto done;
		}
		if (c->type != q->type || c->npath != 1 || c->path0_len != s->field_len ||
		    memcmp(c->path0, s->field, s->field_len) != 0) {
			rc = pl_shard__pq_err(
			    s, PL_EINVALID,
			    "column '%s': row group %zu: the column chunk does not match the "
			    "schema",
			    q->colname, g);
			goto done;
		}
		if (c->codec != 0 && c->codec != 1 && c->codec != 2 && c->codec != 6) {
			rc = pl_shard__pq_err(s, PL_EINVALID,
			                      "column '%s': row group %zu: codec %s not supported",
			                      q->colname, g, pl_shard__pq_codec(c->codec));
			goto done;
		}
		if (c->start < 4 || c->size < 0 || (uint64_t)c->start > fstart ||
		    (uint64_t)c->size > fstart - (uint64_t)c->start) {
			rc = pl_shard__pq_err(
			    s, PL_EINVALID,
			    "column '%s': row group %zu: column chunk at byte %lld (%lld bytes) "
			    "is outside the data",
			    q->colname, g, (long long)c->start, (long long)c->size);
			goto done;
		}
		if (c->num_values != gr->num_rows) {
			rc = pl_shard__pq_err(
			    s, PL_EINVALID, "column '%s': row group %zu: %lld values for %lld rows",
			    q->colname, g, (long long)c->num_values, (long long)gr->num_rows);
			goto done;
		}
		if (__builtin_add_overflow(sum, gr->num_rows, &sum)) {
			rc = pl_shard__pq_err(s, PL_EINVALID, "row count overflow");
			goto done;
		}
	}
	if (q->total_rows >= 0 && sum != q->total_rows) {
		rc = pl_shard__pq_err(s, PL_EINVALID,
		                      "footer: %lld rows, but the row groups hold %lld",
		                      (long long)q->total_rows, (long long)sum);
		goto done;
	}
	q->g = 0;
	q->row = 0;
	q->pos = q->end = 0;
	goto done;
dup:
	rc = pl_shard__pq_err(s, PL_EINVALID, "footer: a field given twice");
	goto done;
bad:
	rc = pl_shard__pq_err(s, PL_EINVALID, "corrupt footer (FileMetaData at byte %llu: %s)",
	                      (ull)fstart, t.err ? t.err : "invalid");
done:
	free(el);
	pl_buf_free(&foot);
	return rc;
}
