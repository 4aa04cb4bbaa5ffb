#!/usr/bin/env bash
# Refreshes third_party/ from Debian 12's source packages (apt-get source,
# through scripts/debian-apt.sh), so the headers compiled into keyref are
# Debian's, security patches included:
#   cpp-httplib  -> third_party/cpp-httplib/httplib.h (the whole single header)
#   spdlog       -> third_party/spdlog/include (header-only, external fmt)
#   fmtlib       -> third_party/fmt/include (header-only, FMT_HEADER_ONLY)
# Each with its licence; third_party/VERSIONS records what was taken, and
# third_party/patches/ what keyref changed in them (applied after copying).
# Run it, review `git diff third_party`, rebuild, test, commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pkg in cpp-httplib spdlog fmtlib; do
  scripts/debian-apt.sh source bookworm "$pkg" "$work/$pkg"
done
src() { find "$work/$1" -mindepth 1 -maxdepth 1 -type d | head -1; }

rm -rf third_party/cpp-httplib third_party/spdlog third_party/fmt
mkdir -p third_party/cpp-httplib third_party/spdlog third_party/fmt
cp "$(src cpp-httplib)/httplib.h" "$(src cpp-httplib)/LICENSE" third_party/cpp-httplib/
cp -r "$(src spdlog)/include" third_party/spdlog/
cp "$(src spdlog)/LICENSE" third_party/spdlog/
cp -r "$(src fmtlib)/include" third_party/fmt/
cp "$(src fmtlib)/LICENSE.rst" third_party/fmt/
# keyref's own patches on top, each saying why in its hunks (a new Debian
# revision that already has one makes `patch` fail here: drop that file).
for p in third_party/patches/*.patch; do
  patch -p1 --forward --no-backup-if-mismatch <"$p"
done
{
  echo "# Debian 12 source packages vendored by scripts/vendor-refresh.sh"
  for pkg in cpp-httplib spdlog fmtlib; do cat "$work/$pkg/VERSION"; done
  echo "# keyref patches applied on top (third_party/patches/, each says why):"
  for p in third_party/patches/*.patch; do echo "# $(basename "$p")"; done
} >third_party/VERSIONS
echo "third_party/ refreshed:"; tail -n +2 third_party/VERSIONS
