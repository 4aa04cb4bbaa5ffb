#!/usr/bin/env bash
# Soak run (docs/reliability.md): 100,000 requests and 100,000 check() calls
# through one Sidecar, with figures. Not part of scripts/test.sh at this
# size; test/node/soak_small.test.js runs a bounded version.
#   scripts/soak.sh [REQUESTS] [CHECKS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec node --expose-gc bench/soak.js --requests "${1:-100000}" --checks "${2:-100000}"
