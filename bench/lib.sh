# Shared by bench/run.sh and bench/run-cluster.sh (sourced, not run). Needs $host and $work.

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
