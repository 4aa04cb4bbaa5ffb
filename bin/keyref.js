#!/usr/bin/env node
// `npx keyref …`: runs the native `keyref` command (cli/, docs/cli.md). The
// command is plain C++ over keyref's core, so a key typed at its prompt goes
// from the terminal into native memory and never through JavaScript; this
// shim only finds the executable and runs it with the same terminal
// (stdio inherited), arguments and exit status.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
// Prebuilt first (node-gyp-build layout), then the package build, then a
// CMake build of the source tree.
const candidates = [
  path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'keyref'),
  path.join(root, 'build', 'Release', 'keyref'),
  path.join(root, 'build-native', 'keyref'),
];

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const exe = candidates.find(executable);
if (!exe) {
  process.stderr.write(
    `keyref: the keyref command is not built for ${process.platform}-${process.arch}.\n` +
    '  hint: build it from the package folder: cmake -S . -B build-native && ' +
    'cmake --build build-native --target keyref_cli (docs/cli.md).\n');
  process.exit(1);
}
// Ctrl-C reaches the child too (same process group); it restores the
// terminal and exits 130. The shim must not die first.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.on(sig, () => {});
const r = spawnSync(exe, process.argv.slice(2), { stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`keyref: could not run ${exe} (${r.error.code}).\n`);
  process.exit(1);
}
process.exit(r.status === null ? 128 + (require('os').constants.signals[r.signal] || 0) : r.status);
