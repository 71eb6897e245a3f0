#!/usr/bin/env bash
# build.sh - install missing Debian packages, then configure and build.
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/ at the top of the repository. The compiler's
# output goes to BUILD_DIR/build.log and is shown only when the build fails.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
shift || true
"$top/scripts/deps.sh"
mkdir -p "$build"
if ! { cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
       cmake --build "$build" -j"$(nproc)"; } >"$build/build.log" 2>&1; then
  tail -n 60 "$build/build.log" >&2
  echo "cchc: build failed (full log: $build/build.log)" >&2
  exit 1
fi
echo "cchc: built in $build"
