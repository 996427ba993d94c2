/* Fuzz the subject index's parsers (pl_subjects.h): a subject's refs text
 * (pl_refs_parse), the signed note of its root (pl_subjects_note_parse) and a
 * subject proof (pl_subject_proof_root). By the first byte of the input:
 *  0  refs: the first line names the subject, the whole input is its text;
 *  1  a note text, which must format back to the same bytes;
 *  2  a proof: subject length (u8), subject, refs length (u16 LE, 0xffff: no
 *     refs), refs, then the members (64 bytes each; the input's last
 *     16 x 32 bytes are the path). */
#include "fuzz.h"
#include "pl_subjects.h"

static void refs_mode(const uint8_t *d, size_t size)
{
	const uint8_t *nl = memchr(d, '\n', size);
	char subject[PL_SUBJ_MAX];
	pl_refs r = {0};
	size_t sl = nl ? (size_t)(nl - d) : size;
	if (sl >= sizeof(subject) || memchr(d, '\0', sl))
		return;
	memcpy(subject, d, sl);
	subject[sl] = '\0';
	if (pl_refs_parse(&r, subject, (const char *)d, size) == PL_OK) {
		for (size_t i = 0; i < r.n; i++) {
			FUZZ_ASSERT(memchr(r.v[i].label, '\0', sizeof(r.v[i].label)) != NULL);
			FUZZ_ASSERT(r.v[i].label[0] != '\0');
			FUZZ_ASSERT(i == 0 || r.v[i].seq >= r.v[i - 1].seq);
		}
	}
	pl_refs_free(&r);
}

static void note_mode(const uint8_t *d, size_t size)
{
	char origin[256];
	uint64_t n;
	unsigned char root[PL_HASH_LEN];
	pl_buf b = PL_BUF_INIT;
	if (pl_subjects_note_parse((const char *)d, size, origin, &n, root) < 0)
		return;
	FUZZ_ASSERT(memchr(origin, '\0', sizeof(origin)) != NULL);
	if (pl_subjects_note_format(&b, origin, n, root) == PL_OK)
		FUZZ_ASSERT(b.len == size && memcmp(b.ptr, d, size) == 0);
	pl_buf_free(&b);
}

static void proof_mode(const uint8_t *d, size_t size)
{
	unsigned char root[PL_HASH_LEN], path[PL_SUBJ_LEVELS][PL_HASH_LEN];
	char subject[256];
	const char *refs = NULL;
	size_t sl, rl;

	if (size < 1 + PL_SUBJ_LEVELS * PL_HASH_LEN)
		return;
	memcpy(path, d + size - sizeof(path), sizeof(path));
	size -= sizeof(path);
	sl = d[0];
	if (1 + sl + 2 > size)
		return;
	memcpy(subject, d + 1, sl);
	subject[sl] = '\0';
	d += 1 + sl;
	size -= 1 + sl;
	rl = (size_t)d[0] | (size_t)d[1] << 8;
	d += 2;
	size -= 2;
	if (rl != 0xffff) {
		if (rl > size)
			return;
		refs = (const char *)d;
		d += rl;
		size -= rl;
	} else {
		rl = 0;
	}
	int rc = pl_subject_proof_root(root, subject, refs, rl, d, size / (2 * PL_HASH_LEN), path);
	FUZZ_ASSERT(rc == PL_OK || rc == PL_EINVALID);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		refs_mode(data + 1, size - 1);
		break;
	case 1:
		note_mode(data + 1, size - 1);
		break;
	default:
		proof_mode(data + 1, size - 1);
	}
	return 0;
}
