#!/usr/bin/env bash
# Check cli/completion/storctl.bash against storctl itself: for every
# command path (walking the "Subcommands:" sections of --help), completing
# "storctl PATH <TAB>" offers exactly its subcommands and "storctl PATH
# --<TAB>" offers every --option its --help lists.  Run by ctest as
# "lint.completion": STORCTL (the binary) and the completion file as args.
set -uo pipefail
storctl=${1:?storctl binary}
comp=${2:?completion file}
# shellcheck disable=SC1090
. "$comp"
rc=0

complete_words() { # complete_words WORD...: COMPREPLY for the last word
	COMP_WORDS=(storctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_storctl
	printf '%s\n' "${COMPREPLY[@]}" | sort -u
}

check() { # check PATH...
	local help subs opts got missing
	help=$("$storctl" "$@" --help 2>&1) || { echo "completion: storctl $* --help failed"; rc=1; return; }
	subs=$(awk '/^Subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s && !/^  / { s = 0 }' <<<"$help" | sort -u)
	got=$(complete_words "$@" "" | grep -v '^-' || true)
	if [ -n "$subs" ] && [ "$got" != "$subs" ]; then
		echo "completion: 'storctl $* <TAB>' offers [$(xargs <<<"$got")], --help lists [$(xargs <<<"$subs")]"
		rc=1
	fi
	# Options: the "--name" at the start of each line of the Options: section.
	opts=$(awk '/^Options:/ { s = 1; next } s && /^[^ ]/ { s = 0 }
		s && match($0, /^  (-[a-zA-Z],)?--[a-z][a-z-]*/) { o = substr($0, RSTART, RLENGTH); sub(/^ *(-[a-zA-Z],)?/, "", o); print o }' \
		<<<"$help" | sort -u)
	got=$(complete_words "$@" "--")
	missing=$(comm -23 <(echo "$opts") <(echo "$got"))
	if [ -n "$missing" ]; then
		echo "completion: 'storctl $* --<TAB>' lacks: $(xargs <<<"$missing")"
		rc=1
	fi
	local s
	for s in $subs; do
		check "$@" "$s"
	done
	echo "completion: storctl $* ok ($(wc -w <<<"$subs") subcommands, $(wc -w <<<"$opts") options)"
}
check
# Values of a few options.
[ "$(complete_words cache create --mode "" | xargs)" = "wa wb wt" ] || { echo "completion: --mode values"; rc=1; }
[ "$(complete_words nvmet port add --transport r | xargs)" = "rdma" ] || { echo "completion: --transport values"; rc=1; }
exit $rc
