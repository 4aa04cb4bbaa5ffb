#!/usr/bin/env bash
# Mutation run over the security-critical code (scripts/mutations.txt):
# applies each mutation alone, rebuilds what it touches, runs the tests that
# cover it, and counts it killed when a test fails. Prints one line per
# mutation and the kill ratio. Slow (one rebuild per mutation): run locally,
# not in CI. The tree is restored after every mutation, and on exit.
#   scripts/mutate.sh [FILTER]   only mutations whose title contains FILTER
#                                (several: 'one|two')
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${MUTATE_BUILD:-build-mutate}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEYREF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target keyref_native_tests >/dev/null
exec python3 - "$build" "${1:-}" <<'PY'
import os, subprocess, sys
build, only = sys.argv[1], sys.argv[2]
blocks, cur = [], None
for line in open('scripts/mutations.txt'):
    line = line.rstrip('\n')
    if line.startswith('== '):
        cur = {'title': line[3:], 'file': None, 'minus': [], 'plus': []}
        blocks.append(cur)
    elif cur is None or line.startswith('#'):
        continue
    elif cur['file'] is None and line.strip():
        cur['file'] = line.strip()
    elif line.startswith('-'):
        cur['minus'].append(line[1:])
    elif line.startswith('+'):
        cur['plus'].append(line[1:])

def run(cmd, timeout=900):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return 124

def native_tests():
    if run(f'cmake --build {build} -j2 --target keyref_native_tests') != 0:
        return 'build-failed'
    rc = run(f'scripts/with-keyring.sh {build}/keyref_native_tests --gtest_brief=1')
    return 'killed' if rc != 0 else 'survived'

TS_TESTS = 'test/node/webview.test.js test/node/profiles.test.js test/node/redaction.test.js test/node/secrets_canary.test.js'
def ts_tests():
    if run('npx tsc -p addon/ts/tsconfig.json') != 0:
        return 'build-failed'
    rc = run(f'scripts/with-keyring.sh node --test --test-concurrency=1 {TS_TESTS}')
    return 'killed' if rc != 0 else 'survived'

results = []
for b in blocks:
    if only and not any(o in b['title'] for o in only.split('|')):
        continue
    path = b['file']
    if not os.path.exists(path):
        results.append(('stale', b['title']))
        print(f'{"stale":12} {b["title"]}', flush=True)
        continue
    src = open(path).read()
    old, new = '\n'.join(b['minus']) + '\n', '\n'.join(b['plus']) + '\n'
    n = src.count(old)
    if n != 1:
        verdict = 'stale' if n == 0 else 'ambiguous'
    else:
        try:
            open(path, 'w').write(src.replace(old, new))
            verdict = ts_tests() if path.startswith('addon/ts/') else native_tests()
        finally:
            open(path, 'w').write(src)
    results.append((verdict, b['title']))
    print(f'{verdict:12} {b["title"]}', flush=True)

# Leave the build and dist as the tree says.
run(f'cmake --build {build} -j2 --target keyref_native_tests')
if any(b['file'].startswith('addon/ts/') for b in blocks):
    run('npx tsc -p addon/ts/tsconfig.json')
counted = [v for v, _ in results if v in ('killed', 'survived')]
killed = counted.count('killed')
print(f'kill ratio: {killed}/{len(counted)} '
      f'(stale {sum(v == "stale" for v, _ in results)}, '
      f'ambiguous {sum(v == "ambiguous" for v, _ in results)}, '
      f'not compiled {sum(v == "build-failed" for v, _ in results)})')
sys.exit(0 if killed == len(counted) else 1)
PY
