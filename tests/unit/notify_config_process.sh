#!/usr/bin/env bash
# notify_config_process.sh CCHC_NOTIFY SOURCE_DIR - `cchc-notify
# --check-config` as deploy/README.md and ALERTS.md promise it: exit 0 for
# the shipped notify.ini; exit 2 and a bad_setting line naming the key for
# each setting a start would refuse.
set -uo pipefail
bin=$1
src=$2
conf=(--config "$src/deploy/config/notify.ini" --holidays_file="$src/data/calendar/holidays-2026.txt")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" "${conf[@]}" --check-config >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  cat "$out" >&2
  echo "FAIL: the shipped notify.ini: exit $rc, expected 0" >&2
  exit 1
fi
# key=value that a start refuses, and the key the refusal must name
for bad in holidays_file=/nonexistent/holidays.txt digest_window_min=7 escalation_days=bogus \
  working_hours=8h-17h tier_drop=maybe deliver_outside_hours=sometimes; do
  key=${bad%%=*}
  "$bin" "${conf[@]}" "--$bad" --check-config >"$out" 2>&1
  rc=$?
  if [ "$rc" -ne 2 ] || ! grep -q "bad_setting.*$key" "$out"; then
    cat "$out" >&2
    echo "FAIL: --$bad: exit $rc, expected 2 and a bad_setting line naming $key" >&2
    exit 1
  fi
done
echo "notify --check-config: the shipped file passes, 6 bad settings refused with exit 2"
