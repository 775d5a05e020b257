/**
 * The local-repository trigger: chokidar watches where git records ref moves (loose refs,
 * packed-refs, HEAD), so a commit, merge, reset or `git update-ref` starts a pass at once instead
 * of at the next poll.
 */
import nodePath from 'node:path';
import chokidar from 'chokidar';

/** RefWatcher is a running watch; close stops it. */
export interface RefWatcher {
  /** ready resolves once the initial scan is done (changes after it are reported). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * watchRefs calls `onChange` whenever a ref of the repository at `gitdir` changes. One ref move is
 * several file events (a lock file renamed onto the ref, maybe packed-refs rewritten): the caller
 * debounces, then resolves the ref again to see whether its commit moved. `onError` hears of a
 * watcher failure; the caller's polling goes on regardless.
 */
export function watchRefs(gitdir: string, onChange: () => void, onError: (err: Error) => void): RefWatcher {
  const watcher = chokidar.watch([nodePath.join(gitdir, 'refs'), nodePath.join(gitdir, 'packed-refs'), nodePath.join(gitdir, 'HEAD')], {
    ignoreInitial: true,
    // Lock files come and go during every ref update; the rename onto the ref is what counts.
    ignored: (p: string) => p.endsWith('.lock'),
    depth: 8,
  });
  const fire = () => onChange();
  watcher.on('add', fire).on('change', fire).on('unlink', fire);
  // A watcher that fails (out of inotify watches, the dir removed) must not take the process down: polling carries on.
  watcher.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
}
