/*
 * witness.c - a c2sp.org/tlog-witness witness (pl_witness.h): add-checkpoint
 * checked against the state, cosigned, the state replaced atomically; and
 * its HTTP service (libmicrohttpd).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pl_client.h"
#include "pl_hash.h"
#include "pl_ledger.h"
#include "pl_note.h"
#include "pl_serve.h"
#include "pl_witness.h"

#define MAX_BODY ((size_t)64 << 10)
#define MAX_PROOF 63

struct pl_witness {
	char *dir, *name;
	const pl_key *key;
	pl_witness_log *logs;
	char **origins;
	pl_key **keys;
	size_t nlogs;
	pthread_mutex_t lk; /* one request at a time in this process (DIR/lock across them) */
};

int pl_witness_open(pl_witness **out, const char *state_dir, const char *name, const pl_key *key,
                    const pl_witness_log *logs, size_t nlogs)
{
	pl_witness *w = calloc(1, sizeof(*w));
	pl_buf vk = PL_BUF_INIT;
	int error = PL_OK;
	if (!w)
		return pl_error_set(PL_ENOMEM, "out of memory");
	pthread_mutex_init(&w->lk, NULL);
	if (!pl_key_has_private(key)) {
		error = pl_error_set(PL_EUSAGE, "the witness key must be a private key");
		goto done;
	}
	/* the name must be a signed-note key name */
	if ((error = pl_cosig_verifier_key(&vk, name, key)) < 0)
		goto done;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		error = pl_error_set(PL_ERROR, "%s: %s", state_dir, strerror(errno));
		goto done;
	}
	if (!(w->dir = strdup(state_dir)) || !(w->name = strdup(name)) ||
	    !(w->origins = calloc(nlogs ? nlogs : 1, sizeof(*w->origins))) ||
	    !(w->keys = calloc(nlogs ? nlogs : 1, sizeof(*w->keys)))) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	w->key = key; /* borrowed: the caller's key outlives the witness */
	for (size_t i = 0; i < nlogs; i++) {
		if (!(w->origins[i] = strdup(logs[i].origin)) ||
		    (error = pl_key_public(&w->keys[i], logs[i].key)) < 0) {
			if (error == PL_OK)
				error = pl_error_set(PL_ENOMEM, "out of memory");
			goto done;
		}
		w->nlogs = i + 1;
	}
done:
	pl_buf_free(&vk);
	if (error < 0) {
		pl_witness_free(w);
	} else {
		*out = w;
	}
	return error;
}

void pl_witness_free(pl_witness *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nlogs; i++) {
		free(w->origins[i]);
		pl_key_free(w->keys[i]);
	}
	free(w->origins);
	free(w->keys);
	free(w->dir);
	free(w->name);
	pthread_mutex_destroy(&w->lk);
	free(w);
}

static void state_file(pl_buf *out, const pl_witness *w, const char *origin)
{
	pl_buf_clear(out);
	pl_buf_printf(out, "%s/", w->dir);
	pl_path_escape(out, origin);
}

int pl_witness_state(pl_witness *w, pl_buf *note, const char *origin)
{
	pl_buf path = PL_BUF_INIT;
	int error;
	state_file(&path, w, origin);
	if (access(path.ptr, F_OK) != 0)
		error = pl_error_set(PL_ENOTFOUND, "no checkpoint of %s cosigned yet", origin);
	else
		error = pl_read_file(note, path.ptr, MAX_BODY);
	pl_buf_free(&path);
	return error;
}

/* DIR/lock held (fcntl) while a request is checked and the state replaced:
 * two witness processes on one state directory cannot interleave. */
