/* check_part.c - parts of a check over a job array, and their merge
 * (pl_check_part.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "pl_check_part.h"
#include "pl_dsse.h"

struct pl_check_part {
	char *name;
	char *fps_path; /* the sidecar, beside the part; NULL: none */
	json_t *doc;
	uint32_t index, count;
	uint32_t rindex, rcount; /* registry part; rcount 0: the whole registry */
	uint64_t rworks;
	uint64_t fps_count;
	unsigned char fps_sha256[PL_HASH_LEN];
};

int pl_check_list_digest(unsigned char out[PL_HASH_LEN], const char *const *names,
                         const char *const *fields, size_t n)
{
	json_t *a = json_array();
	pl_buf c = PL_BUF_INIT;
	int error = PL_OK;
	for (size_t i = 0; a && i < n; i++) {
		json_t *e = json_pack("[s, s?]", names[i], fields ? fields[i] : NULL);
		if (!e || json_array_append_new(a, e) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	if (!a)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((error = pl_json_canonical(&c, a)) == PL_OK)
		pl_sha256(out, c.ptr, c.len);
	json_decref(a);
	pl_buf_free(&c);
	return error;
}

typedef struct {
	const char *name;
	size_t pos;
} named;

static int cmp_named(const void *a, const void *b)
{
	const named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

int pl_check_slice(size_t **out, size_t *nout, const char *const *names, size_t n, uint32_t index,
                   uint32_t count)
{
	named *v;
	size_t *r, k = 0;
	if (count == 0 || index >= count)
		return pl_error_set(PL_EUSAGE, "part %u/%u: the index must be below the count",
		                    index, count);
	if ((v = malloc((n ? n : 1) * sizeof(*v))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	if ((r = malloc((n / count + 1) * sizeof(*r))) == NULL) {
		free(v);
		return pl_error_set(PL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		v[i].name = names[i];
		v[i].pos = i;
	}
	qsort(v, n, sizeof(*v), cmp_named);
	for (size_t i = index; i < n; i += count)
		r[k++] = v[i].pos;
	free(v);
	*out = r;
	*nout = k;
	return PL_OK;
}

static json_t *options_json(const pl_check_opts *o)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:I}", "format",
	                 pl_shard_format_name(o->shard.format), "field",
	                 o->shard.field ? o->shard.field : "text", "split",
	                 o->shard.split == PL_SPLIT_BLANK_LINE ? "blank-line" : "none", "lossy",
	                 o->shard.lossy, "max_record", (json_int_t)o->shard.max_record);
}

/* The document's digest: canonical JSON without "digest". */
static int doc_digest(char hex[65], json_t *doc)
{
	json_t *d = json_copy(doc);
	pl_buf c = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	int error;
	if (!d)
		return pl_error_set(PL_ENOMEM, "out of memory");
	json_object_del(d, "digest");
	if ((error = pl_json_canonical(&c, d)) == PL_OK) {
		pl_sha256(h, c.ptr, c.len);
		pl_hex(hex, h, PL_HASH_LEN);
	}
	json_decref(d);
	pl_buf_free(&c);
	return error;
}

int pl_check_part_write(pl_buf *out, const pl_check_result *res, const pl_check_part_info *info)
{
	json_t *doc = NULL, *shards = json_array(), *ms = json_object_get(res->report, "matches");
	unsigned char lh[PL_HASH_LEN];
	char hex[65], mhex[65], lhex[65];
	char *s = NULL;
	int error;

	if ((error = pl_check_list_digest(lh, info->names, info->fields, info->nlist)) < 0)
		goto done;
	pl_hex(lhex, lh, PL_HASH_LEN);
	for (size_t i = 0; shards && i < res->nshards; i++) {
		const pl_check_shard *cs = &res->shards[i];
		size_t pos = info->positions[i];
		json_t *m = json_array(), *e;
		for (size_t j = 0; m && j < cs->nmatches; j++)
			json_array_append(m, json_array_get(ms, cs->match0 + j));
		pl_hex(hex, cs->info.sha256, PL_HASH_LEN);
		pl_hex(mhex, cs->info.merkle, PL_HASH_LEN);
		e = json_pack("{s:I, s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:o}",
		              "position", (json_int_t)pos, "path", cs->path, "field",
		              info->fields ? info->fields[pos] : NULL, "sha256", hex, "records",
		              (json_int_t)cs->info.records, "bytes",
		              (json_int_t)cs->info.stored_bytes, "stream_bytes",
		              (json_int_t)cs->info.stream_bytes, "tokens", (json_int_t)cs->tokens,
		              "ignored", (json_int_t)cs->ignored, "merkle", mhex, "format",
		              pl_shard_format_name(cs->info.format), "compression",
		              pl_compression_name(cs->info.compression), "matches", m);
		if (!e || json_array_append_new(shards, e) < 0) {
			json_decref(shards);
			shards = NULL;
		}
	}
	if (!shards) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	pl_hex(hex, info->fps_sha256, PL_HASH_LEN);
	doc = json_pack(
	    "{s:s, s:{s:I, s:I}, s:{s:s, s:I}, s:o, s:O, s:O, s:o, s:o}", "format",
	    PL_CHECK_PART_FORMAT, "part", "index", (json_int_t)info->index, "count",
	    (json_int_t)info->count, "list", "sha256", lhex, "shards", (json_int_t)info->nlist,
	    "options", options_json(info->o), "registry", json_object_get(res->report, "registry"),
	    "params", json_object_get(res->report, "params"), "shards", shards, "fingerprints",
	    info->fps_file ? json_pack("{s:s, s:I, s:s}", "file", info->fps_file, "count",
	                               (json_int_t)info->fps_count, "sha256", hex)
	                   : json_null());
	shards = NULL;
	if (doc && res->registry_part_count > 1 &&
	    json_object_set_new(doc, "registry_part",
	                        json_pack("{s:I, s:I, s:I}", "index",
	                                  (json_int_t)res->registry_part_index, "count",
	                                  (json_int_t)res->registry_part_count, "works",
	                                  (json_int_t)res->registry_total_works)) < 0) {
		json_decref(doc);
		doc = NULL;
	}
	if (!doc) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = doc_digest(hex, doc)) < 0)
		goto done;
	json_object_set_new(doc, "digest", json_string(hex));
	if ((s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_buf_puts(out, s)) == PL_OK)
		error = pl_buf_putc(out, '\n');
done:
	free(s);
	json_decref(shards);
	json_decref(doc);
	return error;
}

void pl_check_part_free(pl_check_part *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->fps_path);
	json_decref(p->doc);
	free(p);
}

