#!/usr/bin/env bash
# Installs what bench/overlay/run.sh needs from Debian: iperf3 (the throughput tool; no daemon is
# started, the benchmark runs its own servers inside the namespaces it makes), and iproute2 and
# iputils-ping if the machine lacks them. run.sh installs nothing itself: it checks and points here.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (apt-get)" >&2; exit 1; }
need=()
for pair in iperf3:iperf3 ip:iproute2 bridge:iproute2 ping:iputils-ping; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
[ "${#need[@]}" -gt 0 ] || { echo "install.sh: nothing to install" >&2; exit 0; }
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "install.sh: apt-get install ${need[*]} ..." >&2
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