static int lock_dir(const pl_witness *w, int *fd)
{
	pl_buf path = PL_BUF_INIT;
	struct flock fl;
	int error = PL_OK;
	pl_buf_printf(&path, "%s/lock", w->dir);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if ((*fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    fcntl(*fd, F_SETLKW, &fl) < 0) {
		error = pl_error_set(PL_ERROR, "%s: %s", path.ptr, strerror(errno));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	pl_buf_free(&path);
	return error;
}

/* The rename of a state file durable too (a power loss must not bring back
 * the state before a cosignature that was answered). */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
	if (fd < 0)
		return pl_error_set(PL_ERROR, "%s: %s", dir, strerror(errno));
	rc = fsync(fd);
	close(fd);
	return rc < 0 ? pl_error_set(PL_ERROR, "fsync %s: %s", dir, strerror(errno)) : PL_OK;
}

static int say(pl_buf *answer, int *status, int code, const char *fmt, ...) PL_PRINTF(4, 5);
static int say(pl_buf *answer, int *status, int code, const char *fmt, ...)
{
	va_list ap;
	char msg[600];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl_buf_clear(answer);
	pl_buf_puts(answer, msg);
	pl_buf_putc(answer, '\n');
	*status = code;
	return PL_OK;
}

/* Parse "old N\n", at most 63 base64 hashes, "\n": *note is what follows. */
static int parse_request(const char *body, size_t len, uint64_t *old, pl_buf *proof,
                         const char **note, size_t *nlen, char *why, size_t whylen)
{
	const char *p = body, *end = body + len, *nl;
	size_t lines = 0;
	if (len < 6 || memcmp(body, "old ", 4) != 0 || !(nl = memchr(body, '\n', len))) {
		snprintf(why, whylen, "the body must start with an \"old N\" line");
		return -1;
	}
	*old = 0;
	for (const char *d = body + 4; d < nl; d++) {
		if (*d < '0' || *d > '9' || (d == body + 4 && *d == '0' && d + 1 < nl) ||
		    *old > (UINT64_MAX - 9) / 10) {
			snprintf(why, whylen,
			         "the old size is not a decimal without leading zeroes");
			return -1;
		}
		*old = *old * 10 + (uint64_t)(*d - '0');
	}
	if (nl == body + 4) {
		snprintf(why, whylen, "the old size is empty");
		return -1;
	}
	p = nl + 1;
	for (;;) {
		size_t before = proof->len;
		if (p >= end || !(nl = memchr(p, '\n', (size_t)(end - p)))) {
			snprintf(why, whylen, "no empty line before the checkpoint");
			return -1;
		}
		if (nl == p)
			break;
		if (++lines > MAX_PROOF) {
			snprintf(why, whylen, "more than %d consistency proof lines", MAX_PROOF);
			return -1;
		}
		if (pl_base64_decode(proof, p, (size_t)(nl - p)) < 0 ||
		    proof->len != before + PL_HASH_LEN) {
			snprintf(why, whylen,
			         "consistency proof line %zu is not base64 of 32 bytes", lines);
			return -1;
		}
		p = nl + 1;
	}
	*note = nl + 1;
	*nlen = (size_t)(end - *note);
	return 0;
}

int pl_witness_add(pl_witness *w, const char *body, size_t len, int64_t now, int *status,
                   pl_buf *answer)
{
	pl_buf proof = PL_BUF_INIT, text = PL_BUF_INIT, prev = PL_BUF_INIT, path = PL_BUF_INIT,
	       state = PL_BUF_INIT, sig = PL_BUF_INIT;
	const char *note, *nl;
	char why[200], origin[256];
	size_t nlen, li = 0;
	uint64_t old;
	pl_checkpoint cp, pc;
	int lockfd = -1, error = PL_OK, trusted = -1, have_prev = 0;

	if (parse_request(body, len, &old, &proof, &note, &nlen, why, sizeof(why)) < 0) {
		error = say(answer, status, 400, "%s", why);
		goto done;
	}
	if (!(nl = memchr(note, '\n', nlen)) || (size_t)(nl - note) >= sizeof(origin) ||
	    nl == note) {
		error = say(answer, status, 400, "not a checkpoint: no origin line");
		goto done;
	}
	memcpy(origin, note, (size_t)(nl - note));
	origin[nl - note] = '\0';
	for (li = 0; li < w->nlogs && trusted < 0; li++)
		if (strcmp(w->origins[li], origin) == 0 &&
		    pl_note_verify(&text, note, nlen, origin, w->keys[li]) == PL_OK)
			trusted = (int)li;
	if (trusted < 0) {
		int known = 0;
		for (size_t i = 0; i < w->nlogs; i++)
			known |= strcmp(w->origins[i], origin) == 0;
		error = known ? say(answer, status, 403,
		                    "the checkpoint of %s is not signed by a key this witness "
		                    "trusts for it",
		                    origin)
		              : say(answer, status, 404, "this witness does not follow %s", origin);
		goto done;
	}
	if (pl_checkpoint_parse(&cp, text.ptr, text.len) < 0) {
		error = say(answer, status, 400, "not a checkpoint: %s", pl_error_last());
		goto done;
	}
	if (old > cp.size) {
		error = say(answer, status, 400, "old size %llu is above the checkpoint's %llu",
		            (unsigned long long)old, (unsigned long long)cp.size);
		goto done;
	}
	/* check against the state and replace it atomically */
	pthread_mutex_lock(&w->lk);
	if ((error = lock_dir(w, &lockfd)) < 0)
		goto unlock;
	state_file(&path, w, origin);
	if (access(path.ptr, F_OK) == 0) {
		if ((error = pl_read_file(&prev, path.ptr, MAX_BODY)) < 0)
			goto unlock;
		if ((error = pl_note_verify(&state, prev.ptr, prev.len, origin, w->keys[trusted])) <
		        0 ||
		    (error = pl_checkpoint_parse(&pc, state.ptr, state.len)) < 0) {
			pl_error_prefix(error, "witness state %s", path.ptr);
			goto unlock;
		}
		have_prev = 1;
	}
	if (old != (have_prev ? pc.size : 0)) {
		pl_buf_clear(answer);
		pl_buf_printf(answer, "%llu\n", (unsigned long long)(have_prev ? pc.size : 0));
		*status = 409;
		goto unlock;
	}
	if (have_prev && old == cp.size) {
		if (memcmp(pc.root, cp.root, PL_HASH_LEN) != 0) {
			say(answer, status, 409,
			    "a checkpoint of size %llu with another root was cosigned before: a "
			    "fork",
			    (unsigned long long)cp.size);
			goto unlock;
		}
	} else if (old == 0) {
		if (proof.len) {
			say(answer, status, 422, "the consistency proof from size 0 must be empty");
			goto unlock;
		}
	} else if (pl_merkle_verify_consistency(old, cp.size, pc.root, cp.root,
	                                        (const unsigned char *)proof.ptr,
	                                        proof.len / PL_HASH_LEN) < 0) {
		say(answer, status, 422,
		    "the consistency proof does not lead from the size %llu cosigned to %llu",
		    (unsigned long long)old, (unsigned long long)cp.size);
		goto unlock;
	}
	if (now < 0)
		now = 0;
	if ((error = pl_cosig_sign(&sig, text.ptr, text.len, w->name, w->key, (uint64_t)now)) < 0)
		goto unlock;
	/* persisted before it is answered */
	if ((!have_prev || old != cp.size) &&
	    ((error = pl_write_file_atomic(path.ptr, note, nlen, 0600)) < 0 ||
	     (error = sync_dir(w->dir)) < 0))
		goto unlock;
	pl_buf_clear(answer);
	pl_buf_put(answer, sig.ptr, sig.len);
	*status = 200;
unlock:
	if (lockfd >= 0)
		close(lockfd);
	pthread_mutex_unlock(&w->lk);
done:
	pl_buf_free(&proof);
	pl_buf_free(&text);
	pl_buf_free(&prev);
	pl_buf_free(&path);
	pl_buf_free(&state);
	pl_buf_free(&sig);
	return error;
}

/* ---- HTTP ------------------------------------------------------------------- */

typedef struct {
	pl_buf body;
	int too_big;
} wreq;

typedef struct {
	pl_witness *w;
	FILE *log;
} wserver;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const pl_buf *b)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    b->len, b->ptr ? b->ptr : (void *)"", MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result whandler(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
	wserver *s = cls;
	wreq *r = *con_cls;
	pl_buf ans = PL_BUF_INIT;
	int status = 500;
	enum MHD_Result ok;
	(void)version;
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->body.len + *upload_size > MAX_BODY)
			r->too_big = 1;
		else if (pl_buf_put(&r->body, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/add-checkpoint") != 0) {
		pl_buf_puts(&ans, "no such resource\n");
		status = 404;
	} else if (strcmp(method, "POST") != 0) {
		pl_buf_puts(&ans, "add-checkpoint takes POST\n");
		status = 405;
	} else if (r->too_big) {
		pl_buf_printf(&ans, "the body is over %zu bytes\n", MAX_BODY);
		status = 413;
	} else if (pl_witness_add(s->w, r->body.ptr ? r->body.ptr : "", r->body.len,
	                          (int64_t)time(NULL), &status, &ans) < 0) {
		pl_buf_clear(&ans);
		pl_buf_printf(&ans, "%s\n", pl_error_last());
		status = 500;
	}
	if (s->log) {
		fprintf(s->log, "%s %s: %d %.*s", method, url, status,
		        (int)(ans.len > 200 ? 200 : ans.len), ans.ptr ? ans.ptr : "");
		if (!ans.len || ans.ptr[ans.len - 1] != '\n')
			fputc('\n', s->log);
		fflush(s->log);
	}
	ok = reply(c, (unsigned)status,
	           status == 409 && ans.len && ans.ptr[0] >= '0' && ans.ptr[0] <= '9'
	               ? "text/x.tlog.size"
	               : "text/plain; charset=utf-8",
	           &ans);
	pl_buf_free(&ans);
	return ok;
}