/* A non-negative integer member below 2^53, into *v. */
static int get_uint(uint64_t *v, json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return -1;
	*v = (uint64_t)json_integer_value(x);
	return 0;
}

static int is_hex64(json_t *x)
{
	const char *s = json_string_value(x);
	unsigned char b[PL_HASH_LEN];
	return s && strlen(s) == 64 && pl_unhex(b, PL_HASH_LEN, s, 64) == PL_OK;
}

static int bad(const char *name, const char *what)
{
	return pl_error_set(PL_EINVALID, "%s: not a valid check part: %s", name, what);
}

/* A match of registry part rindex of rcount (of rworks works) carries its
 * "order": [record token, work index], the work one of the part's; a match
 * of the whole registry none. */
static int check_order(const char *name, json_t *matches, uint32_t rindex, uint32_t rcount,
                       uint64_t rworks)
{
	size_t i;
	json_t *m;
	json_array_foreach(matches, i, m)
	{
		json_t *o = json_object_get(m, "order");
		uint64_t w;
		if (!json_is_object(m))
			return bad(name, "a match is not an object");
		if (rcount < 2) {
			if (o)
				return bad(name, "a match has an \"order\" but the part is of the "
				                 "whole registry");
			continue;
		}
		if (!json_is_array(o) || json_array_size(o) != 2 ||
		    !json_is_integer(json_array_get(o, 0)) ||
		    json_integer_value(json_array_get(o, 0)) < 0 ||
		    !json_is_integer(json_array_get(o, 1)) ||
		    json_integer_value(json_array_get(o, 1)) < 0 ||
		    !json_is_integer(json_object_get(m, "record")) ||
		    !json_is_array(json_object_get(m, "work_span")) ||
		    !json_is_integer(json_array_get(json_object_get(m, "work_span"), 0)))
			return bad(name, "a match of a registry part lacks its \"order\"");
		w = (uint64_t)json_integer_value(json_array_get(o, 1));
		if (w >= rworks || w % rcount != rindex)
			return bad(name, "a match names a work of another registry part");
	}
	return PL_OK;
}

