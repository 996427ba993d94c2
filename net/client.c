/*
 * client.c - a verifying client of a remote log (pl_client.h): the
 * checkpoint and its consistency with the last one seen, the log rebuilt
 * from its entry bundles, appends posted and their inclusion proven.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pl_client.h"
#include "pl_tiles.h"

#define MAX_NOTE ((size_t)1 << 16)
#define MAX_HASH_TILE ((size_t)PL_TILE_WIDTH * PL_HASH_LEN)
#define MAX_ENTRY_TILE ((size_t)PL_TILE_WIDTH * (2 + 65535))
#define MAX_BLOB ((size_t)256 << 20)
#define MAX_ANSWER ((size_t)1 << 20)
/* a checkpoint claiming more entries than this is refused, not fetched */
#define MAX_SIZE ((uint64_t)1 << 40)

/* hash tiles fetched, by (level, index): the widest seen */
typedef struct tcache {
	unsigned level;
	uint64_t index;
	unsigned width;
	pl_buf data;
	struct tcache *next;
} tcache;

struct pl_remote {
	char *url; /* without a final '/' */
	int is_file;
	CURL *curl;
	long timeout;
	char *ca_file;
	pl_key *trust;
	char *state_path;
	char *cache_dir; /* full entry bundles kept here (NULL: none) */
	pl_buf note;     /* the checkpoint verified last */
	pl_checkpoint cp;
	tcache *tiles;
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- HTTP ------------------------------------------------------------------ */

typedef struct {
	pl_buf *out;
	size_t max;
	int over;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	sink *s = ctx;
	size_t len = size * n;
	if (s->out->len + len > s->max) {
		s->over = 1;
		return 0;
	}
	return pl_buf_put(s->out, p, len) < 0 ? 0 : len;
}

typedef struct {
	const char *p;
	size_t left;
} source;

static size_t on_read(char *p, size_t size, size_t n, void *ctx)
{
	source *s = ctx;
	size_t len = size * n < s->left ? size * n : s->left;
	memcpy(p, s->p, len);
	s->p += len;
	s->left -= len;
	return len;
}

/* The message of a JSON error answer ({"error": {"message"}}), else the body. */
static void answer_message(char *out, size_t n, const pl_buf *body)
{
	json_t *j = body->len ? json_loadb(body->ptr, body->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
	size_t k;
	if (m)
		snprintf(out, n, "%s", m);
	else {
		snprintf(out, n, "%.*s", (int)(body->len < 200 ? body->len : 200),
		         body->ptr ? body->ptr : "");
		for (k = 0; out[k]; k++)
			if ((unsigned char)out[k] < 0x20)
				out[k] = ' ';
	}
	json_decref(j);
}

int pl_http_post(const char *url, const char *type, const void *body, size_t len, long *status,
                 pl_buf *out, size_t max, long timeout)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", ct[200];
	sink s = {out, max, 0};
	CURLcode rc;
	int error = PL_OK;
	if (!c)
		return pl_error_set(PL_ENOMEM, "out of memory");
	pl_buf_clear(out);
	snprintf(ct, sizeof(ct), "Content-Type: %s", type);
	hdr = curl_slist_append(hdr, ct);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout > 0 ? timeout : 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "provledger/" PL_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (getenv("PROVLEDGER_CA_FILE"))
		curl_easy_setopt(c, CURLOPT_CAINFO, getenv("PROVLEDGER_CA_FILE"));
	rc = curl_easy_perform(c);
	if (s.over)
		error = pl_error_set(PL_EINVALID, "%s: the answer exceeds %zu bytes", url, max);
	else if (rc != CURLE_OK)
		error = pl_error_set(PL_ERROR, "%s: %s", url,
		                     errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return error;
}

/* method ("GET", "PUT", "POST") path with body; *status gets the HTTP status
 * (file:// answers 200, or 404 for a file that is not there). Fails only when
 * there is no answer (PL_ERROR naming the URL) or it exceeds max. */
static int request(pl_remote *r, long *status, pl_buf *out, const char *method, const char *path,
                   const void *body, size_t len, size_t max)
{
	pl_buf url = PL_BUF_INIT;
	struct curl_slist *hdr = NULL;
	sink s = {out, max, 0};
	source src = {body, len};
	CURLcode rc;
	int error = PL_OK;

	pl_buf_clear(out);
	if ((error = pl_buf_printf(&url, "%s/%s", r->url, path)) < 0)
		return error;
	curl_easy_reset(r->curl);
	curl_easy_setopt(r->curl, CURLOPT_URL, url.ptr);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(r->curl, CURLOPT_TIMEOUT, r->timeout);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "provledger/" PL_VERSION);
	curl_easy_setopt(r->curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (r->ca_file)
		curl_easy_setopt(r->curl, CURLOPT_CAINFO, r->ca_file);
	if (strcmp(method, "GET") != 0) {
		hdr = curl_slist_append(hdr, strcmp(method, "POST") == 0
		                                 ? "Content-Type: application/json"
		                                 : "Content-Type: application/octet-stream");
		hdr = curl_slist_append(hdr, "Expect:");
		curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, hdr);
		if (strcmp(method, "POST") == 0) {
			curl_easy_setopt(r->curl, CURLOPT_POST, 1L);
			curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		} else {
			curl_easy_setopt(r->curl, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(r->curl, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(r->curl, CURLOPT_READDATA, &src);
			curl_easy_setopt(r->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		}
	}
	r->errbuf[0] = '\0';
	rc = curl_easy_perform(r->curl);
	if (s.over) {
		error = pl_error_set(PL_EINVALID, "%s: the answer exceeds %zu bytes", url.ptr, max);
	} else if (r->is_file && rc == CURLE_FILE_COULDNT_READ_FILE) {
		*status = 404;
	} else if (rc != CURLE_OK) {
		error = pl_error_set(PL_ERROR, "%s: %s", url.ptr,
		                     r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
	} else if (r->is_file) {
		*status = 200;
	} else {
		curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, status);
	}
	curl_slist_free_all(hdr);
	pl_buf_free(&url);
	return error;
}

/* GET path, which must answer 200: PL_ENOTFOUND for a 404, PL_ERROR otherwise. */
static int get(pl_remote *r, pl_buf *out, const char *path, size_t max)
{
	long status = 0;
	char msg[300];
	int error;
	if ((error = request(r, &status, out, "GET", path, NULL, 0, max)) < 0)
		return error;
	if (status == 200)
		return PL_OK;
	answer_message(msg, sizeof(msg), out);
	return pl_error_set(status == 404 ? PL_ENOTFOUND : PL_ERROR, "%s/%s: HTTP %ld: %s", r->url,
	                    path, status, msg);
}

int pl_remote_get(pl_remote *r, pl_buf *out, const char *path, size_t max)
{
	return get(r, out, path, max);
}

/* ---- tiles ------------------------------------------------------------------ */

/* Tile t of the tree of size (its width as that size implies), or the full
 * tile cut down to it when a static log no longer has that partial tile. */
static int get_tile(pl_remote *r, pl_buf *out, pl_tile *t)
{
	char path[PL_TILE_PATH_MAX];
	unsigned want = t->width;
	int error, cut = 0;
	pl_tile_path(path, t);
	error = get(r, out, path, t->entries ? MAX_ENTRY_TILE : MAX_HASH_TILE);
	if (error == PL_ENOTFOUND && want < PL_TILE_WIDTH) {
		t->width = PL_TILE_WIDTH;
		pl_tile_path(path, t);
		error = get(r, out, path, t->entries ? MAX_ENTRY_TILE : MAX_HASH_TILE);
		t->width = want;
		cut = 1;
	}
	if (error < 0)
		return error;
	if (t->entries && cut) {
		/* the first `want` entries of the full bundle */
		size_t used;
		if (pl_tile_entries(out->ptr, out->len, want, 1, NULL, NULL, &used) == PL_OK)
			out->len = used;
	}
	if (!t->entries) {
		if (out->len < (size_t)want * PL_HASH_LEN ||
		    (out->len != (size_t)want * PL_HASH_LEN && out->len != MAX_HASH_TILE))
			return pl_error_set(PL_EVERIFY, "%s/%s: %zu bytes, not %u hashes", r->url,
			                    path, out->len, want);
		out->len = (size_t)want * PL_HASH_LEN;
	}
	return PL_OK;
}

/* The hashes at tile level `level`, index `index` of the tree of size. */
static int hash_tile(pl_remote *r, const unsigned char **out, unsigned level, uint64_t index,
                     uint64_t size)
{
	uint64_t nodes = size >> (PL_TILE_HEIGHT * level), first = index * PL_TILE_WIDTH;
	unsigned width;
	tcache *c;
	pl_tile t;
	int error;
	if (nodes <= first)
		return pl_error_set(PL_EINVALID, "tile %u/%llu is not in the tree of size %llu",
		                    level, (unsigned long long)index, (unsigned long long)size);
	width = nodes - first >= PL_TILE_WIDTH ? PL_TILE_WIDTH : (unsigned)(nodes - first);
	for (c = r->tiles; c; c = c->next)
		if (c->level == level && c->index == index && c->width >= width) {
			*out = (const unsigned char *)c->data.ptr;
			return PL_OK;
		}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	t.entries = 0;
	t.level = level;
	t.index = index;
	t.width = width;
	if ((error = get_tile(r, &c->data, &t)) < 0) {
		pl_buf_free(&c->data);
		free(c);
		return error;
	}
	c->level = level;
	c->index = index;
	c->width = width;
	c->next = r->tiles;
	r->tiles = c;
	*out = (const unsigned char *)c->data.ptr;
	return PL_OK;
}

typedef struct {
	pl_remote *r;
	uint64_t size;
} oracle;

/* The complete node of height h, index i: from the tile holding its
 * descendants at the tile level below it, hashed up. */
static int node_at(oracle *o, unsigned h, uint64_t i, unsigned char out[PL_HASH_LEN])
{
	unsigned level = h / PL_TILE_HEIGHT, up = h % PL_TILE_HEIGHT;
	uint64_t first = i << up;
	unsigned char buf[PL_TILE_WIDTH][PL_HASH_LEN];
	const unsigned char *t = NULL;
	size_t n = (size_t)1 << up, off = first % PL_TILE_WIDTH;
	int error;
	if ((error = hash_tile(o->r, &t, level, first / PL_TILE_WIDTH, o->size)) < 0)
		return error;
	memcpy(buf, t + off * PL_HASH_LEN, n * PL_HASH_LEN);
	for (; n > 1; n /= 2)
		for (size_t k = 0; k < n / 2; k++)
			pl_merkle_node(buf[k], buf[2 * k], buf[2 * k + 1]);
	memcpy(out, buf[0], PL_HASH_LEN);
	return PL_OK;
}

static int subtree(void *ctx, uint64_t start, uint64_t end, unsigned char out[PL_HASH_LEN])
{
	uint64_t n = end - start, k;
	unsigned char a[PL_HASH_LEN], b[PL_HASH_LEN];
	int error;
	if ((n & (n - 1)) == 0 && start % n == 0) {
		unsigned h = 0;
		while (((uint64_t)1 << h) < n)
			h++;
		return node_at(ctx, h, start >> h, out);
	}
	k = pl_merkle_split(n);
	if ((error = subtree(ctx, start, start + k, a)) < 0 ||
	    (error = subtree(ctx, start + k, end, b)) < 0)
		return error;
	pl_merkle_node(out, a, b);
	return PL_OK;
}

/* ---- checkpoints and the state of what was seen ------------------------------ */

/* Verify a checkpoint note under r->trust; out gets it parsed. */
static int verify_note(pl_remote *r, pl_checkpoint *out, const char *note, size_t len,
                       const char *what)
{
	pl_buf text = PL_BUF_INIT;
	const char *nl = memchr(note, '\n', len);
	char origin[256];
	int error;
	if (!nl || (size_t)(nl - note) >= sizeof(origin) || nl == note) {
		error = pl_error_set(PL_EINVALID, "%s: not a checkpoint (no origin line)", what);
		goto done;
	}
	memcpy(origin, note, (size_t)(nl - note));
	origin[nl - note] = '\0';
	if ((error = pl_note_verify(&text, note, len, origin, r->trust)) < 0 ||
	    (error = pl_checkpoint_parse(out, text.ptr, text.len)) < 0) {
		pl_error_prefix(error, "%s", what);
		goto done;
	}
	if (out->size > MAX_SIZE)
		error = pl_error_set(PL_EINVALID, "%s: size %llu is more than this client reads",
		                     what, (unsigned long long)out->size);
done:
	pl_buf_free(&text);
	return error;
}

static void b64root(char out[48], const unsigned char root[PL_HASH_LEN])
{
	pl_buf b = PL_BUF_INIT;
	pl_base64_encode(&b, root, PL_HASH_LEN);
	snprintf(out, 48, "%s", b.ptr ? b.ptr : "");
	pl_buf_free(&b);
}

/* A split view: keep the new checkpoint beside the state file (evidence: two
 * checkpoints signed by the operator that no append history joins) and say so. */
static int split_view(pl_remote *r, const pl_checkpoint *old, const pl_checkpoint *cur,
                      const char *note, size_t len, const char *why)
{
	pl_buf kept = PL_BUF_INIT;
	char a[48], b[48];
	int error;
	b64root(a, old->root);
	b64root(b, cur->root);
	pl_buf_printf(&kept, "%s.split-%llu", r->state_path, (unsigned long long)cur->size);
	pl_write_file_atomic(kept.ptr, note, len, 0644);
	error = pl_error_set(PL_EVERIFY,
	                     "split view of %s: %s answers checkpoint size %llu root %s, which "
	                     "%s checkpoint size %llu root %s seen before (%s; the new one is "
	                     "kept in %s)",
	                     cur->origin, r->url, (unsigned long long)cur->size, b, why,
	                     (unsigned long long)old->size, a, r->state_path, kept.ptr);
	pl_buf_free(&kept);
	return error;
}

/* The state file of origin: <dir>/<origin escaped> (pl_path_escape). */
static int state_path(pl_remote *r, const char *dir, const char *origin)
{
	pl_buf p = PL_BUF_INIT;
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	int error;
	if (dir)
		pl_buf_puts(&p, dir);
	else if (xdg && *xdg)
		pl_buf_printf(&p, "%s/provledger/logs", xdg);
	else if (home && *home)
		pl_buf_printf(&p, "%s/.config/provledger/logs", home);
	else
		return pl_error_set(PL_EUSAGE, "no HOME: cannot keep the checkpoints seen "
		                               "(set XDG_CONFIG_HOME)");
	if ((error = pl_mkdirs(p.ptr, 0700)) < 0) {
		pl_buf_free(&p);
		return error;
	}
	pl_buf_putc(&p, '/');
	pl_path_escape(&p, origin);
	r->state_path = p.ptr; /* taken */
	return r->state_path ? PL_OK : pl_error_set(PL_ENOMEM, "out of memory");
}

/* Accept checkpoint note as the log's newest: signed, of the same log, and
 * consistent with the one seen before (r->cp, else the state file); then it
 * is the state. */
static int advance(pl_remote *r, const char *note, size_t len)
{
	pl_buf old = PL_BUF_INIT, proof = PL_BUF_INIT;
	pl_checkpoint cur, prev;
	int have_prev = 0, error;

	if ((error = verify_note(r, &cur, note, len, "checkpoint")) < 0)
		return error;
	if (r->note.len) {
		if (strcmp(cur.origin, r->cp.origin) != 0)
			return pl_error_set(PL_EVERIFY, "%s answered a checkpoint of %s, not of %s",
			                    r->url, cur.origin, r->cp.origin);
		prev = r->cp;
		have_prev = 1;
	} else if (!r->state_path && (error = state_path(r, NULL, cur.origin)) < 0) {
		return error;
	}
	if (!have_prev) {
		/* absent: the first time this log is seen */
		if (access(r->state_path, F_OK) == 0) {
			if ((error = pl_read_file(&old, r->state_path, MAX_NOTE)) < 0)
				goto done;
			if ((error = verify_note(r, &prev, old.ptr, old.len, r->state_path)) < 0) {
				pl_error_prefix(error,
				                "the checkpoint seen before is not the trusted "
				                "operator's (remove it if the log's key changed)");
				goto done;
			}
			have_prev = 1;
		}
	}
	if (have_prev) {
		if (cur.size < prev.size) {
			error = split_view(r, &prev, &cur, note, len, "is older than the");
			goto done;
		}
		if (cur.size == prev.size) {
			if (memcmp(cur.root, prev.root, PL_HASH_LEN) != 0) {
				error = split_view(r, &prev, &cur, note, len, "differs from the");
				goto done;
			}
		} else {
			oracle o = {r, cur.size};
			error =
			    pl_merkle_consistency_proof(&proof, prev.size, cur.size, subtree, &o);
			if (error < 0)
				goto done;
			if (pl_merkle_verify_consistency(prev.size, cur.size, prev.root, cur.root,
			                                 (const unsigned char *)proof.ptr,
			                                 proof.len / PL_HASH_LEN) < 0) {
				error = split_view(r, &prev, &cur, note, len,
				                   "its tiles do not prove consistent with the");
				goto done;
			}
		}
	}
	if ((error = pl_write_file_atomic(r->state_path, note, len, 0644)) < 0)
		goto done;
	pl_buf_clear(&r->note);
	if ((error = pl_buf_put(&r->note, note, len)) < 0)
		goto done;
	r->cp = cur;
done:
	pl_buf_free(&old);
	pl_buf_free(&proof);
	return error;
}

/* ---- open ------------------------------------------------------------------- */

int pl_remote_open(pl_remote **out, const char *url, const pl_key *trust,
                   const pl_remote_opts *opts)
{
	static int inited;
	pl_remote *r;
	pl_buf note = PL_BUF_INIT;
	size_t n = strlen(url);
	int error;

	*out = NULL;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "file://", 7) != 0)
		return pl_error_set(PL_EUSAGE,
		                    "--remote %s: not an http://, https:// or file:// URL", url);
	if (!trust)
		return pl_error_set(PL_EUSAGE, "--remote needs the operator's key (--trust KEY)");
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return pl_error_set(PL_ENOMEM, "out of memory");
	while (n > 0 && url[n - 1] == '/')
		n--;
	r->is_file = strncmp(url, "file://", 7) == 0;
	r->timeout = opts && opts->timeout > 0 ? opts->timeout : 120;
	if ((r->url = strndup(url, n)) == NULL || (r->curl = curl_easy_init()) == NULL ||
	    (opts && opts->ca_file && (r->ca_file = strdup(opts->ca_file)) == NULL)) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = pl_key_public(&r->trust, trust)) < 0 ||
	    (error = get(r, &note, "checkpoint", MAX_NOTE)) < 0)
		goto done;
	if (opts && opts->witnesses && opts->witnesses->n &&
	    (error = pl_cosig_policy_check(opts->witnesses, note.ptr, note.len, NULL)) < 0) {
		pl_error_prefix(error, "%s/checkpoint", r->url);
		goto done;
	}
	if (opts && opts->state_dir) {
		pl_checkpoint c;
		if ((error = verify_note(r, &c, note.ptr, note.len, "checkpoint")) < 0 ||
		    (error = state_path(r, opts->state_dir, c.origin)) < 0)
			goto done;
	}
	error = advance(r, note.ptr, note.len);
	if (error == PL_OK && !r->is_file) {
		/* full entry bundles never change: kept in
		 * ${XDG_CACHE_HOME:-~/.cache}/provledger/tiles/<origin>, and checked
		 * with the rest against the signed root at every read */
		const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
		pl_buf c = PL_BUF_INIT;
		if (xdg && *xdg)
			pl_buf_printf(&c, "%s/provledger/tiles/", xdg);
		else if (home && *home)
			pl_buf_printf(&c, "%s/.cache/provledger/tiles/", home);
		if (c.len) {
			pl_path_escape(&c, r->cp.origin);
			r->cache_dir = c.ptr; /* taken */
		}
	}
done:
	pl_buf_free(&note);
	if (error < 0)
		pl_remote_free(r);
	else
		*out = r;
	return error;
}