static void wcompleted(void *cls, struct MHD_Connection *c, void **con_cls,
                       enum MHD_RequestTerminationCode toe)
{
	wreq *r = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (r) {
		pl_buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

int pl_witness_serve(pl_witness *w, const char *listen, unsigned timeout,
                     void (*ready)(void *ctx, unsigned port), void *ready_ctx, FILE *log,
                     volatile sig_atomic_t *stop)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct MHD_Daemon *d;
	wserver s = {w, log};
	int error;
	if ((error = pl_serve_parse_listen(listen, &ss, &sslen)) < 0)
		return error;
	d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL,
	    NULL, whandler, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout ? timeout : 15u, MHD_OPTION_NOTIFY_COMPLETED,
	    wcompleted, &s, MHD_OPTION_END);
	if (!d)
		return pl_error_set(PL_ERROR,
		                    "cannot listen on %s (in use, or not an address here)", listen);
	if (ready) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		ready(ready_ctx, di ? di->port : 0);
	}
	while (!*stop) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d);
	return PL_OK;
}

/* ---- the operator's side: asking a witness ------------------------------------- */

static int post_checkpoint(const char *url, uint64_t old, const pl_buf *proof, const pl_buf *note,
                           long *status, pl_buf *ans)
{
	pl_buf body = PL_BUF_INIT, u = PL_BUF_INIT;
	int error;
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	pl_buf_printf(&u, "%.*s/add-checkpoint", (int)n, url);
	pl_buf_printf(&body, "old %llu\n", (unsigned long long)old);
	for (size_t i = 0; i + PL_HASH_LEN <= proof->len; i += PL_HASH_LEN) {
		pl_base64_encode(&body, (const unsigned char *)proof->ptr + i, PL_HASH_LEN);
		pl_buf_putc(&body, '\n');
	}
	pl_buf_putc(&body, '\n');
	pl_buf_put(&body, note->ptr, note->len);
	error = pl_http_post(u.ptr, "text/plain; charset=utf-8", body.ptr, body.len, status, ans,
	                     1 << 16, 30);
	pl_buf_free(&body);
	pl_buf_free(&u);
	return error;
}

