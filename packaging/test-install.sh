#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# ctest packaging.install: `cmake --install` into a scratch prefix, then checks what a user and a
# desktop get: both programs run from there, the desktop entry and AppStream metadata validate,
# every command has a manual page that renders without warnings, the user guide and its
# pictures are there, and mlsan-studio opens a run folder and a corpus folder given as arguments.
# Usage: test-install.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
bin="$prefix/bin"
share="$prefix/share"

# The programs, from the install tree.
"$bin/mlsan" --version | grep -q '^mlsan [0-9]' || fail "installed mlsan --version"
QT_QPA_PLATFORM=offscreen "$bin/mlsan-studio" --version | grep -q 'ML-SAN Studio' || fail "installed mlsan-studio --version"

# Desktop integration.
desktop="$share/applications/org.mlsan.Studio.desktop"
metainfo="$share/metainfo/org.mlsan.Studio.metainfo.xml"
[ -f "$desktop" ] || fail "no desktop entry"
[ -f "$metainfo" ] || fail "no AppStream metadata"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
else
  echo "note: desktop-file-validate not installed (desktop-file-utils); entry not validated"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate $metainfo"
else
  echo "note: appstreamcli not installed (appstream); metadata not validated"
fi
icon=$(sed -n 's/^Icon=//p' "$desktop")
for size in 16 22 24 32 48 64 128 256; do
  png="$share/icons/hicolor/${size}x${size}/apps/$icon.png"
  [ -s "$png" ] || fail "no ${size}px icon ($png)"
  head -c 8 "$png" | od -An -tx1 | grep -q '89 50 4e 47' || fail "$png is not a PNG"
done
[ -s "$share/icons/hicolor/scalable/apps/$icon.svg" ] || fail "no scalable icon"

# Manual pages (gzip-compressed, as Debian installs them): one for mlsan, one per subcommand
# (nested ones too), one for the studio.
man1="$share/man/man1"
for page in mlsan mlsan-studio; do [ -s "$man1/$page.1.gz" ] || fail "no manual page $page.1.gz"; done
subs=$("$bin/mlsan" --help | awk '/^Subcommands:/{on=1; next} on && /^$/{exit} on && /^  [a-z]/{print $1}')
[ -n "$subs" ] || fail "mlsan --help lists no subcommands"
for sub in $subs; do
  [ -s "$man1/mlsan-$sub.1.gz" ] || fail "no manual page for mlsan $sub"
  grep -q -- 'Print this help message' <("$bin/mlsan" $sub --help) || fail "mlsan $sub --help"
done
[ -s "$man1/mlsan-corpus-demo.1.gz" ] || fail "no manual page for mlsan corpus demo"
if ls "$man1"/*.1 >/dev/null 2>&1; then fail "uncompressed manual pages installed: $(ls "$man1"/*.1)"; fi
if command -v groff >/dev/null; then
  for page in "$man1"/*.1.gz; do
    warnings=$(gzip -dc "$page" | groff -man -Tutf8 -ww -z 2>&1 || true)
    [ -z "$warnings" ] || fail "$page: groff warnings: $warnings"
  done
  gzip -dc "$man1/mlsan-train.1.gz" | groff -man -Tutf8 2>/dev/null | grep -q -- '--resume' || fail "mlsan-train.1 does not describe --resume"
  gzip -dc "$man1/mlsan-studio.1.gz" | groff -man -Tutf8 2>/dev/null | grep -q -- 'PATH' || fail "mlsan-studio.1 does not describe PATH"
else
  echo "note: groff not installed; manual pages not rendered"
fi

# The documentation, with every picture the guide shows.
doc="$share/doc/mlsan-studio"
[ -s "$doc/USER_GUIDE.md" ] || fail "no user guide"
[ -s "$doc/README.md" ] || fail "no README"
[ -s "$doc/CUDA.md" ] || fail "no CUDA.md"
[ -s "$doc/copyright" ] || fail "no copyright file"
grep -q '^License: GPL-3.0-or-later' "$doc/copyright" || fail "the copyright file does not give the project's licence"
gzip -dc "$doc/changelog.gz" | head -1 | grep -q '^mlsan-studio (' || fail "no changelog.gz in Debian's format"
images=$(grep -o '(images/[^)]*\.png)' "$doc/USER_GUIDE.md" | tr -d '()' | sort -u)
[ -n "$images" ] || fail "the user guide shows no pictures"
for img in $images; do [ -s "$doc/$img" ] || fail "the guide shows $img, which is not installed"; done

# mlsan-studio opens what it is given: a run folder (and the corpus it was trained on), a
# corpus folder; a path that does not exist is an error that names it.
"$bin/mlsan" train --corpus demo --epochs 1 --threads 2 --out "$work/run" >"$work/train.log" 2>&1 || fail "mlsan train (see $work/train.log)"
export QT_QPA_PLATFORM=offscreen MLSAN_CACHE_DIR="$work/cache" HOME="$work/home"
"$bin/mlsan-studio" --no-settings --screenshot "$work/run.png" "$work/run" 2>"$work/studio-run.log" ||
  fail "mlsan-studio RUN: $(cat "$work/studio-run.log")"
grep -q "with 1 run(s) loaded" "$work/studio-run.log" || fail "mlsan-studio RUN did not load the run: $(cat "$work/studio-run.log")"
"$bin/mlsan" corpus demo --out "$work/corpus" --dialogues 60 >/dev/null
"$bin/mlsan-studio" --no-settings --screenshot "$work/corpus.png" "$work/corpus" 2>"$work/studio-corpus.log" ||
  fail "mlsan-studio CORPUS: $(cat "$work/studio-corpus.log")"
grep -q "with 0 run(s) loaded" "$work/studio-corpus.log" || fail "mlsan-studio CORPUS: $(cat "$work/studio-corpus.log")"
if "$bin/mlsan-studio" --no-settings "$work/no-such-folder" 2>"$work/studio-missing.log"; then fail "mlsan-studio MISSING succeeded"; fi
grep -q "no-such-folder: no such file or folder" "$work/studio-missing.log" || fail "mlsan-studio MISSING: $(cat "$work/studio-missing.log")"
echo "packaging.install: all checks passed ($(find "$prefix" -type f | wc -l) files installed)"
