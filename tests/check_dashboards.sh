#!/usr/bin/env bash
# Static checks of everything under dashboards/: rule syntax and lint, every
# rule file's promtool unit tests, and dashboards/build.py --check: generated
# files current (fleet recording rules, Grafana dashboard), runbook links and
# sections, Alertmanager matchers naming existing alerts, no overlapping
# dashboard panels.
set -euo pipefail
cd "$(dirname "$0")/../dashboards"
fail=0
rules=$(ls alerts/*.yml recording/*.yml | grep -v '_test.yml$')
promtool check rules $rules
for t in alerts/*_test.yml recording/*_test.yml; do
  [ -f "$t" ] || continue
  (cd "$(dirname "$t")" && promtool test rules "$(basename "$t")") || fail=1
done
# Every rules file has a test file.
for r in $rules; do
  [ -f "${r%.yml}_test.yml" ] || { echo "missing promtool test for $r"; fail=1; }
done
python3 build.py --check || fail=1
amtool check-config alertmanager/alertmanager.yml || fail=1
exit $fail
