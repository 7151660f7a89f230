#!/usr/bin/env bash
# A 3-member Backbone cluster vs a 3-member etcd 3.4 cluster: the same client (bench/Backbone.Bench)
# spread over all three members, the same machine, one cluster after the other, each on fresh temp
# data dirs and free loopback ports. Closed-loop throughput, server CPU per operation summed over
# the members at a fixed rate, and failover: the leader killed (SIGKILL) under a paced write load,
# reporting the longest time no write succeeded anywhere (a fresh cluster for each repeat). With
# BENCH_ROUNDS=N the two suites run N times, alternating which server goes first, and the table
# shows each point's medians and the spread of its per-round ratios. Prints
# a markdown table and writes it to bench/results/cluster-latest.md. About 10 minutes a round with 5
# failover runs, plus any build.
#
# Environment (all optional):
#   BENCH_ROUNDS             suite rounds (1). On this 2-core machine one round's ratios move by
#                            15-30% between runs of the same code; 3 rounds (about 22 minutes with
#                            5 failover runs) give a median and a spread to judge a target by
#   BENCH_DURATION           measured seconds per throughput / CPU point (8)
#   BENCH_WARMUP             warm-up seconds per point, failover included (2)
#   BENCH_SETTLE             seconds of unmeasured load on each fresh suite cluster before its first
#                            point (60; 0 skips it): see settle_in in bench/lib.sh
#   BENCH_ONLY               "backbone" or "etcd" to run one server (the other column stays empty)
#   BENCH_FAILOVER_RUNS      failover repeats per server, each on a fresh cluster (3; 0 skips them)
#   BENCH_FAILOVER_DURATION  measured seconds of a failover run (12: Backbone's writes have taken
#                            5-7 s to resume after the kill; a gap that reaches the window's end
#                            is reported as a lower bound, "not recovered")
#   BENCH_FAILOVER_KILL_AT   seconds into the measured window at which the leader is killed (3)
#   BENCH_SUITE              0 skips the throughput and CPU points (failover runs only; the table then
#                            goes to bench/results/cluster-failover-latest.md)
#   BENCH_POINTS             only these points instead of the suite, e.g. "put:64 range:512 put@2000"
#                            (op:clients, or op@rate for a CPU point: 64 clients held at that rate;
#                            quick before/after comparisons; the table then goes to
#                            bench/results/cluster-points-latest.md)
#   BENCH_BACKBONE_DATA_ROOT a directory for Backbone's members' data instead of the work dir under /tmp,
#   BENCH_ETCD_DATA_ROOT     and the same for etcd's. /dev/shm (tmpfs) makes every flush free: not a
#                            durable setup, but it bounds what cheaper flushes could buy. With either
#                            set, the table goes to bench/results/cluster-data-root-latest.md
#   BENCH_KEEP_WORK          1 keeps the work directory (members' logs and data) at the end, and the
#                            data directories made under the data roots below
#   BENCH_BACKBONE_FLAGS     extra flags for every Backbone member (e.g. "--log-level Information"
#                            for DotNext's election log in the members' logs, kept in the work dir)
#
# Endpoint order: the followers first, the leader last, so client i goes to member i mod 3 and the
# 1-client points load a follower (what 2 of 3 clients of a real cluster see).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

duration="${BENCH_DURATION:-8}"
warmup="${BENCH_WARMUP:-2}"
only="${BENCH_ONLY:-}"
failover_runs="${BENCH_FAILOVER_RUNS:-3}"
failover_duration="${BENCH_FAILOVER_DURATION:-12}"
failover_kill_at="${BENCH_FAILOVER_KILL_AT:-3}"
run_suite="${BENCH_SUITE:-1}"
rounds="${BENCH_ROUNDS:-1}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "run-cluster.sh: BENCH_ROUNDS must be a whole number from 1, got '$rounds'" >&2; exit 2; }
settle_s="${BENCH_SETTLE:-60}"
read -r -a backbone_flags <<<"${BENCH_BACKBONE_FLAGS:-}"
host=127.0.0.1 # never anything else: this script loads only the local machine
members=3

