#!/usr/bin/env bash
# The demo: installs what is missing, builds, and runs examples/demo.js.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh >&2
exec scripts/with-keyring.sh node examples/demo.js "$@"
