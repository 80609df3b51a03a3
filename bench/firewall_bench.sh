#!/bin/bash
# Cost of evaluating a large ruleset vs reading it with `nft -j list ruleset`.
# Loads N rules (default 5000: source allowlist entries, port rules, a set)
# into a private network namespace, then times with hyperfine:
#   1. nft -j list ruleset            (what every scrape runs)
#   2. firewall_eval_cli on its output (parse + evaluate 4 ports, v4+v6)
# usage: bench/firewall_bench.sh BUILD_DIR [N]     (root; needs hyperfine)
set -euo pipefail
BUILD=${1:?build dir}; N=${2:-5000}
CLI=$BUILD/tests/unit/lib/firewall/firewall_eval_cli
NS=mfbench$$; TMP=$(mktemp -d)
trap 'ip netns del $NS 2>/dev/null; rm -rf $TMP' EXIT
ip netns add $NS
{
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
} > $TMP/ruleset.nft
ip netns exec $NS nft -f $TMP/ruleset.nft
ip netns exec $NS nft -j list ruleset > $TMP/ruleset.json
echo "rules: $N, JSON: $(wc -c < $TMP/ruleset.json) bytes"
"$CLI" --nft $TMP/ruleset.json --ipv6 25 587 465 2525
hyperfine -N --warmup 3 --runs 20 \
  "ip netns exec $NS nft -j list ruleset" \
  "$CLI --nft $TMP/ruleset.json --ipv6 25 587 465 2525"
