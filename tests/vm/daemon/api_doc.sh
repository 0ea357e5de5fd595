#!/usr/bin/env bash
# docs/api.md, mechanically: every example exchange in its ```api blocks is
# sent, in document order, to a live storctld (fresh state, RAM disks,
# caches and NVMe-oF made by the examples themselves), and the answer must
# match what the doc shows; every endpoint the doc documents (the routes
# in its "### `METHOD /path`" headings and route tables) must have at least
# one example; and the number of exchanges run must equal the number the
# doc has (counted separately, so a block the parser skips fails the test).
#
# The format (docs/api.md, "Conventions", says it for readers):
#
#   ```api
#   METHOD /path                      the request (path as sent)
#   Header: value                     optional request headers
#   {"json":"body"}                   optional request body (one or more lines)
#   => STATUS [exact|lines]           the expected HTTP status, match mode
#   Header: value                     optional response headers that must be present
#   {"expected":"json"}               optional expected body
#   ```
#
# Several exchanges may share a block (each starts with a METHOD line after
# a blank line).  Expected JSON bodies match as a subset by default: every
# key shown must be there with a matching value (objects recursively;
# arrays have the same length and match element by element); "<any>" matches
# any value.  "exact": the same, and objects have no other keys.  "lines":
# a text body (/metrics) in which every expected line ("..." lines
# excepted) appears as a whole line; a line ending in " <any>" matches any
# value after the name and labels.
#
# "RESTART storctld" (alone, in an api block) stops storctld with SIGTERM
# and starts it again on the same state file.  A ```state block is JSON
# matched (as a subset) against the state file at that point.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/_lib.sh"
need_cmd storctld curl jq awk

DOC=${API_DOC:-$STORCTL_SRC/docs/api.md}
[ -r "$DOC" ] || fail "cannot read $DOC"
X=$_T/examples
mkdir -p "$X"

# Split the ```api blocks into exchanges: $X/N.req (METHOD PATH), N.reqh
# (request headers), N.body, N.want (STATUS MODE), N.wanth (headers),
# N.wantb (expected body), N.line (the doc line of the METHOD line).
awk -v dir="$X" '
	function flush() { if (n > 0 && !have_want) { print "exchange at line " line[n] " has no => line" > "/dev/stderr"; bad = 1 } }
	/^```state[ \t]*$/ {
		flush(); n++; line[n] = NR; have_want = 1; st = 1
		print "STATE -" > (dir "/" n ".req"); print NR > (dir "/" n ".line")
		print "200 subset" > (dir "/" n ".want")
		printf "" > (dir "/" n ".wanth"); printf "" > (dir "/" n ".wantb")
		next
	}
	st && /^```[ \t]*$/ { st = 0; next }
	st { print > (dir "/" n ".wantb"); next }
	/^```api[ \t]*$/ { inblk = 1; start = 1; next }
	inblk && /^```[ \t]*$/ { flush(); inblk = 0; next }
	!inblk { next }
	/^[ \t]*$/ { start = 1; next }
	start && /^RESTART storctld[ \t]*$/ {
		flush(); n++; line[n] = NR; have_want = 1; start = 0; part = "none"
		print "RESTART storctld" > (dir "/" n ".req"); print NR > (dir "/" n ".line")
		next
	}
	start && /^(GET|HEAD|POST|PUT|PATCH|DELETE) \// {
		flush(); n++; line[n] = NR; have_want = 0; part = "reqh"; start = 0
		print $0 > (dir "/" n ".req"); print NR > (dir "/" n ".line")
		printf "" > (dir "/" n ".reqh"); printf "" > (dir "/" n ".body")
		printf "" > (dir "/" n ".wanth"); printf "" > (dir "/" n ".wantb")
		next
	}
	{ start = 0 }
	n == 0 { print "line " NR ": text before the first request in an api block" > "/dev/stderr"; bad = 1; next }
	/^=> [0-9][0-9][0-9]( (exact|lines))?[ \t]*$/ {
		have_want = 1; part = "wanth"
		mode = ($3 == "") ? "subset" : $3
		print $2, mode > (dir "/" n ".want"); next
	}
	(part == "reqh" || part == "wanth") && /^[A-Za-z][A-Za-z0-9-]*: / { print > (dir "/" n "." part); next }
	part == "reqh" || part == "body" { part = "body"; print > (dir "/" n ".body"); next }
	{ part = "wantb"; print > (dir "/" n ".wantb") }
	END { flush(); print n > (dir "/count"); exit bad }
