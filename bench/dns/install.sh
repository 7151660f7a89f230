# Sourced by bench/dns/run.sh: installs what is missing with apt (dnsperf, the four C servers,
# dig) without leaving any of their system daemons running: ours run on high loopback ports with
# our own config files, and nothing of this benchmark may sit on port 53.

policy_created=0

install_missing() {
  local need=() pair tool
  for pair in dnsperf:dnsperf unbound:unbound nsd:nsd knotd:knot dnsmasq:dnsmasq-base dig:dnsutils cc:gcc; do
    tool="${pair%%:*}"
    command -v "$tool" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  [ "${#need[@]}" -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || { echo "run.sh: missing ${need[*]}: apt-get install them (as root)" >&2; exit 1; }
  # Debian starts a package's daemon at install unless /usr/sbin/policy-rc.d says no (exit 101):
  # say no for this install when nothing says it already; removed again right after (and on exit).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# bench/dns/run.sh: no daemon starts while it installs packages (removed after)\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_created=1
  fi
  echo "run.sh: installing ${need[*]} ..." >&2
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >"$work/apt.log" 2>&1; then
    apt-get update -qq >>"$work/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >>"$work/apt.log" 2>&1 ||
      { tail -20 "$work/apt.log" >&2; exit 1; }
  fi
  restore_policy
  # Nor at boot, nor now if something started one anyway (systemd machines; elsewhere nothing does).
  local unit
  if [ -d /run/systemd/system ]; then
    for unit in unbound nsd knot; do systemctl disable --now "$unit" >/dev/null 2>&1 || true; done
  fi
  local listening
  listening="$(ss -Hlnup '( sport = :53 )' 2>/dev/null | grep -o -E '"(unbound|nsd|knotd|dnsmasq)"' | sort -u | tr '\n' ' ' || true)"
  if [ -n "$listening" ]; then
    echo "run.sh: after the install, ${listening}listen on port 53; stop them (systemctl disable --now ...) and run again" >&2
    exit 1
  fi
}

restore_policy() {
  if [ "$policy_created" = 1 ]; then
    rm -f /usr/sbin/policy-rc.d
    policy_created=0
  fi
}