for tool in etcd etcdctl dotnet; do
  command -v "$tool" >/dev/null || { echo "run-cluster.sh: $tool is missing (apt-get install etcd-server etcd-client)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/backbone-cluster-bench.XXXXXX)"
# Where each server's members keep their data: the work dir unless a root is given.
data_dir() {
  local dir=$1 variable=$2
  if [ -z "$dir" ]; then
    echo "$work"
    return
  fi
  [ -d "$dir" ] && [ -w "$dir" ] || { echo "run-cluster.sh: $variable=$dir is not a writable directory (try /dev/shm, or unset it)" >&2; exit 2; }
  mktemp -d "$dir/backbone-cluster-bench-data.XXXXXX"
}
backbone_data="$work"
etcd_data="$work"
. "$root/bench/lib.sh"

# The running cluster: member pids and client ports, in member order (n1 / e1 first).
member_pids=()
client_ports=()
generator_pid=""

stop_cluster() {
  local pid
  for pid in "${member_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${member_pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  member_pids=()
  client_ports=()
}
cleanup() {
  local status=$?
  if [ -n "$generator_pid" ]; then
    kill -TERM "$generator_pid" 2>/dev/null || true
    wait "$generator_pid" 2>/dev/null || true
  fi
  stop_cluster
  if [ "$status" -ne 0 ]; then
    show_logs run-cluster.sh
  fi
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then
    echo "run-cluster.sh: kept $work (members' logs and data)" >&2
    [ "$backbone_data" = "$work" ] || echo "run-cluster.sh: kept $backbone_data (Backbone's data)" >&2
    [ "$etcd_data" = "$work" ] || echo "run-cluster.sh: kept $etcd_data (etcd's data)" >&2
  else
    rm -rf "$work" "$backbone_data" "$etcd_data"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
backbone_data="$(data_dir "${BENCH_BACKBONE_DATA_ROOT:-}" BENCH_BACKBONE_DATA_ROOT)"
etcd_data="$(data_dir "${BENCH_ETCD_DATA_ROOT:-}" BENCH_ETCD_DATA_ROOT)"

# Fails the run when a member has exited (its exit status and log are shown).
require_alive() {
  local pid=$1 log=$2 status=0
  kill -0 "$pid" 2>/dev/null && return
  wait "$pid" 2>/dev/null || status=$?
  echo "run-cluster.sh: $name member (pid $pid) exited with status $status (128 + N: signal N); its log:" >&2
  tail -30 "$log" >&2
  exit 1
}

# Waits (120 s at most) for a line matching the pattern in a member's log.
wait_log() {
  local pid=$1 log=$2 pattern=$3
  for _ in $(seq 1 1200); do
    grep -q -E "$pattern" "$log" && return
    require_alive "$pid" "$log"
    sleep 0.1
  done
  echo "run-cluster.sh: no '$pattern' from pid $pid in 120 s; its log:" >&2
  tail -30 "$log" >&2
  exit 1
}

# Waits (120 s at most) until every member answers `endpoint health` (it needs a leader).
wait_healthy() {
  local i
  for i in "${!member_pids[@]}"; do
    for _ in $(seq 1 1200); do
      require_alive "${member_pids[$i]}" "$work/$name-$cluster_id-$((i + 1)).log"
      etcdctl --endpoints "$host:${client_ports[$i]}" --command-timeout=1s endpoint health >/dev/null 2>&1 && continue 2
      sleep 0.1
    done
    echo "run-cluster.sh: $name member $((i + 1)) on $host:${client_ports[$i]} did not become healthy in 120 s" >&2
    exit 1
  done
}

# Prints the index (0-based, member order) of the member every live member reports as the
# leader (IS LEADER column of `endpoint status`); waits up to 30 s for exactly one.
leader_index() {
  local i found
  for _ in $(seq 1 300); do
    found=""
    for i in "${!member_pids[@]}"; do
      kill -0 "${member_pids[$i]}" 2>/dev/null || continue
      if etcdctl --endpoints "$host:${client_ports[$i]}" --command-timeout=1s endpoint status -w simple 2>/dev/null |
          awk -F', ' '$5 == "true" { ok = 1 } END { exit !ok }'; then
        found="$found $i"
      fi
    done
    if [ "$(echo "$found" | wc -w)" -eq 1 ]; then
      echo "${found# }"
      return
    fi
    sleep 0.1
  done
  echo "run-cluster.sh: $name: no single leader in 30 s (leaders:${found:- none})" >&2
  exit 1
}

# Member k's name: n1..n3 in Backbone, e1..e3 in etcd.
member_name() {
  if [ "$name" = backbone ]; then echo "n$1"; else echo "e$1"; fi
}

# The endpoints (followers first, leader last) and pids of the running cluster, for the generator.
set_endpoints() {
  local leader i
  leader="$(leader_index)"
  endpoints=""
  for i in "${!member_pids[@]}"; do
    [ "$i" = "$leader" ] || endpoints="$endpoints$host:${client_ports[$i]},"
  done
  endpoints="$endpoints$host:${client_ports[$leader]}"
  pids="$(IFS=,; echo "${member_pids[*]}")"
  leader_member="$leader"
  leader_pid="${member_pids[$leader]}"
  echo "run-cluster.sh: $name cluster up: pids $pids, leader $(member_name $((leader + 1))) (pid $leader_pid), endpoints $endpoints" >&2
}

# A fresh 3-member Backbone cluster: n1 creates it (--init), n2 and n3 join one at a time.
start_backbone() {
  cluster_id=$((cluster_id + 1))
  local i log peer port token=""
  for i in $(seq 1 "$members"); do
    free_port port
    client_ports+=("$port")
    free_port peer
    log="$work/$name-$cluster_id-$i.log"
    : >"$log" # exists before wait_log reads it
    if [ "$i" = 1 ]; then
      "$backbone" node --init --name n1 --data-dir "$backbone_data/$name-$cluster_id-data/n1" \
        --listen-client "$host:${client_ports[0]}" --listen-peer "$host:$peer" "${backbone_flags[@]}" >"$log" 2>&1 &
    else
      "$backbone" node --join "$host:${client_ports[0]}" --token "$token" --name "n$i" --data-dir "$backbone_data/$name-$cluster_id-data/n$i" \
        --listen-client "$host:${client_ports[$((i - 1))]}" --listen-peer "$host:$peer" "${backbone_flags[@]}" >"$log" 2>&1 &
    fi
    member_pids+=($!)
    wait_log "$!" "$log" 'serving the etcd v3 API'
    if [ "$i" = 1 ]; then
      token="$(grep -o -E 'BBTKN-1-[0-9a-f]{64}-[a-z0-9]{25}' "$log" | head -1)"
      [ -n "$token" ] || { echo "run-cluster.sh: no manager join token in n1's output:" >&2; cat "$log" >&2; exit 1; }
    fi
  done
  wait_healthy
  set_endpoints
}

# A fresh 3-member etcd cluster (static bootstrap: all three at once).
start_etcd() {
  cluster_id=$((cluster_id + 1))
  local i port initial="" peers=()
  for i in $(seq 1 "$members"); do
    free_port port
    client_ports+=("$port")
    free_port port
    peers+=("$port")
    initial="$initial${initial:+,}e$i=http://$host:${peers[$((i - 1))]}"
  done
  for i in $(seq 1 "$members"); do
    etcd --name "e$i" --data-dir "$etcd_data/$name-$cluster_id-data/e$i" \
      --listen-client-urls "http://$host:${client_ports[$((i - 1))]}" --advertise-client-urls "http://$host:${client_ports[$((i - 1))]}" \
      --listen-peer-urls "http://$host:${peers[$((i - 1))]}" --initial-advertise-peer-urls "http://$host:${peers[$((i - 1))]}" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token bench \
      --logger zap --log-outputs stderr >"$work/$name-$cluster_id-$i.log" 2>&1 &
    member_pids+=($!)
  done
  wait_healthy
  set_endpoints
}

require_cluster() {
  local i
  for i in "${!member_pids[@]}"; do
    require_alive "${member_pids[$i]}" "$work/$name-$cluster_id-$((i + 1)).log"
  done
}

# One point on every member: appends the generator's RESULT line, tagged with the round, to $results;
# a failed point is reported and skipped.
point() {
  local label=$1
  shift
  local line now
  require_cluster
  # The endpoint order (leader last) decides which member the 1-client points load: after a
  # leader change they would measure the leader, so say so and reorder.
  now="$(leader_index)"
  if [ "$now" != "$leader_member" ]; then
    echo "  $name: the leader moved to $(member_name $((now + 1))) before $label; endpoints reordered" >&2
    set_endpoints
  fi
  if line="$(dotnet "$bench_dll" --endpoint "$endpoints" --server-pid "$pids" \
      --duration "$duration" --warmup "$warmup" --label "$label" "$@" 2>>"$work/$name.bench.log")"; then
    echo "$line round=$round" >>"$results"
    echo "  $name ${line#RESULT }" >&2
  else
    echo "  $name $label FAILED (see below)" >&2
    tail -5 "$work/$name.bench.log" >&2
  fi
}

suite() {
  if [ -n "${BENCH_POINTS:-}" ]; then
    local spec op clients rate
    for spec in $BENCH_POINTS; do
      if [[ "$spec" == *@* ]]; then
        op="${spec%%@*}" rate="${spec##*@}"
        point "$op-rate-$rate" --op "$op" --clients 64 --connections 8 --rate "$rate"
        continue
      fi
      op="${spec%%:*}" clients="${spec##*:}"
      point "$op-$clients" --op "$op" --clients "$clients" --connections $((clients >= 512 ? 16 : clients >= 8 ? 8 : clients))
    done
    return
  fi
  for op in put range range-serializable; do
    point "$op-1" --op "$op" --clients 1 --connections 1
    point "$op-64" --op "$op" --clients 64 --connections 8
    point "$op-512" --op "$op" --clients 512 --connections 16
  done
  point put-rate-2000 --op put --clients 64 --connections 8 --rate 2000
  point range-rate-2000 --op range --clients 64 --connections 8 --rate 2000
  require_cluster
  local i summary=""
  for i in "${!member_pids[@]}"; do
    summary="$summary $((i + 1)): $(awk '{printf "%.1f s", ($14 + $15) / 100}' "/proc/${member_pids[$i]}/stat") CPU, $(awk '/VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/${member_pids[$i]}/status") RSS;"
  done
  echo "  $name members after the suite:${summary%;}" >&2
}

# Failover run k on a fresh cluster: 16 writers at 1000 puts/s over all members; the leader is
# killed (SIGKILL) $failover_kill_at s into the measured window. The RESULT line gains kill_at_ms:
# when the kill was sent, counted from when this script saw the window open (which it sees up to
# ~0.1 s late, so the kill came at most that much later into the window than kill_at_ms says).
failover() {
  local k=$1 log="$work/$name.failover-$k.log" out="$work/$name.failover-$k.out" opened killed="" line new_leader status=0
  "start_$name"
  : >"$log"
  dotnet "$bench_dll" --endpoint "$endpoints" --op failover --clients 16 --connections 16 --rate 1000 \
    --duration "$failover_duration" --warmup "$warmup" --label "failover-$k" --seed "$k" >"$out" 2>"$log" &
  generator_pid=$!
  for _ in $(seq 1 600); do
    grep -q 'bench: window open' "$log" && break
    kill -0 "$generator_pid" 2>/dev/null || break
    sleep 0.05
  done
  opened="$(date +%s%N)"
  if grep -q 'bench: window open' "$log"; then
    require_cluster
    sleep "$failover_kill_at"
    kill -KILL "$leader_pid"
    killed="$(date +%s%N)"
    # Reaped and forgotten: its pid may be reused, and the other loops must skip the member.
    wait "$leader_pid" 2>/dev/null || true
    unset 'member_pids[leader_member]'
    echo "  $name failover-$k: killed the leader $(member_name $((leader_member + 1))) (pid $leader_pid) at $(date -u -d "@$((killed / 1000000000)).$(printf '%09d' $((killed % 1000000000)))" +%H:%M:%S.%3N) UTC" >&2
  fi
  wait "$generator_pid" || status=$?
  generator_pid=""
  line="$(grep '^RESULT ' "$out" || true)"
  if [ "$status" = 0 ] && [ -n "$line" ] && [ -n "$killed" ]; then
    line="$line kill_at_ms=$(((killed - opened) / 1000000))"
    echo "$line" >>"$results"
    echo "  $name ${line#RESULT }" >&2
    grep 'failed attempts' "$log" | sed "s/^bench:/    $name failover-$k:/" >&2 || true
    if new_leader="$(leader_index)"; then
      echo "  $name failover-$k: new leader $(member_name $((new_leader + 1)))" >&2
    fi
  else
    echo "  $name failover-$k FAILED (exit $status):" >&2
    tail -5 "$log" >&2
  fi
  stop_cluster
}

echo "run-cluster.sh: building the CLI and the load generator (Release) ..." >&2
./backbone --help >/dev/null
backbone="$root/.artifacts/backbone/backbone"
dotnet build bench/Backbone.Bench -c Release --nologo -v q >"$work/bench-build.log" 2>&1 || { cat "$work/bench-build.log" >&2; exit 1; }
bench_dll="$root/bench/Backbone.Bench/bin/Release/net10.0/Backbone.Bench.dll"

started_s="$(date +%s)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
: >"$work/backbone.results"
: >"$work/etcd.results"
cluster_id=0

# Rounds alternate which server goes first (backbone, etcd, then etcd, backbone, ...), so a drift in
# the machine's speed over the run does not favour the one that always runs first.
if [ "$run_suite" != 0 ]; then
  for round in $(seq 1 "$rounds"); do
    order="backbone etcd"
    [ $((round % 2)) = 1 ] || order="etcd backbone"
    for name in $order; do
      [ "$only" = "" ] || [ "$only" = "$name" ] || continue
      results="$work/$name.results"
      echo "run-cluster.sh: round $round of $rounds: $name, 3 members" >&2
      "start_$name"
      require_cluster
      settle_in "$endpoints" "$settle_s" "$work/$name.bench.log"
      suite
      stop_cluster
    done
  done
fi
for name in backbone etcd; do
  [ "$only" = "" ] || [ "$only" = "$name" ] || continue
  results="$work/$name.results"
  [ "$failover_runs" = 0 ] || echo "run-cluster.sh: $name, $failover_runs failover runs" >&2
  for k in $(seq 1 "$failover_runs"); do
    failover "$k"
  done
done

mkdir -p bench/results
# A partial run (some points, the failover runs only, or data off the usual disk) does not
# replace the full suite's table.
if [ -n "${BENCH_BACKBONE_DATA_ROOT:-}${BENCH_ETCD_DATA_ROOT:-}" ]; then
  out=bench/results/cluster-data-root-latest.md
elif [ -n "${BENCH_POINTS:-}" ]; then
  out=bench/results/cluster-points-latest.md
elif [ "${BENCH_SUITE:-1}" = 0 ]; then
  out=bench/results/cluster-failover-latest.md
else
  out=bench/results/cluster-latest.md
fi
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit (dirty tree)"
{
  echo "## Backbone vs etcd $(etcd --version | awk '/etcd Version/ {print $3}'), 3-member clusters — $started"
  echo
  echo "Same client (bench/Backbone.Bench, Grpc.Net.Client), same machine ($(nproc) cores, $(uname -r)): three members"
  echo "of one server on loopback, then three of the other. Client i uses member i mod 3 (followers first,"
  echo "the leader last: the 1-client points load a follower); connections are split over the members, at least"
  echo "one each (so the 1-client points open 3, of which 1 is used)."
  [ "$rounds" = 1 ] || [ "$run_suite" = 0 ] || echo "$rounds rounds, each on fresh clusters, alternating which server goes first: each cell is the median over the rounds (failure counts: their sum); the ratio column gives the median, lowest and highest of the per-round ratios."
  [ "$settle_s" -gt 0 ] && echo "Each server's suite cluster first took ${settle_s} s of unmeasured load (puts, then linearizable gets, 64 clients)."
  echo "${duration} s measured after ${warmup} s warm-up per point; 1,000 keys, 256-byte values. Default election"
  echo "timeouts (Backbone 300-450 ms, heartbeat 60 ms; etcd 1000 ms, heartbeat 100 ms). Commit $commit."
  data_note=""
  [ -z "${BENCH_BACKBONE_DATA_ROOT:-}${BENCH_ETCD_DATA_ROOT:-}" ] ||
    data_note=": a data root was given; on tmpfs a flush costs nothing and survives no crash, so those numbers bound what cheaper flushes could buy"
  echo "Data: Backbone's members under $backbone_data ($(stat -f -c %T "$backbone_data")), etcd's under $etcd_data ($(stat -f -c %T "$etcd_data"))$data_note."
  [ -z "${BENCH_BACKBONE_FLAGS:-}" ] || echo "Every Backbone member ran with BENCH_BACKBONE_FLAGS: $BENCH_BACKBONE_FLAGS (over the defaults above)."
  echo "Load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); $(( ($(date +%s) - started_s) / 60 )) min."
  echo "Latency is per operation, from send to response. Server CPU is summed over the three members"
  echo "(% of one core: 100 = one core busy). Failover: ${failover_duration} s measured, the leader killed about"
  echo "${failover_kill_at} s in; a writer whose put fails or takes over 1 s moves to the next member and retries"
  echo "the put; a fresh cluster for each run."
  echo
  dotnet "$bench_dll" report "$work/backbone.results" "$work/etcd.results"
  echo "<details><summary>raw results</summary>"
  echo
  echo '```'
  sed 's/^/backbone /' "$work/backbone.results"
  sed 's/^/etcd /' "$work/etcd.results"
  echo '```'
  echo "</details>"
} >"$out"
cat "$out"
echo "run-cluster.sh: wrote $out" >&2
