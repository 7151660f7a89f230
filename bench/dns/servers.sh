# Sourced by bench/dns/run.sh: every server's data and configuration, written from the one data
# file that seeding Backbone produced (lines "A name address" and "PTR address name", names
# relative to the zone/network "bench"), and how each server is started in the foreground on a
# loopback port with only our files. Needs $host, $work, $data, $ttl.

zone=bench

# The reverse zone holding every address of the data file: all are in one /16 of the benchmark
# network, so its reverse zone is "<b>.<a>.in-addr.arpa" (fails if an address is outside it).
reverse_zone() {
  awk '$1 == "A" { split($3, o, "."); z = o[2] "." o[1] ".in-addr.arpa"; if (seen && z != seen) bad = 1; seen = z }
       END { if (bad || !seen) exit 1; print seen }' "$data"
}

# The relative owner name of an address's PTR inside the reverse zone (10.200.3.7 -> 7.3).
ptr_owner_awk='function owner(a,  o) { split(a, o, "."); return o[4] "." o[3] }'

# One zone file: the SOA and NS every authoritative server needs, then the records.
zone_file() {
  local origin=$1 records=$2
  {
    echo "\$ORIGIN $origin."
    echo "\$TTL $ttl"
    echo "@ IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 $ttl"
    echo "@ IN NS ns.invalid."
    cat "$records"
  } 
}

# bench.zone, reverse.zone (NSD, Knot), unbound-data.conf (Unbound), hosts (dnsmasq): the same records.
write_server_data() {
  rev="$(reverse_zone)" || { echo "run.sh: the seeded addresses are not all in one /16" >&2; exit 1; }
  awk -v ttl="$ttl" '$1 == "A" { print $2, ttl, "IN A", $3 }' "$data" >"$work/forward.records"
  awk -v ttl="$ttl" -v zone="$zone" "$ptr_owner_awk"' $1 == "PTR" { print owner($2), ttl, "IN PTR", $3 "." zone "." }' "$data" >"$work/reverse.records"
  zone_file "$zone" "$work/forward.records" >"$work/bench.zone"
  zone_file "$rev" "$work/reverse.records" >"$work/reverse.zone"
  awk -v ttl="$ttl" -v zone="$zone" '
    $1 == "A"   { printf "local-data: \"%s.%s. %s IN A %s\"\n", $2, zone, ttl, $3 }
    $1 == "PTR" { split($2, o, "."); printf "local-data: \"%s.%s.%s.%s.in-addr.arpa. %s IN PTR %s.%s.\"\n", o[4], o[3], o[2], o[1], ttl, $3, zone }
  ' "$data" >"$work/unbound-data.conf"
  # A hosts line per address: its PTR name first (dnsmasq answers PTR with the first), then every
  # other name with that address (the round-robin name on each of its tasks' lines).
  awk -v zone="$zone" '
    $1 == "PTR" { ptr[$2] = $3; order[++n] = $2 }
    $1 == "A"   { names[$3] = names[$3] " " $2 }
    END {
      for (i = 1; i <= n; i++) {
        a = order[i]; line = a " " ptr[a] "." zone
        k = split(names[a], list, " ")
        for (j = 1; j <= k; j++) if (list[j] != ptr[a]) line = line " " list[j] "." zone
        print line
      }
    }' "$data" >"$work/hosts"
}

# Each start_<server> PORT starts it in the foreground (background job) and sets server_pid.

start_unbound() {
  local port=$1 dir="$work/unbound"
  mkdir -p "$dir"
  cat >"$dir/unbound.conf" <<CONF
server:
    interface: $host@$port
    port: $port
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    # Nothing but our two zones: every other name is refused, so it never recurses anywhere.
    local-zone: "." refuse
    local-zone: "$zone." static
    local-zone: "$rev." static
    include: "$work/unbound-data.conf"
remote-control:
    control-enable: no
CONF
  unbound -d -c "$dir/unbound.conf" >"$work/unbound.log" 2>&1 &
  server_pid=$!
}

