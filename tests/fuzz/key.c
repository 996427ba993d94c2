/* Fuzz key files and key lines: pl_key_load_private_ex on a file of mode 0600
 * (PEM PKCS#8 and OpenSSH, plain or protected), pl_key_from_openssh (public
 * lines), pl_trust_parse (a key given literally or as a file). A protected
 * OpenSSH key gets the fixtures' passphrase when its bcrypt rounds are few
 * (at most 2: the real cap, 10000, is a minute per input). */
#include "fuzz.h"
#include "pl_note.h"

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
#define MAX_FUZZ_ROUNDS 2

static const uint8_t *cur;
static size_t cur_size;

static int get_str(const unsigned char **p, size_t *n, const unsigned char **s, uint32_t *len)
{
	if (*n < 4)
		return -1;
	*len = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 | (uint32_t)(*p)[2] << 8 | (*p)[3];
	if (*len > *n - 4)
		return -1;
	*s = *p + 4;
	*p += 4 + *len;
	*n -= 4 + *len;
	return 0;
}

/* The bcrypt rounds of the OpenSSH key in the current input; UINT32_MAX when
 * it cannot tell. Only what the passphrase decision needs. */
static uint32_t openssh_rounds(void)
{
	const char *b, *e;
	pl_buf b64 = PL_BUF_INIT, raw = PL_BUF_INIT;
	const unsigned char *p, *s;
	size_t n;
	uint32_t len, rounds = UINT32_MAX;
	char *str = fuzz_strdup(cur, cur_size);

	if (!(b = strstr(str, OPENSSH_BEGIN)) || !(e = strstr(b, OPENSSH_END)))
		goto done;
	for (b += strlen(OPENSSH_BEGIN); b < e; b++)
		if (*b != '\n' && *b != '\r' && *b != ' ' && *b != '\t')
			pl_buf_putc(&b64, *b);
	if (pl_base64_decode(&raw, b64.ptr ? b64.ptr : "", b64.len) < 0 || raw.len < 15 ||
	    memcmp(raw.ptr, "openssh-key-v1", 15) != 0)
		goto done;
	p = (const unsigned char *)raw.ptr + 15;
	n = raw.len - 15;
	if (get_str(&p, &n, &s, &len) < 0 || get_str(&p, &n, &s, &len) < 0 ||
	    get_str(&p, &n, &s, &len) < 0)
		goto done;
	p = s;
	n = len;
	if (get_str(&p, &n, &s, &len) < 0 || n < 4)
		goto done;
	rounds = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
done:
	free(str);
	pl_buf_free(&b64);
	pl_buf_free(&raw);
	return rounds;
}

static int passphrase(void *ctx, pl_buf *out, const char *path)
{
	(void)ctx;
	if (openssh_rounds() > MAX_FUZZ_ROUNDS)
		return pl_error_set(PL_EINVALID, "%s: fuzz: too many bcrypt rounds", path);
	return pl_buf_puts(out, "test passphrase");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_key_load_opts opts = {0};
	pl_key *k = NULL, *pub = NULL;
	pl_buf comment = PL_BUF_INIT, line = PL_BUF_INIT, name = PL_BUF_INIT;
	const char *path;
	char *str;

	cur = data;
	cur_size = size;
	opts.passphrase = passphrase;
	path = fuzz_file("key", data, size, 0600);
	if (pl_key_load_private_ex(&k, path, &opts) == PL_OK) {
		unsigned char sig[64];
		FUZZ_ASSERT(pl_key_has_private(k));
		FUZZ_ASSERT(pl_key_sign(k, sig, data, size) == PL_OK);
		FUZZ_ASSERT(pl_key_verify(k, sig, data, size) == PL_OK);
	}
	pl_key_free(k);
	k = NULL;

	if (pl_key_from_openssh(&pub, &comment, (const char *)data, size) == PL_OK) {
		pl_key *again = NULL;
		unsigned char a[32], b[32];
		FUZZ_ASSERT(!pl_key_has_private(pub));
		FUZZ_ASSERT(pl_key_openssh(&line, pub, comment.ptr) == PL_OK);
		FUZZ_ASSERT(pl_key_from_openssh(&again, NULL, line.ptr, line.len) == PL_OK);
		pl_key_raw(pub, a);
		pl_key_raw(again, b);
		FUZZ_ASSERT(memcmp(a, b, 32) == 0);
		pl_key_free(again);
	}
	pl_key_free(pub);

	/* a literal with a '/' could name any file: give those only as our file */
	str = fuzz_strdup(data, size);
	if (size && !memchr(data, '/', size) && !memchr(data, '\0', size) &&
	    pl_trust_parse(&k, &name, str, NULL) == PL_OK)
		FUZZ_ASSERT(!pl_key_has_private(k));
	pl_key_free(k);
	k = NULL;
	path = fuzz_file("trust", data, size, 0644);
	if (pl_trust_parse(&k, &name, path, size & 1 ? "test" : NULL) == PL_OK)
		FUZZ_ASSERT(!pl_key_has_private(k));
	pl_key_free(k);
	free(str);
	pl_buf_free(&comment);
	pl_buf_free(&line);
	pl_buf_free(&name);
	return 0;
}
