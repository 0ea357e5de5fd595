#!/usr/bin/env bash
# ext4 on srd: mkfs.ext4, mount, copy a tree, unmount, fsck -fn is clean,
# remount and every file, link and mode is identical.  Done on a
# 512-byte and on a 4096-byte logical block size disk.
. "$(dirname "$0")/../lib.sh"
need_cmd mkfs.ext4 fsck.ext4 mount umount diff

# The tree: real files from /usr/share/doc plus generated ones of awkward
# sizes (0, 1, 511, 4097, ... bytes, up to 3 MiB), a symlink, a hard link,
# an empty directory and odd modes.
src=$(mktemp -d)
mkdir -p "$src/doc" "$src/gen/empty" "$src"/gen/d{0..6}/e{0..2}
# A few real documentation trees (read over 9p: slow per file, keep it small).
for p in bash fio e2fsprogs; do
	if [ -d "/usr/share/doc/$p" ]; then cp -a "/usr/share/doc/$p" "$src/doc/"; fi
done
sizes=(0 1 511 512 4095 4096 4097 65535 131072 1048577 3145728)
for i in $(seq 0 35); do
	head -c "${sizes[$((i % ${#sizes[@]}))]}" /dev/urandom >"$src/gen/d$((i % 7))/e$((i % 3))/f$i"
done
ln -s ../gen/d0/e0/f0 "$src/gen/link"
ln "$src/gen/d1/e1/f1" "$src/gen/hardlink"
chmod 0600 "$src/gen/d2/e2/f2"
chmod 0755 "$src/gen/d3/e0/f3"
note "tree: $(find "$src" | wc -l) entries, $(du -sk "$src" | cut -f1) KiB"

# manifest DIR: path, type, mode, and for non-directories size, link count
# and symlink target (directory sizes differ between tmpfs and ext4).
manifest() {
	(cd "$1" && find . -mindepth 1 -path ./lost+found -prune -o \
		\( -type d -printf '%p d %m\n' \) -o -printf '%p %y %m %s %n %l\n' | LC_ALL=C sort)
}

mnt=$(mktemp -d)
on_exit "umount '$mnt'"
for lbs in 512 4096; do
	note "logical block size $lbs"
	d=$(srd_create 64M --logical-block-size $lbs)
	run_ok mkfs.ext4 -q -F "/dev/$d"
	run_ok mount "/dev/$d" "$mnt"
	run_ok cp -a "$src/." "$mnt/"
	run_ok umount "$mnt"
	fsck_out=$(fsck.ext4 -fn "/dev/$d" 2>&1) || fail "fsck.ext4 -fn /dev/$d: not clean: $fsck_out"
	# Nothing cached: what we compare comes from the disk.
	drop_caches
	run_ok mount "/dev/$d" "$mnt"
	diff -r --no-dereference "$src" "$mnt" -x lost+found >/dev/null ||
		fail "file contents differ after remount (lbs $lbs)"
	assert_eq "$(manifest "$mnt")" "$(manifest "$src")" "file metadata after remount (lbs $lbs)"
	run_ok umount "$mnt"
	settle
	run_ok "$STORCTL" ramdisk remove "$d" >/dev/null
done

pass