start_nsd() {
  local port=$1 dir="$work/nsd"
  mkdir -p "$dir"
  cat >"$dir/nsd.conf" <<CONF
server:
    ip-address: $host@$port
    port: $port
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$work"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    logfile: "$work/nsd.log"
    verbosity: 0
    hide-version: yes
    # Response rate limiting would cap dnsperf's one source at ~2k queries/s.
    rrl-ratelimit: 0
    # No NS records in the authority section of every answer: the same answer size as the others.
    minimal-responses: yes
remote-control:
    control-enable: no
zone:
    name: "$zone"
    zonefile: "bench.zone"
zone:
    name: "$rev"
    zonefile: "reverse.zone"
CONF
  nsd -d -c "$dir/nsd.conf" >>"$work/nsd.log" 2>&1 &
  server_pid=$!
}

start_knot() {
  local port=$1 dir="$work/knot"
  mkdir -p "$dir/db"
  cat >"$dir/knot.conf" <<CONF
server:
    rundir: "$dir"
    listen: $host@$port
log:
  - target: stderr
    any: warning
database:
    storage: "$dir/db"
template:
  - id: default
    storage: "$work"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $zone.
    file: bench.zone
  - domain: $rev.
    file: reverse.zone
CONF
  knotd -c "$dir/knot.conf" >"$work/knot.log" 2>&1 &
  server_pid=$!
}

start_dnsmasq() {
  local port=$1
  # No upstream at all (--no-resolv, no --server), our hosts file only; --local keeps the zones'
  # missing names and types answered here (NODATA / NXDOMAIN), never sent anywhere.
  dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root --pid-file="$work/dnsmasq.pid" \
    --port="$port" --listen-address="$host" --bind-interfaces --no-resolv --no-hosts --addn-hosts="$work/hosts" \
    --local="/$zone/" --local="/$rev/" --local-ttl="$ttl" --log-facility=- >"$work/dnsmasq.log" 2>&1 &
  server_pid=$!
}

# Backbone: one node, its host DNS listener on PORT, forwarding only to a dead loopback port (no
# name of the benchmark is ever forwarded; if one were, it could not leave the machine).
start_backbone() {
  local port=$1 client peer dead
  free_port client
  free_port peer
  free_udp_port dead
  "$backbone" node --init --name n1 --data-dir "$work/backbone-data" --listen-client "$host:$client" --listen-peer "$host:$peer" \
    --no-agent --dns-addr "$host:$port" --dns-upstream "$host:$dead" --dns-ttl "$ttl" >"$work/backbone.log" 2>&1 &
  server_pid=$!
  backbone_client="$host:$client"
}

# The floor: bench/dns/floor/responder.c, built here, answering every query with NODATA through
# the same recvmmsg/sendmmsg loop as Backbone's: what the kernel's path alone costs a query.
start_floor() {
  local port=$1
  cc -O2 -Wall -Wextra -Werror -o "$work/floor-responder" "$root/bench/dns/floor/responder.c" >"$work/floor.log" 2>&1 ||
    { echo "run.sh: building the floor responder failed:" >&2; cat "$work/floor.log" >&2; exit 1; }
  "$work/floor-responder" "$host" "$port" >>"$work/floor.log" 2>&1 &
  server_pid=$!
}

server_version() {
  case $1 in
    floor) echo "floor (kernel path only)" ;;
    backbone) echo "Backbone $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" ;;
    unbound) echo "Unbound $(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }')" ;;
    nsd) echo "NSD $(nsd -v 2>&1 | awk '/version/ { print $3; exit }')" ;;
    knot) echo "Knot $(knotd -V 2>&1 | grep -o -E '[0-9]+\.[0-9]+\.[0-9]+' | head -1)" ;;
    dnsmasq) echo "dnsmasq $(dnsmasq -v 2>/dev/null | awk 'NR == 1 { print $3 }')" ;;
  esac
}
