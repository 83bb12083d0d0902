#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# CI: build the .deb with CPack, check that it depends on runtime packages only and that lintian
# finds no error in it, install it with apt, run the installed `mlsan --version` and `mlsan demo`,
# then remove it again.
# Usage: test-deb.sh [BUILD_DIR]   (default build/release; needs root or sudo for apt)
set -euo pipefail
build=$(realpath "${1:-build/release}")
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }

rm -f "$build"/mlsan-studio_*.deb
(cd "$build" && cpack -G DEB >cpack.log 2>&1) || { cat "$build/cpack.log"; fail "cpack"; }
deb=$(ls "$build"/mlsan-studio_*.deb)
echo "test-deb: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
depends=$(dpkg-deb -f "$deb" Depends)
echo "test-deb: Depends: $depends"
if echo "$depends" | tr ',' '\n' | grep -E -- '-dev( |$|\()'; then fail "the package depends on -dev packages"; fi
echo "$depends" | grep -q 'libtorch' || fail "no libtorch runtime dependency"
echo "$depends" | grep -q 'libqt6widgets6' || fail "no Qt runtime dependency"
for f in ./usr/bin/mlsan ./usr/bin/mlsan-studio ./usr/share/applications/org.mlsan.Studio.desktop \
         ./usr/share/metainfo/org.mlsan.Studio.metainfo.xml ./usr/share/man/man1/mlsan.1.gz \
         ./usr/share/doc/mlsan-studio/USER_GUIDE.md ./usr/share/doc/mlsan-studio/copyright \
         ./usr/share/doc/mlsan-studio/changelog.gz; do
  dpkg-deb -c "$deb" | awk '{print $6}' | grep -qx "$f" || fail "$f is not in the package"
done
# Debian's package checker: errors fail, warnings and notes are shown.
if command -v lintian >/dev/null; then
  lintian_out=$(lintian --tag-display-limit 0 "$deb" 2>&1 || true)
  [ -z "$lintian_out" ] || echo "$lintian_out" | sed 's/^/test-deb: lintian: /'
  errors=$(echo "$lintian_out" | grep -c '^E: ' || true)
  [ "$errors" -eq 0 ] || fail "lintian reports $errors error(s)"
  echo "test-deb: lintian: no errors ($(echo "$lintian_out" | grep -c '^W: ' || true) warning(s))"
else
  fail "lintian is not installed (packaging/install-deps.sh installs it)"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q "$deb"
trap '$SUDO apt-get remove -y -q --purge mlsan-studio >/dev/null 2>&1 || true' EXIT
[ "$(command -v mlsan)" = /usr/bin/mlsan ] || fail "mlsan is not /usr/bin/mlsan after installing"
/usr/bin/mlsan --version
work=$(mktemp -d)
start=$(date +%s)
(cd "$work" && /usr/bin/mlsan demo --out "$work/demo") || fail "the installed mlsan demo"
echo "test-deb: installed mlsan demo took $(( $(date +%s) - start )) s"
rm -rf "$work"
$SUDO apt-get remove -y -q --purge mlsan-studio
trap - EXIT
[ ! -e /usr/bin/mlsan ] || fail "/usr/bin/mlsan is still there after removing the package"
echo "test-deb: installed, ran and removed $(basename "$deb")"
