/* forge_entry DIR MODE BUNDLE - the malicious operator of tests/cli/review17.sh:
 * builds the fixture ledger of tests/bundle_fixture.h in DIR, then forces one
 * entry that the rules refuse into the log (pl_ledger__append with check = 0:
 * the operator's signatures are valid, only the entry's meaning is wrong),
 * and writes the bundle of big@1 (seq 15) through the same handle (reopening
 * the ledger would refuse the entry). Prints "SEQ COMMIT" of the forced entry.
 *
 *   licence-by-lab   a training licence on big@1 signed by the lab key, saying
 *                    "issuer_role": "authority"
 *   self-authority   a training licence on big@1 by a key that declares
 *                    authority but was never granted it
 *
 * Exit 0, or 3 with a message; BUNDLE is not written when export refuses
 * (then "export refused: ..." goes to stderr and the exit is still 0). */
#include <stdio.h>
#include <string.h>

#include "bundle_fixture.h"
#include "ledger_internal.h"
#include "pl_bundle.h"

static int fail(const char *what)
{
	fprintf(stderr, "forge_entry: %s: %s\n", what, pl_error_last());
	return 3;
}

int main(int argc, char **argv)
{
	fix_ledger f;
	pl_key *signer = NULL, *fake = NULL;
	pl_buf env = PL_BUF_INIT;
	pl_entry_ref forced;
	char hex[65], created[32];
	json_t *pred;
	int rc = 0;

	if (argc != 4 ||
	    (strcmp(argv[2], "licence-by-lab") != 0 && strcmp(argv[2], "self-authority") != 0)) {
		fprintf(stderr, "usage: forge_entry DIR licence-by-lab|self-authority BUNDLE\n");
		return 2;
	}
	if (fix_build(&f, argv[1]) < 0) {
		rc = fail("fixture");
		goto done;
	}
	signer = f.lab;
	if (strcmp(argv[2], "self-authority") == 0) {
		if (pl_key_generate(&fake) < 0 ||
		    pl_ledger_register_key(f.l, NULL, fake, fake, "self-made", "authority", NULL,
		                           NULL) < 0) {
			rc = fail("register the self-made authority");
			goto done;
		}
		signer = fake;
	}
	pl_rfc3339(created, pl_ledger_time(f.l));
	pl_hex(hex, f.ref[15].leaf, 32);
	pred = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "created", created, "kind",
	                 "training-licence", "subject", fix_ref(&f.ref[15], "big@1"), "issuer_role",
	                 "authority", "max_training_flop", "1e26", "conditions", "none");
	if (pl_entry__sign(&env, signer, "attestation",
	                   json_pack("[{s:s, s:{s:s}}]", "name",
	                             "attestation:training-licence:big@1", "digest", "sha256", hex),
	                   pred) < 0 ||
	    pl_ledger__append(f.l, &forced, env.ptr, env.len, NULL, 0, 0) < 0) {
		rc = fail("force the entry");
		goto done;
	}
	printf("%llu %s\n", (unsigned long long)forced.seq, forced.commit);
	if (pl_bundle_write(f.l, argv[3], PL_BUNDLE_MODEL, 15, NULL) < 0)
		fprintf(stderr, "export refused: %s\n", pl_error_last());
done:
	pl_buf_free(&env);
	pl_key_free(fake);
	fix_free(&f);
	return rc;
}
