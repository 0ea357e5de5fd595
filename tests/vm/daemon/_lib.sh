# shellcheck shell=bash
# tests/vm/daemon/_lib.sh - helpers of the storctld VM tests, sourced after
# ../lib.sh (the leading "_" keeps it from being registered as a test):
#
#   PORT URL STATE PIDFILE   the daemon's port, base URL, state file, pid file
#   CURL_EXTRA               extra curl arguments (e.g. an Authorization header)
#   start_daemon             storctld on $PORT with $STATE; returns once it
#                            serves (storctld detaches only when ready); DPID
#   stop_daemon              SIGTERM, wait for the exit, pid file gone
#   wait_gone PID            until the process has exited
#   api METHOD PATH [JSON]   one request; sets CODE, BODY, HDRS
#   want CODE METHOD PATH [JSON]
#                            api, and fail unless the status is CODE
#   want_error CODE ERROR_CODE METHOD PATH [JSON]
#                            want, and the body is an error object with code
#                            ERROR_CODE
#   jqc FILTER               jq -cS FILTER on $BODY
#
# The cleanup trap kills every daemon whose pid file is in $_T.

PORT=${PORT:-9118}
URL=http://127.0.0.1:$PORT
STATE=$_T/lib/state.json
PIDFILE=$_T/storctld.pid
CURL_EXTRA=()

# shellcheck disable=SC2016 # expanded when the hook runs
on_exit 'for p in "$_T"/*.pid; do [ -s "$p" ] && kill -9 "$(<"$p")"; done'

start_daemon() {
	run_ok storctld --listen "127.0.0.1:$PORT" --state-file "$STATE" --pid-file "$PIDFILE"
	DPID=$(<"$PIDFILE")
	kill -0 "$DPID" || fail "storctld (pid $DPID) is not running after start"
}

wait_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "process $1 still running"
}

stop_daemon() {
	kill -TERM "$DPID"
	wait_gone "$DPID"
	[ ! -e "$PIDFILE" ] || fail "pid file left after SIGTERM"
}

api() {
	local method=$1 path=$2 data=${3-}
	local args=(-s --path-as-is -X "$method" -o "$_T/body" -D "$_T/hdrs" -w '%{http_code}')
	if [ -n "$data" ]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$data")
	fi
	CODE=$(curl "${args[@]}" "${CURL_EXTRA[@]}" "$URL$path") || CODE=000
	BODY=$(<"$_T/body")
	# shellcheck disable=SC2034 # for the caller
	HDRS=$(<"$_T/hdrs")
}

want() {
	local code=$1
	shift
	api "$@"
	[ "$CODE" == "$code" ] || fail "$1 $2${3:+ $3}: HTTP $CODE, expected $code: $BODY"
}

want_error() {
	local code=$1 ecode=$2
	shift 2
	want "$code" "$@"
	[[ "$BODY" =~ \{\"error\":\{\"code\":\"([a-z_]+)\",\"message\":\"[^\"]+ ]] ||
		fail "$1 $2: not an error object: $BODY"
	assert_eq "${BASH_REMATCH[1]}" "$ecode" "error code of $1 $2"
}

jqc() { jq -cS "$@" <<<"$BODY"; }
