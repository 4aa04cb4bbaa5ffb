'use strict';
// The conditions under which addon/src/sidecar_redact.cc makes external
// results: the running Node exports the Node-API 10 call (not looked up
// here: Node >= 20.4 has it; Electron copies instead) and the kernel offers
// transparent huge pages.
const fs = require('node:fs');

function externalExpected() {
  let thp = '';
  try {
    thp = fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {}
  const [major, minor] = process.versions.node.split('.').map(Number);
  return /\[(always|madvise)\]/.test(thp) && (major > 20 || (major === 20 && minor >= 4)) && !process.versions.electron;
}

module.exports = { externalExpected };
