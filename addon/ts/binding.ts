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