void pl_remote_free(pl_remote *r)
{
	if (!r)
		return;
	for (tcache *c = r->tiles, *nx; c; c = nx) {
		nx = c->next;
		pl_buf_free(&c->data);
		free(c);
	}
	if (r->curl)
		curl_easy_cleanup(r->curl);
	pl_key_free(r->trust);
	pl_buf_free(&r->note);
	free(r->state_path);
	free(r->cache_dir);
	free(r->ca_file);
	free(r->url);
	free(r);
}

const char *pl_remote_note(const pl_remote *r)
{
	return r->note.ptr;
}

const pl_checkpoint *pl_remote_checkpoint(const pl_remote *r)
{
	return &r->cp;
}

const char *pl_remote_state_path(const pl_remote *r)
{
	return r->state_path;
}

/* ---- reads: the log rebuilt from its entry bundles ---------------------------- */

static int blob(void *ctx, pl_buf *out, const char *hex)
{
	pl_remote *r = ctx;
	pl_buf path = PL_BUF_INIT;
	unsigned char d[PL_HASH_LEN];
	char got[65];
	int error;
	pl_buf_printf(&path, "blob/%s", hex);
	error = get(r, out, path.ptr, MAX_BLOB);
	pl_buf_free(&path);
	if (error < 0)
		return error;
	pl_sha256(d, out->ptr ? out->ptr : "", out->len);
	pl_hex(got, d, PL_HASH_LEN);
	if (strcmp(got, hex) != 0)
		return pl_error_set(PL_EVERIFY, "%s/blob/%s: the answer hashes to %s", r->url, hex,
		                    got);
	return PL_OK;
}

