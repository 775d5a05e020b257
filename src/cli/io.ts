/** Command I/O: commands write through this, so tests can call them and read what they printed. */
import { MfluxError } from '../core/index.js';

/** IO is where a command prints: out for results, err for diagnostics. */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** isTTY: stdout is a terminal (live progress lines instead of plain ones). */
  isTTY?: boolean;
}

/** processIO prints to the real stdout/stderr (used only by main). */
export const processIO: IO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
};

/** captureIO collects output in memory, for tests and embedding. */
export function captureIO(): IO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
  };
  return io;
}

/** EXIT is the exit-code convention: 0 ok, 1 the thing asked about is bad, 2 usage or runtime error. */
export const EXIT = { ok: 0, bad: 1, error: 2 } as const;

/** reportError prints an error the way kubectl does ("error: …", code in brackets) and returns the exit code for it. */
export function reportError(io: IO, err: unknown): number {
  if (err instanceof MfluxError) {
    io.err(`error: ${err.message} [${err.code}]\n`);
    return err.code === 'Invalid' || err.code === 'InvalidManifest' || err.code === 'YAMLSyntax' || err.code === 'UnknownKind' ? EXIT.bad : EXIT.error;
  }
  io.err(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.error;
}
