/* bundle_fixture DIR - build the fixture ledger of tests/bundle_fixture.h in
 * DIR and print the ids of its works W1 and W2, for the CLI tests of export and verify-bundle
 * (until `model register` and `attest` exist on the command line). */
#include <stdio.h>

#include "bundle_fixture.h"

int main(int argc, char **argv)
{
	fix_ledger f;
	int error;

	if (argc != 2) {
		fprintf(stderr, "usage: bundle_fixture DIR\n");
		return 2;
	}
	error = fix_build(&f, argv[1]);
	if (error < 0)
		fprintf(stderr, "bundle_fixture: %s\n", pl_error_last());
	else
		printf("W1 %s\nW2 %s\n", f.w1, f.w2);
	fix_free(&f);
	return error < 0 ? 3 : 0;
}