static int submit(void *ctx, const pl_submission *sub, size_t n, pl_entry_ref *refs)
{
	for (size_t i = 0; i < n; i++) {
		int error = pl_remote_submit(ctx, &sub[i], &refs[i], NULL);
		if (error < 0)
			return error;
	}
	return PL_OK;
}

typedef struct {
	pl_remote *r;
	pl_ledger *l;
	pl_merkle_builder *mb;
	int added_error; /* the rules refused an entry (its message says which) */
} rebuild_ctx;

static int add_entry(void *ctx, unsigned i, const char *env, size_t n)
{
	rebuild_ctx *x = ctx;
	unsigned char leaf[PL_HASH_LEN];
	int error;
	(void)i;
	pl_merkle_leaf(leaf, env, n);
	pl_merkle_builder_add(x->mb, leaf);
	if ((error = pl_ledger_rebuild_add(x->l, env, n)) < 0) {
		pl_error_prefix(error, "%s", x->r->url);
		x->added_error = 1;
	}
	return error;
}

/* An entry bundle: from the cache when it is a full one kept there (use),
 * else fetched (and a full one kept). *hit counts the bundles the cache gave. */
static int entry_bundle(pl_remote *r, pl_buf *out, pl_tile *t, int use, size_t *hit)
{
	char path[PL_TILE_PATH_MAX];
	pl_buf file = PL_BUF_INIT;
	int error;
	pl_tile_path(path, t);
	if (r->cache_dir && t->width == PL_TILE_WIDTH)
		pl_buf_printf(&file, "%s/%s", r->cache_dir, path);
	if (use && file.len && access(file.ptr, F_OK) == 0 &&
	    pl_read_file(out, file.ptr, MAX_ENTRY_TILE) == PL_OK) {
		(*hit)++;
		pl_buf_free(&file);
		return PL_OK;
	}
	error = get_tile(r, out, t);
	if (error == PL_OK && file.len) {
		char *slash = strrchr(file.ptr, '/');
		*slash = '\0';
		if (pl_mkdirs(file.ptr, 0700) == PL_OK) {
			*slash = '/';
			pl_write_file_atomic(file.ptr, out->ptr, out->len, 0644); /* best effort */
		}
	}
	pl_buf_free(&file);
	return error;
}

