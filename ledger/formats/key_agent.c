/* key_agent.c - Ed25519 keys held by ssh-agent (draft-miller-ssh-agent):
 * SSH2_AGENTC_REQUEST_IDENTITIES to find the key by its fingerprint,
 * SSH2_AGENTC_SIGN_REQUEST to sign. One connection per request, so that a key
 * survives fork() and threads need no lock; every answer is length-checked
 * and every signature verified before it is handed on. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto_internal.h"
#include "key_internal.h"

#define AGENT_FAILURE 5
#define AGENTC_REQUEST_IDENTITIES 11
#define AGENT_IDENTITIES_ANSWER 12
#define AGENTC_SIGN_REQUEST 13
#define AGENT_SIGN_RESPONSE 14
#define MAX_MESSAGE (256 * 1024) /* OpenSSH's agent drops longer messages */
/* Long enough for a key added with `ssh-add -c`, whose use the user confirms. */
#define TIMEOUT_MS 120000
#define KEY_TYPE "ssh-ed25519"
#define FP_PREFIX "SHA256:"
#define FP_B64_LEN 43 /* 32 bytes of base64 without padding */

static int io_error(const char *sock, const char *what)
{
	return pl_error_set(PL_ERROR, "ssh-agent at %s: %s: %s", sock, what, strerror(errno));
}

static int agent_connect(int *out, const char *sock)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return pl_error_set(PL_EINVALID, "ssh-agent at %s: socket path too long", sock);
	memcpy(sa.sun_path, sock, strlen(sock));
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return io_error(sock, "socket");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int error = io_error(sock, "cannot connect");
		close(fd);
		return error;
	}
	*out = fd;
	return PL_OK;
}

static int send_all(int fd, const char *p, size_t n, const char *sock)
{
	while (n > 0) {
		/* MSG_NOSIGNAL: an agent that hung up must not kill the host with SIGPIPE. */
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return io_error(sock, "send");
		p += w;
		n -= (size_t)w;
	}
	return PL_OK;
}

static int recv_all(int fd, char *p, size_t n, const char *sock)
{
	while (n > 0) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t r;
		int rc = poll(&pfd, 1, TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return io_error(sock, "poll");
		if (rc == 0)
			return pl_error_set(PL_ERROR, "ssh-agent at %s: no answer in %d seconds",
			                    sock, TIMEOUT_MS / 1000);
		if ((r = recv(fd, p, n, 0)) < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return io_error(sock, "recv");
		if (r == 0)
			return pl_error_set(PL_ERROR,
			                    "ssh-agent at %s: connection closed mid-answer", sock);
		p += r;
		n -= (size_t)r;
	}
	return PL_OK;
}

/* Send msg (its 4 length bytes left for us to fill) and read the answer's
 * body (type byte and contents) into reply. */
static int request(pl_buf *reply, const char *sock, pl_buf *msg)
{
	unsigned char be[4];
	uint32_t n;
	int fd = -1, error;

	n = (uint32_t)(msg->len - 4);
	msg->ptr[0] = (char)(n >> 24);
	msg->ptr[1] = (char)(n >> 16);
	msg->ptr[2] = (char)(n >> 8);
	msg->ptr[3] = (char)n;
	if ((error = agent_connect(&fd, sock)) < 0 ||
	    (error = send_all(fd, msg->ptr, msg->len, sock)) < 0 ||
	    (error = recv_all(fd, (char *)be, 4, sock)) < 0)
		goto done;
	n = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
	if (n == 0 || n > MAX_MESSAGE) {
		error = pl_error_set(PL_EINVALID, "ssh-agent at %s: an answer of %u bytes", sock,
		                     (unsigned)n);
		goto done;
	}
	pl_buf_clear(reply);
	if ((error = pl_buf_grow(reply, n)) < 0 || (error = recv_all(fd, reply->ptr, n, sock)) < 0)
		goto done;
	reply->len = n;
	reply->ptr[n] = '\0';
done:
	if (fd >= 0)
		close(fd);
	return error;
}

static int valid_fingerprint(const char *fp)
{
	size_t plen = strlen(FP_PREFIX);

	if (strncmp(fp, FP_PREFIX, plen) != 0 || strlen(fp) != plen + FP_B64_LEN)
		return 0;
	for (const char *p = fp + plen; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '/'))
			return 0;
	return 1;
}

