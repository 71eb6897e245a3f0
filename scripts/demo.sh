#!/usr/bin/env bash
# demo.sh - the sample ward Lê Thanh Nghị plays its 2026 CCHC plan.
#
# Installs what is missing, builds, starts intake, scoring and notify on
# loopback with a fresh data directory and a manual clock at 01/01/2026,
# imports data/sample, and lets the simulator play the year week by week:
# the units report, the ranking moves, reminders, overdue alerts and
# escalations go out. Prints the final ranking and stops the services.
#
#   scripts/demo.sh                  play the year, stop everything, exit 0
#   scripts/demo.sh --keep-running   leave the services up for the CLI
#   scripts/demo.sh --stop           stop services left up by --keep-running
#   scripts/demo.sh --seed N         another (reproducible) year
# Environment: CCHC_DEMO_PORT (default 5570): intake uses it and the next
# port, scoring +10/+11, notify +20.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/.cchc/demo
keep=0
seed=2026
stop_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keep-running) keep=1 ;;
    --stop) stop_only=1 ;;
    --seed) seed=$2; shift ;;
    *) echo "usage: $0 [--keep-running] [--stop] [--seed N]" >&2; exit 2 ;;
  esac
  shift
done

stop_services() {
  local rc=0
  for svc in notify scoring intake; do
    local pidfile=$run/$svc.pid
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "cchc-$svc did not stop within 10 s" >&2; kill -KILL "$pid"; rc=1
      fi
    fi
    rm -f "$pidfile"
  done
  return $rc
}

if [ "$stop_only" -eq 1 ]; then
  stop_services && echo "Đã dừng các dịch vụ (services stopped)."
  exit $?
fi

start=$(date +%s)
"$top/scripts/build.sh" "$top/build"
bin=$top/build
port=${CCHC_DEMO_PORT:-5570}
intake=tcp://127.0.0.1:$port
intake_pub=tcp://127.0.0.1:$((port + 1))
scoring=tcp://127.0.0.1:$((port + 10))
scoring_pub=tcp://127.0.0.1:$((port + 11))
notify=tcp://127.0.0.1:$((port + 20))

stop_services 2>/dev/null || true
rm -rf "$run"
mkdir -p "$run"
trap '[ "$keep" -eq 1 ] || stop_services' EXIT

"$bin/services/intake/cchc-intake" --data_dir="$run/intake" --bind="$intake" --pub_bind="$intake_pub" \
  --clock=manual --clock_start=2026-01-01T00:00:00+07:00 --log_format=json 2>"$run/intake.log" &
echo $! >"$run/intake.pid"
"$bin/services/scoring/cchc-scoring" --data_dir="$run/scoring" --bind="$scoring" --pub_bind="$scoring_pub" \
  --intake="$intake" --intake_pub="$intake_pub" --log_format=json 2>"$run/scoring.log" &
echo $! >"$run/scoring.pid"
"$bin/services/notify/cchc-notify" --data_dir="$run/notify" --bind="$notify" \
  --intake="$intake" --intake_pub="$intake_pub" --log_format=json 2>"$run/notify.log" &
echo $! >"$run/notify.pid"

cli=("$bin/cli/cchc" --intake "$intake" --scoring "$scoring" --notify "$notify" --ward LTN)
for _ in $(seq 100); do
  "${cli[@]}" clock status >/dev/null 2>&1 && break
  sleep 0.1
done
"${cli[@]}" clock status >/dev/null

echo
echo "== Nhập kế hoạch CCHC năm 2026 của phường (import the sample plan) =="
"${cli[@]}" import "$top/data/sample"
echo
echo "== Mô phỏng năm 2026 (the simulated year) =="
"${cli[@]}" simulate "$top/data/sample" --seed "$seed"
echo
echo "== Cảnh báo gần nhất (latest alerts) =="
"${cli[@]}" alerts --limit 5

if [ "$keep" -eq 1 ]; then
  cat <<TXT

Các dịch vụ vẫn đang chạy (services left running; data in $run):
  ${cli[*]} ranking
  ${cli[*]} explain KTHTDT
  ${cli[*]} alerts --limit 20
Dừng (stop): scripts/demo.sh --stop
TXT
else
  trap - EXIT
  stop_services
  echo
  echo "Đã dừng các dịch vụ. Thời gian chạy demo: $(( $(date +%s) - start )) giây."
fi
