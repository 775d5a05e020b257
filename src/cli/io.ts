/** Command I/O: commands write through this, so tests can call them and read what they printed. */
import { MfluxError } from '../core/index.js';

/** IO is where a command prints: out for results, err for diagnostics. */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** isTTY: stdout is a terminal (live progress lines instead of plain ones). */
  isTTY?: boolean;
}

/**
 * EXIT_BROKEN_PIPE is the exit code when the reader of stdout went away before all output was
 * delivered (`mflux get pods -o json | head -1`): 128 + SIGPIPE, the status a shell reports for
 * kubectl, git or cat cut off the same way. Node ignores SIGPIPE and sees EPIPE instead.
 */
export const EXIT_BROKEN_PIPE = 141;

// Set once stdout's reader is gone: later output has nowhere to go, and the exit code says so.
let stdoutBroken = false;
let stderrBroken = false;

/** processIO prints to the real stdout/stderr (used only by main; see guardProcessOutput and drainProcessOutput). */
export const processIO: IO = {
  out: (t) => {
    if (!stdoutBroken) process.stdout.write(t);
  },
  err: (t) => {
    if (!stderrBroken) process.stderr.write(t);
  },
  isTTY: Boolean(process.stdout.isTTY),
};

/**
 * guardProcessOutput turns a reader going away (EPIPE on stdout or stderr) into quiet discarding
 * instead of an uncaught 'error' event and a stack trace: the command still runs to its end (so a
 * writer saves what it did), and drainProcessOutput then reports the cut-off. Call once, from main.
 */
export function guardProcessOutput(): void {
  const guard = (which: 'stdout' | 'stderr') => (err: NodeJS.ErrnoException) => {
    if (which === 'stdout') stdoutBroken = true;
    else stderrBroken = true;
    // EPIPE is the normal end of `| head`; any other write error also means the output is lost,
    // so it is told on stderr (when stderr itself is still there) once, not thrown.
    if (err.code !== 'EPIPE' && which === 'stdout' && !stderrBroken) process.stderr.write(`error: writing output: ${err.message} [Internal]\n`);
  };
  process.stdout.on('error', guard('stdout'));
  process.stderr.on('error', guard('stderr'));
}

/**
 * drainProcessOutput resolves once everything written to stdout and stderr has been handed to
 * the OS (or the stream broke), and returns the exit code to use: `code`, or EXIT_BROKEN_PIPE when
 * stdout's reader went away (the output is incomplete, so the command must not look successful).
 * process.exit() right after a write to a pipe drops whatever the pipe could not take yet (the
 * first 64 KiB arrive, the rest is lost), so main drains first and exits after.
 */
export async function drainProcessOutput(code: number): Promise<number> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return stdoutBroken ? EXIT_BROKEN_PIPE : code;
}

// An empty write is queued behind every earlier one; its callback runs once they have all been
// written (or with an error once the stream broke), so it marks the end of the queue.
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) return resolve();
    stream.write('', () => resolve());
  });
}

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

/** BAD_INPUT_CODES are the codes of input the API server (or our parser's limits) refuses: exit 1, not a runtime error. */
const BAD_INPUT_CODES = new Set<string>([
  'Invalid',
  'InvalidManifest',
  'YAMLSyntax',
  'UnknownKind',
  'InvalidEncoding',
  'ManifestTooLarge',
  'ManifestTooDeep',
  'YAMLAliasLimit',
  'RequestTooLarge',
  'BadRequest',
]);

/** reportError prints an error the way kubectl does ("error: …", code in brackets) and returns the exit code for it. */
export function reportError(io: IO, err: unknown): number {
  if (err instanceof MfluxError) {
    io.err(`error: ${err.message} [${err.code}]\n`);
    return BAD_INPUT_CODES.has(err.code) ? EXIT.bad : EXIT.error;
  }
  io.err(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.error;
}
