#!/bin/bash
# mkman.sh BIN OUTDIR - man pages from the binary's own help text: provledger(1)
# from 'provledger help', provledger-CMD(1) from 'provledger help CMD' for every
# command it lists (spaces become dashes: provledger-key-gen.1), and
# provledger-roles(7) from 'provledger help roles'. The text is the --help
# text, so a page cannot disagree with the command.
set -eu
BIN=$1 OUT=$2
mkdir -p "$OUT"
VERSION=$("$BIN" --version | sed 's/^provledger //')
DATE=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}" +%Y-%m-%d)

# roff-safe text: backslashes doubled as \e, a leading . or ' guarded with \&
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/^-/\\-/' ; }

commands() { "$BIN" help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z-]*\( [a-z-]*\)\?\)  .*/\1/p' | sed 's/ *$//'; }

page() { # page NAME SECTION SUMMARY SYNOPSIS BODYFILE
	local name=$1 sec=$2 summary=$3 synopsis=$4 body=$5
	{
		printf '.TH %s %s %s "provledger %s" "provledger manual"\n' \
			"$(echo "$name" | tr a-z A-Z)" "$sec" "$DATE" "$VERSION"
		printf '.SH NAME\n%s \\- %s\n' "$name" "$(printf '%s' "$summary" | esc)"
		if [ -n "$synopsis" ]; then
			printf '.SH SYNOPSIS\n.nf\n%s\n.fi\n' "$(printf '%s' "$synopsis" | esc)"
		fi
		printf '.SH DESCRIPTION\n.nf\n'
		esc <"$body"
		printf '.fi\n'
		printf '.SH EXIT STATUS\n0 success; 1 a finding (matches, a failed verification, a policy finding);\n2 a usage error; 3 bad input or a runtime error.\n'
		printf '.SH SEE ALSO\n'
		if [ "$name" = provledger ]; then
			commands | sed 's/ /-/g; s/^/provledger-/; s/$/(1),/' | tr '\n' ' ' | sed 's/, $/\n/'
			printf 'provledger-roles(7)\n'
		else
			printf 'provledger(1), provledger-roles(7)\n'
		fi
	} >"$OUT/$name.$sec"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$BIN" help | sed '1,/^$/d' >"$tmp"
page provledger 1 "$("$BIN" help | sed -n 3p)" "provledger [--ledger DIR] [--json] [--quiet] [--dry-run] COMMAND [ARGS]" "$tmp"
commands | while read -r c; do
	"$BIN" help $c >"$tmp.full" # "key gen": two words
	synopsis=$(sed -n '1s/^usage: //p' "$tmp.full")
	summary=$(sed -n 3p "$tmp.full")
	sed '1,4d' "$tmp.full" >"$tmp"
	page "provledger-${c// /-}" 1 "$summary" "$synopsis" "$tmp"
done
rm -f "$tmp.full"
"$BIN" help roles >"$tmp"
page provledger-roles 7 "who grants each role and who signs what" "" "$tmp"
