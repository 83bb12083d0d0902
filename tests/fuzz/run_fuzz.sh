#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets (preset `fuzz`, build/fuzz) and runs one of them for a bounded time.
#
#   tests/fuzz/run_fuzz.sh pickle|meld_csv|torch_file [SECONDS]
#
# 1. configure (first time) and build the `fuzz` preset, serialised with flock on a lock file
#    ($MLSAN_BUILD_LOCK, default build/fuzz.lock) since ctest's fuzz.pickle and fuzz.meld_csv
#    share the build;
# 2. replay, once each and at full size, tests/fuzz/regressions/<kind>/* (the crashes found
#    so far) and the real third-party files of tests/data;
# 3. fuzz for SECONDS (default $MLSAN_FUZZ_SECONDS or 45) on a temporary copy of
#    tests/fuzz/seeds/<kind> (the repository's seeds are never modified) plus the real files as
#    read-only extra seed directories; -rss_limit_mb=2048 -timeout=10 -max_len=65536.
# Exit status 0 when nothing crashed; otherwise the crash inputs are kept in
# build/fuzz/artifacts/<target>-<time>/ and their paths printed: add each (renamed to say what it
# hits) to tests/fuzz/regressions/<kind>/ once understood.
# Environment: MLSAN_FUZZ_SECONDS, MLSAN_BUILD_LOCK, MLSAN_TEST_DATA (default tests/data),
# MLSAN_FUZZ_NO_BUILD=1 (use the fuzzer already built), MLSAN_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail

usage() { echo "usage: $0 pickle|meld_csv|torch_file [SECONDS]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
case "$1" in
  pickle) kind=pickle; extra_real=(conv-emotion-cosmic) ;;
  meld_csv) kind=csv; extra_real=(meld meld-pre2020-cp1252) ;;
  torch_file) kind=torch; extra_real=() ;;
  *) usage ;;
esac
target="fuzz_$1"
seconds="${2:-${MLSAN_FUZZ_SECONDS:-45}}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build/fuzz"
fuzzer="$build/tests/fuzz/$target"
realdata="${MLSAN_TEST_DATA:-$root/tests/data}"
lock="${MLSAN_BUILD_LOCK:-$root/build/fuzz.lock}"

# --- 1. build -------------------------------------------------------------------------------
if [[ "${MLSAN_FUZZ_NO_BUILD:-0}" != 1 ]]; then
  mkdir -p "$(dirname "$lock")"
  start=$SECONDS
  log="$(mktemp)"
  if ! (
    cd "$root"
    exec 9>"$lock"
    flock 9
    if [[ ! -f "$build/CMakeCache.txt" ]]; then cmake --preset fuzz; fi
    cmake --build --preset fuzz --target "$target"
  ) >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    echo "run_fuzz: building $target (cmake --preset fuzz) failed" >&2
    exit 1
  fi
  rm -f "$log"
  echo "run_fuzz: $target built in $((SECONDS - start)) s"
fi
[[ -x "$fuzzer" ]] || { echo "run_fuzz: $fuzzer is missing" >&2; exit 1; }

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

work="$(mktemp -d "${TMPDIR:-/tmp}/mlsan-$target.XXXXXX")"
artifacts="$work/artifacts"
mkdir -p "$artifacts" "$work/corpus"
keep=0
cleanup() { if [[ $keep == 0 ]]; then rm -rf "$work"; fi; }
trap cleanup EXIT

# Crashes, leaks, timeouts, OOMs: copy them out of the temp dir, print paths, fail.
report() {
  local what="$1"
  local out="$build/artifacts/$target-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$out"
  shopt -s nullglob
  local found=("$artifacts"/*)
  shopt -u nullglob
  for f in "${found[@]}"; do cp "$f" "$out/"; done
  echo "run_fuzz: $target FAILED ($what)." >&2
  if [[ ${#found[@]} -gt 0 ]]; then
    for f in "${found[@]}"; do echo "run_fuzz: crash input: $out/$(basename "$f")" >&2; done
    echo "run_fuzz: reproduce with: $fuzzer <input>; once understood, add the input to tests/fuzz/regressions/$kind/" >&2
  fi
  exit 1
}

real_dirs=()
for d in "${extra_real[@]}"; do
  if [[ -d "$realdata/$d" ]]; then real_dirs+=("$realdata/$d"); fi
done

# --- 2. replay regressions and real files at full size ------------------------------------
replay=()
shopt -s nullglob
for f in "$here/regressions/$kind"/*; do
  case "$(basename "$f")" in README*|.git*) ;; *) replay+=("$f") ;; esac
done
for d in "${real_dirs[@]}"; do
  for f in "$d"/*; do
    case "$(basename "$f")" in *.pkl|*.csv|*.pt) replay+=("$f") ;; esac
  done
done
shopt -u nullglob
if [[ ${#replay[@]} -gt 0 ]]; then
  echo "run_fuzz: replaying ${#replay[@]} inputs (tests/fuzz/regressions/$kind and real files), each once"
  failed=()
  for f in "${replay[@]}"; do
    if ! "$fuzzer" -rss_limit_mb=2048 -timeout=30 "$f" >"$work/replay.log" 2>&1; then
      failed+=("$f")
      echo "run_fuzz: ---- $f FAILS:" >&2
      # the sanitizer's or libFuzzer's report, without libFuzzer's preamble
      sed -n '/ERROR: \|runtime error\|==ERROR\|deadly signal\|out-of-memory\|timeout after/,$p' "$work/replay.log" | head -n 60 >&2 || true
    fi
  done
  if [[ ${#failed[@]} -gt 0 ]]; then
    echo "run_fuzz: $target FAILED: ${#failed[@]} of ${#replay[@]} replayed inputs crash it:" >&2
    printf 'run_fuzz:   %s\n' "${failed[@]}" >&2
    exit 1
  fi
fi

# --- 3. fuzz -------------------------------------------------------------------------------
cp "$here/seeds/$kind"/* "$work/corpus/"
dict=()
if [[ -f "$here/$kind.dict" ]]; then dict=(-dict="$here/$kind.dict"); fi
echo "run_fuzz: fuzzing $target for $seconds s (seeds: tests/fuzz/seeds/$kind${real_dirs[*]:+ + ${real_dirs[*]}})"
# shellcheck disable=SC2086
if ! "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "${dict[@]}" ${MLSAN_FUZZ_ARGS:-} \
    "$work/corpus" "${real_dirs[@]}" >"$work/fuzz.log" 2>&1; then
  tail -n 80 "$work/fuzz.log" >&2
  report "fuzzing found a crash"
fi
grep -E '^(#[0-9]+ +DONE|Done |stat::number_of_executed_units|stat::peak_rss_mb)' "$work/fuzz.log" || tail -n 5 "$work/fuzz.log"
echo "run_fuzz: $target passed"
