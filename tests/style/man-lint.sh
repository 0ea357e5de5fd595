#!/usr/bin/env bash
# Render each man page given with man(1) at 80 columns; any warning (groff
# or man) or a missing page fails.  Run by ctest as "lint.man".
set -uo pipefail
rc=0
for page in "$@"; do
	if [ ! -s "$page" ]; then
		echo "man-lint: $page missing or empty (is scdoc installed?)"
		rc=1
		continue
	fi
	warn=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	if [ -n "$warn" ]; then
		echo "man-lint: $page:"
		echo "$warn"
		rc=1
	elif ! MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^NAME'; then
		echo "man-lint: $page renders without a NAME section"
		rc=1
	else
		echo "man-lint: $page ok"
	fi
done
exit $rc