int pl_witness_ask(const char *url, const char *name, const pl_key *key, const pl_buf *note,
                   uint64_t old, const pl_buf *proof, long *status, pl_buf *line,
                   uint64_t *their_size)
{
	pl_buf ans = PL_BUF_INIT;
	const char *p, *end;
	int error;
	pl_buf_clear(line);
	if ((error = post_checkpoint(url, old, proof, note, status, &ans)) < 0)
		goto done;
	while (ans.len && ans.ptr[ans.len - 1] == '\n')
		ans.ptr[--ans.len] = '\0';
	if (*status == 409 && ans.len && ans.ptr[0] >= '0' && ans.ptr[0] <= '9' &&
	    strspn(ans.ptr, "0123456789") == ans.len) {
		*their_size = strtoull(ans.ptr, NULL, 10);
		goto done;
	}
	if (*status != 200) {
		error = pl_error_set(*status == 409 || *status == 422 ? PL_EVERIFY : PL_ERROR,
		                     "%s refused the checkpoint (HTTP %ld): %.300s", url, *status,
		                     ans.ptr ? ans.ptr : "");
		goto done;
	}
	/* the line by the witness we asked, verified on the checkpoint */
	for (p = ans.ptr, end = ans.ptr + ans.len; p < end && !line->len;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		pl_buf one = PL_BUF_INIT;
		pl_buf_put(&one, note->ptr, note->len);
		pl_buf_put(&one, p, n);
		pl_buf_putc(&one, '\n');
		if (pl_cosig_verify(NULL, one.ptr, one.len, name, key) == PL_OK) {
			pl_buf_put(line, p, n);
			pl_buf_putc(line, '\n');
		}
		pl_buf_free(&one);
		p += n + 1;
	}
	if (!line->len)
		error =
		    pl_error_set(PL_EVERIFY, "%s answered no valid cosignature by %s", url, name);
done:
	pl_buf_free(&ans);
	return error;
}

