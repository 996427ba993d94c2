/* Unit tests of ledger/key_agent.c: keys held by ssh-agent. A scripted fake
 * agent (a forked child on a Unix socket) answers well or badly, one
 * behaviour per connection; the real ssh-agent, when installed, must give
 * signatures byte-identical to the key file's (Ed25519 is deterministic),
 * down to the SSHSIG and DSSE fixtures made by ssh-keygen and Python. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto_internal.h"
#include "harness.h"
#include "pl_dsse.h"
#include "pl_key.h"
#include "pl_sshsig.h"
#include "testkey.h"

/* What the fake agent does with one connection. */
typedef enum {
	B_GOOD,      /* the right answer */
	B_FAILURE,   /* SSH_AGENT_FAILURE */
	B_CLOSE,     /* hang up without answering */
	B_HUGE,      /* a length of 0xffffffff */
	B_ZERO,      /* a length of 0 */
	B_SHORT,     /* a length of 100, 10 bytes, hang up */
	B_WRONGTYPE, /* an answer of type 99 */
	B_BADSIG,    /* a signature with a flipped bit */
	B_RSASIG,    /* a signature of type rsa-sha2-512 */
	B_SIG63,     /* a 63-byte signature */
	B_TRAILING,  /* a byte after the signature string */
	B_BADLIST,   /* 1000 keys announced, none sent */
	B_OTHERS     /* a list without the test key */
} behaviour;

typedef struct {
	pid_t pid;
	char sock[4096];
} agent;

