#!/usr/bin/env bash
# Static checks of everything under dashboards/: rule syntax and lint, every
# alert's promtool unit tests, the generated Grafana dashboard being current,
# every alert having a runbook section.
set -euo pipefail
cd "$(dirname "$0")/../dashboards"
fail=0
rules=$(ls alerts/*.yml | grep -v '_test.yml$' || true)
[ -d recording ] && rules="$rules $(ls recording/*.yml | grep -v '_test.yml$' || true)"
promtool check rules $rules
for t in alerts/*_test.yml recording/*_test.yml; do
  [ -f "$t" ] || continue
  (cd "$(dirname "$t")" && promtool test rules "$(basename "$t")")
done
# Every rules file has a test file.
for r in $rules; do
  [ -f "${r%.yml}_test.yml" ] || { echo "missing promtool test for $r"; fail=1; }
done
# Every alert has a runbook section whose anchor its runbook_url names.
for name in $(grep -h -- '- alert:' $rules | awk '{print $3}' | sort -u); do
  anchor=$(echo "$name" | tr 'A-Z' 'a-z')
  grep -q "^## $name\$" runbooks.md || { echo "runbooks.md has no section '## $name'"; fail=1; }
  grep -q "runbooks.md#$anchor\$" $rules || { echo "$name has no runbook_url to #$anchor"; fail=1; }
done
python3 grafana/build.py --check || fail=1
amtool check-config alertmanager/alertmanager.yml || fail=1
exit $fail
