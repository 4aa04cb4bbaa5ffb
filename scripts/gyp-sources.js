'use strict';
// Prints the addon's source files for binding.gyp: the core (native/src,
// recursively) and the glue (addon/src), relative to the package root.
// `--per-variant` prints only the files compiled once per addon variant: the
// test hooks (addon/src/test_hooks.cc) and the module entry point (addon.cc,
// which must be linked as an object: nothing references it, so it would not
// be pulled out of the static library); without it, every other file.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const PER_VARIANT = ['addon/src/addon.cc', 'addon/src/test_hooks.cc'];
function walk(dir, exts) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(rel, exts));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(rel);
  }
  return out.sort();
}
// `--cli` prints the keyref command's sources (cli/, the same files
// cli/CMakeLists.txt builds).
if (process.argv.includes('--cli')) {
  process.stdout.write(walk('cli', ['.cpp']).join(' '));
  process.exit(0);
}
const all = [...walk('native/src', ['.cpp']), ...walk('addon/src', ['.cc'])];
const perVariant = process.argv.includes('--per-variant');
process.stdout.write(all.filter((f) => PER_VARIANT.includes(f) === perVariant).join(' '));
