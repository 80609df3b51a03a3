#!/usr/bin/env bash
# Queue scrape benchmark: our exporter's queue collector vs `postqueue -j`,
# vs kumina's prometheus-postfix-exporter (showq), vs the floor (open + read
# the first 4 KiB of every file), on the same spool of N synthetic deferred
# messages owned by a real, running private Postfix instance.
#
#   N=100000 bench/queue_compare.sh            (build dir: ./build)
#   BUILD_DIR=build-queue N=1000000 SKIP_PEERS=1 bench/queue_compare.sh
#   REPS=3 BASE_EXPORTER=/path/to/old/mailflow_exporter bench/queue_compare.sh
#
# REPS repeats the floor and a fresh exporter's first (cold) scrape; with
# BASE_EXPORTER, another build of the exporter (e.g. before a change) is
# timed the same way on the same spool, interleaved, for a side-by-side.
#
# Run by hand, as root (Postfix instance, chown to postfix). Takes ~3 min at
# N=100,000 on an idle 2-core box (writing the spool is ~1 min of that).
# Everything listens on 127.0.0.1; the spool lives in a temp dir removed at
# the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
BUILD_DIR=${BUILD_DIR:-build}
TOOL=$BUILD_DIR/bench/queue_scan_bench
EXPORTER=$BUILD_DIR/exporter/mailflow_exporter
[ -x "$TOOL" ] && [ -x "$EXPORTER" ] || {
  echo "build first: ninja -C $BUILD_DIR queue_scan_bench mailflow_exporter" >&2; exit 2; }

