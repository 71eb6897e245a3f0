#!/usr/bin/env bash
# test.sh - build and run every test: first the normal build, then the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            both builds
#   scripts/test.sh --quick    the normal build only
# Extra arguments after -- go to ctest (e.g. -- -L integration).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: $0 [--quick] [-- ctest args]" >&2; exit 2 ;;
  esac
  shift
done

echo "== build (RelWithDebInfo) =="
"$top/scripts/build.sh" "$top/build"
echo "== ctest =="
ctest --test-dir "$top/build" --output-on-failure -j2 "${ctest_args[@]}"

if [ "$quick" -eq 0 ]; then
  echo "== build (ASan + UBSan) =="
  "$top/scripts/build.sh" "$top/build-asan" -DCCHC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  echo "== ctest under ASan + UBSan =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$top/build-asan" --output-on-failure -j2 "${ctest_args[@]}"
fi
