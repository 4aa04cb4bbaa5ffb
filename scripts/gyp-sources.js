'use strict';
// Prints the addon's source files for binding.gyp: the core (native/src,
// recursively) and the glue (addon/src), relative to the package root.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
function walk(dir, exts) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(rel, exts));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(rel);
  }
  return out.sort();
}
process.stdout.write([...walk('native/src', ['.cpp']), ...walk('addon/src', ['.cc'])].join(' '));