static void sock_path(char out[4096], const char *name)
{
	snprintf(out, 4096, "%s/%s", pl_tmpdir(), name);
	if (strlen(out) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		pl_skip("temp dir path too long for a Unix socket");
}

static void put_str(pl_buf *b, const void *p, size_t n)
{
	if (pl_ssh__put_string(b, p, n) < 0)
		_exit(3);
}

/* The body of an identities answer: junk, a certificate type, another
 * Ed25519 key, then (unless others_only) the test key. */
static void identities(pl_buf *out, const pl_key *k, int others_only)
{
	pl_buf blob = PL_BUF_INIT;
	pl_key *other = NULL;
	unsigned char raw[32] = {1};

	pl_buf_putc(out, 12);
	pl_ssh__put_u32(out, others_only ? 3 : 4);
	put_str(out, "\0\0\0\7ssh-rsa\0\0\0\1\1", 16);
	put_str(out, "rsa", 3);
	put_str(&blob, "ssh-ed25519-cert-v01@openssh.com", 32);
	put_str(&blob, raw, 32);
	put_str(out, blob.ptr, blob.len);
	put_str(out, "cert", 4);
	pl_buf_clear(&blob);
	if (pl_key_generate(&other) < 0 || pl_ssh__pubkey_blob(&blob, other) < 0)
		_exit(3);
	put_str(out, blob.ptr, blob.len);
	put_str(out, "other", 5);
	if (!others_only) {
		pl_buf_clear(&blob);
		pl_ssh__pubkey_blob(&blob, k);
		put_str(out, blob.ptr, blob.len);
		put_str(out, "test", 4);
	}
	pl_key_free(other);
	pl_buf_free(&blob);
}

/* The body of a sign response to a request body req (type 13). */
static void sign_response(pl_buf *out, const pl_key *k, const unsigned char *req, size_t n,
                          behaviour b)
{
	pl_ssh__reader r = {req + 1, n - 1};
	pl_buf sig = PL_BUF_INIT;
	const unsigned char *blob, *data;
	size_t bloblen, datalen;
	unsigned char s[64];

	if (pl_ssh__get_string(&r, &blob, &bloblen) < 0 ||
	    pl_ssh__get_string(&r, &data, &datalen) < 0 || pl_key_sign(k, s, data, datalen) < 0)
		_exit(3);
	if (b == B_BADSIG)
		s[7] ^= 1;
	put_str(&sig, b == B_RSASIG ? "rsa-sha2-512" : "ssh-ed25519", b == B_RSASIG ? 12 : 11);
	put_str(&sig, s, b == B_SIG63 ? 63 : 64);
	pl_buf_putc(out, 14);
	put_str(out, sig.ptr, sig.len);
	if (b == B_TRAILING)
		pl_buf_putc(out, 0);
	pl_buf_free(&sig);
}

static int read_n(int fd, void *p, size_t n)
{
	char *c = p;
	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void serve(int lfd, const pl_key *k, const behaviour *script, int n)
{
	for (int i = 0; i < n; i++) {
		pl_buf out = PL_BUF_INIT, framed = PL_BUF_INIT;
		unsigned char be[4], *req;
		uint32_t len;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0 || read_n(fd, be, 4) < 0)
			_exit(3);
		len = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
		if (len == 0 || len > (1 << 20) || (req = malloc(len)) == NULL ||
		    read_n(fd, req, len) < 0)
			_exit(3);
		switch (script[i]) {
		case B_CLOSE:
			break;
		case B_FAILURE:
			pl_buf_putc(&out, 5);
			break;
		case B_WRONGTYPE:
			pl_buf_putc(&out, 99);
			break;
		case B_HUGE:
			pl_buf_put(&framed, "\xff\xff\xff\xff\x0c\0\0\0\0", 9);
			break;
		case B_ZERO:
			pl_buf_put(&framed, "\0\0\0\0", 4);
			break;
		case B_SHORT:
			pl_buf_put(&framed, "\0\0\0\x64\x0c\0\0\0\0\0\0\0\0\0", 14);
			break;
		case B_BADLIST:
			pl_buf_putc(&out, 12);
			pl_ssh__put_u32(&out, 1000);
			break;
		case B_OTHERS:
			identities(&out, k, 1);
			break;
		default:
			if (req[0] == 11)
				identities(&out, k, 0);
			else if (req[0] == 13)
				sign_response(&out, k, req, len, script[i]);
			else
				_exit(3);
		}
		if (out.len) {
			pl_ssh__put_u32(&framed, (uint32_t)out.len);
			pl_buf_put(&framed, out.ptr, out.len);
		}
		if (framed.len && write(fd, framed.ptr, framed.len) != (ssize_t)framed.len)
			_exit(3);
		close(fd);
		free(req);
		pl_buf_free(&out);
		pl_buf_free(&framed);
	}
}

/* A fake agent at <tmpdir>/agent.sock serving script[0..n), one connection each. */
static void fake_start(agent *a, const behaviour *script, int n)
{
	struct sockaddr_un sa;
	pl_key *k = test_key();
	int lfd, ready[2];
	char c;

	sock_path(a->sock, "agent.sock");
	unlink(a->sock);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, a->sock, strlen(a->sock));
	CHECK((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(lfd, 8) == 0);
	CHECK(pipe(ready) == 0);
	fflush(NULL);
	CHECK((a->pid = fork()) >= 0);
	if (a->pid == 0) {
		alarm(30);
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		serve(lfd, k, script, n);
		_exit(0);
	}
	close(ready[1]);
	CHECK(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	close(lfd);
	pl_key_free(k);
}

/* Wait for the fake agent; it must have served its whole script. */
static void fake_end(agent *a)
{
	int status;

	CHECK(waitpid(a->pid, &status, 0) == a->pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	a->pid = 0;
}

static const char *test_fingerprint(void)
{
	static char fp[128];
	pl_buf b = PL_BUF_INIT;

	read_fixture(&b, "key/fingerprint.txt");
	b.ptr[strcspn(b.ptr, "\n")] = '\0';
	snprintf(fp, sizeof(fp), "%s", b.ptr);
	pl_buf_free(&b);
	return fp;
}

/* The last error is code and exactly "ssh-agent at <sock><msg>". */
static void expect_agent_error(int rc, int code, const char *sock, const char *msg)
{
	char want[8192];

	snprintf(want, sizeof(want), "ssh-agent at %s%s", sock, msg);
	if (rc != code)
		pl_test_fail(__FILE__, __LINE__, "returned %d, expected %d (%s)", rc, code,
		             pl_error_last());
	CHECK_STR(pl_error_last(), want);
}

PL_TEST(key, agent_key_signs_like_the_file)
{
	static const behaviour script[] = {B_GOOD, B_GOOD, B_GOOD};
	pl_key *file = test_key(), *k = NULL, *pub = NULL;
	pl_buf fp = PL_BUF_INIT, line = PL_BUF_INIT, want = PL_BUF_INIT;
	unsigned char s1[64], s2[64], raw1[32], raw2[32];
	char path[4096];
	agent a;

	fake_start(&a, script, 3);
	CHECK_OK(pl_key_from_agent(&k, a.sock, test_fingerprint()));
	CHECK(pl_key_has_private(k));
	CHECK_OK(pl_key_fingerprint(&fp, k));
	CHECK_STR(fp.ptr, test_fingerprint());
	pl_key_raw(k, raw1);
	pl_key_raw(file, raw2);
	CHECK(memcmp(raw1, raw2, 32) == 0);
	CHECK_OK(pl_key_openssh(&line, k, "test"));
	read_fixture(&want, "key/test.pub");
	CHECK(strncmp(line.ptr, want.ptr, line.len) == 0);
	for (int i = 0; i < 2; i++) {
		const char *msg = i ? "" : "a message";
		CHECK_OK(pl_key_sign(k, s1, msg, strlen(msg)));
		CHECK_OK(pl_key_sign(file, s2, msg, strlen(msg)));
		CHECK(memcmp(s1, s2, 64) == 0);
		CHECK_OK(pl_key_verify(k, s1, msg, strlen(msg)));
	}
	fake_end(&a);
	CHECK_OK(pl_key_public(&pub, k));
	CHECK(!pl_key_has_private(pub));
	snprintf(path, sizeof(path), "%s/agent.key", pl_tmpdir());
	CHECK_ERR(pl_key_save_private(k, path), PL_EUSAGE);
	CHECK_CONTAINS(pl_error_last(), "held by ssh-agent");
	CHECK(access(path, F_OK) != 0);
	pl_key_free(k);
	pl_key_free(pub);
	pl_key_free(file);
	pl_buf_free(&fp);
	pl_buf_free(&line);
	pl_buf_free(&want);
}

PL_TEST(key, agent_listing_errors)
{
	static const struct {
		behaviour b;
		int code;
		const char *msg;
	} cases[] = {
	    {B_OTHERS, PL_ENOTFOUND, " holds no ssh-ed25519 key "},
	    {B_FAILURE, PL_ERROR, " refused to list its keys"},
	    {B_BADLIST, PL_EINVALID, ": malformed list of keys"},
	    {B_HUGE, PL_EINVALID, ": an answer of 4294967295 bytes"},
	    {B_ZERO, PL_EINVALID, ": an answer of 0 bytes"},
	    {B_CLOSE, PL_ERROR, ": connection closed mid-answer"},
	    {B_SHORT, PL_ERROR, ": connection closed mid-answer"},
	    {B_WRONGTYPE, PL_EINVALID, ": answer of type 99 to a request for keys"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[256];
		pl_key *k = NULL;
		agent a;

		fake_start(&a, &cases[i].b, 1);
		snprintf(msg, sizeof(msg), "%s%s", cases[i].msg,
		         cases[i].b == B_OTHERS ? test_fingerprint() : "");
		expect_agent_error(pl_key_from_agent(&k, a.sock, test_fingerprint()), cases[i].code,
		                   a.sock, msg);
		CHECK(k == NULL);
		fake_end(&a);
	}
}

PL_TEST(key, agent_signing_errors)
{
	static const struct {
		behaviour b;
		int code;
		const char *msg;
	} cases[] = {
	    {B_FAILURE, PL_ERROR, " refused to sign with "},
	    {B_BADSIG, PL_ERROR, " returned a signature that does not verify for "},
	    {B_RSASIG, PL_EINVALID, ": not an ssh-ed25519 signature"},
	    {B_SIG63, PL_EINVALID, ": not an ssh-ed25519 signature"},
	    {B_TRAILING, PL_EINVALID, ": malformed signature answer"},
	    {B_WRONGTYPE, PL_EINVALID, ": answer of type 99 to a signing request"},
	    {B_CLOSE, PL_ERROR, ": connection closed mid-answer"},
	    {B_HUGE, PL_EINVALID, ": an answer of 4294967295 bytes"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		behaviour script[2] = {B_GOOD, cases[i].b};
		unsigned char sig[64];
		char msg[256];
		pl_key *k = NULL;
		agent a;
		int rc;

		fake_start(&a, script, 2);
		CHECK_OK(pl_key_from_agent(&k, a.sock, test_fingerprint()));
		rc = pl_key_sign(k, sig, "m", 1);
		snprintf(msg, sizeof(msg), "%s%s", cases[i].msg,
		         cases[i].msg[0] == ' ' ? test_fingerprint() : "");
		expect_agent_error(rc, cases[i].code, a.sock, msg);
		fake_end(&a);
		pl_key_free(k);
	}
}

PL_TEST(key, agent_gone_or_unreachable)
{
	static const behaviour script[] = {B_GOOD};
	unsigned char sig[64];
	char path[4096], longpath[200];
	pl_key *k = NULL;
	agent a;

	/* The agent answered the listing, then went away: its socket file stays. */
	fake_start(&a, script, 1);
	CHECK_OK(pl_key_from_agent(&k, a.sock, test_fingerprint()));
	fake_end(&a);
	expect_agent_error(pl_key_sign(k, sig, "m", 1), PL_ERROR, a.sock,
	                   ": cannot connect: Connection refused");
	pl_key_free(k);
	k = NULL;
	sock_path(path, "no-such.sock");
	expect_agent_error(pl_key_from_agent(&k, path, test_fingerprint()), PL_ERROR, path,
	                   ": cannot connect: No such file or directory");
	write_tmp(path, "regular.sock", "x", 1);
	CHECK_ERR(pl_key_from_agent(&k, path, test_fingerprint()), PL_ERROR);
	CHECK_CONTAINS(pl_error_last(), ": cannot connect: ");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	expect_agent_error(pl_key_from_agent(&k, longpath, test_fingerprint()), PL_EINVALID,
	                   longpath, ": socket path too long");
	CHECK_ERR(pl_key_from_agent(&k, NULL, test_fingerprint()), PL_EUSAGE);
	CHECK_ERR(pl_key_from_agent(&k, "", test_fingerprint()), PL_EUSAGE);
	CHECK(k == NULL);
}

PL_TEST(key, agent_fingerprint_must_be_exact)
{
	char fp[100], bad[6][128];
	pl_key *k = NULL;

	snprintf(fp, sizeof(fp), "%s", test_fingerprint());
	snprintf(bad[0], 128, "%.20s", fp);         /* a prefix */
	snprintf(bad[1], 128, "%s=", fp);           /* padded */
	snprintf(bad[2], 128, "MD5:%s", fp + 7);    /* another hash */
	snprintf(bad[3], 128, "sha256:%s", fp + 7); /* case */
	snprintf(bad[4], 128, "%s", fp);            /* a character outside base64 */
	bad[4][10] = '-';
	snprintf(bad[5], 128, "%s", "");
	for (int i = 0; i < 6; i++) {
		/* refused before any connection: the socket does not exist */
		CHECK_ERR(pl_key_from_agent(&k, "/nonexistent/agent.sock", bad[i]), PL_EINVALID);
		CHECK_CONTAINS(pl_error_last(), "is not an OpenSSH fingerprint");
		CHECK(k == NULL);
	}
}

PL_TEST(key, agent_message_too_long_for_the_agent)
{
	static const behaviour script[] = {B_GOOD};
	size_t n = 256 * 1024;
	char *big = calloc(1, n);
	unsigned char sig[64];
	pl_key *k = NULL;
	agent a;

	CHECK(big != NULL);
	fake_start(&a, script, 1);
	CHECK_OK(pl_key_from_agent(&k, a.sock, test_fingerprint()));
	fake_end(&a);
	CHECK_ERR(pl_key_sign(k, sig, big, n), PL_ELIMIT);
	CHECK_CONTAINS(pl_error_last(), "262144 bytes to sign");
	pl_key_free(k);
	free(big);
}

/* --- the real ssh-agent --- */

static pid_t real_agent_pid;

static void real_agent_stop(void)
{
	if (real_agent_pid > 0) {
		kill(real_agent_pid, SIGTERM);
		waitpid(real_agent_pid, NULL, 0);
		real_agent_pid = 0;
	}
}

/* ssh-agent -D at <tmpdir>/real.sock, holding the test key (ssh-add). Run
 * under timeout(1), so that it cannot outlive a test killed by a signal. */
static void real_agent_start(char sock[4096])
{
	char key[4096], cmd[16384];
	struct stat st;

	if (system("command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null") != 0)
		pl_skip("ssh-agent or ssh-add not installed");
	sock_path(sock, "real.sock");
	fflush(NULL);
	CHECK((real_agent_pid = fork()) >= 0);
	if (real_agent_pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("timeout", "timeout", "60", "ssh-agent", "-D", "-a", sock, (char *)NULL);
		_exit(127);
	}
	atexit(real_agent_stop);
	for (int i = 0; i < 500 && stat(sock, &st) != 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	CHECK(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode));
	copy_fixture(key, "key/test.openssh", "add.openssh", 0600);
	snprintf(cmd, sizeof(cmd), "SSH_AUTH_SOCK='%s' ssh-add -q '%s' 2>/dev/null", sock, key);
	CHECK(system(cmd) == 0);
}

PL_TEST(key, real_agent_signatures_are_byte_identical)
{
	pl_key *file = test_key(), *k = NULL;
	pl_buf msg = PL_BUF_INIT, want = PL_BUF_INIT, got = PL_BUF_INIT, st = PL_BUF_INIT;
	unsigned char s1[64], s2[64];
	char sock[4096];

	real_agent_start(sock);
	CHECK_OK(pl_key_from_agent(&k, sock, test_fingerprint()));
	for (size_t n = 0; n < 3000; n += 1000) {
		char *m = malloc(n + 1);
		CHECK(m != NULL);
		for (size_t i = 0; i < n; i++)
			m[i] = (char)(i * 7);
		CHECK_OK(pl_key_sign(k, s1, m, n));
		CHECK_OK(pl_key_sign(file, s2, m, n));
		CHECK(memcmp(s1, s2, 64) == 0);
		free(m);
	}
	/* ssh-keygen -Y sign's signature and the Python-made DSSE envelope, exactly */
	read_fixture(&msg, "sshsig/message.txt");
	read_fixture(&want, "sshsig/message.txt.sig");
	CHECK_OK(pl_sshsig_sign(&got, k, "git", msg.ptr, msg.len));
	CHECK_STR(got.ptr, want.ptr);
	pl_buf_clear(&want);
	pl_buf_clear(&got);
	read_fixture(&st, "dsse/statement.json");
	read_fixture(&want, "dsse/envelope.json");
	CHECK_OK(pl_dsse_sign(&got, k, PL_INTOTO_TYPE, st.ptr, st.len));
	CHECK(got.len == want.len && memcmp(got.ptr, want.ptr, want.len) == 0);
	/* a key the agent does not hold */
	{
		pl_key *other = NULL, *none = NULL;
		pl_buf fp = PL_BUF_INIT;
		CHECK_OK(pl_key_generate(&other));
		CHECK_OK(pl_key_fingerprint(&fp, other));
		CHECK_ERR(pl_key_from_agent(&none, sock, fp.ptr), PL_ENOTFOUND);
		pl_key_free(other);
		pl_buf_free(&fp);
	}
	real_agent_stop();
	CHECK_ERR(pl_key_sign(k, s1, "m", 1), PL_ERROR);
	pl_key_free(k);
	pl_key_free(file);
	pl_buf_free(&msg);
	pl_buf_free(&want);
	pl_buf_free(&got);
	pl_buf_free(&st);
}
