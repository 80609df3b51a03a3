#!/bin/bash
# Prints a synthetic nftables ruleset of N rules (default 5000) for the
# firewall benchmarks: a quarter source-address accepts for 587, a quarter
# per-port accepts, a quarter counters on source addresses, a quarter UDP
# rules, plus a named interval set and a jump chain. Load it with
# `nft -f FILE` inside a network namespace, never on the host.
#   bench/synthetic_ruleset.sh [N] > ruleset.nft
set -euo pipefail
N=${1:-5000}
echo 'table inet bench {'
echo '  set blocked { type ipv4_addr; flags interval; elements = { 192.0.2.0/24, 198.51.100.7 } }'
echo '  chain smtp { ip saddr @blocked drop; tcp dport 25 accept; }'
echo '  chain input { type filter hook input priority 0; policy drop;'
echo '    ct state established,related accept'
echo '    iif lo accept'
for i in $(seq 1 "$N"); do
  case $((i % 4)) in
    0) echo "    ip saddr 10.$((i / 250 % 250)).$((i % 250)).1 tcp dport 587 accept" ;;
    1) echo "    tcp dport $((10000 + i)) accept" ;;
    2) echo "    ip saddr 172.16.$((i / 250 % 250)).$((i % 250)) counter" ;;
    3) echo "    udp dport $((20000 + i)) accept" ;;
  esac
done
echo '    tcp dport { 25, 465 } jump smtp'
echo '  }'
echo '}'
