# Sourced by bench/dns/run.sh: checking a server's answers with dig, and the dnsperf points.
# Needs $host, $work, $data, $zone, $queries, $clk_tck, and the running server's $name, $port, $server_pid.

# A process and all its descendants, one pid a line.
process_tree() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      found[root] = 1; n = 1
      while (n) { n = 0; for (p in parent) if (!(p in found) && (parent[p] in found)) { found[p] = 1; n++ } }
      for (p in found) print p
    }'
}

# "utime stime", in clock ticks, of a process and all its descendants (NSD serves from a child
# process; the others are one process, threads included in its own counters).
tree_ticks() {
  local user=0 system=0 pid fields
  for pid in $(process_tree "$1"); do
    # Field 2 (comm) may hold spaces: count from after its closing parenthesis (state is field 3).
    fields="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
    set -- $fields
    user=$((user + ${12}))
    system=$((system + ${13}))
  done
  echo "$user $system"
}

# Status and sorted answer data of one dig question, on one line: "NOERROR 10.200.0.2 ...".
ask() {
  local qname=$1 qtype=$2 out status
  out="$(dig @"$host" -p "$port" "$qname" "$qtype" +tries=2 +time=2 +noall +comments +answer 2>&1)" || { echo "NO-ANSWER"; return; }
  status="$(sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -1)"
  echo "${status:-NO-ANSWER} $(awk '!/^;/ && NF >= 5 { print $NF }' <<<"$out" | sort | tr '\n' ' ')"
}

# Fails the run unless the server answers like the data says: A (one address; the round-robin
# name all ten), NODATA for AAAA of a known name, and each PTR's name. The same for every server.
verify_answers() {
  local n1 n2 n3 want got qname failures=0 rr_addresses ptr_of
  read -r n1 n2 n3 < <(awk '$1 == "A" && $2 ~ /^svc/ { s[++n] = $2 } END { print s[1], s[int(n / 2)], s[n] }' "$data")
  rr_addresses="$(awk '$1 == "A" && $2 == "rr" { print $3 }' "$data" | sort | tr '\n' ' ')"
  check() {
    if [ "$2" != "$3" ]; then
      echo "run.sh: $name answered $1 with \"$3\", expected \"$2\"" >&2
      failures=$((failures + 1))
    fi
  }
  for qname in "$n1" "$n2" "$n3"; do
    want="NOERROR $(awk -v n="$qname" '$1 == "A" && $2 == n { print $3 }' "$data") "
    check "$qname.$zone A" "$want" "$(ask "$qname.$zone" A)"
    ptr_of="$(awk -v n="$qname" '$1 == "PTR" && $3 == n { print $2 }' "$data")"
    check "PTR $ptr_of" "NOERROR $qname.$zone. " "$(dig_ptr "$ptr_of")"
  done
  check "rr.$zone A" "NOERROR $rr_addresses" "$(ask "rr.$zone" A)"
  check "$n2.$zone AAAA" "NOERROR " "$(ask "$n2.$zone" AAAA)"
  [ "$failures" = 0 ] || { echo "run.sh: $name does not serve the benchmark's data; not measured" >&2; exit 1; }
  echo "  $name: answers checked (A, the 10-address set, NODATA for AAAA, PTR)" >&2
}

dig_ptr() {
  local reverse
  reverse="$(awk -v a="$1" 'BEGIN { split(a, o, "."); print o[4] "." o[3] "." o[2] "." o[1] ".in-addr.arpa" }')"
  ask "$reverse" PTR
}

# Waits (30 s at most) until the server answers the first name, or with "any", until it answers
# NOERROR at all (the floor responder serves no data); fails if it exits.
wait_answering() {
  local first
  first="$(awk '$1 == "A" && $2 ~ /^svc/ { print $2; exit }' "$data")"
  for _ in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: $name exited at start; its log:" >&2; tail -20 "$work/$name.log" >&2; exit 1; }
    if [ "${1:-}" = any ]; then
      dig @"$host" -p "$port" "$first.$zone" A +tries=1 +time=1 2>/dev/null | grep -q 'status: NOERROR' && return
    else
      [ "$(dig @"$host" -p "$port" "$first.$zone" A +tries=1 +time=1 +short 2>/dev/null)" != "" ] && return
    fi
    sleep 0.1
  done
  echo "run.sh: $name on $host:$port did not answer $first.$zone in 30 s; its log:" >&2
  tail -20 "$work/$name.log" >&2
  exit 1
}

