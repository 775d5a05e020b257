/**
 * The state dir's Secret digest key: 32 random bytes in `secret.key`, mode 0600, created the first
 * time a writer needs it. It is read only to key HMAC digests of Secret values and never copied
 * anywhere else (not into the database, logs or output), so the digests in state.db are useless to
 * anyone who has the database but not this file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MfluxError, SECRET_KEY_BYTES } from '../core/index.js';
import type { StoreMode } from './types.js';

/** SECRET_KEY_FILE is the key's file name inside the state dir. */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * loadSecretKey returns the state dir's key. A writer creates it when it is missing (atomically:
 * written under a temporary name, then linked into place, so a concurrent reader never sees half a
 * key). A reader of a dir without a key gets a random key for this process only: nothing in such a
 * dir was digested under a key, so every Secret compares as changed either way, and a read-only
 * command must not create files.
 */
export function loadSecretKey(dir: string, mode: StoreMode): Buffer {
  const file = path.join(path.resolve(dir), SECRET_KEY_FILE);
  const existing = readKey(file);
  if (existing) return existing;
  if (mode === 'read') return randomBytes(SECRET_KEY_BYTES);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, randomBytes(SECRET_KEY_BYTES));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      // Another process linked its key first: use that one.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } catch (err) {
    throw new MfluxError('StateUnwritable', `cannot create the Secret digest key: ${(err as Error).message}`, { subject: file, cause: err });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const created = readKey(file);
  if (!created) throw new MfluxError('SecretKeyUnusable', 'the Secret digest key vanished right after it was created', { subject: file });
  return created;
}

// readKey returns the key, undefined when the file does not exist, and refuses a key anyone but its owner could read or a file of the wrong size.
function readKey(file: string): Buffer | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MfluxError('SecretKeyUnusable', `cannot read the Secret digest key: ${(err as Error).message}`, { subject: file, cause: err });
  }
  if (!st.isFile()) throw new MfluxError('SecretKeyUnusable', 'the Secret digest key is not a regular file', { subject: file });
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new MfluxError('SecretKeyUnusable', `the Secret digest key is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 on it`, { subject: file });
  }
  if (st.size !== SECRET_KEY_BYTES) {
    throw new MfluxError('SecretKeyUnusable', `the Secret digest key must be ${SECRET_KEY_BYTES} bytes, found ${st.size}; if it is lost, remove it: a new key is made and every Secret is re-applied from Git on the next pass`, { subject: file });
  }
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new MfluxError('SecretKeyUnusable', `cannot read the Secret digest key: ${(err as Error).message}`, { subject: file, cause: err });
  }
}
