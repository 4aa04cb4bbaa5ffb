// The private typing of the raw native binding (the public surface is in
// index.ts). Loads build/Release then build/Debug, like other native modules.
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

function load(): NativeBinding {
  const root = path.resolve(__dirname, '..', '..');
  const tried: string[] = [];
  for (const dir of ['build/Release', 'build/Debug']) {
    const file = path.join(root, dir, 'keyref.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      return require(file) as NativeBinding;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'MODULE_NOT_FOUND') throw err;
      tried.push(file);
    }
  }
  const err = new Error(`keyref: the native addon is not built (looked for ${tried.join(', ')}). ` +
    'Run `npm install` (or `npm run build`) in the keyref package.') as Error & { code: string };
  err.code = 'ADDON_NOT_BUILT';
  throw err;
}

export const native: NativeBinding = load();
