#!/usr/bin/env bash
# The overlay between lab hosts (issue 6's benchmark), three data paths in one run, each between
# two network namespaces on different lab hosts, with the same iperf3 and ping parameters:
#   backbone  containers on host-1 and host-2 of a `backbone lab`, on an overlay network the
#             agents built (sandbox bridge + kernel VXLAN, static FDB and neighbour entries);
#   kvxlan    the same shape built by hand with ip(8) beside it: per host a "sandbox" namespace
#             with bridge br0 (MTU 1450, the gateway address) and a VXLAN device (VNI 999, local
#             = the host's underlay address, dstport 4789, nolearning, proxy) made in the host's
#             namespace and moved in, a veth (MTU 1450) into a "container" namespace, a permanent
#             FDB entry (the peer's MAC -> the peer host) and a permanent neighbour entry (proxy
#             ARP) on the VXLAN device: what the agent programs, without the agent;
#   underlay  the two host namespaces themselves, over their veths into the lab's bridge.
# Measured: iperf3 TCP (1 stream, then 4), UDP unlimited (1350-byte datagrams), each DURATION s,
# ROUNDS times with the paths' order rotated; ping (COUNT echoes, INTERVAL s apart); and, for
# Backbone only, convergence: bench/Backbone.OverlayBench runs a container on host-2 SAMPLES
# times and times from its endpoint appearing in the store (the first member's watch report) to
# the first UDP datagram from a container on host-1 arriving for it on host-2 (one datagram a
# millisecond, sent from the moment the address is known; seen by a packet socket in host-2's
# sandbox as it leaves vxlan0, the container being built before its endpoint is published); then WORKER_SAMPLES times with the sender on
# host-4, a worker (its agent reads the store over the network instead of in-process).
# Writes bench/results/overlay-latest.md. Needs root; installs nothing (bench/overlay/install.sh
# does). Every packet stays inside namespaces this run makes; everything is removed on exit.
#
# Environment (all optional):
#   BENCH_HOSTS          lab hosts (4: three managers and a worker, host-4; at least 2)
#   BENCH_DURATION       seconds per iperf3 run (10)
#   BENCH_ROUNDS         iperf3 rounds over the three paths (3)
#   BENCH_PINGS          echoes per path (300)
#   BENCH_PING_INTERVAL  seconds between echoes (0.01; root may go lower)
#   BENCH_SAMPLES        convergence samples, sender on host-1 (100: p99 is then the 99th, not the maximum; 0 skips all)
#   BENCH_WORKER_SAMPLES convergence samples, sender on the worker host-4 (30; 0 skips)
#   BENCH_SEED           the random pauses between convergence samples (1)
#   BENCH_PREFIX         names of everything made (bo-: namespaces bo-host-N, bo-kvN-*, bo-hN-*)
#   BENCH_OCTET          underlay 172.31.OCTET.0/24, overlay 10.OCTET.0.0/24, hand-built 10.(OCTET+1).0.0/24 (214)
#   BENCH_KEEP_WORK      1 keeps the work directory (iperf3 JSON, ping output, samples, node logs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

hosts="${BENCH_HOSTS:-4}"
duration="${BENCH_DURATION:-10}"
rounds="${BENCH_ROUNDS:-3}"
pings="${BENCH_PINGS:-300}"
ping_interval="${BENCH_PING_INTERVAL:-0.01}"
samples="${BENCH_SAMPLES:-100}"
worker_samples="${BENCH_WORKER_SAMPLES:-30}"
seed="${BENCH_SEED:-1}"
prefix="${BENCH_PREFIX:-bo-}"
octet="${BENCH_OCTET:-214}"
underlay="172.31.$octet"
overlay="10.$octet.0"
handmade="10.$((octet + 1)).0"
vni=999         # below Backbone's VNIs (4096 and up), so it never collides with the agents'
mtu=1450        # the underlay's 1500 minus VXLAN's 50, as the agents make it
port=5201       # iperf3's; the overlay containers' own iperf3 -s listens there
udp_length=1350 # under the overlay's TCP MSS (1398): no fragmentation on any path
paths="backbone kvxlan underlay"

