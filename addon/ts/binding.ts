// The private typing of the raw native binding (the public surface is in
// index.ts), and its loader.
import * as path from 'path';

/** The raw addon exports. Internal: use the functions in index.ts. */
export interface NativeBinding {
  readonly refOut: Int32Array;
  readonly schemes: readonly string[];
  checkRef(ref: string, schemeBits: number): number;
  describeRef(code: number, rule: number, scheme: number, position: number,
    family: number, caseMismatch: boolean): [string, string, string];
  /** The credential family of the first credential-shaped span, or null (shape_binding.cc). */
  containsCredential(text: string): string | null;
  /** flock(LOCK_EX | LOCK_NB) on an open fd; false when another holder has it (lock_binding.cc). */
  tryLock(fd: number): boolean;
  /** flock(LOCK_UN). */
  unlock(fd: number): void;
  // Later surfaces (Sidecar, redaction, requests) are added here.
  [key: string]: unknown;
}

// node-gyp-build's order: build/Release, build/Debug (a source build, when
// there is one, is the fresher), then prebuilds/<platform>-<arch>/ for this
// libc (keyref.napi.glibc.node, scripts/prebuild.sh). In a package installed
// from npm only one of them exists: scripts/install.js builds from source
// only when no prebuild loads. PREBUILDS_ONLY=1 skips build/ (the test
// suite runs that way against the portable build); KEYREF_PREBUILD names
// another package root to load from.
function load(): NativeBinding {
  const root = path.resolve(__dirname, '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };
  let file: string;
  try {
    file = nodeGypBuild.resolve(root);
  } catch (cause) {
    const err = new Error('keyref: no native addon for this platform: no prebuild matches ' +
      `${process.platform}-${process.arch} and nothing was built from source in ${root}. ` +
      'Run `npm rebuild keyref` (or `npm run build:addon` in the package) to build it; ' +
      'docs/building.md lists what that needs.', { cause }) as Error & { code: string };
    err.code = 'ADDON_NOT_BUILT';
    throw err;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(file) as NativeBinding;
}

export const native: NativeBinding = load();
