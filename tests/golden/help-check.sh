#!/usr/bin/env bash
# Golden tests of storctl's help (ctest "golden.help"): `storctl --help` and
# `storctl PATH --help` for every command path (walking the "Subcommands:"
# sections) must equal tests/golden/help/<path>.txt.  A changed help text
# is a deliberate change: regenerate with
#   tests/golden/help-check.sh build/bin/storctl --update
# and review the diff.
set -uo pipefail
storctl=${1:?storctl binary}
update=${2:-}
dir=$(cd "$(dirname "$0")" && pwd)/help
rc=0
declare -A seen=()

walk() { # walk PATH...
	local name help subs s
	name=$(IFS=-; echo "storctl${*:+-$*}")
	seen[$name.txt]=1
	help=$(COLUMNS=100 "$storctl" "$@" --help 2>&1) || { echo "golden: storctl $* --help failed"; rc=1; return; }
	if [ "$update" = --update ]; then
		mkdir -p "$dir"
		printf '%s\n' "$help" >"$dir/$name.txt"
	elif [ ! -f "$dir/$name.txt" ]; then
		echo "golden: no $dir/$name.txt (new command? run with --update)"
		rc=1
	elif ! diff -u "$dir/$name.txt" <(printf '%s\n' "$help"); then
		echo "golden: storctl $* --help changed (run with --update if intended)"
		rc=1
	fi
	subs=$(awk '/^Subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s && !/^  / { s = 0 }' <<<"$help")
	for s in $subs; do
		walk "$@" "$s"
	done
}
walk
for f in "$dir"/*.txt; do
	[ -e "$f" ] || continue
	[ -n "${seen[${f##*/}]:-}" ] && continue
	if [ "$update" = --update ]; then
		rm -f "$f"
	else
		echo "golden: ${f##*/} has no command any more"
		rc=1
	fi
done
[ $rc = 0 ] && echo "golden: ${#seen[@]} help texts match"
exit $rc
