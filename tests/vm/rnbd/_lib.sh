# shellcheck shell=bash
# tests/vm/rnbd/_lib.sh - helpers of the rnbd VM tests (not a test).
#
#   . "$(dirname "$0")/_lib.sh"      (sources ../lib.sh and _net.sh)
#
#   rnbd_load [SERVER_PARAMS...]     load stor_rnbd_server (with the
#                                    parameters) and stor_rnbd_client
#   rnbd_export ARGS...              write "ARGS" to the server's export file
#   rnbd_map ARGS...                 write "ARGS" to map_device, wait for
#                                    udev, print the new srnbdN
#   rnbd_unmap NAME [normal|force]   unmap, check the device is gone
#   sysfs_write FILE STRING          write STRING to FILE; sets WERR to the
#                                    error text ("" on success), returns 0/1
#   expect_write_err ERRTEXT FILE STRING
#                                    the write must fail with ERRTEXT
#                                    (e.g. "Invalid argument")
#   rnbd_sysfs NAME ATTR             /sys/block/NAME/stor-rnbd/ATTR
#   srv_ctl FILE / clt_ctl FILE      paths of the ctl files

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# shellcheck source=_net.sh
. "$(dirname "${BASH_SOURCE[0]}")/_net.sh"

SRV_CTL=/sys/class/stor-rnbd-server/ctl
CLT_CTL=/sys/class/stor-rnbd-client/ctl

rnbd_load() {
	project_modprobe stor_rnbd_server "$@"
	project_modprobe stor_rnbd_client
	[ -w "$SRV_CTL/export" ] || fail "$SRV_CTL/export missing"
	[ -w "$CLT_CTL/map_device" ] || fail "$CLT_CTL/map_device missing"
}

sysfs_write() {
	local f=$_T/sysfs_write.err
	WERR=""
	if (echo "$2" >"$1") 2>"$f"; then
		return 0
	fi
	WERR=$(<"$f")
	WERR=${WERR##*: }
	[ -n "$WERR" ] || WERR="unknown error"
	return 1
}

expect_write_err() {
	if sysfs_write "$2" "$3"; then
		fail "writing '$3' to $2 succeeded, expected '$1'"
	fi
	[ "$WERR" == "$1" ] || fail "writing '$3' to $2 failed with '$WERR', expected '$1'"
}

rnbd_export() {
	sysfs_write "$SRV_CTL/export" "$*" || fail "export '$*': $WERR"
}

srnbd_names() {
	local p
	for p in /sys/block/srnbd[0-9]*; do
		[ -e "$p" ] && echo "${p##*/}"
	done
	return 0
}

rnbd_map() {
	local before after n
	before=" $(srnbd_names | tr '\n' ' ')"
	sysfs_write "$CLT_CTL/map_device" "$*" || fail "map '$*': $WERR"
	settle
	after=$(srnbd_names)
	for n in $after; do
		[[ "$before" == *" $n "* ]] || { echo "$n"; return 0; }
	done
	fail "map '$*' succeeded but no new srnbd device appeared"
}

rnbd_sysfs() {
	local f=/sys/block/$1/stor-rnbd/$2
	[ -r "$f" ] || fail "$f missing"
	cat "$f"
}

rnbd_unmap() {
	local name=$1 mode=${2:-normal}
	settle
	sysfs_write "/sys/block/$name/stor-rnbd/unmap_device" "$mode" ||
		fail "unmap $name ($mode): $WERR"
	[ ! -e "/sys/block/$name" ] || fail "$name still exists after unmap"
	[ ! -e "/dev/$name" ] || { settle; [ ! -e "/dev/$name" ] || fail "/dev/$name still exists after unmap"; }
}

# Wait up to $2 seconds (default 30) for a command to succeed.
wait_for() {
	local secs=${2:-30} t
	for ((t = 0; t < secs * 10; t++)); do
		eval "$1" && return 0
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for: $1"
}
