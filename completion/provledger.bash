# bash completion for provledger                       -*- shell-script -*-
#
# Commands, sub-commands and options are read from the binary's own help
# ('provledger help', 'provledger help CMD'), so they cannot go stale.
# Installed by 'make install' to $(PREFIX)/share/bash-completion/completions.

_provledger_commands() {
	"$1" help 2>/dev/null | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z-]*\( [a-z-]*\)\?\)  .*/\1/p' | sed 's/ *$//'
}

_provledger() {
	local bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i w cmd="" sub="" npos=0 groups words opts
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	command -v "$bin" >/dev/null 2>&1 || bin=provledger

	# values of options
	case $prev in
	--role)
		mapfile -t COMPREPLY < <(compgen -W "authority witness auditor lab evaluator rights-holder" -- "$cur")
		return ;;
	--type)
		mapfile -t COMPREPLY < <(compgen -W "key grant work check dataset model attestation" -- "$cur")
		return ;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "text json dot txt jsonl tar parquet raw" -- "$cur")
		return ;;
	--fail-on)
		mapfile -t COMPREPLY < <(compgen -W "error warning" -- "$cur")
		return ;;
	--split)
		mapfile -t COMPREPLY < <(compgen -W "blank-line" -- "$cur")
		return ;;
	--ledger)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--key | --out | --trust | --files-from | --weights | --since | --operator-key | --from | --statement-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac

	# the command words typed so far (global options and their values skipped)
	groups=$(_provledger_commands "$bin" | sed -n 's/^\([a-z-]*\) .*/\1/p' | sort -u)
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--ledger) i=$((i + 1)) ;;
		-*) ;;
		*)
			if [ -z "$cmd" ]; then
				cmd=$w
			elif [ -z "$sub" ] && printf '%s\n' $groups | grep -qx -- "$cmd"; then
				sub=$w
			else
				npos=$((npos + 1))
			fi ;;
		esac
	done

	if [ -z "$cmd" ] && [[ $cur != -* ]]; then
		words=$(_provledger_commands "$bin" | sed 's/ .*//' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$words help" -- "$cur")
		return
	fi
	if [ -n "$cmd" ] && [ -z "$sub" ] && printf '%s\n' $groups | grep -qx -- "$cmd" && [[ $cur != -* ]]; then
		words=$(_provledger_commands "$bin" | sed -n "s/^$cmd \\(.*\\)/\\1/p")
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return
	fi
	if [ "$cmd" = help ]; then
		words=$(_provledger_commands "$bin" | sed 's/ .*//' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$words roles" -- "$cur")
		return
	fi
	if [ "$cmd" = attest ] && [ "$npos" -eq 0 ] && [[ $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "training-licence evaluation deployment-approval claim revocation" -- "$cur")
		return
	fi
	if [[ $cur == -* ]]; then
		opts="--ledger --json --quiet --dry-run --help"
		if [ -n "$cmd" ]; then
			# shellcheck disable=SC2086
			opts="$opts $("$bin" help $cmd $sub 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)"
		else
			opts="$opts --version"
		fi
		opts=$(printf "%s\n" $opts | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -o filenames -F _provledger provledger
