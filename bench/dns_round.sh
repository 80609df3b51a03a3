#!/usr/bin/env bash
# DNS probe round benchmark: 1,000 MX lookups in one DnsProber round (c-ares,
# concurrent) vs the same lookups one after another with res_nquery.
#
# Runs everything inside a private network namespace: unbound serves a
# static zone of N domains on 127.0.0.1:53 there, and the namespace has no
# route anywhere else, so no query can reach a real resolver. A second run
# puts tools/udp_delay_proxy.py (DELAY_MS per answer) in front of unbound to
# show that a round is bounded by the slowest answer, not by the name count.
#
# usage (root): bench/dns_round.sh [BUILD_DIR]   env: NAMES=1000 DELAY_MS=50
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-dns}
BIN=$BUILD/bench/dns_round_bench
NAMES=${NAMES:-1000}
DELAY_MS=${DELAY_MS:-50}
NS=mfdnsbench$$
DIR=$(mktemp -d /tmp/mailflow-dnsbench.XXXXXX)
cleanup() {
  [ -f "$DIR/proxy.pid" ] && kill "$(cat "$DIR/proxy.pid")" 2>/dev/null || true
  [ -f "$DIR/unbound.pid" ] && kill "$(cat "$DIR/unbound.pid")" 2>/dev/null || true
  sleep 0.2
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
[ -x "$BIN" ] || { echo "build dns_round_bench first (ninja -C $BUILD dns_round_bench)"; exit 2; }

{
  cat <<CF
server:
  interface: 127.0.0.1
  port: 53
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$DIR"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  do-not-query-address: 0.0.0.0/0
  do-not-query-address: ::/0
  local-zone: "." refuse
  local-zone: "bench.test." static
CF
  for i in $(seq 0 $((NAMES - 1))); do
    printf '  local-data: "d%04d.bench.test. 300 IN MX 10 mx.d%04d.bench.test."\n' "$i" "$i"
  done
  printf 'remote-control:\n  control-enable: no\n'
} > "$DIR/unbound.conf"
unbound-checkconf "$DIR/unbound.conf" >/dev/null

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" unbound -d -c "$DIR/unbound.conf" > "$DIR/unbound.log" 2>&1 &
echo $! > "$DIR/unbound.pid"
for _ in $(seq 50); do
  ip netns exec "$NS" dig +short +time=1 +tries=1 @127.0.0.1 MX d0000.bench.test >/dev/null 2>&1 && break
  sleep 0.1
done

run() {  # $1 = server, rest = benchmark args
  local server=$1; shift
  ip netns exec "$NS" env MAILFLOW_DNS_BENCH_SERVER="$server" \
    MAILFLOW_DNS_BENCH_ZONE=bench.test "$@"
}

echo "== $NAMES names, unbound on 127.0.0.1:53 (netns $NS)"
run 127.0.0.1:53 env MAILFLOW_DNS_BENCH_NAMES="$NAMES" "$BIN" --benchmark_counters_tabular=true

ip netns exec "$NS" python3 "$SRC/tests/integration/tools/udp_delay_proxy.py" \
  --listen-port 5300 --upstream 127.0.0.1:53 --delay-ms "$DELAY_MS" > "$DIR/proxy.log" 2>&1 &
echo $! > "$DIR/proxy.pid"
sleep 0.5
echo "== $NAMES names, every answer delayed ${DELAY_MS} ms (udp_delay_proxy)"
run 127.0.0.1:5300 env MAILFLOW_DNS_BENCH_NAMES="$NAMES" "$BIN" \
  --benchmark_filter=BM_ProberRound --benchmark_counters_tabular=true
echo "== 100 names (fit in one max_in_flight window), every answer delayed ${DELAY_MS} ms"
run 127.0.0.1:5300 env MAILFLOW_DNS_BENCH_NAMES=100 "$BIN" \
  --benchmark_filter='BM_ProberRound/max_in_flight:100/' --benchmark_counters_tabular=true
echo "== 50 names sequentially through the same proxy (res_nquery)"
run 127.0.0.1:5300 env MAILFLOW_DNS_BENCH_NAMES=50 "$BIN" \
  --benchmark_filter=BM_ResQuerySequential --benchmark_counters_tabular=true