log() { echo "run.sh: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "needs root (namespaces, links)"; exit 1; }
[ "$hosts" -ge 2 ] || { log "BENCH_HOSTS must be at least 2"; exit 2; }
missing=""
for tool in iperf3 ip bridge ping jq; do command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"; done
[ -z "$missing" ] || { log "missing:$missing; install with: bench/overlay/install.sh (apt-get install iperf3 iproute2 iputils-ping jq)"; exit 1; }
if ip netns list | grep -q "^$prefix"; then
  log "namespaces starting with $prefix exist (another run, or one left behind):"
  ip netns list | grep "^$prefix" >&2
  log "remove them (./backbone lab down --prefix $prefix --data-dir DIR; ip netns del NAME) or set BENCH_PREFIX"
  exit 1
fi

work="$(mktemp -d /tmp/backbone-overlay-bench.XXXXXX)"
lab_dir="$work/lab"
server_pids=()
lab_started=0

cleanup() {
  local status=$? pid ns
  for pid in "${server_pids[@]}" $(cat "$work"/iperf3-server-*.pid 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${prefix}kv1-c" "${prefix}kv1-sb" "${prefix}kv2-c" "${prefix}kv2-sb"; do
    ! ip netns list | grep -q "^$ns\b" || ip netns del "$ns" || true
  done
  if [ "$lab_started" = 1 ]; then
    ./backbone lab down --prefix "$prefix" --data-dir "$lab_dir" >"$work/lab-down.log" 2>&1 || { log "lab down failed:"; cat "$work/lab-down.log" >&2; }
  fi
  local left
  left="$(ip netns list | grep "^$prefix" || true)$(ip -br link | grep "^$prefix" || true)"
  [ -z "$left" ] || log "left behind (remove by hand): $left"
  if [ "$status" != 0 ]; then
    for f in "$lab_dir"/host-*/node.log; do [ -s "$f" ] && { log "--- tail of $f ---"; tail -5 "$f" >&2; }; done
  fi
  if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls a command (up to $1 tenths of a second) until it succeeds.
wait_for() {
  local tenths=$1; shift
  for _ in $(seq 1 "$tenths"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

log "building the CLI and bench/Backbone.OverlayBench (Release) ..."
./backbone --help >/dev/null
dotnet build bench/Backbone.OverlayBench -c Release --nologo -v q >"$work/helper-build.log" 2>&1 || { cat "$work/helper-build.log" >&2; exit 1; }

started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
started_s="$(date +%s)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain -- . ':!bench/results' 2>/dev/null)" ] || commit="$commit (dirty tree)"  # results: this run's own output

# The lab, an attachable overlay network, an iperf3 server container on each of host-1 and host-2 and,
# with a worker (host-4), a container there: convergence is also timed with it sending.
log "lab up: $hosts hosts on $underlay.0/24 (prefix $prefix) ..."
lab_started=1
./backbone lab up --hosts "$hosts" --prefix "$prefix" --subnet "$underlay.0/24" --data-dir "$lab_dir" >"$work/lab-up.log" 2>&1 || { cat "$work/lab-up.log" >&2; exit 1; }
endpoints="$(seq -s, 1 "$((hosts < 3 ? hosts : 3))" | sed "s/\([0-9]\+\)/$underlay.\1:2379/g")"
bb() { ./backbone --endpoints "$endpoints" "$@"; }
bb network create --attachable --subnet "$overlay.0/24" bench >/dev/null
network_vni="$(bb network inspect bench | jq -r '.[0].Vni')"
declare -A container_ns container_address
for h in 1 2; do
  id="$(./backbone --endpoints "$underlay.$h:2379" container run --network bench --name "iperf$h" -- iperf3 -s -p "$port")"
  container_ns[$h]="${prefix}h$h-c-${id:0:12}"
done
wanted=2
if [ "$hosts" -ge 4 ]; then
  id="$(./backbone --endpoints "$underlay.4:2379" container run --network bench --name sender4 -- sleep infinity)"
  container_ns[4]="${prefix}h4-c-${id:0:12}"
  wanted=3
fi
running() { [ "$(bb container ls --format json | jq '[.[] | select(.State == "running")] | length')" = "$wanted" ]; }
wait_for 600 running || { log "the $wanted containers did not all run within 60 s"; bb container ls >&2; exit 1; }
for h in 1 2; do
  container_address[$h]="$(bb container ls --format json | jq -r ".[] | select(.Name == \"iperf$h\") | .Addresses[0] | split(\"=\")[1]")"
done
log "backbone: ${container_ns[1]} (${container_address[1]}) -> ${container_ns[2]} (${container_address[2]}), VNI $network_vni"

# The hand-built pair, as the agent builds its sandbox and container (see the header).
mac_of() { printf '02:42:%02x:%02x:%02x:%02x' ${1//./ }; }
build_handmade() {
  local h=$1 peer=$2 sb="${prefix}kv$1-sb" c="${prefix}kv$1-c" host="${prefix}host-$1"
  local address="$handmade.$((h + 1))" peer_address="$handmade.$((peer + 1))"
  ip netns add "$sb"
  ip netns add "$c"
  ip -n "$sb" link set lo up
  ip -n "$sb" link add br0 mtu "$mtu" type bridge
  ip -n "$sb" addr add "$handmade.1/24" dev br0
  ip -n "$sb" link set br0 up
  ip -n "$host" link add "kvx$vni" mtu "$mtu" type vxlan id "$vni" local "$underlay.$h" dstport 4789 nolearning proxy
  ip -n "$host" link set "kvx$vni" netns "$sb"
  ip -n "$sb" link set "kvx$vni" name vxlan0
  ip -n "$sb" link set vxlan0 master br0 up
  ip -n "$sb" link add ve0 mtu "$mtu" type veth peer name eth0 netns "$c" mtu "$mtu" # each end its own mtu
  ip -n "$sb" link set ve0 master br0 up
  ip -n "$c" link set lo up
  ip -n "$c" link set eth0 address "$(mac_of "$address")"
  ip -n "$c" addr add "$address/24" dev eth0
  ip -n "$c" link set eth0 up
  ip -n "$c" route add default via "$handmade.1"
  bridge -n "$sb" fdb replace "$(mac_of "$peer_address")" dev vxlan0 dst "$underlay.$peer" self permanent
  ip -n "$sb" neigh replace "$peer_address" lladdr "$(mac_of "$peer_address")" dev vxlan0 nud permanent
}
build_handmade 1 2
build_handmade 2 1
# The same MTUs as the agent's on every hop of both pairs (a 1500 container end would fragment the VXLAN packets).
for ns in "${container_ns[1]}" "${container_ns[2]}" "${prefix}kv1-c" "${prefix}kv2-c"; do
  got="$(ip -n "$ns" -o link show eth0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')"
  [ "$got" = "$mtu" ] || { log "$ns: eth0 has MTU $got, not $mtu"; exit 1; }
done
log "kvxlan: ${prefix}kv1-c ($handmade.2) -> ${prefix}kv2-c ($handmade.3), VNI $vni"

# Each path: the client's namespace, the server's namespace and the server's address.
declare -A from to target
from[backbone]="${container_ns[1]}"; to[backbone]="${container_ns[2]}"; target[backbone]="${container_address[2]}"
from[kvxlan]="${prefix}kv1-c";       to[kvxlan]="${prefix}kv2-c";       target[kvxlan]="$handmade.3"
from[underlay]="${prefix}host-1";    to[underlay]="${prefix}host-2";    target[underlay]="$underlay.2"
# Each server in a session of its own, as Backbone's (a child of host-2's node, which runs in its own
# session): with the kernel's autogroup scheduling a session shares the CPU as one group, and a server
# in this script's session would share the clients' group, less CPU than Backbone's on a busy machine.
for p in kvxlan underlay; do
  setsid ip netns exec "${to[$p]}" iperf3 -s -p "$port" --pidfile "$work/iperf3-server-$p.pid" >"$work/iperf3-server-$p.log" 2>&1 &
  server_pids+=($!)
done
for p in $paths; do
  listening() { ip netns exec "${to[$p]}" ss -Htln "( sport = :$port )" | grep -q .; }
  wait_for 100 listening || { log "$p: no iperf3 server on ${target[$p]}:$port"; exit 1; }
  ping_ok() { ip netns exec "${from[$p]}" ping -c 1 -W 1 "${target[$p]}"; }
  wait_for 100 ping_ok || { log "$p: ${from[$p]} cannot ping ${target[$p]}"; exit 1; }
done

# Throughput: every test on every path, ROUNDS times, the order of paths rotated each round.
: >"$work/throughput"
order=($paths)
for round in $(seq 1 "$rounds"); do
  for test in tcp tcp4 udp; do
    case "$test" in
      tcp) args=() ;;
      tcp4) args=(-P 4) ;;
      udp) args=(-u -b 0 -l "$udp_length") ;;
    esac
    for p in "${order[@]}"; do
      json="$work/iperf3-$p-$test-$round.json"
      ip netns exec "${from[$p]}" iperf3 -c "${target[$p]}" -p "$port" -t "$duration" -J "${args[@]}" >"$json" || { log "$p $test: iperf3 failed"; jq -r '.error // empty' "$json" >&2; exit 1; }
      if [ "$test" = udp ]; then
        line="$(jq -r '[(.end.sum_received.bits_per_second / 1e9), .end.sum_received.lost_percent, .end.cpu_utilization_percent.host_total, .end.cpu_utilization_percent.remote_total] | @tsv' "$json")"
      else
        line="$(jq -r '[(.end.sum_received.bits_per_second / 1e9), .end.sum_sent.retransmits, .end.cpu_utilization_percent.host_total, .end.cpu_utilization_percent.remote_total] | @tsv' "$json")"
      fi
      printf '%s\t%s\t%s\t%s\n' "$p" "$test" "$round" "$line" >>"$work/throughput"
      log "round $round $test $p: $(cut -f1 <<<"$line" | xargs printf '%.2f') Gbit/s"
    done
  done
  order=("${order[@]:1}" "${order[0]}")
done

# Latency: ping, per-echo times from its output.
: >"$work/ping"
for p in $paths; do
  ip netns exec "${from[$p]}" ping -n -c "$pings" -i "$ping_interval" "${target[$p]}" >"$work/ping-$p.txt" 2>&1 || true
  sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$work/ping-$p.txt" >"$work/ping-$p.ms"
  printf '%s\t%s\n' "$p" "$(wc -l <"$work/ping-$p.ms")" >>"$work/ping"
done

# Nearest-rank percentiles of a file of numbers (one a line; "nan" lines ignored): "count avg p50 p99 max".
percentiles() {
  grep -v -i nan "$1" | sort -g | awk '{ v[NR] = $1; s += $1 }
    function rank(p,  r) { r = int(p * NR); if (r < p * NR) r++; if (r < 1) r = 1; return v[r] }
    END { if (NR == 0) { print "0 - - - -"; exit } printf "%d %.3f %.3f %.3f %.3f\n", NR, s / NR, rank(0.5), rank(0.99), v[NR] }'
}

# Convergence: new containers on host-2, reached from host-1 (a manager: its agent follows the
# store's changes in-process) and, with a worker, from host-4 (its agent reads the store itself).
# One line per sender in $work/convergence: label host samples missed early, then the percentiles
# (count avg p50 p99 max) of convergence, of registration and of the first packet from the request.
sample_field() { awk -F'\t' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } { print $c }' "$1"; }
converge() {
  local label=$1 h=$2 count=$3 tsv="$work/convergence-$1.tsv" missed early
  log "convergence: $count containers run on host-2, each reached from host-$h ($label, ${container_ns[$h]}) ..."
  dotnet bench/Backbone.OverlayBench/bin/Release/net10.0/Backbone.OverlayBench.dll --watch "$endpoints" --create "$underlay.2:2379" \
    --network bench --sender-ns "${container_ns[$h]}" --sender-sandbox "${prefix}h$h-sb-$network_vni" --receiver-prefix "${prefix}h2-" \
    --receiver-sandbox "${prefix}h2-sb-$network_vni" --samples "$count" --seed "$seed" --out "$tsv" 2>"$work/convergence-$label.log" || { tail -5 "$work/convergence-$label.log" >&2; exit 1; }
  missed="$(sample_field "$tsv" convergence_ms | grep -c -i nan || true)"
  early="$(sample_field "$tsv" convergence_ms | grep -v -i nan | awk '$1 < 0 { n++ } END { print n + 0 }')"
  echo "$label host-$h $count $missed $early $(percentiles <(sample_field "$tsv" convergence_ms)) $(percentiles <(sample_field "$tsv" registered_ms)) $(percentiles <(sample_field "$tsv" first_packet_ms))" >>"$work/convergence"
}
: >"$work/convergence"
if [ "$samples" != 0 ]; then
  converge manager 1 "$samples"
  [ "$hosts" -lt 4 ] || [ "$worker_samples" = 0 ] || converge worker 4 "$worker_samples"
fi
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# The report.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
gbits() { awk -F'\t' -v p="$1" -v t="$2" -v c="${3:-4}" '$1 == p && $2 == t { print $c }' "$work/throughput" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# Median over the rounds of backbone/kvxlan within a round (the two ran a few seconds apart: less of the machine's drift).
paired() { awk -F'\t' -v t="$1" '$2 == t && $1 == "backbone" { b[$3] = $4 } $2 == t && $1 == "kvxlan" { k[$3] = $4 }
  END { for (r in b) if (k[r] > 0) print b[r] / k[r] }' "$work/throughput" | median | xargs printf '%.3f'; }
# The rounds' own ratios in round order, and their geometric mean: the figure a ratio target is read
# from (a ratio's average is a geometric one; medians of nine noisy rounds still swing by ±5%).
rounds_of() { awk -F'\t' -v t="$1" '$2 == t && $1 == "backbone" { b[$3] = $4 } $2 == t && $1 == "kvxlan" { k[$3] = $4 }
  END { for (r = 1; r in b; r++) if (k[r] > 0) printf "%s%.2f", (r > 1 ? " " : ""), b[r] / k[r] }' "$work/throughput"; }
geomean() { awk -F'\t' -v t="$1" '$2 == t && $1 == "backbone" { b[$3] = $4 } $2 == t && $1 == "kvxlan" { k[$3] = $4 }
  END { for (r in b) if (k[r] > 0 && b[r] > 0) { s += log(b[r] / k[r]); n++ } printf "%.3f", (n ? exp(s / n) : 0) }' "$work/throughput"; }
mkdir -p bench/results
out=bench/results/overlay-latest.md
{
  echo "## Overlay between lab hosts — $started"
  echo
  echo "\`bench/overlay/run.sh\` at $commit on $(nproc) cores ($(uname -r)), $hosts lab hosts (a $((hosts < 3 ? hosts : 3))-manager cluster),"
  echo "iperf3 $(iperf3 --version | awk 'NR == 1 { print $2 }'). Load average at start $load_start, at end $load_end; $(( ($(date +%s) - started_s) / 60 )) min."
  echo "Paths, each host-1 -> host-2: **backbone** (containers on Backbone's overlay, VNI $network_vni), **kvxlan** (the same"
  echo "bridge + VXLAN + veth shape built by hand with ip(8), VNI $vni, MTU $mtu, static FDB and neighbour entries), **underlay**"
  echo "(the host namespaces over their veths and the lab bridge, MTU 1500)."
  echo "Throughput: iperf3 -t $duration, median of $rounds rounds (paths' order rotated each round), receiver's rate;"
  echo "UDP: -u -b 0 -l $udp_length (unlimited: the sender outruns the receiver, so loss is high on every path)."
  echo
  echo "| path | TCP 1 stream Gbit/s | TCP 4 streams Gbit/s | UDP Gbit/s received | UDP lost % | ping avg ms | p50 ms | p99 ms | max ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for p in $paths; do
    read -r n avg p50 p99 max < <(percentiles "$work/ping-$p.ms")
    printf '| %s | %.2f | %.2f | %.2f | %.1f | %s | %s | %s | %s |\n' "$p" "$(gbits "$p" tcp)" "$(gbits "$p" tcp4)" "$(gbits "$p" udp)" "$(gbits "$p" udp 5)" "$avg" "$p50" "$p99" "$max"
  done
  echo
  echo "Backbone / hand-built kernel VXLAN (target ≥ 0.95), ratio of the medians; in brackets the median of the rounds' own"
  echo "ratios: TCP 1 stream **$(ratio "$(gbits backbone tcp)" "$(gbits kvxlan tcp)")** ($(paired tcp)), TCP 4 streams **$(ratio "$(gbits backbone tcp4)" "$(gbits kvxlan tcp4)")** ($(paired tcp4)),"
  echo "UDP **$(ratio "$(gbits backbone udp)" "$(gbits kvxlan udp)")** ($(paired udp)). Backbone / underlay, TCP 1 stream: $(ratio "$(gbits backbone tcp)" "$(gbits underlay tcp)")."
  echo
  echo "| Backbone / hand-built, each round's own ratio | rounds | geometric mean (target ≥ 0.95) |"
  echo "|---|---|---|"
  for t in tcp tcp4 udp; do echo "| $t | $(rounds_of "$t") | **$(geomean "$t")** |"; done
  echo
  echo "Pings: $pings per path, -i $ping_interval ($(awk -F'\t' '{ printf "%s%s %s", sep, $1, $2; sep = ", " }' "$work/ping") answered)."
  echo
  if [ -s "$work/convergence" ]; then
    echo "Convergence: new containers run on host-2 one at a time; from a container's endpoint key appearing in the store"
    echo "(the first report among the managers' watches) to the first datagram from the sender's container arriving for it on host-2"
    echo "(target p99 < 100 ms). ms; nearest-rank percentiles; registration and first packet are counted from the run request."
    echo "Samples 0.2-1.2 s apart (random, seed $seed), so they fall at random phases of the agents' periodic reads."
    echo
    echo "| sender | samples | convergence p50 | p99 | max | mean | registration p50 | p99 | first packet p50 | p99 | no packet in 5 s | packet before watch |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    # label host count missed early | n avg p50 p99 max (convergence) | n avg p50 p99 max (registration) | n avg p50 p99 max (first packet)
    awk '{ printf "| %s (%s) | %s of %s | **%s** | **%s** | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $1, $6, $3, $8, $9, $10, $7, $13, $14, $18, $19, $4, $5 }' "$work/convergence"
    echo
    echo "Arrival: the first probe frame a packet socket in host-2's sandbox sees (out of vxlan0; the container's veth exists"
    echo "by then). Packet before watch: the watch's gRPC delivery is slower than the agents' in-process feed, so registration"
    echo "times are late by that and convergence understated by as much. Datagrams go about 1.1 ms apart."
    echo
  fi
  echo "<details><summary>raw</summary>"
  echo
  echo '```'
  echo "# throughput: path test round Gbit/s retransmits-or-lost% client-cpu% server-cpu%"
  cat "$work/throughput"
  for tsv in "$work"/convergence-*.tsv; do
    [ -e "$tsv" ] || continue
    echo "# convergence samples, sender $(basename "$tsv" .tsv | sed 's/^convergence-//') (ms from the run request)"
    cat "$tsv"
  done
  echo '```'
  echo "</details>"
} >"$out"
cat "$out"
log "wrote $out"
