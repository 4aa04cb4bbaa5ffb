#!/usr/bin/env bash
# Refuses a prebuilt addon that would not load on every Linux VS Code
# supports (glibc >= 2.28, libstdc++ >= 3.4.25):
#   - NEEDED only the C runtime (libc, libm, libdl, libpthread, librt,
#     ld-linux; libstdc++ / libgcc_s only within the floor);
#   - no GLIBC_ symbol version above 2.28, no GLIBCXX_ above 3.4.25,
#     no CXXABI_ above 1.3.11 (gcc 8's);
#   - no undefined symbol except Node-API's (provided by node) and the C
#     runtime's: a stray libsecret / GLib / OpenSSL reference would fail
#     at dlopen time on a host without that library;
#   - exports only the Node-API entry points (scripts/prebuild/exports.map);
#   - the right machine for ARCH.
#   check-prebuild.sh [--exe] ARCH FILE
# --exe: FILE is the command-line tool: no Node-API symbols, no exports
# (but compiler-rt's weak libc functions; see below).
set -euo pipefail
exe=0
if [ "${1:-}" = --exe ]; then exe=1; shift; fi
arch=$1 file=$2
fail=0
err() { echo "check-prebuild: $file: $*" >&2; fail=1; }
command -v readelf >/dev/null || { echo "check-prebuild: readelf missing (binutils)" >&2; exit 1; }

machine=$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')
case $arch in
  x64) [ "$machine" = "Advanced Micro Devices X86-64" ] || err "machine is '$machine', not x86-64" ;;
  arm64) [ "$machine" = "AArch64" ] || err "machine is '$machine', not AArch64" ;;
esac

allowed='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
while read -r lib; do
  [[ $lib =~ $allowed ]] || err "needs $lib (only the C runtime is allowed)"
done < <(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

# Version floor: the highest version of each family the binary requires.
max_version() {  # max_version PREFIX -> highest PREFIX_x.y.z required, or empty
  { readelf -V "$file" | grep -o "Name: $1_[0-9.]*" || true; } | sed "s/Name: $1_//" | sort -V | tail -1
}
above() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" != "$2" ]; }
v=$(max_version GLIBC); above "$v" 2.28 && err "needs GLIBC_$v (floor 2.28)"
v=$(max_version GLIBCXX); above "$v" 3.4.25 && err "needs GLIBCXX_$v (floor 3.4.25)"
v=$(max_version CXXABI); above "$v" 1.3.11 && err "needs CXXABI_$v (floor 1.3.11)"

# Undefined symbols: Node-API (napi_*, node_api_*, from node itself) or
# versioned C-runtime symbols (name@GLIBC_x); anything else unversioned is a
# library the host may not have. Weak ones (__gmon_start__) may stay unbound.
while read -r sym; do
  case $sym in
    napi_* | node_api_*) [ $exe = 0 ] || err "undefined symbol $sym in an executable" ;;
    *@GLIBC_* | *@GCC_* | *@GLIBCXX_* | *@CXXABI_*) ;;
    *) err "undefined symbol $sym (not Node-API, not the C runtime)" ;;
  esac
done < <(readelf --dyn-syms -W "$file" | awk '$7 == "UND" && $5 != "WEAK" && $8 != "" { print $8 }')

# Exports: the Node-API entry points only. An executable (--exe) exports
# glibc's crt1 marker and, as weak symbols, the memory and math functions
# zig's compiler-rt defines: lld exports an executable's definition of a name
# the C runtime's libraries also define, and no option zig passes through
# keeps it local. They are complete implementations of the same functions,
# so a library the command loads (libsecret) that binds to them still works;
# a shared library (the addon) must export nothing of the kind.
exe_weak='^(mem(set|cpy|move|cmp)|bcmp|(sin|cos|tan|sincos|exp|exp2|log|log2|log10|fabs|fmod|fma|fmin|fmax|floor|ceil|round|trunc|sqrt)[fl]?)$'
while read -r bind sym; do
  case $sym in
    napi_register_module_v1 | node_api_module_get_api_version_v1) [ $exe = 0 ] || err "exports $sym" ;;
    _IO_stdin_used) [ $exe = 1 ] || err "exports $sym" ;;  # glibc's crt1 marker
    *)
      if [ $exe = 1 ] && [ "$bind" = WEAK ] && [[ $sym =~ $exe_weak ]]; then continue; fi
      err "exports $sym (only the Node-API entry points may be exported)" ;;
  esac
done < <(readelf --dyn-syms -W "$file" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $8 != "" { print $5, $8 }')

if [ $fail -ne 0 ]; then exit 1; fi
echo "check-prebuild: $file ok ($arch; NEEDED: $(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')GLIBC <= $(max_version GLIBC))"
