#!/bin/bash
# install.sh - 'make install DESTDIR=... PREFIX=...' puts the binary, the
# library, its headers, provledger.pc, the man pages and the bash completion
# where they belong; a program built with 'pkg-config provledger' against the
# installed copy links and runs; every page renders without a groff warning
# and says what --help says; the completion completes commands and options.
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
BUILDDIR=$(dirname "$PL")
DEST="$T/root"
P=/opt/pl

run make -s -C "$ROOT" install BUILD="$BUILDDIR" DESTDIR="$DEST" PREFIX="$P"
expect "make install" 0
for f in bin/provledger lib/libprovledger.a lib/pkgconfig/provledger.pc \
	include/provledger/pl_ledger.h include/provledger/pl_hash.h \
	share/man/man1/provledger.1 share/man/man1/provledger-check.1 \
	share/man/man1/provledger-key-gen.1 share/man/man7/provledger-roles.7 \
	share/bash-completion/completions/provledger; do
	check "installed: $f" [ -s "$DEST$P/$f" ]
done
check "the binary is executable" [ -x "$DEST$P/bin/provledger" ]
run "$DEST$P/bin/provledger" --version
expect_out "the installed binary runs" "provledger "
check "no private header is installed" [ -z "$(ls "$DEST$P/include/provledger" | grep -v '^pl_')" ]
check "nothing outside DESTDIR" [ ! -e "$P" ]

# one man page per command of 'provledger help', plus provledger(1)
ncmd=$("$PL" help | sed -n '/^Commands:/,/^$/p' | grep -c '^  [a-z]')
check "a page per command" [ "$(ls "$DEST$P/share/man/man1" | wc -l)" = $((ncmd + 1)) ]
warn=0
for f in "$DEST$P"/share/man/man*/*; do
	if [ -n "$(groff -man -Tutf8 -ww -z "$f" 2>&1)" ]; then
		warn=1
		bad "man: $(basename "$f") renders without warnings" "$(groff -man -Tutf8 -ww -z "$f" 2>&1 | head -3)"
	fi
done
[ $warn = 0 ] && ok "man: every page renders without a groff warning"
MANWIDTH=200 man -l "$DEST$P/share/man/man1/provledger-key-gen.1" >page.txt 2>/dev/null
check "man provledger-key-gen: NAME" grep -q 'provledger-key-gen - generate an Ed25519 key pair' page.txt
check "man provledger-key-gen: the synopsis is the usage line" \
	grep -qF -- "$("$PL" help key gen | sed -n '1s/^usage: //p')" page.txt
check "man provledger-key-gen: the text of --help" \
	grep -qF "Refuses to overwrite an existing PREFIX.key or PREFIX.pub (exit 3)." page.txt
MANWIDTH=200 man -l "$DEST$P/share/man/man7/provledger-roles.7" >roles.txt 2>/dev/null
check "man provledger-roles(7): the roles table" grep -q 'authority *operator' roles.txt
MANWIDTH=200 man -l "$DEST$P/share/man/man1/provledger.1" >main.txt 2>/dev/null
check "man provledger(1): SEE ALSO every command page" grep -q 'provledger-verify-bundle(1)' main.txt
# a backslash and a leading dot in help text survive
check "man: help text with a backslash is kept" \
	sh -c "MANWIDTH=200 man -l '$DEST$P/share/man/man1/provledger-lineage.1' 2>/dev/null | grep -qF '\\n, \\xNN'"

# a program against the installed library, found by pkg-config
cat >prog.c <<'EOF'
#include <stdio.h>
#include "pl_common.h"
#include "pl_hash.h"
int main(void)
{
	unsigned char d[PL_HASH_LEN];
	char hex[65];
	pl_sha256(d, "abc", 3);
	pl_hex(hex, d, PL_HASH_LEN);
	printf("%s %s\n", PL_VERSION, hex);
	return 0;
}
EOF
export PKG_CONFIG_PATH="$DEST$P/lib/pkgconfig"
PC="--define-variable=prefix=$DEST$P" # the staged copy stands in for PREFIX
run pkg-config "$PC" --modversion provledger
expect_out "pkg-config finds provledger" "0."
SANF=
[ "${SAN:-}" = 1 ] && SANF="-fsanitize=address,undefined"
# shellcheck disable=SC2046
run cc $SANF -o prog prog.c $(pkg-config "$PC" --cflags --libs provledger)
expect "a program builds with pkg-config --cflags --libs provledger" 0
run ./prog
expect_out "it runs: SHA-256 of abc" "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

# bash completion, from the binary's help
cat >comp.sh <<EOF
PATH="$DEST$P/bin:\$PATH"
. "$DEST$P/share/bash-completion/completions/provledger"
c() { COMP_WORDS=("\$@"); COMP_CWORD=\$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _provledger; echo "\${COMPREPLY[*]}"; }
EOF
comp() { bash -c ". ./comp.sh; c $*"; }
check "complete: commands" [ "$(comp provledger verify)" = "verify verify-bundle" ]
check "complete: a group's sub-commands" [ "$(comp provledger key '""')" = "gen register grant revoke-grant list allowed-signers" ]
check "complete: a command's options" [ "$(comp provledger dataset register --na)" = "--name" ]
check "complete: after global options" [ "$(comp provledger --ledger L lin)" = "lineage" ]
check "complete: --role values" [ "$(comp provledger key gen --role ev)" = "evaluator" ]
check "complete: attestation kinds" [ "$(comp provledger attest d)" = "deployment-approval" ]
check "complete: options of an attestation" [ "$(comp provledger attest claim --wo)" = "--work" ]
check "complete: options listed once" [ "$(comp provledger check --js)" = "--json" ]
touch shard-a.jsonl
check "complete: files for shards" [ "$(comp provledger hash shard-)" = "shard-a.jsonl" ]

finish