static int rebuild_once(pl_remote *r, pl_ledger **out, int use_cache, size_t *hits);

int pl_remote_rebuild(pl_remote *r, pl_ledger **out)
{
	size_t hits = 0;
	int error = rebuild_once(r, out, 1, &hits);
	if (error < 0 && hits > 0) {
		/* a cached bundle may be what failed: read everything afresh */
		size_t again = 0;
		error = rebuild_once(r, out, 0, &again);
	}
	return error;
}

static int rebuild_once(pl_remote *r, pl_ledger **out, int use_cache, size_t *hits)
{
	pl_ledger *l = NULL;
	pl_merkle_builder mb;
	pl_buf tile = PL_BUF_INIT;
	unsigned char root[PL_HASH_LEN];
	uint64_t size = r->cp.size;
	rebuild_ctx ra = {r, NULL, &mb, 0};
	int error;

	pl_merkle_builder_init(&mb);
	if ((error = pl_ledger_open_rebuilt(&l, r->cp.origin, r->trust, blob, r)) < 0)
		goto done;
	ra.l = l;
	for (uint64_t first = 0; first < size; first += PL_TILE_WIDTH) {
		pl_tile t = {1, 0, first / PL_TILE_WIDTH, 0};
		char path[PL_TILE_PATH_MAX];
		t.width = size - first >= PL_TILE_WIDTH ? PL_TILE_WIDTH : (unsigned)(size - first);
		if ((error = entry_bundle(r, &tile, &t, use_cache, hits)) < 0)
			goto done;
		pl_tile_path(path, &t);
		if ((error = pl_tile_entries(tile.ptr, tile.len, t.width, 0, add_entry, &ra,
		                             NULL)) < 0) {
			if (!ra.added_error)
				pl_error_prefix(error, "%s/%s", r->url, path);
			goto done;
		}
	}
	pl_merkle_builder_root(&mb, root);
	if (memcmp(root, r->cp.root, PL_HASH_LEN) != 0) {
		error = pl_error_set(PL_EVERIFY,
		                     "%s: the %llu entries it serves are not the tree of its "
		                     "signed checkpoint",
		                     r->url, (unsigned long long)size);
		goto done;
	}
	if ((error = pl_ledger_rebuild_finish(l, r->note.ptr, r->note.len)) < 0)
		goto done;
	/* the signed subject index, for bundles; a log that does not serve it
	 * (a static copy from before it was exported) can still be read */
	{
		char path[40];
		snprintf(path, sizeof(path), "subjects/%llu", (unsigned long long)size);
		error = get(r, &tile, path, MAX_NOTE);
		if (error == PL_OK)
			error = pl_ledger_rebuild_subjects(l, tile.ptr, tile.len);
		else if (error == PL_ENOTFOUND)
			error = PL_OK;
		if (error < 0)
			goto done;
	}
	pl_ledger_set_submit(l, submit, r);
	*out = l;
	l = NULL;
done:
	pl_ledger_free(l);
	pl_buf_free(&tile);
	return error;
}

