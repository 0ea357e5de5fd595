# shellcheck shell=bash
# tests/vm/daemon/_lib.sh - helpers of the storctld VM tests, sourced after
# ../lib.sh (the leading "_" keeps it from being registered as a test):
#
#   PORT URL STATE PIDFILE   the daemon's port, base URL, state file, pid file
#   API_HEADERS              extra request headers (e.g. an Authorization header)
#   start_daemon             storctld on $PORT with $STATE; returns once it
#                            serves (storctld detaches only when ready); DPID
#   stop_daemon              SIGTERM, wait for the exit, pid file gone
#   wait_gone PID            until the process has exited
#   http METHOD PATH [DATA] [HEADER...]
#                            one HTTP/1.1 request to 127.0.0.1:$PORT over
#                            bash's /dev/tcp; sets CODE, BODY, HDRS
#   api METHOD PATH [JSON|@FILE]
#                            http with API_HEADERS, and Content-Type JSON
#                            when there is a body; curl for a body from a
#                            file (it sends big ones after a 100-continue)
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
API_HEADERS=()

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

# No curl here: under TCG every process start costs about 0.25 s (a
# /dev/tcp request about 0.015 s), and the daemon tests make hundreds of
# requests.  Connection: close, so the answer is everything up to EOF.
http() {
	local method=$1 path=$2 data=${3-} fd req resp h LC_ALL=C
	shift 3 2>/dev/null || shift $#
	req="$method $path HTTP/1.1"$'\r\n'"Host: 127.0.0.1:$PORT"$'\r\n'"Accept: */*"$'\r\n'
	req+="Connection: close"$'\r\n'
	for h in "$@"; do req+="$h"$'\r\n'; done
	[ -z "$data" ] || req+="Content-Length: ${#data}"$'\r\n'
	req+=$'\r\n'"$data"
	CODE=000 BODY="" HDRS=""
	# (exec's redirections would stay: keep 2>/dev/null outside it)
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null || return 0
	printf "%s" "$req" 1>&"$fd" || true
	IFS= read -r -d '' resp <&"$fd" || true
	exec {fd}<&-
	[[ "$resp" == *$'\r\n\r\n'* ]] || return 0
	HDRS=${resp%%$'\r\n\r\n'*}
	BODY=${resp#*$'\r\n\r\n'}
	[[ "$HDRS" =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] && CODE=${BASH_REMATCH[1]}
	if [[ "${HDRS,,}" == *$'\r\n'"transfer-encoding: chunked"* ]]; then
		local in=$BODY n
		BODY=
		while [[ "$in" == *$'\r\n'* ]]; do
			n=$((16#${in%%[;$'\r']*}))
			((n > 0)) || break
			in=${in#*$'\r\n'}
			BODY+=${in:0:n}
			in=${in:n+2}
		done
	fi
	# As $(<file) would have it (the tests compare against that).
	while [[ "$BODY" == *$'\n' ]]; do BODY=${BODY%$'\n'}; done
	HDRS=${HDRS//$'\r'/}
	return 0
}

api() {
	local method=$1 path=$2 data=${3-} h args hdrs=("${API_HEADERS[@]}")
	if [[ "$data" == @* ]]; then
		args=(-s --path-as-is -X "$method" -o "$_T/body" -D "$_T/hdrs" -w '%{http_code}'
			-H 'Content-Type: application/json' --data-binary "$data")
		for h in "${API_HEADERS[@]}"; do args+=(-H "$h"); done
		CODE=$(curl "${args[@]}" "$URL$path") || CODE=000
		BODY=$(<"$_T/body")
		HDRS=$(<"$_T/hdrs")
		HDRS=${HDRS//$'\r'/}
	else
		[ -z "$data" ] || hdrs=("Content-Type: application/json" "${hdrs[@]}")
		http "$method" "$path" "$data" "${hdrs[@]}"
	fi
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