int pl_witness_request(pl_ledger *l, const char *url, const char *name, const pl_key *key,
                       uint64_t *old_size, pl_buf *line)
{
	pl_buf note = PL_BUF_INIT, proof = PL_BUF_INIT;
	uint64_t size = pl_ledger_size(l), old = *old_size, theirs = UINT64_MAX;
	long status = 0;
	int error, tries = 0;

	if ((error = pl_ledger_checkpoint_at(l, &note, size)) < 0)
		goto done;
	for (;;) {
		pl_buf_clear(&proof);
		if (old > size) {
			error = pl_error_set(PL_EVERIFY,
			                     "%s has cosigned size %llu of %s, larger than this "
			                     "ledger's %llu: it saw another history (a fork)",
			                     url, (unsigned long long)old, pl_ledger_origin(l),
			                     (unsigned long long)size);
			goto done;
		}
		if (old > 0 && old < size &&
		    (error = pl_ledger_prove_consistency(l, &proof, old, size)) < 0)
			goto done;
		theirs = UINT64_MAX;
		if ((error = pl_witness_ask(url, name, key, &note, old, &proof, &status, line,
		                            &theirs)) < 0)
			goto done;
		if (status == 409 && theirs != UINT64_MAX && tries++ == 0) {
			old = theirs; /* the size it cosigned last: prove from it */
			continue;
		}
		break;
	}
	if (status != 200) {
		error = pl_error_set(
		    PL_EVERIFY, "%s refused the checkpoint of size %llu: it cosigned size %llu",
		    url, (unsigned long long)size, (unsigned long long)theirs);
		goto done;
	}
	if ((error = pl_ledger_add_cosignature(l, size, line->ptr, line->len)) < 0)
		goto done;
	*old_size = size;
done:
	pl_buf_free(&note);
	pl_buf_free(&proof);
	return error;
}
