#!/usr/bin/env bash
# Inside the benchmark VM (started by bench/daemon/run): storctld with 10
# RAM disks, wrk against GET /v1/ramdisks and GET /metrics with 1 and 16
# connections, BENCH_RUNS runs of BENCH_RUNTIME seconds each.  Appends
# "route<TAB>connections<TAB>run<TAB>requests/s<TAB>p99 ms" lines to
# $VM_RESULTS/results.tsv and the daemon's RSS (KiB) before and after to
# $VM_RESULTS/rss.tsv.
set -euo pipefail

RUNTIME=${BENCH_RUNTIME:-5}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-4}
out=$VM_RESULTS/results.tsv
: >"$out"
say() { echo "[bench] $*"; }
die() { echo "bench: $*" >&2; exit 1; }

say "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
for _ in $(seq 0 9); do
	storctl ramdisk create 16M >/dev/null
done
udevadm settle 2>/dev/null || true
tmp=$(mktemp -d)
storctld --listen 127.0.0.1:9118 --threads "$THREADS" --state-file "$tmp/state.json" \
	--pid-file "$tmp/pid" --log-level warning
pid=$(<"$tmp/pid")
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
n=$(curl -s http://127.0.0.1:9118/v1/ramdisks | jq length)
[ "$n" = 10 ] || die "GET /v1/ramdisks lists $n disks, not 10"
rss0=$(rss)
say "storctld pid $pid, $THREADS threads, RSS $rss0 KiB"

# wrk prints "Requests/sec: N" and, with --latency, "99% 1.23ms".
to_ms() {
	awk '{ v = $1; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	       if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
	       printf "%.3f\n", v }'
}
for run in $(seq 1 "$RUNS"); do
	for route in /v1/ramdisks /metrics; do
		for c in 1 16; do
			o=$(wrk -t "$([ $c = 1 ] && echo 1 || echo 2)" -c "$c" -d "${RUNTIME}s" --latency \
				"http://127.0.0.1:9118$route")
			rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$o")
			p99=$(awk '$1 == "99%" { print $2 }' <<<"$o" | to_ms)
			errs=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$o")
			[ -z "$errs" ] || die "$route, $c connections: $errs non-2xx answers"
			printf '%s\t%s\t%s\t%s\t%s\n' "$route" "$c" "$run" "$rps" "$p99" >>"$out"
			say "run $run $route c=$c: $rps req/s, p99 $p99 ms"
		done
	done
done
rss1=$(rss)
printf 'before\t%s\nafter\t%s\n' "$rss0" "$rss1" >"$VM_RESULTS/rss.tsv"
say "RSS before $rss0 KiB, after $rss1 KiB"
kill -TERM "$pid"
say "done"
