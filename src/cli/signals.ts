/** Stopping a running command at a safe point on SIGINT/SIGTERM, the way the daemon stops its passes. */
import { setMaxListeners } from 'node:events';
import { type IO, EXIT } from './io.js';

/** StopSignals is an AbortSignal raised by the first SIGINT/SIGTERM; release removes the handlers. */
export interface StopSignals {
  signal: AbortSignal;
  /** received is the signal that stopped the command, if one did. */
  received(): NodeJS.Signals | undefined;
  release(): void;
}

/**
 * stopOnSignals aborts the returned signal on the first SIGINT or SIGTERM, so the command stops at
 * its next safe point and records what happened (a reconcile pass ends `Interrupted`). A second
 * signal exits at once, as kubectl does on a repeated Ctrl-C: whatever was cut short is closed as
 * Interrupted by the next writer that opens the state.
 */
export function stopOnSignals(io: IO, what: string): StopSignals {
  const ctl = new AbortController();
  // A pass waits on this signal in several places at once (clock sleeps, rollout waits).
  setMaxListeners(0, ctl.signal);
  let got: NodeJS.Signals | undefined;
  const on = (sig: NodeJS.Signals) => {
    if (got) {
      io.err(`${sig} again: exiting now; the next writer records ${what} as Interrupted\n`);
      process.exit(EXIT.error);
    }
    got = sig;
    io.err(`${sig}: stopping ${what} at the next safe point (an apply is never cut in half; ${sig} again exits at once)\n`);
    ctl.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    signal: ctl.signal,
    received: () => got,
    release() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
