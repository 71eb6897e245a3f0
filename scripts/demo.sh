#!/usr/bin/env bash
# demo.sh - the sample ward Lê Thanh Nghị plays its 2026 CCHC plan.
#
# Installs what is missing, builds, starts intake, scoring and notify on
# loopback with a fresh data directory and a manual clock at 01/01/2026,
# imports data/sample, and lets the simulator play the year week by week:
# the units report, the ranking moves, reminders, overdue alerts,
# escalations and tier and rank drops (from scoring's output log) go out. notify mails them (e-mail channel over SMTP) to a
# local mailbox: Debian's python3-aiosmtpd on loopback, writing a Maildir
# under .cchc/demo/mailbox. At the end the demo shows what arrived there
# (a count by kind; a reminder, an overdue alert, an escalation to the
# Chairman and a tier drop, decoded) and stops the services and the mailbox.
#
#   scripts/demo.sh                  play the year, stop everything, exit 0
#   scripts/demo.sh --keep-running   leave the services up for the CLI
#   scripts/demo.sh --stop           stop services left up by --keep-running
#   scripts/demo.sh --seed N         another (reproducible) year
# Environment: CCHC_DEMO_PORT (default 5570): intake uses it and the next
# port, scoring +10/+11, notify +20, the mailbox (SMTP) +30.
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
  for svc in notify scoring intake mailbox; do
    local pidfile=$run/$svc.pid
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "$svc did not stop within 10 s" >&2; kill -KILL "$pid"; rc=1
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
smtp_port=$((port + 30))
# Debian's interpreter, for which python3-aiosmtpd is installed
python=/usr/bin/python3
[ -x "$python" ] || python=python3

stop_services 2>/dev/null || true
rm -rf "$run"
mkdir -p "$run"
trap '[ "$keep" -eq 1 ] || stop_services' EXIT

# The local mailbox: every message notify sends is stored in a Maildir.
"$python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$run/mailbox" \
  2>"$run/mailbox.log" &
echo $! >"$run/mailbox.pid"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
  sleep 0.1
done

"$bin/services/intake/cchc-intake" --data_dir="$run/intake" --bind="$intake" --pub_bind="$intake_pub" \
  --clock=manual --clock_start=2026-01-01T00:00:00+07:00 --log_format=json 2>"$run/intake.log" &
echo $! >"$run/intake.pid"
"$bin/services/scoring/cchc-scoring" --data_dir="$run/scoring" --bind="$scoring" --pub_bind="$scoring_pub" \
  --intake="$intake" --intake_pub="$intake_pub" --log_format=json 2>"$run/scoring.log" &
echo $! >"$run/scoring.pid"
"$bin/services/notify/cchc-notify" --data_dir="$run/notify" --bind="$notify" \
  --intake="$intake" --intake_pub="$intake_pub" --scoring="$scoring" --scoring_pub="$scoring_pub" \
  --log_format=json --channels=console,file,email --smtp_url="smtp://127.0.0.1:$smtp_port" --smtp_tls=off \
  --smtp_from=cchc@lethanhnghi.example.vn --smtp_from_name="Văn phòng HĐND và UBND phường Lê Thanh Nghị" \
  --retry_ms=1000 --retry_max_ms=5000 2>"$run/notify.log" &
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
echo "== Xếp hạng quý IV, chốt hết ngày 31/12/2026 (the fourth quarter, frozen at its end) =="
"${cli[@]}" ranking --quarter 4
echo
echo "== Cảnh báo gần nhất (latest alerts) =="
"${cli[@]}" alerts --limit 5

# Wait until notify has delivered every alert it decided (none pending).
pending() {
  "${cli[@]}" alerts --limit 0 --json |
    "$python" -c 'import json,sys; print(sum(a["status"] == "pending" for a in json.load(sys.stdin)["alerts"]))'
}
for _ in $(seq 300); do
  [ "$(pending)" = 0 ] && break
  sleep 0.1
done

echo
echo "== Hộp thư thử nghiệm (the local mailbox: $run/mailbox) =="
"$python" - "$run/mailbox" <<'PY'
import email.policy
import mailbox
import sys

box = mailbox.Maildir(sys.argv[1], create=False)
kinds = {"0": "Nhắc hạn", "1": "Quá hạn", "2": "Báo cáo vượt cấp", "3": "Đã xử lý", "4": "Tụt xếp loại",
         "5": "Tụt hạng", "digest": "Tổng hợp"}
count, chairman, examples = {}, 0, {}
messages = []
for key in box.keys():
    with box.get_file(key) as f:
        messages.append(email.message_from_binary_file(f, policy=email.policy.default))
def decided(msg):
    # "Thời điểm ghi nhận: dd/mm/yyyy HH:MM" (the log time of the decision), then the token
    for line in msg.get_content().splitlines():
        if line.startswith("Thời điểm ghi nhận: "):
            d, t = line.split(": ", 1)[1].split()
            return ("/".join(reversed(d.split("/"))), t, str(msg["X-CCHC-Token"]))
    return ("", "", str(msg["X-CCHC-Token"]))
messages.sort(key=decided)
for msg in messages:
    token = str(msg["X-CCHC-Token"] or "")
    parts = token.split("/")  # ward/task/person/kind/level, or digest/ward/person/window/hash
    kind = "digest" if parts[0] == "digest" else parts[3] if len(parts) == 5 else "?"
    count[kind] = count.get(kind, 0) + 1
    if kind == "2" and parts[4] == "2":
        chairman += 1
        examples.setdefault("chairman", msg)
    elif kind in ("0", "1", "4"):
        examples.setdefault(kind, msg)
print("%d thư đã nhận (messages received): %s" % (len(messages), "; ".join(
    "%s: %d" % (kinds.get(k, k), n) for k, n in sorted(count.items()))))
print("trong đó báo cáo Chủ tịch UBND phường (to the Chairman): %d" % chairman)
for key, title in (("0", "Nhắc hạn"), ("1", "Quá hạn"), ("chairman", "Báo cáo Chủ tịch"), ("4", "Tụt xếp loại")):
    msg = examples.get(key)
    if msg is None:
        print("\n-- %s: không có thư (none) --" % title)
        continue
    body = msg.get_content().replace("\r\n", "\n").split("\n")
    print("\n-- %s --" % title)
    print("Tới (To):       %s" % msg["To"])
    print("Tiêu đề:        %s" % msg["Subject"])
    print("Gửi lúc (Date): %s" % msg["Date"])
    print("Message-ID:     %s" % msg["Message-ID"])
    print("Nội dung:       %s" % body[2])
    print("\n".join("                " + line for line in body if line.startswith("Thời điểm ghi nhận")))
if not messages or chairman == 0 or "0" not in examples or "1" not in examples:
    sys.exit("demo: the mailbox lacks a reminder, an overdue alert or an escalation to the Chairman")
PY

if [ "$keep" -eq 1 ]; then
  cat <<TXT

Các dịch vụ vẫn đang chạy (services left running; data in $run):
  ${cli[*]} ranking
  ${cli[*]} explain KTHTDT
  ${cli[*]} ranking --month 6
  ${cli[*]} history DVSNC
  ${cli[*]} alerts --limit 20
Hộp thư (mailbox, Maildir): $run/mailbox/new/
Dừng (stop): scripts/demo.sh --stop
TXT
else
  trap - EXIT
  stop_services
  echo
  echo "Đã dừng các dịch vụ. Thời gian chạy demo: $(( $(date +%s) - start )) giây."
fi
