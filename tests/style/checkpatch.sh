#!/usr/bin/env bash
# Run the kernel's checkpatch.pl (from Debian's linux-source-6.1) over every
# kernel source file of storctl and fail on any error or warning.
# usage: checkpatch.sh SRC_DIR CACHE_DIR
set -euo pipefail
src=${1:?source dir}
cache=${2:?cache dir}
tarball=$(ls /usr/src/linux-source-6.*.tar.xz 2>/dev/null | head -n1 || true)
cp="$cache/checkpatch/scripts/checkpatch.pl"

if [ ! -x "$cp" ]; then
	[ -n "$tarball" ] || { echo "linux-source-6.1 is not installed (scripts/install-deps)" >&2; exit 1; }
	top=$(basename "$tarball" .tar.xz)
	mkdir -p "$cache/checkpatch"
	tar -xJf "$tarball" -C "$cache/checkpatch" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi

mapfile -t files < <(cd "$src" && find kernel include -name '*.[ch]' | sort)
[ ${#files[@]} -gt 0 ] || { echo "no kernel sources found under $src" >&2; exit 1; }

rc=0
for f in "${files[@]}"; do
	out=$(cd "$src" && "$cp" --no-tree --strict --terse --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE \
		-f "$f" 2>&1) || true
	if grep -qE ': (ERROR|WARNING|CHECK):' <<<"$out"; then
		echo "$out"
		rc=1
	fi
done
[ $rc -eq 0 ] && echo "checkpatch: ${#files[@]} files clean"
exit $rc
