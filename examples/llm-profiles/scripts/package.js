'use strict';
// npm run package: builds llm-profiles-<version>-linux-x64.vsix with
// @vscode/vsce (--target linux-x64). The VSIX holds only what runs: the
// compiled extension (out/), the webview assets (media/), keyref's compiled
// JavaScript, its schemas and its native binary, and keyref's runtime
// dependencies (ajv, ajv-formats and theirs). Not keyref's C++ sources, not
// its TypeScript, not node-addon-api (headers), not source maps.
//
// node_modules/keyref is a link to this repository (file:../..), which vsce
// would copy whole; so the package is staged in build/vsix with a trimmed
// copy of keyref, and vsce runs there.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const here = path.resolve(__dirname, '..');
const repo = path.resolve(here, '..', '..');
const stage = path.join(here, 'build', 'vsix');
const manifest = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const out = path.join(here, `${manifest.name}-${manifest.version}-linux-x64.vsix`);

function copy(from, to, filter = () => true) {
  const st = fs.statSync(from);
  if (st.isDirectory()) {
    for (const name of fs.readdirSync(from)) copy(path.join(from, name), path.join(to, name), filter);
  } else if (filter(from)) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    fs.chmodSync(to, st.mode & 0o777);
  }
}

const runtimeJs = (f) => !/\.(ts|map|md)$/.test(f);

// 1. The extension itself.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [here] }), '-p', 'tsconfig.json'],
  { cwd: here, stdio: 'inherit' });
fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md', '.vscodeignore']) {
  if (fs.existsSync(path.join(here, f))) copy(path.join(here, f), path.join(stage, f));
}
copy(path.join(here, 'out'), path.join(stage, 'out'), (f) => f.endsWith('.js'));
copy(path.join(here, 'media'), path.join(stage, 'media'));

// 2. keyref: compiled JS, schemas, the native binary, a trimmed package.json.
const keyrefPkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
// The portable prebuild (scripts/prebuild.sh: glibc 2.28 floor, OpenSSL
// static, libsecret loaded lazily) when there is one: it loads on every
// Linux VS Code supports. A source build (build/Release) is tied to this
// machine's libraries, so it is only the fallback for a local try-out.
const prebuilt = path.join(repo, 'prebuilds', 'linux-x64', 'keyref.napi.glibc.node');
const binary = fs.existsSync(prebuilt) ? prebuilt : path.join(repo, 'build', 'Release', 'keyref.node');
if (!fs.existsSync(binary)) {
  console.error('llm-profiles: keyref is not built; run `bash scripts/prebuild.sh x64` (or `node scripts/build-addon.js`) in the repository.');
  process.exit(1);
}
if (binary !== prebuilt) console.warn('llm-profiles: no prebuild found; packaging this machine\'s source build (not portable).');
const kdir = path.join(stage, 'node_modules', 'keyref');
copy(path.join(repo, 'addon', 'dist'), path.join(kdir, 'addon', 'dist'), (f) => f.endsWith('.js'));
copy(path.join(repo, 'schemas'), path.join(kdir, 'schemas'), (f) => f.endsWith('.json'));
copy(binary, binary === prebuilt
  ? path.join(kdir, 'prebuilds', 'linux-x64', 'keyref.napi.glibc.node')
  : path.join(kdir, 'build', 'Release', 'keyref.node'));
const runtimeDeps = Object.keys(keyrefPkg.dependencies).filter((d) => d !== 'node-addon-api');
fs.writeFileSync(path.join(kdir, 'package.json'), JSON.stringify({
  name: 'keyref', version: keyrefPkg.version, license: keyrefPkg.license, main: keyrefPkg.main,
  dependencies: Object.fromEntries(runtimeDeps.map((d) => [d, keyrefPkg.dependencies[d]])),
}, null, 2) + '\n');

// 3. keyref's runtime dependencies and theirs, as installed for the repository.
const seen = new Set();
function vendor(name, from) {
  if (seen.has(name)) return;
  seen.add(name);
  const pj = require.resolve(`${name}/package.json`, { paths: [from] });
  const dir = path.dirname(pj);
  copy(dir, path.join(stage, 'node_modules', name),
    (f) => !path.relative(dir, f).split(path.sep).includes('node_modules') && runtimeJs(f));
  const deps = JSON.parse(fs.readFileSync(pj, 'utf8')).dependencies || {};
  for (const d of Object.keys(deps)) vendor(d, dir);
}
for (const d of runtimeDeps) vendor(d, repo);

// 4. The staged manifest: what runs depends on keyref (as staged) only.
const staged = { ...manifest, dependencies: { keyref: keyrefPkg.version }, devDependencies: undefined, scripts: undefined };
fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(staged, null, 2) + '\n');

// 5. vsce. --no-dependencies would drop node_modules; npm's view of the staged
// tree (npm list --production) is exactly the vendored set.
fs.rmSync(out, { force: true });
const vsce = require.resolve('@vscode/vsce/vsce', { paths: [here] });
execFileSync(process.execPath, [vsce, 'package', '--target', 'linux-x64', '--out', out,
  '--allow-missing-repository'], { cwd: stage, stdio: 'inherit' });
console.log(`${path.basename(out)}: ${fs.statSync(out).size} bytes`);
