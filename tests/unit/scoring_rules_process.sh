#!/usr/bin/env bash
# scoring_rules_process.sh CCHC_SCORING SOURCE_DIR - the rules file through
# the real process (no intake needed: scoring waits for it on ipc sockets):
#   1. --check-config with the shipped rules.ini: "rules OK" and the defaults;
#   2. --check-config and a start with a bad file: exit 2, file:line named;
#   3. SIGHUP with a bad file: rules_reload_failed naming the line, still
#      running; SIGHUP with a good file: rules_reloaded; SIGTERM: exit 0.
# What each reload does to scores is proven by test_rules_file (test_reload).
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  if [ -f "$tmp/log" ]; then cat "$tmp/log" >&2; fi
  exit 1
}
# wait_log PATTERN: until the log has a line matching it (10 s at most).
wait_log() {
  for _ in $(seq 100); do
    if grep -q -- "$1" "$tmp/log"; then return 0; fi
    sleep 0.1
  done
  fail "no log line matching '$1'"
}
eps=(--data_dir "$tmp/data" --bind "ipc://$tmp/q" --pub_bind "ipc://$tmp/p"
     --intake "ipc://$tmp/i" --intake_pub "ipc://$tmp/ip" --log_format json)

# 1. The shipped file, checked: the defaults printed.
out=$("$bin" --config "$src/deploy/config/scoring.ini" --rules_file "$src/deploy/config/rules.ini" --check-config)
grep -q "rules OK (file: $src/deploy/config/rules.ini)" <<<"$out" || fail "shipped rules not OK: $out"
grep -q "^excellent = 90$" <<<"$out" || fail "effective rules not printed: $out"
grep -q "^cap = 5$" <<<"$out" || fail "effective rules not printed: $out"

# 2. A bad file: refused by --check-config and at start, with file and line.
printf '; bad\n[tiers]\ngood = 95\n' >"$tmp/bad.ini"
if "$bin" --rules_file "$tmp/bad.ini" --check-config >/dev/null 2>"$tmp/err"; then fail "check accepted a bad file"; fi
grep -q "$tmp/bad.ini:3: thresholds out of order" "$tmp/err" || fail "check: $(cat "$tmp/err")"
set +e
"$bin" "${eps[@]}" --rules_file "$tmp/bad.ini" 2>"$tmp/log"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "start with a bad file exited $rc, expected 2"
grep -q '"event":"rules_invalid".*bad.ini:3: thresholds out of order' "$tmp/log" || fail "start: no rules_invalid"
grep -q '"event":"ready"' "$tmp/log" && fail "started with a bad rules file"

# 3. Reloads.
cp "$src/deploy/config/rules.ini" "$tmp/rules.ini"
"$bin" "${eps[@]}" --rules_file "$tmp/rules.ini" 2>"$tmp/log" &
pid=$!
wait_log '"event":"ready"'
printf '[tiers]\nexcellent = 90\nbogus = 1\n' >"$tmp/rules.ini"
kill -HUP "$pid"
wait_log '"event":"rules_reload_failed".*rules.ini:3: unknown key .bogus. in \[tiers\]'
kill -0 "$pid" || fail "scoring died on a bad reload"
printf '[tiers]\nexcellent = 95\n' >"$tmp/rules.ini"
kill -HUP "$pid"
wait_log '"event":"rules_reloaded"'
kill -HUP "$pid"
wait_log '"event":"rules_unchanged"'
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"
echo "scoring rules process test: OK"
