#!/usr/bin/env bash
# DNS servers side by side: dnsperf (Debian's) against Backbone's embedded DNS server and, in the
# same run, Unbound, NSD, Knot and dnsmasq from Debian, each serving the same data: 1,000 service
# names (svcN.bench. A, one address each), one name with a 10-address round-robin set
# (rr.bench.), NODATA (AAAA of the service names) and the PTRs of the 1,000 addresses. One query
# file for all: 70% A of svcN, 10% the round-robin set, 10% AAAA, 10% PTR.
#
# Backbone is seeded first (a fresh single node, --no-agent, its control-plane stores writing
# the network, the services and the set's running task endpoints); the records it then answers
# with become every other server's zone. Then each server in turn, on a free loopback port with
# our own config in a temp dir: its answers checked with dig (the run fails on a wrong one), then
#   - fixed rate: dnsperf -Q RATE for DURATION s after a warm-up: server CPU time (utime+stime of
#     the server's processes, /proc) per query, p50/p99 latency from dnsperf -v, qps, lost;
#   - burst: dnsperf -c 32 -q 2000 for BURST s (an overload): queries lost, qps;
#   - full load: dnsperf -c FULL_CLIENTS -q FULL_OUTSTANDING for DURATION s: qps.
# Last, freshness: a 3-member Backbone cluster, seeded the same way; a write on n1 (a task
# endpoint added or removed) until n3's DNS listener answers with it, timed over N samples.
# Also measured, last: the floor (bench/dns/floor/responder.c), a C responder that answers every
# query NODATA through the same recvmmsg/sendmmsg loop, no lookup: the kernel path's own cost.
# Writes bench/results/dns-latest.md. About 6 minutes, plus any build. Traffic stays on 127.0.0.1.
#
# Environment (all optional):
#   BENCH_ONLY              servers to measure, e.g. "backbone" or "backbone,nsd,floor" (default:
#                           all of backbone unbound nsd knot dnsmasq floor; Backbone is seeded in any case)
#   BENCH_DURATION          seconds of the fixed-rate and full-load points (10)
#   BENCH_WARMUP            seconds at the fixed rate before measuring (20)
#   BENCH_RATE              the fixed rate, queries/s (50000)
#   BENCH_BURST             seconds of the burst point (5)
#   BENCH_FULL_CLIENTS      dnsperf -c at full load (4)
#   BENCH_FULL_OUTSTANDING  dnsperf -q at full load (200)
#   BENCH_FRESHNESS         freshness samples (200; 0 skips the cluster)
#   BENCH_FRESHNESS_POLL_MS pause between the freshness probe's questions (1; 0: back to back)
#   BENCH_FRESHNESS_ONLY    1 runs the freshness cluster only: no single node, no dnsperf points
#   BENCH_KEEP_WORK         1 keeps the work directory (configs, zones, logs, dnsperf outputs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

duration="${BENCH_DURATION:-10}"
# 20 s: a Backbone node's JIT is still compiling (tiering up the hot path, with dynamic PGO) for
# tens of seconds after the load starts, at up to a quarter of its CPU; a resident DNS server is
# measured in its steady state, and every server gets the same warm-up.
warmup="${BENCH_WARMUP:-20}"
rate="${BENCH_RATE:-50000}"
burst_duration="${BENCH_BURST:-5}"
full_clients="${BENCH_FULL_CLIENTS:-4}"
full_outstanding="${BENCH_FULL_OUTSTANDING:-200}"
freshness_samples="${BENCH_FRESHNESS:-200}"
freshness_poll_ms="${BENCH_FRESHNESS_POLL_MS:-1}"
freshness_only="${BENCH_FRESHNESS_ONLY:-0}"
all_servers="backbone unbound nsd knot dnsmasq floor"
only="$(tr ',' ' ' <<<"${BENCH_ONLY:-$all_servers}")"
[ "$freshness_only" != 1 ] || only=backbone
host=127.0.0.1 # never anything else: this script loads only the local machine
ttl=5          # Backbone's default --dns-ttl, given to every server
clk_tck="$(getconf CLK_TCK)"

for s in $only; do
  case " $all_servers " in *" $s "*) ;; *) echo "run.sh: BENCH_ONLY: unknown server \"$s\" (known: $all_servers)" >&2; exit 2 ;; esac
done

work="$(mktemp -d /tmp/backbone-dns-bench.XXXXXX)"
. "$root/bench/lib.sh"
. "$root/bench/dns/install.sh"
. "$root/bench/dns/servers.sh"
. "$root/bench/dns/measure.sh"
server_pid=""
cluster_pids=()

