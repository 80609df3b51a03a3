#!/bin/bash
# The firewall collector on a large ruleset, in a private network namespace:
#   1. hyperfine: `nft -j list ruleset` (the old per-scrape floor: every
#      scrape ran it) vs firewall_eval_cli on its output (parse + evaluate
#      4 ports, v4+v6, process start included);
#   2. firewall_generation_bench: the new floor (the generation id read over
#      netlink, the x_tables fingerprint) beside the old one in-process;
#   3. with LEGACY=1, the same N rules also loaded into iptables-legacy: the
#      fingerprint's cost then, vs `iptables-legacy-save`;
#   4. bench/scrape_cost.py: the exporter's CPU per scrape with only the
#      firewall collector on the same synthetic ruleset, steady state and
#      with one rule added before every scrape, beside kumina.
# usage: bench/firewall_bench.sh BUILD_DIR [N]     (root; needs hyperfine, wrk,
#        prometheus-postfix-exporter; targets firewall_eval_cli,
#        firewall_generation_bench, mailflow_exporter)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?build dir}; N=${2:-5000}
CLI=$BUILD/tests/unit/lib/firewall/firewall_eval_cli
GEN=$BUILD/bench/firewall_generation_bench
NS=mfbench$$; TMP=$(mktemp -d)
trap 'ip netns del $NS 2>/dev/null; rm -rf $TMP' EXIT
ip netns add $NS
ip -n $NS link set lo up
bench/synthetic_ruleset.sh "$N" > $TMP/ruleset.nft
ip netns exec $NS nft -f $TMP/ruleset.nft
ip netns exec $NS nft -j list ruleset > $TMP/ruleset.json
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rules: $N, JSON: $(wc -c < $TMP/ruleset.json) bytes"
"$CLI" --nft $TMP/ruleset.json --ipv6 25 587 465 2525
hyperfine -N --warmup 3 --runs 20 \
  "ip netns exec $NS nft -j list ruleset" \
  "$CLI --nft $TMP/ruleset.json --ipv6 25 587 465 2525"
ip netns exec $NS "$GEN" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
if [ "${LEGACY:-0}" = 1 ]; then
  {
    echo '*filter'
    echo ':INPUT ACCEPT [0:0]'
    for i in $(seq 1 "$N"); do
      echo "-A INPUT -s 10.$((i / 250 % 250)).$((i % 250)).1/32 -p tcp --dport 587 -j ACCEPT"
    done
    echo 'COMMIT'
  } > $TMP/legacy.rules
  ip netns exec $NS iptables-legacy-restore < $TMP/legacy.rules
  echo "legacy x_tables: $N rules loaded as well"
  hyperfine -N --warmup 3 --runs 20 "ip netns exec $NS iptables-legacy-save"
  ip netns exec $NS "$GEN" --benchmark_filter=Xtables --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/scrape_cost.py --build "$BUILD" --rules "$N" --scenarios firewall,firewall+rule
