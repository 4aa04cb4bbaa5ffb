'use strict';
// Builds build/Release/keyref.node with node-gyp. This is what `npm install`
// runs. node-gyp needs Node's headers; this machine cannot download them, so
// it is pointed at headers that are already installed: npm_config_nodedir if
// it has them, else the prefix of the running node (Debian's and
// NodeSource's nodejs packages ship them in <prefix>/include/node).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function hasHeaders(dir) {
  return dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h'));
}

function findNodedir() {
  const candidates = [
    process.env.npm_config_nodedir,
    process.env.KEYREF_NODEDIR,
    path.resolve(path.dirname(process.execPath), '..'),
  ];
  return candidates.find(hasHeaders);
}

function findNodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  } catch {
    // npm ships its own copy next to npm-cli.js.
    const npmCli = process.env.npm_execpath;
    if (npmCli) {
      const bundled = path.join(path.dirname(npmCli), '..', 'node_modules',
        'node-gyp', 'bin', 'node-gyp.js');
      if (fs.existsSync(bundled)) return bundled;
    }
  }
  return null;
}

const nodedir = findNodedir();
if (!nodedir) {
  console.error('keyref: no Node.js headers found (include/node/node_api.h).\n' +
    'Install the headers that match your node (Debian: they ship with the nodejs\n' +
    'package) or set KEYREF_NODEDIR to the prefix that holds include/node.');
  process.exit(1);
}
const gyp = findNodeGyp();
if (!gyp) {
  console.error('keyref: node-gyp not found; run npm install first.');
  process.exit(1);
}
const debug = process.argv.includes('--debug');
// --test-hooks: also build build/Release/keyref_test_hooks.node, the addon
// with its test hooks compiled in, which the Node tests load
// (test/node/helpers/test_hooks.js). npm install never passes it, so a
// user's build has no hooks at all.
const testHooks = process.argv.includes('--test-hooks');
// --incremental: `node-gyp build` when the build is configured for the same
// source list; a new or removed file, or --test-hooks added, needs gyp to
// configure again, which it does without cleaning, so that make rebuilds only
// what changed (after npm install built the shipped addon, adding the
// test-hooks variant compiles two files and links once more).
const listed = (...flags) => spawnSync(process.execPath, [path.join(__dirname, 'gyp-sources.js'), ...flags],
  { cwd: root, encoding: 'utf8' }).stdout;
const sources = `${listed()}\n${listed('--per-variant')}\n${listed('--cli')}${testHooks ? '\n--test-hooks' : ''}`;
const stamp = path.join(root, 'build', 'keyref-sources.txt');
const configured = fs.existsSync(path.join(root, 'build', 'Makefile')) &&
  fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === sources;
const incremental = process.argv.includes('--incremental');
const verbs = !incremental ? ['rebuild'] : configured ? ['build'] : ['configure', 'build'];
// GYP_DEFINES is read by gyp when it configures (a build-time switch; the
// built addon reads no environment variable for its hooks).
const env = { ...process.env, GYP_DEFINES: `${process.env.GYP_DEFINES ?? ''} keyref_test_hooks=${testHooks ? 1 : 0}`.trim() };
let status = 0;
for (const verb of verbs) {
  const args = [gyp, verb, `--nodedir=${nodedir}`];
  if (verb !== 'configure') args.push('--jobs=max');
  if (debug) args.push('--debug');
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  status = r.status === null ? 1 : r.status;
  if (status !== 0) break;
}
if (status === 0) fs.writeFileSync(stamp, sources);
process.exit(status);