# Stops a process we started and every process under it (NSD's children), by pid.
stop_tree() {
  local pid=$1 children child
  children="$(process_tree "$pid" | grep -v -x "$pid" || true)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for child in $children; do kill -KILL "$child" 2>/dev/null || true; done
}
stop_server() {
  [ -z "$server_pid" ] || stop_tree "$server_pid"
  server_pid=""
}
stop_cluster() {
  local pid
  for pid in "${cluster_pids[@]}"; do stop_tree "$pid"; done
  cluster_pids=()
}
cleanup() {
  local status=$?
  stop_server
  stop_cluster
  restore_policy
  [ "$status" = 0 ] || show_logs run.sh
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then echo "run.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require_server() {
  kill -0 "$server_pid" 2>/dev/null && return
  echo "run.sh: $name (pid $server_pid) exited during the run; its log:" >&2
  tail -20 "$work/$name.log" >&2
  exit 1
}

# A port free for UDP and TCP (the DNS servers bind both).
free_udp_port() {
  local candidate
  while :; do
    free_port candidate
    [ -n "$(ss -Huan "( sport = :$candidate )" 2>/dev/null)" ] || break
  done
  printf -v "$1" '%s' "$candidate"
}

# Waits (120 s at most) for a line matching the pattern in a Backbone node's log.
wait_log() {
  local pid=$1 log=$2 pattern=$3
  for _ in $(seq 1 1200); do
    grep -q -E "$pattern" "$log" && return
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: node (pid $pid) exited; its log:" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "run.sh: no '$pattern' in $log in 120 s" >&2
  tail -20 "$log" >&2
  exit 1
}

dnsbench() {
  dotnet "$root/bench/Backbone.DnsBench/bin/Release/net10.0/Backbone.DnsBench.dll" "$@"
}

install_missing
echo "run.sh: building the CLI and bench/Backbone.DnsBench (Release) ..." >&2
./backbone --help >/dev/null
backbone="$root/.artifacts/backbone/backbone"
dotnet build bench/Backbone.DnsBench -c Release --nologo -v q >"$work/dnsbench-build.log" 2>&1 || { cat "$work/dnsbench-build.log" >&2; exit 1; }

started_s="$(date +%s)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/results"
data="$work/data.txt"
queries="$work/queries.txt"

# Backbone first: seeding it makes the data every server serves.
if [ "$freshness_only" != 1 ]; then
  name=backbone
  free_udp_port port
  echo "run.sh: Backbone (one node) with its DNS listener on $host:$port; seeding ..." >&2
  start_backbone "$port"
  wait_log "$server_pid" "$work/backbone.log" 'serving the etcd v3 API'
  dnsbench seed --endpoint "$backbone_client" --network "$zone" --out "$data" 2>>"$work/backbone.log" ||
    { echo "run.sh: seeding failed; its output:" >&2; tail -5 "$work/backbone.log" >&2; exit 1; }
  write_server_data
  # The query file: 20,000 questions, the same order for every server (dnsperf loops over it).
  awk -v zone="$zone" 'BEGIN { srand(42) }
    $1 == "A" && $2 ~ /^svc/ { n++; svc[n] = $2; address[n] = $3 }
    END {
      for (i = 0; i < 20000; i++) {
        r = rand(); k = 1 + int(rand() * n)
        if (r < 0.7) print svc[k] "." zone " A"
        else if (r < 0.8) print "rr." zone " A"
        else if (r < 0.9) print svc[k] "." zone " AAAA"
        else { split(address[k], o, "."); print o[4] "." o[3] "." o[2] "." o[1] ".in-addr.arpa PTR" }
      }
    }' "$data" >"$queries"
  # Not measured: its data is in the file now; no other server may run beside the one measured.
  case " $only " in *" backbone "*) ;; *) stop_server ;; esac

  for name in $all_servers; do
    case " $only " in *" $name "*) ;; *) continue ;; esac
    if [ "$name" != backbone ]; then
      [ -z "$server_pid" ] || { echo "run.sh: pid $server_pid still runs; one server at a time" >&2; exit 1; }
      free_udp_port port
      echo "run.sh: $(server_version "$name") on $host:$port" >&2
      "start_$name" "$port"
    fi
    if [ "$name" = floor ]; then
      wait_answering any # it serves no data: every answer is NODATA
    else
      wait_answering
      verify_answers
    fi
    measure
    stop_server
  done
fi

