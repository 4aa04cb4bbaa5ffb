// The profile folder's files: ids, the folder lock, atomic writes. Shared by
// the ProfileStore (profiles.ts) and migration (profile_migrate.ts).
import { randomBytes } from 'crypto';
import { constants as fsc, promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as path from 'path';
import { keyrefError } from './errors';
import { native } from './native';

/** @internal A profile id, which is also its file name. */
export const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const LOCK_NAME = '.keyref-profiles.lock';
/**
 * @internal A temporary file of a profile write (writeFileAtomic here,
 * 12 hex digits; the CLI's, 16): `.<id>.json.<pid>.<hex>.tmp`. Only these
 * are removed as a dead writer's; any other `.x.tmp` is someone else's.
 */
export const TMP_RE = /^\.[A-Za-z0-9._-]{1,64}\.json\.\d+\.[0-9a-f]{12,16}\.tmp$/;
/** @internal */
export const INVALID_RE = /^(.*)\.json\.invalid-[0-9TZ-]+$/;
/** @internal */
export const MAX_FILE_BYTES = 1 << 20;

/**
 * @internal Why a profile file was not read. `special` is true when the path
 * is not a regular file (a FIFO, a device, a socket, a folder): nobody wrote
 * it as a profile, so it is reported where it is and never renamed. The
 * caller decides on the flag, never on the text of `problem`, which is
 * prose and may change.
 */
export interface UnreadProfile {
  problem: string;
  special: boolean;
}

/**
 * The text of a profile file, or why it is not read: only a regular file of
 * at most MAX_FILE_BYTES. Opened non-blocking, so a FIFO named like a
 * profile cannot hang the caller (and pin a libuv thread); a symbolic link
 * to a device (/dev/zero: size 0, endless) is not a regular file. Rejects
 * with ENOENT when there is no file.
 */
export async function readProfileText(file: string): Promise<{ text: string } | UnreadProfile> {
  const fh = await fsp.open(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { problem: 'the file is not a regular file', special: true };
    if (st.size > MAX_FILE_BYTES) return { problem: `the file is larger than ${MAX_FILE_BYTES} bytes`, special: false };
    // At most one byte past what stat said, whatever the file does
    // meanwhile: a file that grew is not read on.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > st.size) {
        buf.fill(0);
        return { problem: 'the file changed while it was read', special: false };
      }
    }
    const text = buf.toString('utf8', 0, n);
    buf.fill(0, 0, n);
    return { text };
  } finally {
    await fh.close();
  }
}
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @internal */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * @internal Writes `text` to dir/name atomically: a 0600 temporary file in
 * the same folder (O_EXCL), fsync, rename over the target, fsync of the
 * folder. A crash at any point leaves the old file or the new one.
 */
export async function writeFileAtomic(dir: string, name: string, text: string): Promise<void> {
  const tmp = path.join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  let renamed = false;
  try {
    try {
      await fh.chmod(0o600);  // the umask can only remove bits; make it exact
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(dir, name));
    renamed = true;
    await fsyncDir(dir);
  } finally {
    if (!renamed) await fsp.rm(tmp, { force: true });
  }
}

// Why the lock file could not be opened, by errno: a FIFO (ENXIO: opened
// non-blocking with no reader), a folder (EISDIR), a symbolic link (ELOOP,
// O_NOFOLLOW), a file or folder that is not the user's.
const LOCK_OPEN_REFUSALS: Record<string, string> = {
  ENXIO: 'it is not a regular file',
  EISDIR: 'it is not a regular file',
  ELOOP: 'it is a symbolic link',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

function lockRefused(dir: string, lockPath: string, why: string): Error {
  return keyrefError('SOURCE_DENIED',
    `The profile folder ${dir} could not be locked. Cannot open the lock file ${lockPath}: ${why}.`,
    `Remove ${lockPath} (it holds nothing) and make sure its folder is yours and writable.`);
}

/**
 * @internal Runs `fn` holding the folder's lock: flock(2) on
 * `.keyref-profiles.lock`, so it works across processes (two extension
 * hosts) and the kernel releases it when a holder dies, even by SIGKILL:
 * there is no stale lock to break. Waits at most `timeoutMs`.
 */
export async function withDirLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  // Created when missing, never truncated (another process may hold it),
  // never through a symbolic link, never blocking on a FIFO; only a regular
  // file is used. What is refused is SOURCE_DENIED naming the path, as the
  // CLI reports the same lock file (ExclusiveFileLock, native/src/file_lock.cpp),
  // not Node's bare ENXIO / EISDIR / ELOOP.
  const lockPath = path.join(dir, LOCK_NAME);
  let fh: FileHandle;
  try {
    fh = await fsp.open(lockPath, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT | fsc.O_NOFOLLOW | fsc.O_NONBLOCK, 0o600);
  } catch (err) {
    const why = LOCK_OPEN_REFUSALS[(err as NodeJS.ErrnoException).code ?? ''];
    if (why) throw lockRefused(dir, lockPath, why);
    throw err;
  }
  try {
    if (!(await fh.stat()).isFile()) throw lockRefused(dir, lockPath, 'it is not a regular file');
    const deadline = Date.now() + timeoutMs;
    let delay = 1;
    // tryLock never blocks (LOCK_NB); the wait is a timer, so the event loop runs.
    while (!native.tryLock(fh.fd)) {
      if (Date.now() >= deadline) {
        throw keyrefError('INTERNAL', `Timed out after ${timeoutMs} ms waiting for the lock of the profile folder ${dir}.`,
          'Another editor window may be stuck writing profiles; close it, or raise lockTimeoutMs.');
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
    try {
      return await fn();
    } finally {
      native.unlock(fh.fd);
    }
  } finally {
    await fh.close();
  }
}

// The store's own files in the folder: the lock and temporary files. (Ids
// may start with a dot, so "hidden" is not the test.)
export function isOwnFile(name: string): boolean {
  return name === LOCK_NAME || TMP_RE.test(name);
}

/** @internal */
export function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
