# Shared by bench/run.sh, bench/floor.sh and bench/run-cluster.sh (sourced, not run). Needs $host and $work.

# Ports handed out by this run, so that two servers started back to back never get the same one.
bench_used_ports=" "

# Sets the variable named $1 to a port below the kernel's ephemeral range (so no outgoing
# connection holds it) that no socket uses in any state and this run has not handed out; the
# server binds it a moment later. (Not echoed: in a $(...) subshell the record of handed-out
# ports would be lost.)
free_port() {
  local bench_port bench_low
  bench_low="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)"
  while :; do
    bench_port=$((20000 + RANDOM % (bench_low - 20000)))
    case "$bench_used_ports" in *" $bench_port "*) continue ;; esac
    if [ -z "$(ss -Htan "( sport = :$bench_port or dport = :$bench_port )" 2>/dev/null)" ] &&
       ! (exec 3<>"/dev/tcp/$host/$bench_port") 2>/dev/null; then
      bench_used_ports="$bench_used_ports$bench_port "
      printf -v "$1" '%s' "$bench_port"
      return
    fi
  done
}

# On a failed run, before the temp dir goes: the tail of every server's and generator's log.
show_logs() {
  local script=$1 log
  for log in "$work"/*.log; do
    [ -s "$log" ] && { echo "$script: --- tail of $(basename "$log") ---" >&2; tail -15 "$log" >&2; }
  done
  return 0
}

# Unmeasured load on a fresh server before its first point: $2 seconds (BENCH_SETTLE, 0 skips it),
# half puts, half linearizable gets, 64 clients, at the endpoints $1; the generator's errors go to
# $3. A .NET node's JIT recompiles hot code for its first minute or two (perf: 30% of a leader's
# samples in libclrjit 10 s into a put run, none 90 s in), which would tax only the first points
# of Backbone's suite; etcd, compiled ahead of time, gets the same load. Needs $bench_dll, $name.
settle_in() {
  local endpoints=$1 seconds=$2 log=$3 op
  [ "$seconds" -gt 0 ] || return 0
  echo "  $name: settling in for $seconds s (unmeasured puts, then linearizable gets)" >&2
  for op in put range; do
    dotnet "$bench_dll" --endpoint "$endpoints" --op "$op" --clients 64 --connections 8 \
      --duration $((seconds / 2)) --warmup 0 --label "settle-$op" >/dev/null 2>>"$log" ||
      echo "  $name: the settling-in load ($op) failed; measuring anyway (see $log)" >&2
  done
}

# The single server under test ($server_pid), for the scripts that run one at a time: SIGTERM,
# up to 10 s to stop cleanly, then SIGKILL.
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# Waits until $server_pid answers `endpoint health` on port $1; fails, showing its log $2, if it
# exits or takes over 120 s (./backbone rebuilds first when someone changed the sources since
# the build). Messages start with $3, the calling script's name.
wait_ready() {
  local port=$1 log=$2 script=$3
  for _ in $(seq 1 1200); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$script: the server exited; its log:" >&2
      tail -30 "$log" >&2
      exit 1
    fi
    etcdctl --endpoints "$host:$port" --command-timeout=1s endpoint health >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "$script: the server on $host:$port did not become healthy in 120 s; its log:" >&2
  tail -30 "$log" >&2
  exit 1
}