/* ---- appends ---------------------------------------------------------------- */

static int refused(pl_remote *r, long status, const pl_buf *body, const char *what)
{
	char msg[600];
	answer_message(msg, sizeof(msg), body);
	return pl_error_set(status == 409   ? PL_ECONFLICT
	                    : status == 404 ? PL_ENOTFOUND
	                    : status < 500  ? PL_EINVALID
	                                    : PL_ERROR,
	                    "%s refused %s (HTTP %ld): %s", r->url, what, status, msg);
}

int pl_remote_parse_added(pl_added *out, const char *body, size_t len)
{
	json_t *jp;
	const char *leafhex;
	json_int_t seq, size;
	memset(out, 0, sizeof(*out));
	out->doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	out->note = json_string_value(json_object_get(out->doc, "checkpoint"));
	leafhex = json_string_value(json_object_get(out->doc, "leaf"));
	jp = json_object_get(out->doc, "proof");
	seq = json_integer_value(json_object_get(out->doc, "seq"));
	size = json_integer_value(json_object_get(out->doc, "size"));
	if (!out->note || !leafhex || !json_is_array(jp) ||
	    !json_is_integer(json_object_get(out->doc, "seq")) ||
	    !json_is_integer(json_object_get(out->doc, "size")) || seq < 0 || size <= seq ||
	    pl_unhex(out->leaf, PL_HASH_LEN, leafhex, strlen(leafhex)) < 0 ||
	    json_array_size(jp) > 64) {
		pl_added_free(out);
		return pl_error_set(PL_EVERIFY, "the answer is not an entry's proof");
	}
	out->seq = (uint64_t)seq;
	out->size = (uint64_t)size;
	out->duplicate = json_is_true(json_object_get(out->doc, "duplicate"));
	for (size_t i = 0; i < json_array_size(jp); i++) {
		const char *h = json_string_value(json_array_get(jp, i));
		size_t before = out->proof.len;
		if (!h || pl_base64_decode(&out->proof, h, strlen(h)) < 0 ||
		    out->proof.len != before + PL_HASH_LEN) {
			pl_added_free(out);
			return pl_error_set(PL_EVERIFY, "proof hash %zu is not base64 of 32 bytes",
			                    i);
		}
	}
	return PL_OK;
}

