#!/usr/bin/env bash
# Idle resident memory of mailflow_exporter (postfix + listen collectors on the
# fixture tree) beside kumina's prometheus-postfix-exporter, each after 20
# scrapes. Loopback only; both processes are stopped on exit.
#   bench/idle_rss.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
tmp=$(mktemp -d); pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
cp -a tests/fixtures/e2e "$tmp/tree"
sed -i "s|@ROOT@|$tmp/tree|" "$tmp/tree/postfix/main.cf"
printf 'paths:\n  postfix_config_directory: %s/postfix\n  proc: %s/proc\n  etc: %s/etc\n' \
  "$tmp/tree" "$tmp/tree" "$tmp/tree" > "$tmp/c.yml"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
p1=$(port); p2=$(port); : > "$tmp/mail.log"
"$BUILD/exporter/mailflow_exporter" --config.file="$tmp/c.yml" --collector.disable-defaults \
  --collector.postfix --collector.listen --web.listen-address=127.0.0.1:$p1 2>/dev/null & pids+=($!)
prometheus-postfix-exporter --web.listen-address=127.0.0.1:$p2 \
  --postfix.showq_path="$tmp/none/showq" --postfix.logfile_path="$tmp/mail.log" >/dev/null 2>&1 & pids+=($!)
for p in $p1 $p2; do
  for i in $(seq 100); do curl -sf -o /dev/null 127.0.0.1:$p/metrics && break; sleep 0.1; done
  for i in $(seq 20); do curl -s -o /dev/null 127.0.0.1:$p/metrics; done
done
rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
a=$(rss "${pids[0]}"); b=$(rss "${pids[1]}")
echo "idle RSS after 20 scrapes: mailflow_exporter ${a} KiB, prometheus-postfix-exporter ${b} KiB, ratio $(echo "scale=2; $a/$b" | bc)"
