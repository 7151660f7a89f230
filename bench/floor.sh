#!/usr/bin/env bash
# The floor under a durable put on one node, measured in one run: server CPU per operation at a
# fixed rate for etcd's put, Backbone's put, Backbone's put without fdatasync (--unsafe-no-fsync)
# and a request Backbone answers without its store (Maintenance.Alarm). So a put splits into the
# request path (alarm), the store's own work (put without sync - alarm) and the sync (put - put
# without sync). Rounds interleave the servers, each on a fresh temp data dir. Writes
# bench/results/floor-latest.md. About 2 minutes per round, plus any build.
#
# Environment (all optional):
#   BENCH_ROUNDS     rounds (3)
#   BENCH_RATE       operations per second, all clients together (2000)
#   BENCH_DURATION   measured seconds per point (8)
#   BENCH_SETTLE     seconds of unmeasured load on each fresh server first (20; 0 skips it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds="${BENCH_ROUNDS:-3}"
rate="${BENCH_RATE:-2000}"
duration="${BENCH_DURATION:-8}"
settle_s="${BENCH_SETTLE:-20}"
host=127.0.0.1 # never anything else: this script loads only the local machine

for tool in etcd etcdctl dotnet; do
  command -v "$tool" >/dev/null || { echo "floor.sh: $tool is missing (apt-get install etcd-server etcd-client)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/backbone-floor.XXXXXX)"
. "$root/bench/lib.sh"
server_pid=""

cleanup() {
  local status=$?
  stop_server
  [ "$status" -eq 0 ] || show_logs floor.sh
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "floor.sh: building the CLI and the load generator (Release) ..." >&2
./backbone --help >/dev/null
dotnet build bench/Backbone.Bench -c Release --nologo -v q >"$work/bench-build.log" 2>&1 || { cat "$work/bench-build.log" >&2; exit 1; }
bench_dll="$root/bench/Backbone.Bench/bin/Release/net10.0/Backbone.Bench.dll"

# Starts server $1 (etcd, backbone or backbone-nosync) on a fresh data dir and settles it in.
start() {
  name=$1
  local data="$work/data-$name-$round"
  free_port port
  case "$name" in
    etcd)
      free_port peer_port
      etcd --name floor --data-dir "$data" \
        --listen-client-urls "http://$host:$port" --advertise-client-urls "http://$host:$port" \
        --listen-peer-urls "http://$host:$peer_port" --initial-advertise-peer-urls "http://$host:$peer_port" \
        --initial-cluster "floor=http://$host:$peer_port" --initial-cluster-state new \
        --logger zap --log-outputs stderr >"$work/$name.log" 2>&1 &
      ;;
    backbone) ./backbone node --name n1 --data-dir "$data" --listen-client "$host:$port" >"$work/$name.log" 2>&1 & ;;
    backbone-nosync) ./backbone node --name n1 --data-dir "$data" --listen-client "$host:$port" --unsafe-no-fsync >"$work/$name.log" 2>&1 & ;;
  esac
  server_pid=$!
  wait_ready "$port" "$work/$name.log" floor.sh
  settle_in "$host:$port" "$settle_s" "$work/$name.bench.log"
}

# One fixed-rate point of operation $1: appends "name op cpu_us p50_ms" to the results.
point() {
  local op=$1 line
  line="$(dotnet "$bench_dll" --endpoint "$host:$port" --server-pid "$server_pid" --op "$op" --clients 64 --connections 8 \
    --rate "$rate" --duration "$duration" --warmup 2 --label "$name-$op" 2>>"$work/$name.bench.log")" || {
    echo "  $name $op FAILED" >&2; tail -5 "$work/$name.bench.log" >&2; failed=$((failed + 1)); return 0; }
  echo "  round $round ${line#RESULT }" >&2
  awk -v n="$name" -v o="$op" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print n, o, v["server_cpu_us_per_op"], v["p50_ms"]
  }' <<<"$line" >>"$work/results"
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
: >"$work/results"
failed=0
for round in $(seq 1 "$rounds"); do
  start etcd; point put; stop_server
  start backbone; point put; point alarm; stop_server
  start backbone-nosync; point put; stop_server
done

mkdir -p bench/results
out=bench/results/floor-latest.md
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit (dirty tree)"
{
  echo "## The floor under a put, one node — $started"
  echo
  echo "Server CPU µs per operation at $rate/s (64 clients on 8 connections), $rounds rounds, each server fresh"
  echo "and settled ${settle_s} s; ${duration} s measured per point. Commit $commit. Load average at start"
  echo "$load_start, at end $(cut -d' ' -f1-3 /proc/loadavg). Ranges are min-max over the rounds."
  [ "$failed" = 0 ] || echo "**$failed points failed**: their rows hold fewer rounds."
  echo
  echo "| what | server CPU µs/op | p50 ms |"
  echo "|---|---|---|"
  awk '
    { k = $1 " " $2; if (!(k in lo)) { order[++n] = k; lo[k] = hi[k] = $3; plo[k] = phi[k] = $4 }
      if ($3 < lo[k]) lo[k] = $3; if ($3 > hi[k]) hi[k] = $3; if ($4 < plo[k]) plo[k] = $4; if ($4 > phi[k]) phi[k] = $4 }
    END {
      what["etcd put"] = "etcd: put"
      what["backbone put"] = "Backbone: put"
      what["backbone alarm"] = "Backbone: Maintenance.Alarm (the request path alone)"
      what["backbone-nosync put"] = "Backbone --unsafe-no-fsync: put (all but the sync)"
      for (i = 1; i <= n; i++) { k = order[i]; printf "| %s | %s-%s | %s-%s |\n", what[k], lo[k], hi[k], plo[k], phi[k] }
    }' "$work/results"
  echo
  echo "<details><summary>raw results (server op cpu_us p50_ms, in run order)</summary>"
  echo
  echo '```'
  cat "$work/results"
  echo '```'
  echo "</details>"
} >"$out"
cat "$out"
echo "floor.sh: wrote $out" >&2
[ "$failed" = 0 ] || { echo "floor.sh: $failed points failed (see above)" >&2; exit 1; }
