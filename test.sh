#!/usr/bin/env bash
# The one test command (README quick start, and what .ci/run runs): installs what the tests
# need when it is missing, builds the CLI, then runs every test project of Backbone.sln.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# Real peers the tests drive: etcdctl (client), etcd (the differential anchor), dig and kdig (DNS), ip, bridge, ping and tcpdump (the agent and the overlay).
need=()
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v etcd >/dev/null || need+=(etcd-server)
command -v dig >/dev/null || need+=(dnsutils)
command -v flock >/dev/null || need+=(util-linux)
command -v ping >/dev/null || need+=(iputils-ping)
command -v ip >/dev/null || need+=(iproute2)
command -v kdig >/dev/null || need+=(knot-dnsutils)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v bridge >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "test.sh: installing ${need[*]} ..."
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Crash tests start the real binary: build it once here, not inside a test's timeout.
./backbone --help >/dev/null

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Tests that expose an open, documented product problem run only when asked
# (BACKBONE_KNOWN_ISSUES=1 ./test.sh): see the [Trait("Category", "KnownIssue")] on each.
filter=()
if [ "${BACKBONE_KNOWN_ISSUES:-0}" != 1 ]; then
  filter=(--filter "Category!=KnownIssue")
  echo "test.sh: not running the KnownIssue tests (BACKBONE_KNOWN_ISSUES=1 runs them): $(grep -rl 'Trait("Category", "KnownIssue")' tests --include=*.cs | xargs -r -n1 basename | tr '\n' ' ')"
fi

set +e
dotnet test Backbone.sln --nologo "${filter[@]}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