void pl_added_free(pl_added *a)
{
	if (!a)
		return;
	json_decref(a->doc);
	pl_buf_free(&a->proof);
	memset(a, 0, sizeof(*a));
}

int pl_remote_submit(pl_remote *r, const pl_submission *s, pl_entry_ref *ref, int *dup)
{
	pl_buf ans = PL_BUF_INIT;
	unsigned char leaf[PL_HASH_LEN];
	pl_added a;
	long status = 0;
	int error;

	memset(&a, 0, sizeof(a));
	if (r->is_file)
		return pl_error_set(PL_EUSAGE,
		                    "%s is a static copy of the log: appends need its "
		                    "server",
		                    r->url);
	for (size_t i = 0; i < s->natt; i++) {
		unsigned char d[PL_HASH_LEN];
		char path[80];
		pl_sha256(d, s->att[i].data, s->att[i].len);
		memcpy(path, "blob/", 5);
		pl_hex(path + 5, d, PL_HASH_LEN);
		if ((error = request(r, &status, &ans, "PUT", path, s->att[i].data, s->att[i].len,
		                     MAX_ANSWER)) < 0)
			goto done;
		if (status != 200 && status != 201) {
			error = refused(r, status, &ans, "an attachment");
			goto done;
		}
	}
	if ((error = request(r, &status, &ans, "POST", "add", s->env, s->len, MAX_ANSWER)) < 0)
		goto done;
	if (status != 200) {
		error = refused(r, status, &ans, "the entry");
		goto done;
	}
	if ((error = pl_remote_parse_added(&a, ans.ptr, ans.len)) < 0) {
		pl_error_prefix(error, "%s/add", r->url);
		goto done;
	}
	pl_merkle_leaf(leaf, s->env, s->len);
	if (memcmp(a.leaf, leaf, PL_HASH_LEN) != 0) {
		error = pl_error_set(PL_EVERIFY, "%s/add: the answer is for another entry", r->url);
		goto done;
	}
	/* the checkpoint must be the log's, consistent with the one seen last */
	if ((error = advance(r, a.note, strlen(a.note))) < 0)
		goto done;
	if (r->cp.size != a.size) {
		error = pl_error_set(PL_EVERIFY,
		                     "%s/add: the answer's size %llu is not its "
		                     "checkpoint's %llu",
		                     r->url, (unsigned long long)a.size,
		                     (unsigned long long)r->cp.size);
		goto done;
	}
	if ((error =
	         pl_merkle_verify_inclusion(a.seq, a.size, leaf, (const unsigned char *)a.proof.ptr,
	                                    a.proof.len / PL_HASH_LEN, r->cp.root)) < 0) {
		pl_error_prefix(error, "%s/add: entry %llu is not in the checkpoint it answered",
		                r->url, (unsigned long long)a.seq);
		goto done;
	}
	ref->seq = a.seq;
	memcpy(ref->leaf, leaf, PL_HASH_LEN);
	ref->commit[0] = '\0';
	if (dup)
		*dup = a.duplicate;
done:
	pl_added_free(&a);
	pl_buf_free(&ans);
	return error;
}