/* The shape of a part's shards: every member present, of its type. */
static int check_shards(const char *name, json_t *shards, uint64_t nlist, uint32_t rindex,
                        uint32_t rcount, uint64_t rworks)
{
	int error;
	static const char *const nums[] = {"position",     "records", "bytes",
	                                   "stream_bytes", "tokens",  "ignored"};
	size_t i;
	json_t *s;
	if (!json_is_array(shards))
		return bad(name, "\"shards\" is not a list");
	json_array_foreach(shards, i, s)
	{
		uint64_t v;
		pl_shard_format f;
		json_t *field = json_object_get(s, "field");
		const char *comp = json_string_value(json_object_get(s, "compression"));
		int comp_ok = 0;
		for (int c = 0; comp && c < 3; c++)
			if (strcmp(comp, pl_compression_name((pl_compression)c)) == 0)
				comp_ok = 1;
		for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
			if (get_uint(&v, s, nums[k]) < 0)
				return bad(name, "a shard lacks a count");
		get_uint(&v, s, "position");
		if (v >= nlist)
			return bad(name, "a shard's position is beyond the list");
		if (!json_is_string(json_object_get(s, "path")) ||
		    !is_hex64(json_object_get(s, "sha256")) ||
		    !is_hex64(json_object_get(s, "merkle")) ||
		    !(json_is_null(field) || json_is_string(field)) ||
		    pl_shard_format_parse(&f, json_string_value(json_object_get(s, "format"))
		                                  ? json_string_value(json_object_get(s, "format"))
		                                  : "") < 0 ||
		    !comp_ok || !json_is_array(json_object_get(s, "matches")))
			return bad(name, "a shard's description is incomplete");
		if ((error = check_order(name, json_object_get(s, "matches"), rindex, rcount,
		                         rworks)) < 0)
			return error;
	}
	return PL_OK;
}