# A dnsperf run from the query file; its output goes to $work/$name.$label.out.
perf() {
  local label=$1
  shift
  dnsperf -s "$host" -p "$port" -d "$queries" "$@" >"$work/$name.$label.out" 2>&1 ||
    { echo "run.sh: dnsperf ($label) against $name failed:" >&2; tail -5 "$work/$name.$label.out" >&2; exit 1; }
}

# One statistic from a dnsperf output: completed, lost, qps.
stat_of() {
  local file=$1 what=$2
  case $what in
    completed) awk '/Queries completed:/ { print $3 }' "$file" ;;
    lost) awk '/Queries lost:/ { print $3 }' "$file" ;;
    qps) awk '/Queries per second:/ { printf "%.0f", $4 }' "$file" ;;
  esac
}

# Fails unless every response of a run was NOERROR (a rate limiter or a wrong answer shows here).
require_noerror() {
  local file=$1 codes
  codes="$(grep 'Response codes:' "$file" | sed 's/.*Response codes: *//')"
  case $codes in
    "NOERROR "*"(100.00%)") ;;
    *) echo "run.sh: $name answered with other rcodes than NOERROR: $codes" >&2; exit 1 ;;
  esac
}

# Latency percentiles (ms) from dnsperf -v lines "> RCODE name type seconds".
percentiles() {
  awk '$1 == ">" && NF == 5 { print $5 }' "$1" | sort -g |
    awk '{ v[++n] = $1 } END {
      if (!n) { print "– –"; exit }
      p50 = int(n * 0.50 + 0.999999); p99 = int(n * 0.99 + 0.999999)
      printf "%.3f %.3f\n", v[p50] * 1000, v[p99] * 1000
    }'
}

# Every point against the running server; appends one line to $work/results.
measure() {
  local user0 system0 user1 system1 completed cpu user_share p50 p99 qps lost burst_lost burst_qps full_qps
  require_server
  perf warmup -Q "$rate" -l "$warmup"
  require_server
  read -r user0 system0 < <(tree_ticks "$server_pid")
  perf fixed -Q "$rate" -l "$duration" -v
  read -r user1 system1 < <(tree_ticks "$server_pid")
  require_noerror "$work/$name.fixed.out"
  completed="$(stat_of "$work/$name.fixed.out" completed)"
  cpu="$(awk -v t=$((user1 + system1 - user0 - system0)) -v hz="$clk_tck" -v n="$completed" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')"
  user_share="$(awk -v u=$((user1 - user0)) -v t=$((user1 + system1 - user0 - system0)) 'BEGIN { printf "%.0f", t ? 100 * u / t : 0 }')"
  read -r p50 p99 < <(percentiles "$work/$name.fixed.out")
  qps="$(stat_of "$work/$name.fixed.out" qps)"
  lost="$(stat_of "$work/$name.fixed.out" lost)"
  echo "  $name at $rate/s: $cpu µs CPU per query ($user_share% in user space), p50 $p50 ms, p99 $p99 ms, $qps qps, $lost lost" >&2
  require_server
  perf burst -c 32 -q 2000 -l "$burst_duration"
  burst_lost="$(stat_of "$work/$name.burst.out" lost)"
  burst_qps="$(stat_of "$work/$name.burst.out" qps)"
  echo "  $name burst (-c 32 -q 2000, $burst_duration s): $burst_lost lost, $burst_qps qps" >&2
  require_server
  perf full -c "$full_clients" -q "$full_outstanding" -l "$duration"
  full_qps="$(stat_of "$work/$name.full.out" qps)"
  echo "  $name full load (-c $full_clients -q $full_outstanding): $full_qps qps, $(stat_of "$work/$name.full.out" lost) lost" >&2
  require_server
  echo "$name|$(server_version "$name")|$cpu|$user_share|$p50|$p99|$qps|$lost|$burst_lost|$burst_qps|$full_qps" >>"$work/results"
}
