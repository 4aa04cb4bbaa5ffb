#!/usr/bin/env bash
# Installs what keyref needs on a Debian 12 machine and builds the addon.
# Quick when everything is already there: one dpkg query, and npm / node-gyp
# only when package.json or a source file changed. Sourced by test.sh and
# demo.sh; safe to run by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config python3
  nlohmann-json3-dev libsecret-1-dev libglib2.0-dev libssl-dev openssl
  dpkg-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang libclang-rt-14-dev gdb
  dbus dbus-x11 gnome-keyring libsecret-tools pass gnupg
)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "keyref: need root (or sudo) to run: $*" >&2; return 1; fi
}

missing=()
while read -r pkg status; do
  [ "$status" = installed ] || missing+=("$pkg")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)
# dpkg-query says nothing for packages it has never heard of.
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
done
if ! command -v node >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "keyref: installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, the addon and the TypeScript surface.
newer_than() {  # newer_than TARGET PATH... : true if TARGET is missing or older
  [ -e "$1" ] || return 0
  local target=$1; shift
  [ -n "$(find "$@" -newer "$target" -type f -print -quit 2>/dev/null)" ]
}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# keytar (a benchmark devDependency) builds from source with node-gyp when
# npm runs its install script; point node-gyp at the installed headers, as
# scripts/build-addon.js does, since this machine cannot download them.
node_prefix=$(node -p "require('path').resolve(process.execPath, '..', '..')" 2>/dev/null || true)
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node_api.h" ]; then
  export npm_config_nodedir="$node_prefix"
fi
if newer_than node_modules/.package-lock.json package.json package-lock.json; then
  echo "keyref: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi
# The shipped addon and, for the tests, its variant with the test hooks
# compiled in (build/Release/keyref_test_hooks.node; binding.gyp). npm
# install above builds only the shipped one.
addon_inputs=(native addon/src third_party binding.gyp scripts/gyp-sources.js scripts/build-addon.js)
if newer_than build/Release/keyref.node "${addon_inputs[@]}" ||
   newer_than build/Release/keyref_test_hooks.node "${addon_inputs[@]}"; then
  echo "keyref: building the addon (and its test-hooks variant)"
  node scripts/build-addon.js --incremental --test-hooks
fi
if newer_than addon/dist/index.js addon/ts; then
  npm run --silent build:ts
fi
