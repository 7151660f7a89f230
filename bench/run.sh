#!/usr/bin/env bash
# Backbone vs etcd 3.4 side by side: the same client (bench/Backbone.Bench), the same machine,
# one server after the other, each on a fresh temp data dir and free loopback ports. Prints a
# markdown table and writes it to bench/results/latest.md. About 9 minutes, plus any build.
#
# Environment (all optional):
#   BENCH_DURATION   measured seconds per point (8)
#   BENCH_WARMUP     warm-up seconds per point (2)
#   BENCH_SETTLE     seconds of unmeasured load on each fresh server before its first point
#                    (60; 0 skips it): see settle_in in bench/lib.sh
#   CHECK_PERF_LOAD  etcdctl check perf --load (s; each load runs 60 s; none skips it)
#   BENCH_ONLY       "backbone" or "etcd" to run one server (the other column stays empty)
#   BENCH_MEMORY     0 skips the memory point (1M keys of 100 bytes, about a minute per server)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

duration="${BENCH_DURATION:-8}"
warmup="${BENCH_WARMUP:-2}"
settle_s="${BENCH_SETTLE:-60}"
check_perf_load="${CHECK_PERF_LOAD:-s}"
only="${BENCH_ONLY:-}"
host=127.0.0.1 # never anything else: this script loads only the local machine

for tool in etcd etcdctl dotnet; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install etcd-server etcd-client)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/backbone-bench.XXXXXX)"
. "$root/bench/lib.sh"
server_pid=""

cleanup() {
  local status=$?
  stop_server
  if [ "$status" -ne 0 ]; then
    show_logs run.sh
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "run.sh: building the CLI and the load generator (Release) ..." >&2
./backbone --help >/dev/null
dotnet build bench/Backbone.Bench -c Release --nologo -v q >"$work/bench-build.log" 2>&1 || { cat "$work/bench-build.log" >&2; exit 1; }
bench_dll="$root/bench/Backbone.Bench/bin/Release/net10.0/Backbone.Bench.dll"

# Stops the run when the server under test has died (its log is shown on exit).
require_server() {
  kill -0 "$server_pid" 2>/dev/null && return
  echo "run.sh: $name (pid $server_pid) exited during the run" >&2
  exit 1
}

# One point: appends the generator's RESULT line to $results; a failed point is reported and skipped.
point() {
  local label=$1
  shift
  local line
  require_server
  if line="$(dotnet "$bench_dll" --endpoint "$host:$port" --server-pid "$server_pid" \
      --duration "$duration" --warmup "$warmup" --label "$label" "$@" 2>>"$work/$name.bench.log")"; then
    echo "$line" >>"$results"
    echo "  $name ${line#RESULT }" >&2
  else
    echo "  $name $label FAILED (see below)" >&2
    tail -5 "$work/$name.bench.log" >&2
  fi
}

# etcdctl check perf paces itself (150 writes/s for load s over 60 s): a latency check.
check_perf() {
  local out="$work/$name.check-perf.log"
  require_server
  etcdctl --endpoints "$host:$port" check perf --load="$check_perf_load" >"$out" 2>&1 || true
  tr '\r' '\n' <"$out" | grep -a -E '^(PASS|FAIL|Error)' >"$out.summary" || true
  local tput slowest stddev verdict
  # Not from the summary: etcdctl prints this line right after its progress bar, on the same line.
  tput="$(tr '\r' '\n' <"$out" | grep -a -o -E 'Throughput is [0-9]+' | tail -1 | awk '{print $3}' || true)"
  slowest="$(grep -o -E 'Slowest request took [0-9.]+' "$out.summary" | awk '{print $4}' || true)"
  stddev="$(grep -o -E 'Stddev is [0-9.]+' "$out.summary" | awk '{print $3}' || true)"
  verdict="$(grep -x -E 'PASS|FAIL' "$out.summary" | tail -1 || true)"
  local line="RESULT label=check-perf-$check_perf_load op=check-perf load=$check_perf_load throughput_wps=${tput:-–} slowest_s=${slowest:-–} stddev_s=${stddev:-–} result=${verdict:-error}"
  echo "$line" >>"$results"
  echo "  $name ${line#RESULT }" >&2
  if [ -z "$verdict" ]; then
    echo "  $name: etcdctl check perf failed:" >&2
    tr '\r' '\n' <"$out" | grep -a -v -E '^ *[0-9]+ / [0-9]+' | tail -5 >&2
  fi
}

# Memory with 1M keys of 100-byte values: the generator's prefill writes each key once, then the
# server's resident set is read from /proc (VmRSS now, VmHWM its peak).
memory_point() {
  require_server
  dotnet "$bench_dll" --endpoint "$host:$port" --op range --keys 1000000 --value-bytes 100 \
    --clients 1 --connections 1 --duration 1 --warmup 0 --label memory-1m >/dev/null 2>>"$work/$name.bench.log" || true
  require_server
  local rss hwm
  rss="$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")"
  hwm="$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status")"
  echo "$name $rss $hwm" >>"$work/memory.txt"
  echo "  $name: 1M keys x 100 B loaded: RSS $rss MiB (peak $hwm MiB)" >&2
}

