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
need_cmd storctld jq awk

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

# jq: m($e; $x): does . match $e (subset, or exact when $x)?
# shellcheck disable=SC2016 # jq program
JQ_MATCH_DEF='
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
'

# The RNBD section exports a RAM disk and tries mappings that need no RDMA
# device (the two modules load without one).
project_modprobe stor_rnbd_server
project_modprobe stor_rnbd_client
start_daemon
checked=0
# JSON matches are batched: the answers (and state-file snapshots) are kept
# as $X/N.got, and one jq checks them all after the loop (every process
# start costs about 0.25 s under TCG; requests go over /dev/tcp, see
# _lib.sh).  "$X/jsonchecks" lists N and exact (true/false) per match.
: >"$X/jsonchecks"
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
		cp "$STATE" "$X/$i.got"
		echo "$i false" >>"$X/jsonchecks"
		checked=$((checked + 1))
		continue
	fi
	read -r want_status mode <"$X/$i.want"
	reqh=()
	ctype=0
	while IFS= read -r h; do
		reqh+=("$h")
		[[ "${h,,}" != content-type:* ]] || ctype=1
	done <"$X/$i.reqh"
	reqb=""
	if [ -s "$X/$i.body" ]; then
		IFS= read -r -d '' reqb <"$X/$i.body" || true
		[ "$ctype" = 1 ] || reqh+=('Content-Type: application/json')
	fi
	http "$method" "$path" "$reqb" "${reqh[@]}"
	[ "$CODE" == "$want_status" ] ||
		fail "$where: HTTP $CODE, the doc says $want_status: ${BODY:0:400}"
	if [ -s "$X/$i.wanth" ]; then
		while IFS= read -r h; do
			[[ "${HDRS,,}" == *"${h,,}"* ]] ||
				fail "$where: no response header '$h' in: ${HDRS//$'\n'/|}"
		done <"$X/$i.wanth"
	fi
	if [ -s "$X/$i.wantb" ]; then
		case $mode in
		lines)
			while IFS= read -r l; do
				[ "$l" != "..." ] || continue
				if [[ "$l" == *" <any>" ]]; then
					[[ $'\n'"$BODY" == *$'\n'"${l% <any>} "* ]] ||
						fail "$where: the answer has no line '${l% <any>} VALUE'"
				else
					[[ $'\n'"$BODY"$'\n' == *$'\n'"$l"$'\n'* ]] ||
						fail "$where: the answer has no line '$l'"
				fi
			done <"$X/$i.wantb"
			;;
		subset | exact)
			printf '%s\n' "$BODY" >"$X/$i.got"
			x=false
			[ "$mode" != exact ] || x=true
			echo "$i $x" >>"$X/jsonchecks"
			;;
		esac
	fi
	checked=$((checked + 1))
done

# Leave no NVMe-oF export or port behind, also when a
# match below fails (RAM disks and caches go with the
# cleanup trap).
api DELETE "/v1/nvmet/exports/srd2"
api DELETE "/v1/nvmet/ports/1"

# The JSON matches: one jq over "exact, expected, answer" triples, which
# prints the N of each mismatch.  If it cannot even parse them, or finds a
# mismatch, the slow path below names the first bad exchange and why.
mapfile -t jc <"$X/jsonchecks"
files=()
for c in "${jc[@]}"; do
	read -r i x <<<"$c"
	echo "$x" >"$X/$i.exact"
	files+=("$X/$i.exact" "$X/$i.wantb" "$X/$i.got")
done
note "${#jc[@]} JSON answers to match"
bad=""
if [ "${#jc[@]}" -gt 0 ] && ! bad=$(jq -n -r "$JQ_MATCH_DEF"'
	[inputs] as $v | range(0; $v | length; 3) as $k
	| select($v[$k + 2] | m($v[$k + 1]; $v[$k]) | not) | $k / 3' "${files[@]}" 2>&1); then
	bad="jq failed: $bad"
fi
if [ -n "$bad" ]; then
	if [[ "$bad" =~ ^[0-9$'\n']+$ ]]; then
		# The mismatches jq named, first one first.
		sel=()
		for k in $bad; do sel+=("${jc[k]}"); done
		jc=("${sel[@]}")
	fi
	for c in "${jc[@]}"; do
		read -r i x <<<"$c"
		read -r method path <"$X/$i.req"
		where="docs/api.md:$(<"$X/$i.line"): $method $path"
		jq -e . "$X/$i.wantb" >/dev/null 2>&1 || fail "$where: the doc's expected body is not JSON"
		jq -e . "$X/$i.got" >/dev/null 2>&1 ||
			fail "$where: the answer is not JSON: $(head -c 400 "$X/$i.got")"
		jq -e --slurpfile w "$X/$i.wantb" --argjson exact "$x" \
			"$JQ_MATCH_DEF"' $w[0] as $want | m($want; $exact)' "$X/$i.got" >/dev/null 2>&1 ||
			fail "$where: the answer does not match the doc (exact: $x).
  doc:    $(jq -cS . "$X/$i.wantb")
  answer: $(jq -cS . "$X/$i.got")"
	done
	fail "the batched JSON match failed, the per-exchange one did not: $bad"
fi

# Every documented endpoint has an example ({x} in the route is one segment).
missing=()
reqs=()
for ((i = 1; i <= n; i++)); do reqs+=("$(<"$X/$i.req")"); done
while read -r em ep; do
	p=${ep//./\\.}
	while [[ "$p" =~ ^(.*)\{[^}]*\}(.*)$ ]]; do p="${BASH_REMATCH[1]}[^/?]+${BASH_REMATCH[2]}"; done
	re="^${em} ${p}(\\?.*)?\$"
	found=0
	for r in "${reqs[@]}"; do
		[[ "$r" =~ $re ]] && { found=1; break; }
	done
	[ "$found" = 1 ] || missing+=("$em $ep")
done <<<"$endpoints"
[ "${#missing[@]}" == 0 ] || fail "documented endpoints without an example: ${missing[*]}"

stop_daemon
assert_eq "$checked" "$doc_n" "examples checked"
pass "$checked examples checked, $(wc -l <<<"$endpoints") endpoints covered"
