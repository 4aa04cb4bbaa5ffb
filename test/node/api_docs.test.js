'use strict';
// docs/api.md is the public API reference: every export of addon/ts/index.ts
// has a "### `Name`" entry, every public Sidecar method a row, and every
// option of the main option objects is named in its entry.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const read = (rel) => fs.readFileSync(path.join(root, rel), 'utf8');
const api = read('docs/api.md');

function exportsOfIndex() {
  const names = [];
  for (const m of read('addon/ts/index.ts').matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.push(name);
    }
  }
  return names;
}

// The text of the "### `Name`" entry, up to the next heading.
function entry(name) {
  const at = api.search(new RegExp(`^### \`${name}[\`(]`, 'm'));
  if (at < 0) return null;
  const rest = api.slice(at + 4);
  const end = rest.search(/^##/m);
  return end < 0 ? rest : rest.slice(0, end);
}

// Where the interfaces other option objects extend are declared.
const PARENTS = { LLMConfiguration: 'addon/ts/llm_configuration.ts' };

// Member names of an interface in a TS source file, inherited ones included
// (`extends Parent` or `extends Omit<Parent, 'a' | 'b'>` for a Parent in PARENTS).
function members(file, iface) {
  const text = read(file);
  const head = new RegExp(`export interface ${iface}(?: extends ([^{]+))? \\{`).exec(text);
  assert.ok(head, `${iface} not found in ${file}`);
  const body = text.slice(head.index, text.indexOf('\n}\n', head.index));
  const own = [...body.matchAll(/^ {2}(?:readonly )?([A-Za-z_]\w*)\??[:(]/gm)].map((m) => m[1]);
  if (!head[1]) return own;
  const ext = /^(?:Omit<)?(\w+)((?:,\s*'[^']+'(?:\s*\|\s*'[^']+')*)?)>?\s*$/.exec(head[1].trim());
  assert.ok(ext && PARENTS[ext[1]], `${iface} extends ${head[1].trim()}: add its file to PARENTS`);
  const omitted = [...ext[2].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  const inherited = members(PARENTS[ext[1]], ext[1]).filter((n) => !omitted.includes(n) && !own.includes(n));
  return [...own, ...inherited];
}

test('every export of index.ts has an entry in docs/api.md', () => {
  const names = exportsOfIndex();
  assert.ok(names.length > 40, `found only ${names.length} exports in index.ts`);
  const missing = names.filter((n) => entry(n) === null);
  assert.deepEqual(missing, [], `docs/api.md has no "### \`NAME\`" entry for: ${missing.join(', ')}`);
});

test('every public Sidecar method and every option is documented in its entry', () => {
  const sidecar = entry('Sidecar');
  const { Sidecar } = require(root);
  const methods = Object.getOwnPropertyNames(Sidecar.prototype)
    .filter((n) => n !== 'constructor' && typeof n === 'string');
  for (const m of methods) assert.ok(sidecar.includes(`\`${m}(`), `docs/api.md, Sidecar: no row for ${m}()`);
  for (const [file, iface] of [['addon/ts/request.ts', 'RequestOptions'], ['addon/ts/sidecar.ts', 'SidecarOptions'],
    ['addon/ts/sidecar.ts', 'SidecarPolicy'], ['addon/ts/chat.ts', 'ChatOptions'],
    ['addon/ts/profile_export.ts', 'ExportOptions']]) {
    const text = entry(iface);
    for (const name of members(file, iface)) {
      assert.ok(text.includes(`\`${name}\``), `docs/api.md, ${iface}: option ${name} is not documented`);
    }
  }
});