suite() {
  point put-1 --op put --clients 1 --connections 1
  point put-64 --op put --clients 64 --connections 8
  point put-512 --op put --clients 512 --connections 16
  for op in range range-serializable; do
    point "$op-1" --op "$op" --clients 1 --connections 1
    point "$op-64" --op "$op" --clients 64 --connections 8
    point "$op-512" --op "$op" --clients 512 --connections 16
  done
  point txn-64 --op txn --clients 64 --connections 8
  point put-rate-2000 --op put --clients 64 --connections 8 --rate 2000
  point range-rate-2000 --op range --clients 64 --connections 8 --rate 2000
  point range-serializable-rate-2000 --op range-serializable --clients 64 --connections 8 --rate 2000
  point watch-1000x1000 --op watch --watchers 1000 --rate 1000 --clients 16 --connections 8
  point watch-1000-per-key --op watch --watch-per-key --watchers 1000 --rate 1000 --clients 16 --connections 8
  [ "$check_perf_load" = none ] || check_perf
  [ "${BENCH_MEMORY:-1}" = 0 ] || memory_point
  require_server
  echo "  $name: server CPU $(awk '{printf "%.1f s", ($14 + $15) / 100}' "/proc/$server_pid/stat"), RSS $(awk '/VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$server_pid/status")" >&2
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
: >"$work/backbone.results"
: >"$work/etcd.results"
: >"$work/memory.txt"

if [ "$only" != etcd ]; then
  name=backbone
  results="$work/backbone.results"
  free_port port
  echo "run.sh: Backbone on $host:$port" >&2
  ./backbone node --name n1 --data-dir "$work/backbone-data" --listen-client "$host:$port" >"$work/backbone.log" 2>&1 &
  server_pid=$!
  wait_ready "$port" "$work/backbone.log" run.sh
  settle_in "$host:$port" "$settle_s" "$work/$name.bench.log"
  suite
  stop_server
fi

if [ "$only" != backbone ]; then
  name=etcd
  results="$work/etcd.results"
  free_port port
  free_port peer_port
  echo "run.sh: etcd on $host:$port" >&2
  etcd --name bench --data-dir "$work/etcd-data" \
    --listen-client-urls "http://$host:$port" --advertise-client-urls "http://$host:$port" \
    --listen-peer-urls "http://$host:$peer_port" --initial-advertise-peer-urls "http://$host:$peer_port" \
    --initial-cluster "bench=http://$host:$peer_port" --initial-cluster-state new \
    --logger zap --log-outputs stderr >"$work/etcd.log" 2>&1 &
  server_pid=$!
  wait_ready "$port" "$work/etcd.log" run.sh
  settle_in "$host:$port" "$settle_s" "$work/$name.bench.log"
  suite
  stop_server
fi

mkdir -p bench/results
out=bench/results/latest.md
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit (dirty tree)"
{
  echo "## Backbone vs etcd $(etcd --version | awk '/etcd Version/ {print $3}') — $started"
  echo
  echo "Same client (bench/Backbone.Bench, Grpc.Net.Client), same machine ($(nproc) cores, $(uname -r)),"
  echo "one server after the other; ${duration} s measured after ${warmup} s warm-up per point; 1,000 keys,"
  echo "256-byte values. Commit $commit. Load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Latency is per operation, from send to response (watch: from the put's send to the event's arrival)."
  echo "CPU % is of one core (100 = one core busy)."
  [ "$settle_s" -gt 0 ] && echo "Each server first took ${settle_s} s of unmeasured load (puts, then linearizable gets, 64 clients)."
  echo
  dotnet "$bench_dll" report "$work/backbone.results" "$work/etcd.results"
  if [ -s "$work/memory.txt" ]; then
    echo "### Memory with 1,000,000 keys of 100-byte values (after the runs above)"
    echo
    echo "| server | RSS MiB | peak RSS MiB |"
    echo "|---|---|---|"
    awk '{printf "| %s | %s | %s |\n", $1, $2, $3}' "$work/memory.txt"
    echo
  fi
  echo "<details><summary>raw results</summary>"
  echo
  echo '```'
  sed 's/^/backbone /' "$work/backbone.results"
  sed 's/^/etcd /' "$work/etcd.results"
  echo '```'
  echo "</details>"
} >"$out"
cat "$out"
echo "run.sh: wrote $out" >&2