' "$DOC" || fail "docs/api.md: malformed api block (see above)"
n=$(<"$X/count")
# Counted independently of the parser: METHOD lines inside ```api blocks.
doc_n=$(awk '/^```state[ \t]*$/ { c++; next } /^```api[ \t]*$/ { b = 1; next } b && /^```/ { b = 0 }
	b && /^((GET|HEAD|POST|PUT|PATCH|DELETE) \/|RESTART storctld)/ { c++ } END { print c + 0 }' "$DOC")
blocks=$(grep -cE '^```(api|state)[[:space:]]*$' "$DOC")
note "$n exchanges in $blocks api blocks of $DOC"
[ "$n" -ge 1 ] || fail "no api examples in $DOC"
assert_eq "$n" "$doc_n" "exchanges parsed vs METHOD lines in api blocks"
assert_ge "$n" "$blocks" "exchanges vs api blocks"

# Documented endpoints: "### `GET /v1/x`, `POST /v1/x`" headings and table
# rows starting with "| `METHOD /path`".
# shellcheck disable=SC2016 # backquotes are literal
endpoints=$(grep -E '^(### |\| )`(GET|POST|PUT|PATCH|DELETE) /' "$DOC" |
	grep -oE '`(GET|POST|PUT|PATCH|DELETE) /[^` ]*`' | tr -d '`' | sort -u)
[ -n "$endpoints" ] || fail "no documented endpoint found in $DOC"

# jq: does . match $e (subset, or exact when $x)?
# shellcheck disable=SC2016 # jq program
JQ_MATCH='
def m($e; $x):
  . as $a
  | if $e == "<any>" then true
    elif ($e | type) == "object" then
      ($a | type) == "object"
      and all($e | keys[]; . as $k | ($a | has($k)) and ($a[$k] | m($e[$k]; $x)))
      and (if $x then ($a | keys) == ($e | keys) else true end)
    elif ($e | type) == "array" then
      ($a | type) == "array" and ($a | length) == ($e | length)
      and all(range(0; $e | length); . as $i | $a[$i] | m($e[$i]; $x))
    else $a == $e end;
m($want; $exact)'

# The RNBD section exports a RAM disk and tries mappings that need no RDMA
# device (the two modules load without one).
project_modprobe stor_rnbd_server
project_modprobe stor_rnbd_client
start_daemon
checked=0
for ((i = 1; i <= n; i++)); do
	read -r method path <"$X/$i.req"
	where="docs/api.md:$(<"$X/$i.line"): $method $path"
	((i % 25)) || note "exchange $i of $n ($where)"
	if [ "$method" == RESTART ]; then
		stop_daemon
		start_daemon
		checked=$((checked + 1))
		continue
	fi
	if [ "$method" == STATE ]; then
		jq -e --slurpfile w "$X/$i.wantb" --argjson exact false \
			"\$w[0] as \$want | $JQ_MATCH" "$STATE" >/dev/null ||
			fail "$where: the state file does not match the doc.
  doc:   $(jq -cS . "$X/$i.wantb")
  state: $(jq -cS . "$STATE")"
		checked=$((checked + 1))
		continue
	fi
	read -r want_status mode <"$X/$i.want"
	args=(-s --path-as-is -X "$method" -o "$_T/rbody" -D "$_T/rhdrs" -w '%{http_code}')
	[ "$method" != HEAD ] || args=(-s --path-as-is -I -o "$_T/rbody" -D "$_T/rhdrs" -w '%{http_code}')
	ctype=0
	while IFS= read -r h; do
		args+=(-H "$h")
		[[ "${h,,}" != content-type:* ]] || ctype=1
	done <"$X/$i.reqh"
	if [ -s "$X/$i.body" ]; then
		[ "$ctype" = 1 ] || args+=(-H 'Content-Type: application/json')
		args+=(--data-binary "@$X/$i.body")
	fi
	code=$(curl "${args[@]}" "$URL$path") || code=000
	[ "$code" == "$want_status" ] ||
		fail "$where: HTTP $code, the doc says $want_status: $(head -c 400 "$_T/rbody")"
	# Plain bash from here to the one jq call: every process started
	# costs about 0.25 s under TCG, and there are over 100 exchanges.
	if [ -s "$X/$i.wanth" ]; then
		rh=$(<"$_T/rhdrs")
		rh=${rh//$'\r'/}
		while IFS= read -r h; do
			[[ "${rh,,}" == *"${h,,}"* ]] ||
				fail "$where: no response header '$h' in: ${rh//$'\n'/|}"
		done <"$X/$i.wanth"
	fi
	if [ -s "$X/$i.wantb" ]; then
		case $mode in
		lines)
			while IFS= read -r l; do
				[ "$l" != "..." ] || continue
				if [[ "$l" == *" <any>" ]]; then
					awk -v p="${l% <any>} " 'index($0, p) == 1 { f = 1 } END { exit !f }' "$_T/rbody" ||
						fail "$where: the answer has no line '${l% <any>} VALUE'"
				else
					grep -qxF -- "$l" "$_T/rbody" ||
						fail "$where: the answer has no line '$l'"
				fi
			done <"$X/$i.wantb"
			;;
		subset | exact)
			x=false
			[ "$mode" != exact ] || x=true
			# One jq for the match; on failure, find out which part failed.
			if ! jq -e --slurpfile w "$X/$i.wantb" --argjson exact "$x" \
				"\$w[0] as \$want | $JQ_MATCH" "$_T/rbody" >/dev/null 2>&1; then
				jq -e . "$X/$i.wantb" >/dev/null 2>&1 || fail "$where: the doc's expected body is not JSON"
				jq -e . "$_T/rbody" >/dev/null 2>&1 || fail "$where: the answer is not JSON: $(head -c 400 "$_T/rbody")"
				fail "$where: the answer does not match the doc ($mode).
  doc:    $(jq -cS . "$X/$i.wantb")
  answer: $(jq -cS . "$_T/rbody")"
			fi
			;;
		esac
	fi
	checked=$((checked + 1))
done

# Every documented endpoint has an example ({x} in the route is one segment).
missing=()
cat "$X"/*.req >"$_T/all.req"
while read -r em ep; do
	re="^${em} $(sed -E 's/[.]/\\./g; s/\{[^}]*\}/[^\/?]+/g' <<<"$ep")(\\?.*)?\$"
	grep -qE "$re" "$_T/all.req" || missing+=("$em $ep")
done <<<"$endpoints"
[ "${#missing[@]}" == 0 ] || fail "documented endpoints without an example: ${missing[*]}"

# Leave no NVMe-oF export or port behind (RAM disks and caches go with the
# cleanup trap).
api DELETE "/v1/nvmet/exports/srd2"
api DELETE "/v1/nvmet/ports/1"
stop_daemon
assert_eq "$checked" "$doc_n" "examples checked"
pass "$checked examples checked, $(wc -l <<<"$endpoints") endpoints covered"
