/** `mflux force-unlock LOCK_ID`: remove a state dir's writer lock left behind by a process that is gone (terraform's force-unlock). */
import { forceUnlock, resolveStateDir } from '../../store/index.js';
import { type IO, EXIT, reportError } from '../io.js';

/**
 * forceUnlockCommand removes the lock whose ID the "state dir is locked" message named. The ID
 * must match, so a lock taken since by another writer is never removed by mistake; a lock held
 * by a live process on this host is refused (stop that process instead).
 */
export async function forceUnlockCommand(lockId: string, opts: { state?: string }, io: IO): Promise<number> {
  const dir = resolveStateDir(opts.state);
  try {
    const holder = forceUnlock(dir, lockId);
    const who = holder === 'unreadable' ? 'an unreadable lock file' : `the lock of pid ${holder.pid}${holder.hostname ? ` on host ${holder.hostname}` : ''}`;
    io.out(`${dir}: removed ${who}; the state dir can be written again\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(io, err);
  }
}