/* The key with fingerprint fp in an SSH2_AGENT_IDENTITIES_ANSWER, or NULL. */
static int find_identity(pl_key **out, const pl_buf *reply, const char *fp, const char *sock)
{
	pl_ssh__reader r = {(const unsigned char *)reply->ptr + 1, reply->len - 1};
	pl_buf kfp = PL_BUF_INIT;
	uint32_t n;
	int error = PL_OK;

	*out = NULL;
	/* Each identity takes at least 8 bytes: two empty strings. */
	if (pl_ssh__get_u32(&r, &n) < 0 || n > r.n / 8)
		return pl_error_set(PL_EINVALID, "ssh-agent at %s: malformed list of keys", sock);
	for (uint32_t i = 0; i < n && !*out; i++) {
		const unsigned char *blob, *comment;
		size_t bloblen, commentlen;
		pl_key *k = NULL;

		if (pl_ssh__get_string(&r, &blob, &bloblen) < 0 ||
		    pl_ssh__get_string(&r, &comment, &commentlen) < 0) {
			error = pl_error_set(PL_EINVALID, "ssh-agent at %s: malformed list of keys",
			                     sock);
			goto done;
		}
		/* Other key types and certificates are not ours to use. */
		if (pl_ssh__key_from_blob(&k, blob, bloblen, "ssh-agent key") < 0)
			continue;
		pl_buf_clear(&kfp);
		if ((error = pl_key_fingerprint(&kfp, k)) < 0) {
			pl_key_free(k);
			goto done;
		}
		if (strcmp(kfp.ptr, fp) == 0)
			*out = k;
		else
			pl_key_free(k);
	}
	if (r.n != 0 && !*out)
		error = pl_error_set(PL_EINVALID, "ssh-agent at %s: malformed list of keys", sock);
done:
	if (error < 0) {
		pl_key_free(*out);
		*out = NULL;
	}
	pl_buf_free(&kfp);
	return error;
}

int pl_key_from_agent(pl_key **out, const char *socket_path, const char *fingerprint)
{
	pl_buf msg = PL_BUF_INIT, reply = PL_BUF_INIT;
	pl_key *k = NULL;
	int error;

	if (!socket_path || !*socket_path)
		return pl_error_set(PL_EUSAGE, "no ssh-agent socket given");
	if (!valid_fingerprint(fingerprint))
		return pl_error_set(PL_EINVALID,
		                    "'%s' is not an OpenSSH fingerprint (\"SHA256:\" and 43 base64 "
		                    "characters, as ssh-keygen -lf prints it)",
		                    fingerprint);
	if ((error = pl_ssh__put_u32(&msg, 0)) < 0 ||
	    (error = pl_buf_putc(&msg, AGENTC_REQUEST_IDENTITIES)) < 0 ||
	    (error = request(&reply, socket_path, &msg)) < 0)
		goto done;
	if ((unsigned char)reply.ptr[0] == AGENT_FAILURE) {
		error =
		    pl_error_set(PL_ERROR, "ssh-agent at %s refused to list its keys", socket_path);
		goto done;
	}
	if ((unsigned char)reply.ptr[0] != AGENT_IDENTITIES_ANSWER) {
		error = pl_error_set(PL_EINVALID,
		                     "ssh-agent at %s: answer of type %u to a request for keys",
		                     socket_path, (unsigned char)reply.ptr[0]);
		goto done;
	}
	if ((error = find_identity(&k, &reply, fingerprint, socket_path)) < 0)
		goto done;
	if (!k) {
		error = pl_error_set(PL_ENOTFOUND, "ssh-agent at %s holds no ssh-ed25519 key %s",
		                     socket_path, fingerprint);
		goto done;
	}
	if ((k->agent_socket = strdup(socket_path)) == NULL) {
		error = pl_error_set(PL_ENOMEM, "out of memory");
		goto done;
	}
	k->has_private = 1;
	*out = k;
	k = NULL;
done:
	pl_key_free(k);
	pl_buf_free(&msg);
	pl_buf_free(&reply);
	return error;
}