int pl_check_part_parse(pl_check_part **out, const char *data, size_t len, const char *name)
{
	pl_check_part *p = NULL;
	json_t *doc = NULL, *part, *list, *fps, *rp;
	uint64_t idx, cnt, nlist, ridx = 0, rcnt = 0, rworks = 0;
	char hex[65];
	const char *dg, *fmt;
	int error;

	if ((error = pl_json_parse(&doc, data, len, name)) < 0) {
		char why[512];
		const char *m = pl_error_last();
		size_t nl = strlen(name);
		/* the parser's message names the file too: name it once */
		if (strncmp(m, name, nl) == 0 && strncmp(m + nl, ": ", 2) == 0)
			m += nl + 2;
		snprintf(why, sizeof(why), "%s", m);
		error = pl_error_set(PL_EINVALID,
		                     "%s: not a whole check part (truncated or corrupt): %s", name,
		                     why);
		goto done;
	}
	fmt = json_string_value(json_object_get(doc, "format"));
	if (!json_is_object(doc) || !fmt || strcmp(fmt, PL_CHECK_PART_FORMAT) != 0) {
		error = pl_error_set(PL_EINVALID, "%s: not a check part (no \"format\": \"%s\")",
		                     name, PL_CHECK_PART_FORMAT);
		goto done;
	}
	dg = json_string_value(json_object_get(doc, "digest"));
	if ((error = doc_digest(hex, doc)) < 0)
		goto done;
	if (!dg || strcmp(dg, hex) != 0) {
		error =
		    pl_error_set(PL_EINVALID,
		                 "%s: its digest does not match its content (the part was altered "
		                 "or damaged)",
		                 name);
		goto done;
	}
	part = json_object_get(doc, "part");
	list = json_object_get(doc, "list");
	fps = json_object_get(doc, "fingerprints");
	if (get_uint(&idx, part, "index") < 0 || get_uint(&cnt, part, "count") < 0 || cnt == 0 ||
	    cnt > UINT32_MAX || idx >= cnt) {
		error = bad(name, "\"part\" is not an index below a count");
		goto done;
	}
	if (get_uint(&nlist, list, "shards") < 0 || nlist > PL_CHECK_PART_MAX_LIST ||
	    !is_hex64(json_object_get(list, "sha256"))) {
		error = bad(name, "\"list\" is incomplete");
		goto done;
	}
	if (!json_is_object(json_object_get(doc, "options")) ||
	    !json_is_object(json_object_get(doc, "registry")) ||
	    !json_is_object(json_object_get(doc, "params"))) {
		error = bad(name, "options, registry or params missing");
		goto done;
	}
	if ((rp = json_object_get(doc, "registry_part")) != NULL &&
	    (get_uint(&ridx, rp, "index") < 0 || get_uint(&rcnt, rp, "count") < 0 ||
	     get_uint(&rworks, rp, "works") < 0 || rcnt < 2 || rcnt > UINT32_MAX || ridx >= rcnt)) {
		error = bad(name, "\"registry_part\" is not an index below a count");
		goto done;
	}
	if ((error = check_shards(name, json_object_get(doc, "shards"), nlist, (uint32_t)ridx,
	                          (uint32_t)rcnt, rworks)) < 0)
		goto done;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->name = strdup(name)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (!json_is_null(fps)) {
		const char *f = json_string_value(json_object_get(fps, "file"));
		const char *sl = strrchr(name, '/');
		pl_buf path = PL_BUF_INIT;
		if (!f || !*f || strchr(f, '/') || get_uint(&p->fps_count, fps, "count") < 0 ||
		    !is_hex64(json_object_get(fps, "sha256"))) {
			error = bad(name, "\"fingerprints\" is incomplete");
			goto done;
		}
		pl_unhex(p->fps_sha256, PL_HASH_LEN,
		         json_string_value(json_object_get(fps, "sha256")), 64);
		if (sl)
			pl_buf_put(&path, name, (size_t)(sl - name) + 1);
		pl_buf_puts(&path, f);
		if (!path.ptr) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		p->fps_path = path.ptr;
	}
	p->index = (uint32_t)idx;
	p->count = (uint32_t)cnt;
	p->rindex = (uint32_t)ridx;
	p->rcount = (uint32_t)rcnt;
	p->rworks = rworks;
	p->doc = doc;
	doc = NULL;
	*out = p;
	p = NULL;
done:
	pl_check_part_free(p);
	json_decref(doc);
	return error;
}

int pl_check_part_load(pl_check_part **out, const char *path)
{
	pl_buf data = PL_BUF_INIT, mark = PL_BUF_INIT, mpath = PL_BUF_INIT;
	unsigned char h[PL_HASH_LEN];
	char hex[66];
	int error;

	if ((error = pl_read_file(&data, path, PL_CHECK_PART_MAX)) < 0)
		goto done;
	pl_buf_printf(&mpath, "%s.done", path);
	if (!mpath.ptr) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if (pl_read_file(&mark, mpath.ptr, 1024) < 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: no completion marker %s (the task did not finish)", path,
		                     mpath.ptr);
		goto done;
	}
	pl_sha256(h, data.ptr ? data.ptr : "", data.len);
	pl_hex(hex, h, PL_HASH_LEN);
	hex[64] = '\n';
	hex[65] = '\0';
	if (mark.len != 65 || memcmp(mark.ptr, hex, 65) != 0) {
		error = pl_error_set(PL_EINVALID,
		                     "%s: the completion marker %s is not this part's (a stale "
		                     "marker, or the part changed after it was written)",
		                     path, mpath.ptr);
		goto done;
	}
	error = pl_check_part_parse(out, data.ptr ? data.ptr : "", data.len, path);
done:
	pl_buf_free(&data);
	pl_buf_free(&mark);
	pl_buf_free(&mpath);
	return error;
}

uint32_t pl_check_part_index(const pl_check_part *p)
{
	return p->index;
}

uint32_t pl_check_part_count(const pl_check_part *p)
{
	return p->count;
}

