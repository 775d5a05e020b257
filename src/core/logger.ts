/** Logger factory: winston, JSON or pretty, never logging secrets. */
import { createRequire } from 'node:module';
import type winstonModule from 'winston';

// winston is loaded on the first logger made: most commands (check, diff, get) never make one, and loading it costs ~40 ms.
const require = createRequire(import.meta.url);
let loaded: typeof winstonModule | undefined;
function winstonLib(): typeof winstonModule {
  return (loaded ??= require('winston') as typeof winstonModule);
}

/** Logger is the logging surface modules depend on. */
export type Logger = winstonModule.Logger;

/** LogOptions picks the level and the line format. */
export interface LogOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** stream defaults to stderr so stdout stays for command output. */
  stream?: NodeJS.WritableStream;
}

/** createLogger builds a winston logger writing to stderr (or the given stream). */
export function createLogger(opts: LogOptions = {}): Logger {
  const winston = winstonLib();
  const format =
    opts.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.printf(({ level, message, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${level}: ${String(message)}${extra}`;
          }),
        );
  return winston.createLogger({
    level: opts.level ?? 'info',
    format,
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stderr })],
  });
}

/** silentLogger returns a logger that drops everything (for tests and library callers). */
export function silentLogger(): Logger {
  const winston = winstonLib();
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