static int refused(const pl_key *k, const char *why)
{
	pl_buf fp = PL_BUF_INIT;
	int error;

	pl_key_fingerprint(&fp, k);
	error = pl_error_set(PL_ERROR, "ssh-agent at %s %s %s", k->agent_socket, why,
	                     fp.ptr ? fp.ptr : "");
	pl_buf_free(&fp);
	return error;
}

int pl_key__agent_sign(const pl_key *k, unsigned char sig[64], const void *data, size_t len)
{
	pl_buf msg = PL_BUF_INIT, reply = PL_BUF_INIT, blob = PL_BUF_INIT;
	const char *sock = k->agent_socket;
	const unsigned char *sigblob, *raw;
	size_t sigbloblen, rawlen;
	pl_ssh__reader r, s;
	int error;

	/* The request: length, type, string(key), string(data), flags. */
	if (len > MAX_MESSAGE - 64) {
		error = pl_error_set(PL_ELIMIT,
		                     "ssh-agent at %s: %zu bytes to sign; the agent takes at most "
		                     "%d in a message",
		                     sock, len, MAX_MESSAGE);
		goto done;
	}
	if ((error = pl_ssh__pubkey_blob(&blob, k)) < 0 || (error = pl_ssh__put_u32(&msg, 0)) < 0 ||
	    (error = pl_buf_putc(&msg, AGENTC_SIGN_REQUEST)) < 0 ||
	    (error = pl_ssh__put_string(&msg, blob.ptr, blob.len)) < 0 ||
	    (error = pl_ssh__put_string(&msg, data, len)) < 0 ||
	    (error = pl_ssh__put_u32(&msg, 0)) < 0 || (error = request(&reply, sock, &msg)) < 0)
		goto done;
	if ((unsigned char)reply.ptr[0] == AGENT_FAILURE) {
		error = refused(k, "refused to sign with");
		goto done;
	}
	if ((unsigned char)reply.ptr[0] != AGENT_SIGN_RESPONSE) {
		error = pl_error_set(PL_EINVALID,
		                     "ssh-agent at %s: answer of type %u to a signing request",
		                     sock, (unsigned char)reply.ptr[0]);
		goto done;
	}
	r.p = (const unsigned char *)reply.ptr + 1;
	r.n = reply.len - 1;
	if (pl_ssh__get_string(&r, &sigblob, &sigbloblen) < 0 || r.n != 0) {
		error =
		    pl_error_set(PL_EINVALID, "ssh-agent at %s: malformed signature answer", sock);
		goto done;
	}
	s.p = sigblob;
	s.n = sigbloblen;
	if (!pl_ssh__get_string_eq(&s, KEY_TYPE) || pl_ssh__get_string(&s, &raw, &rawlen) < 0 ||
	    rawlen != 64 || s.n != 0) {
		error = pl_error_set(PL_EINVALID, "ssh-agent at %s: not an ssh-ed25519 signature",
		                     sock);
		goto done;
	}
	if (pl_key_verify(k, raw, data, len) < 0) {
		error = refused(k, "returned a signature that does not verify for");
		goto done;
	}
	memcpy(sig, raw, 64);
done:
	pl_buf_free(&msg);
	pl_buf_free(&reply);
	pl_buf_free(&blob);
	return error;
}