# Freshness: three members, each with its own DNS listener; writes go to n1, n3 is asked.
freshness=""
if [ "$freshness_samples" != 0 ] && [[ " $only " == *" backbone "* ]]; then
  echo "run.sh: freshness: a 3-member Backbone cluster ..." >&2
  token=""
  dns_ports=()
  first_client=""
  for i in 1 2 3; do
    free_port client
    free_port peer
    free_udp_port dns
    free_udp_port dead
    dns_ports+=("$dns")
    log="$work/backbone-cluster-$i.log"
    : >"$log"
    if [ "$i" = 1 ]; then
      first_client="$host:$client"
      "$backbone" node --init --name n1 --data-dir "$work/cluster/n1" --listen-client "$first_client" --listen-peer "$host:$peer" \
        --no-agent --dns-addr "$host:$dns" --dns-upstream "$host:$dead" --dns-ttl "$ttl" >"$log" 2>&1 &
    else
      "$backbone" node --join "$first_client" --token "$token" --name "n$i" --data-dir "$work/cluster/n$i" \
        --listen-client "$host:$client" --listen-peer "$host:$peer" \
        --no-agent --dns-addr "$host:$dns" --dns-upstream "$host:$dead" --dns-ttl "$ttl" >"$log" 2>&1 &
    fi
    cluster_pids+=($!)
    wait_log "$!" "$log" 'serving the etcd v3 API'
    if [ "$i" = 1 ]; then
      token="$(grep -o -E 'BBTKN-1-[0-9a-f]{64}-[a-z0-9]{25}' "$log" | head -1)"
      [ -n "$token" ] || { echo "run.sh: no manager join token in n1's output" >&2; exit 1; }
    fi
  done
  dnsbench seed --endpoint "$first_client" --network "$zone" --out "$work/cluster-data.txt" 2>>"$work/backbone-cluster-1.log" ||
    { echo "run.sh: seeding the cluster failed:" >&2; tail -5 "$work/backbone-cluster-1.log" >&2; exit 1; }
  freshness="$(dnsbench freshness --endpoint "$first_client" --dns "$host:${dns_ports[2]}" --network "$zone" --samples "$freshness_samples" --poll-ms "$freshness_poll_ms" 2>>"$work/backbone-cluster-1.log")" ||
    { echo "run.sh: the freshness probe failed:" >&2; tail -5 "$work/backbone-cluster-1.log" >&2; exit 1; }
  echo "  backbone ${freshness#RESULT }" >&2
  stop_cluster
fi

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$freshness"; }

# The issue's targets for Backbone, met or not, from this run's lines (nothing without a Backbone line).
targets() {
  local line
  line="$(grep '^backbone|' "$work/results" || true)"
  [ -n "$line" ] || return 0
  local best_c
  best_c="$(awk -F'|' '$1 != "backbone" && $1 != "floor" && $11 > best { best = $11; who = $2 } END { if (best) print best, who }' "$work/results")"
  echo "Backbone against the issue's targets (this run):"
  echo
  echo "| target | Backbone | met |"
  echo "|---|---|---|"
  awk -F'|' -v best="${best_c%% *}" -v who="${best_c#* }" -v p99f="$(field p99_ms)" -v rate="$rate" '
    function yes(c) { return c ? "yes" : "**no**" }
    {
      printf "| CPU per query at %d/s ≤ 5 µs | %s µs | %s |\n", rate, $3, yes($3 <= 5)
      printf "| p99 at %d/s < 0.2 ms | %s ms | %s |\n", rate, $6, yes($6 < 0.2)
      printf "| lost in the burst < 100 | %s | %s |\n", $9, yes($9 < 100)
      if (best) printf "| full-load qps ≥ the best C server'"'"'s (%s, %s) | %s | %s |\n", who, best, $11, yes($11 >= best)
      if (p99f != "") printf "| freshness p99 < 20 ms | %s ms | %s |\n", p99f, yes(p99f < 20)
    }' <<<"$line"
  echo
}
mkdir -p bench/results
out=bench/results/dns-latest.md
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit (dirty tree)"
{
  echo "## DNS servers side by side — $started"
  echo
  echo "dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }' || true) against each server in turn on $host, same machine ($(nproc) cores, $(uname -r)),"
  echo "same data and query file (1,000 A names, a 10-address set, NODATA, PTR; 70/10/10/10%). Commit $commit."
  echo "Load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); $(( ($(date +%s) - started_s) / 60 )) min."
  echo "CPU: the server's utime+stime (all its processes and threads) over the fixed-rate run / queries answered."
  echo "Fixed rate: dnsperf -Q $rate -l $duration after $warmup s warm-up; burst: -c 32 -q 2000 -l $burst_duration;"
  echo "full load: -c $full_clients -q $full_outstanding -l $duration."
  echo
  echo "| server | CPU µs/query at ${rate}/s | of it user space | p50 ms | p99 ms | achieved qps | lost at ${rate}/s | lost in burst | burst qps | full-load qps |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  awk -F'|' '{ printf "| %s | %s | %s%% | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$work/results"
  echo
  targets
  if [ -n "$freshness" ]; then
    echo "Freshness (3-member Backbone cluster; a task endpoint added or removed through n1, the leader, until"
    echo "n3's DNS listener, asked every $freshness_poll_ms ms, answers with it; from sending the write): $(field samples) samples, p50 $(field p50_ms) ms,"
    echo "p99 $(field p99_ms) ms, max $(field max_ms) ms, $(field failed) not seen within 5 s; the write's own acknowledgement"
    echo "p50 $(field ack_p50_ms) ms, p99 $(field ack_p99_ms) ms."
    echo
  fi
  echo "<details><summary>raw</summary>"
  echo
  echo '```'
  cat "$work/results"
  [ -z "$freshness" ] || echo "$freshness"
  echo '```'
  echo "</details>"
} >"$out"
cat "$out"
echo "run.sh: wrote $out" >&2
