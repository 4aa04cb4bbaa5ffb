#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a throwaway, unlocked
# gnome-keyring (the real Secret Service), so keyring tests never touch the
# user's own keyring. Usage: scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail
if [ "${KEYREF_IN_KEYRING_SESSION:-}" = 1 ]; then exec "$@"; fi
export KEYREF_IN_KEYRING_SESSION=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keyref-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# shellcheck disable=SC2016
dbus-run-session -- bash -c '
  set -e
  # --unlock reads the new login keyring password from stdin.
  eval "$(printf "keyref-test" | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  "$@"
' keyring-session "$@"