W=$(mktemp -d /tmp/mailflow-qbench-XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  postfix -c "$W/etc" stop >/dev/null 2>&1 || true
  sleep 1
  [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
secs() { python3 -c "print('%.3f' % ($2 - $1))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
# CPU seconds (user + system, all threads) of a running process.
cpu_of() { awk -v t="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }

# --- a private Postfix instance whose queue_directory is the spool ----------
mkdir -p "$W/etc" "$W/spool" "$W/data"
chown postfix:postfix "$W/data"
cp /etc/postfix/master.cf "$W/etc/master.cf"
SMTP_PORT=$(free_port)
cat > "$W/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $W/spool
data_directory = $W/data
syslog_name = postfix
myhostname = bench.mailflow-ci.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relayhost = [127.0.0.1]:9
smtp_dns_support_level = disabled
defer_transports = smtp
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 4000s
CF
postconf -c "$W/etc" -F '*/*/chroot = n'
postconf -c "$W/etc" -M# smtp/inet
postconf -c "$W/etc" -M "127.0.0.1:$SMTP_PORT/inet=127.0.0.1:$SMTP_PORT inet n - n - - smtpd"
postfix -c "$W/etc" check

echo "== writing $N synthetic deferred messages (+ defer logs)"
"$TOOL" write "$W/spool" "$N" "$(id -u postfix)" "$(id -g postfix)"

postfix -c "$W/etc" start >/dev/null
for _ in $(seq 100); do [ -S "$W/spool/public/showq" ] && break; sleep 0.1; done
# Warm the page cache once for everyone.
find "$W/spool/deferred" "$W/spool/defer" -type f -exec cat {} + > /dev/null

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat > "$W/mailflow.yml" <<YML
collectors:
  queue:
    queue_directory: $W/spool
YML
SUMMARY=()

# run_exporter LABEL BINARY SCRAPES: a fresh exporter (empty cache), queue
# collector only; SCRAPES scrapes, the first one cold. Sets FIRST (wall
# seconds) and FIRST_CPU (the exporter's CPU seconds during it).
run_exporter() {
  local label=$1 bin=$2 scrapes=$3 port pid i t c0
  port=$(free_port)
  "$bin" --web.listen-address=127.0.0.1:$port --config.file="$W/mailflow.yml" \
    --collector.disable-defaults --collector.queue > "$W/exporter.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 100); do curl -sf -o /dev/null "127.0.0.1:$port/-/healthy" && break; sleep 0.1; done
  for i in $(seq "$scrapes"); do
    c0=$(cpu_of "$pid")
    t=$(curl -s -H 'X-Prometheus-Scrape-Timeout-Seconds: 300' -o "$W/ours.txt" \
      -w '%{time_total}' "127.0.0.1:$port/metrics")
    [ "$i" = 1 ] && FIRST=$t && FIRST_CPU=$(python3 -c "print('%.3f' % ($(cpu_of "$pid") - $c0))")
    echo "$label scrape $i: ${t}s"
    grep -E '^mailflow_(queue_messages\{queue="deferred"|queue_scan_parsed_files|collector_success\{collector="queue")' "$W/ours.txt" | tr '\n' ' '; echo
    echo "   exporter VmRSS: $(awk '/VmRSS/{print $2" "$3}' /proc/$pid/status)"
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

for rep in $(seq "${REPS:-1}"); do
  echo "== repetition $rep: floor (open + read 4 KiB + close, single thread)"
  "$TOOL" floor "$W/spool" deferred
  out=$("$TOOL" floor "$W/spool" deferred defer)
  echo "$out"
  FLOOR=$(echo "$out" | awk '{print $2}')
  FLOOR_CPU=$(echo "$out" | awk '{print $5}')
  echo "== mailflow_exporter, queue collector only"
  # Five scrapes (first + steady state) in the first repetition, then cold
  # scrapes only; with BASE_EXPORTER the order alternates.
  line="rep $rep: floor ${FLOOR}s (CPU ${FLOOR_CPU}s)"
  if [ -n "${BASE_EXPORTER:-}" ] && [ $((rep % 2)) = 0 ]; then
    run_exporter base "$BASE_EXPORTER" 1
    line+=", base first ${FIRST}s ($(ratio "$FIRST" "$FLOOR")x), CPU ${FIRST_CPU}s ($(ratio "$FIRST_CPU" "$FLOOR_CPU")x)"
  fi
  run_exporter ours "$EXPORTER" "$([ "$rep" = 1 ] && echo 5 || echo 1)"
  line+=", ours first ${FIRST}s ($(ratio "$FIRST" "$FLOOR")x), CPU ${FIRST_CPU}s ($(ratio "$FIRST_CPU" "$FLOOR_CPU")x)"
  if [ -n "${BASE_EXPORTER:-}" ] && [ $((rep % 2)) = 1 ]; then
    run_exporter base "$BASE_EXPORTER" 1
    line+=", base first ${FIRST}s ($(ratio "$FIRST" "$FLOOR")x), CPU ${FIRST_CPU}s ($(ratio "$FIRST_CPU" "$FLOOR_CPU")x)"
  fi
  SUMMARY+=("$line")
done
echo "== first scrape / floor (deferred + defer): wall, CPU"
printf '%s\n' "${SUMMARY[@]}"

if [ "${SKIP_PEERS:-0}" != 1 ]; then
  echo "== postqueue -j > /dev/null"
  for i in 1 2; do
    s=$(now); postqueue -c "$W/etc" -j > /dev/null; e=$(now)
    echo "postqueue -j run $i: $(secs "$s" "$e")s"
  done
  echo "== kumina prometheus-postfix-exporter (showq)"
  KPORT=$(free_port)
  : > "$W/empty.log"
  prometheus-postfix-exporter --web.listen-address=127.0.0.1:$KPORT \
    --postfix.showq_path="$W/spool/public/showq" \
    --postfix.logfile_path="$W/empty.log" > "$W/kumina.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$KPORT/metrics" && break; sleep 0.1; done
  for i in 1 2 3; do
    curl -s -o "$W/kumina.txt" -w "kumina scrape $i: %{time_total}s\n" "127.0.0.1:$KPORT/metrics"
  done
  grep -E '^postfix_(up|showq_message_age_seconds_count)' "$W/kumina.txt" || true
fi
