#!/usr/bin/env bash
# A private apt for fetching Debian packages without touching the machine's
# own apt setup: its own sources, lists and cache under $KEYREF_APT_DIR
# (default build-prebuild/apt). Used by the prebuild (OpenSSL's source
# package) and the shipped-artifact tests (arm64 and Debian 11 libraries).
#
#   debian-apt.sh source SUITE PKG DEST     unpack PKG's source package in DEST
#   debian-apt.sh debs SUITE ARCH DEST PKG…  download PKG…'s .debs into DEST
#
# SUITE is a Debian release (bookworm, bullseye); its -updates and -security
# suites are included, so a security fix arrives with the next fetch.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${KEYREF_APT_DIR:-$root/build-prebuild/apt}

setup() {  # setup SUITE ARCH TYPE -> prints the apt option list file
  local suite=$1 arch=$2 type=$3 dir="$base/$1-$2-$3"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/preferences.d"
  cat >"$dir/etc/sources.list" <<LIST
$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite-updates main
$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main
LIST
  : >"$dir/status"
  opts=(-o "Dir::Etc::SourceList=$dir/etc/sources.list" -o "Dir::Etc::SourceParts=-"
    -o "Dir::Etc::Preferences=$dir/etc/preferences" -o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::State::Status=$dir/status"
    -o "Dir::Cache::Archives=$dir/archives" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
    -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
    -o "Acquire::Languages=none" -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  if [ ! -e "$dir/updated" ]; then
    apt-get "${opts[@]}" update -qq
    touch "$dir/updated"
  fi
}

cmd=${1:?usage: debian-apt.sh source|debs ...}; shift
case $cmd in
  source)
    suite=$1 pkg=$2 dest=$3
    command -v dpkg-source >/dev/null || {
      echo "debian-apt.sh: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }
    setup "$suite" amd64 deb-src
    mkdir -p "$dest"
    # Newest version first; an older one if a mirror lacks the newest's files.
    mapfile -t versions < <(apt-cache "${opts[@]}" showsrc "$pkg" |
      sed -n 's/^Version: //p' | sort -rVu)
    for v in "${versions[@]}"; do
      if (cd "$dest" && apt-get "${opts[@]}" source -qq "$pkg=$v" >"$dest/apt-source.log" 2>&1); then
        echo "$pkg $v" >"$dest/VERSION"
        exit 0
      fi
      echo "debian-apt.sh: $pkg $v not available, trying an older version" >&2
    done
    echo "debian-apt.sh: apt-get source $pkg failed (see $dest/apt-source.log)" >&2
    exit 1
    ;;
  debs)
    suite=$1 arch=$2 dest=$3; shift 3
    setup "$suite" "$arch" deb
    mkdir -p "$dest"
    (cd "$dest" && apt-get "${opts[@]}" download -qq "${@/%/:$arch}")
    ;;
  *) echo "debian-apt.sh: unknown command $cmd" >&2; exit 2 ;;
esac