int pl_check_part_fps(const pl_check_part *p, const char **path, uint64_t *count,
                      unsigned char sha256[PL_HASH_LEN])
{
	if (!p->fps_path)
		return 0;
	*path = p->fps_path;
	*count = p->fps_count;
	memcpy(sha256, p->fps_sha256, PL_HASH_LEN);
	return 1;
}

int pl_check_part_registry(const pl_check_part *p, uint32_t *index, uint32_t *count)
{
	if (p->rcount < 2)
		return 0;
	*index = p->rindex;
	*count = p->rcount;
	return 1;
}

int pl_check_part_robust(const pl_check_part *p)
{
	return json_is_true(json_object_get(json_object_get(p->doc, "params"), "robust"));
}

/* What every part must share, with the words that name it in a refusal. */
static const struct {
	const char *key, *what;
} same[] = {{"list", "different shard lists"},
            {"options", "different shard options"},
            {"params", "different check options (k, w, --min-tokens, --max-df, --robust)"},
            {"registry", "different registry states (ledger size and root)"}};

typedef struct {
	json_t *shard;
	const pl_check_part *part;
} slot;

static int fill_shard(pl_check_shard *cs, json_t *s)
{
	const char *comp = json_string_value(json_object_get(s, "compression"));
	if ((cs->path = strdup(json_string_value(json_object_get(s, "path")))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	pl_unhex(cs->info.sha256, PL_HASH_LEN, json_string_value(json_object_get(s, "sha256")), 64);
	pl_unhex(cs->info.merkle, PL_HASH_LEN, json_string_value(json_object_get(s, "merkle")), 64);
	get_uint(&cs->info.records, s, "records");
	get_uint(&cs->info.stored_bytes, s, "bytes");
	get_uint(&cs->info.stream_bytes, s, "stream_bytes");
	get_uint(&cs->tokens, s, "tokens");
	get_uint(&cs->ignored, s, "ignored");
	pl_shard_format_parse(&cs->info.format, json_string_value(json_object_get(s, "format")));
	for (int c = 0; c < 3; c++)
		if (strcmp(comp, pl_compression_name((pl_compression)c)) == 0)
			cs->info.compression = (pl_compression)c;
	cs->nmatches = json_array_size(json_object_get(s, "matches"));
	return PL_OK;
}

/* The parts hold every shard of the list once, each in the part its
 * position puts it in, and the names and fields make up the list's digest. */
static int check_cover(slot *slots, size_t nlist, uint32_t count, const char *list_hex)
{
	const char **names = calloc(nlist ? nlist : 1, sizeof(*names));
	const char **fields = calloc(nlist ? nlist : 1, sizeof(*fields));
	size_t *pos = NULL, np;
	unsigned char h[PL_HASH_LEN];
	char hex[65];
	int error = PL_OK;
	if (!names || !fields) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nlist; i++) {
		if (!slots[i].shard) {
			error = pl_error_set(
			    PL_EINVALID, "the parts hold no shard at position %zu of the list", i);
			goto done;
		}
		names[i] = json_string_value(json_object_get(slots[i].shard, "path"));
		fields[i] = json_string_value(json_object_get(slots[i].shard, "field"));
	}
	if ((error = pl_check_list_digest(h, names, fields, nlist)) < 0)
		goto done;
	pl_hex(hex, h, PL_HASH_LEN);
	if (strcmp(hex, list_hex) != 0) {
		error = pl_error_set(
		    PL_EINVALID, "the parts' shards do not make up the list they name (sha256 %s)",
		    list_hex);
		goto done;
	}
	/* the whole list sorted: the j-th shard is part (j mod count)'s */
	if ((error = pl_check_slice(&pos, &np, names, nlist, 0, 1)) < 0)
		goto done;
	for (size_t j = 0; j < np; j++)
		if (slots[pos[j]].part->index != j % count) {
			error = pl_error_set(PL_EINVALID, "%s: holds shard %s, which is part %u's",
			                     slots[pos[j]].part->name, names[pos[j]],
			                     (unsigned)(j % count));
			goto done;
		}
done:
	free(pos);
	free(names);
	free(fields);
	return error;
}

static int merge_whole(pl_check_result *out, pl_check_part *const *parts, size_t n)
{
	const pl_check_part **byidx = NULL;
	slot *slots = NULL;
	json_t *shards = json_array(), *matches = json_array(), *first;
	uint64_t nlist = 0, ignored = 0;
	uint32_t count;
	int error = PL_OK;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return pl_error_set(PL_EUSAGE, "no part given");
	first = parts[0]->doc;
	count = parts[0]->count;
	get_uint(&nlist, json_object_get(first, "list"), "shards");
	for (size_t i = 1; i < n; i++) {
		if (parts[i]->count != count) {
			error = pl_error_set(PL_EINVALID, "%s is part %u/%u but %s is part %u/%u",
			                     parts[0]->name, parts[0]->index, count, parts[i]->name,
			                     parts[i]->index, parts[i]->count);
			goto done;
		}
		for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
			if (!json_equal(json_object_get(first, same[k].key),
			                json_object_get(parts[i]->doc, same[k].key))) {
				error = pl_error_set(PL_EINVALID, "%s and %s come from %s",
				                     parts[0]->name, parts[i]->name, same[k].what);
				goto done;
			}
	}
	if (!(byidx = calloc(count, sizeof(*byidx))) ||
	    !(slots = calloc(nlist ? nlist : 1, sizeof(*slots))) || !shards || !matches) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const pl_check_part *p = parts[i];
		json_t *s;
		size_t j;
		if (byidx[p->index]) {
			error = pl_error_set(PL_EINVALID, "part %u/%u is given twice: %s and %s",
			                     p->index, count, byidx[p->index]->name, p->name);
			goto done;
		}
		byidx[p->index] = p;
		json_array_foreach(json_object_get(p->doc, "shards"), j, s)
		{
			uint64_t pos = 0;
			get_uint(&pos, s, "position");
			if (slots[pos].shard) {
				error = pl_error_set(
				    PL_EINVALID, "%s and %s both hold shard position %llu",
				    slots[pos].part->name, p->name, (unsigned long long)pos);
				goto done;
			}
			slots[pos].shard = s;
			slots[pos].part = p;
		}
	}
	for (uint32_t i = 0; i < count; i++)
		if (!byidx[i]) {
			error = pl_error_set(PL_EINVALID,
			                     "part %u/%u is missing (%zu of %u parts given)", i,
			                     count, n, count);
			goto done;
		}
	if ((error = check_cover(
	         slots, (size_t)nlist, count,
	         json_string_value(json_object_get(json_object_get(first, "list"), "sha256")))) < 0)
		goto done;
	if (!(out->shards = calloc(nlist ? nlist : 1, sizeof(*out->shards)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nlist; i++) {
		pl_check_shard *cs = &out->shards[i];
		json_t *s = slots[i].shard, *m;
		size_t j;
		char hex[65];
		out->nshards = i + 1;
		if ((error = fill_shard(cs, s)) < 0)
			goto done;
		cs->match0 = json_array_size(matches);
		json_array_foreach(json_object_get(s, "matches"), j, m)
		{
			if (json_array_append(matches, m) < 0) {
				error = pl_error_set(PL_ENOMEM, "out of memory");
				goto done;
			}
		}
		pl_hex(hex, cs->info.sha256, PL_HASH_LEN);
		if (json_array_append_new(shards,
		                          pl_check__shard_json(cs->path, hex, cs->info.records,
		                                               cs->info.stored_bytes)) < 0) {
			error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		out->records += cs->info.records;
		out->bytes += cs->info.stream_bytes;
		out->tokens += cs->tokens;
		out->nmatches += cs->nmatches;
		ignored += cs->ignored;
	}
	out->report =
	    pl_check__report(json_object_get(first, "registry"), json_object_get(first, "params"),
	                     shards, out->records, out->bytes, out->tokens, ignored, matches);
	if (!out->report)
		error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	free(byidx);
	free(slots);
	json_decref(shards);
	json_decref(matches);
	if (error < 0)
		pl_check_result_free(out);
	return error;
}

/* Registry parts: a match with its place in the whole registry's order. */
typedef struct {
	json_t *m;
	uint64_t key[4]; /* record, record token, work index, work token */
	size_t seq;
} omatch;

static int cmp_omatch(const void *a, const void *b)
{
	const omatch *x = a, *y = b;
	for (int k = 0; k < 4; k++)
		if (x->key[k] != y->key[k])
			return x->key[k] < y->key[k] ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* o without the members a and b (a shallow copy). */
static json_t *without(json_t *o, const char *a, const char *b)
{
	json_t *c = json_copy(o);
	if (c) {
		json_object_del(c, a);
		if (b)
			json_object_del(c, b);
	}
	return c;
}

static int same_but(json_t *x, json_t *y, const char *a, const char *b)
{
	json_t *cx = without(x, a, b), *cy = without(y, a, b);
	int eq = cx && cy && json_equal(cx, cy);
	json_decref(cx);
	json_decref(cy);
	return eq;
}

/* The part that registry parts g[0..q) (in registry part order) of one shard
 * part make: each shard's matches from all of them in the whole registry's
 * order, without "order", and their ignored fingerprints summed; the
 * fingerprint sidecar registry part 0's. */
static int combine(pl_check_part **out, pl_check_part *const *g, uint32_t q)
{
	pl_check_part *p = NULL;
	json_t *doc = NULL, *shards = NULL, *s0 = json_object_get(g[0]->doc, "shards");
	omatch *v = NULL;
	size_t cap = 0, j;
	json_t *s;
	int error = PL_OK;

	for (uint32_t r = 1; r < q; r++) {
		json_t *sr = json_object_get(g[r]->doc, "shards");
		for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
			if (!json_equal(json_object_get(g[0]->doc, same[k].key),
			                json_object_get(g[r]->doc, same[k].key)))
				return pl_error_set(PL_EINVALID, "%s and %s come from %s",
				                    g[0]->name, g[r]->name, same[k].what);
		if (json_array_size(sr) != json_array_size(s0))
			return pl_error_set(PL_EINVALID, "%s and %s did not check the same shards",
			                    g[0]->name, g[r]->name);
		json_array_foreach(s0, j, s)
		{
			if (!same_but(s, json_array_get(sr, j), "matches", "ignored"))
				return pl_error_set(PL_EINVALID,
				                    "%s and %s did not check the same shards",
				                    g[0]->name, g[r]->name);
		}
	}
	if (!(shards = json_array()) || !(doc = without(g[0]->doc, "registry_part", "digest")))
		goto nomem;
	json_array_foreach(s0, j, s)
	{
		json_t *ns = json_copy(s), *ms = json_array(), *m;
		uint64_t ignored = 0, x = 0;
		size_t nv = 0, k;
		for (uint32_t r = 0; r < q; r++) {
			json_t *sr = json_array_get(json_object_get(g[r]->doc, "shards"), j);
			json_t *mr = json_object_get(sr, "matches");
			get_uint(&x, sr, "ignored");
			ignored += x;
			json_array_foreach(mr, k, m)
			{
				json_t *o = json_object_get(m, "order");
				if (nv == cap) {
					omatch *nv2 =
					    realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
					if (!nv2) {
						json_decref(ns);
						json_decref(ms);
						goto nomem;
					}
					v = nv2;
				}
				v[nv].m = m;
				v[nv].key[0] =
				    (uint64_t)json_integer_value(json_object_get(m, "record"));
				v[nv].key[1] = (uint64_t)json_integer_value(json_array_get(o, 0));
				v[nv].key[2] = (uint64_t)json_integer_value(json_array_get(o, 1));
				v[nv].key[3] = (uint64_t)json_integer_value(
				    json_array_get(json_object_get(m, "work_span"), 0));
				v[nv].seq = nv;
				nv++;
			}
		}
		if (nv > 1)
			qsort(v, nv, sizeof(*v), cmp_omatch);
		for (k = 0; ms && k < nv; k++)
			if (json_array_append_new(ms, without(v[k].m, "order", NULL)) < 0) {
				json_decref(ms);
				ms = NULL;
			}
		if (!ns || !ms || json_object_set_new(ns, "matches", ms) < 0 ||
		    json_object_set_new(ns, "ignored", json_integer((json_int_t)ignored)) < 0 ||
		    json_array_append_new(shards, ns) < 0)
			goto nomem;
	}
	if (json_object_set(doc, "shards", shards) < 0 || !(p = calloc(1, sizeof(*p))) ||
	    !(p->name = strdup(g[0]->name)) ||
	    (g[0]->fps_path && !(p->fps_path = strdup(g[0]->fps_path))))
		goto nomem;
	p->index = g[0]->index;
	p->count = g[0]->count;
	p->fps_count = g[0]->fps_count;
	memcpy(p->fps_sha256, g[0]->fps_sha256, PL_HASH_LEN);
	p->doc = doc;
	doc = NULL;
	*out = p;
	p = NULL;
	goto done;
nomem:
	error = pl_error_set(PL_ENOMEM, "out of memory");
done:
	pl_check_part_free(p);
	json_decref(doc);
	json_decref(shards);
	free(v);
	return error;
}

static int cmp_part(const void *a, const void *b)
{
	const pl_check_part *x = *(pl_check_part *const *)a, *y = *(pl_check_part *const *)b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return (x->rindex > y->rindex) - (x->rindex < y->rindex);
}

int pl_check_merge(pl_check_result *out, pl_check_part *const *parts, size_t n)
{
	pl_check_part **v = NULL, **comb = NULL;
	size_t nc = 0;
	uint32_t q;
	int error = PL_OK;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return pl_error_set(PL_EUSAGE, "no part given");
	q = parts[0]->rcount;
	for (size_t i = 1; i < n; i++)
		if (parts[i]->rcount != q || parts[i]->count != parts[0]->count ||
		    parts[i]->rworks != parts[0]->rworks) {
			char a[64], b[64];
			snprintf(a, sizeof(a), "part %u/%u", parts[0]->index, parts[0]->count);
			snprintf(b, sizeof(b), "part %u/%u", parts[i]->index, parts[i]->count);
			if (q > 1)
				snprintf(a + strlen(a), sizeof(a) - strlen(a),
				         " of registry part %u/%u", parts[0]->rindex, q);
			if (parts[i]->rcount > 1)
				snprintf(b + strlen(b), sizeof(b) - strlen(b),
				         " of registry part %u/%u", parts[i]->rindex,
				         parts[i]->rcount);
			/* "(the whole registry)" only beside a registry part */
			int mixed = (q > 1) != (parts[i]->rcount > 1);
			return pl_error_set(
			    PL_EINVALID, "%s is %s%s but %s is %s%s", parts[0]->name, a,
			    mixed && q < 2 ? " (the whole registry)" : "", parts[i]->name, b,
			    mixed && parts[i]->rcount < 2 ? " (the whole registry)" : "");
		}
	if (q < 2)
		return merge_whole(out, parts, n);
	if (!(v = malloc(n * sizeof(*v))) || !(comb = calloc(n, sizeof(*comb)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(v, parts, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_part);
	for (size_t i = 0; i < n;) {
		size_t e = i;
		while (e < n && v[e]->index == v[i]->index)
			e++;
		for (size_t k = i; k < e; k++) {
			if (k > i && v[k]->rindex == v[k - 1]->rindex) {
				error = pl_error_set(
				    PL_EINVALID,
				    "registry part %u/%u of part %u/%u is given twice: %s and %s",
				    v[k]->rindex, q, v[k]->index, v[k]->count, v[k - 1]->name,
				    v[k]->name);
				goto done;
			}
		}
		for (uint32_t r = 0, k = (uint32_t)i; r < q; r++, k++)
			if (k >= e || v[k]->rindex != r) {
				error = pl_error_set(
				    PL_EINVALID,
				    "registry part %u/%u of part %u/%u is missing (%zu of %u "
				    "registry parts of it given)",
				    r, q, v[i]->index, v[i]->count, e - i, q);
				goto done;
			}
		if ((error = combine(&comb[nc], v + i, q)) < 0)
			goto done;
		nc++;
		i = e;
	}
	error = merge_whole(out, comb, nc);
done:
	for (size_t i = 0; i < nc; i++)
		pl_check_part_free(comb[i]);
	free(comb);
	free(v);
	return error;
}
