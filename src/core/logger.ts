/** Logger factory: winston, JSON or pretty, never logging secrets. */
import winston from 'winston';

/** Logger is the logging surface modules depend on. */
export type Logger = winston.Logger;

/** LogOptions picks the level and the line format. */
export interface LogOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** stream defaults to stderr so stdout stays for command output. */
  stream?: NodeJS.WritableStream;
}

/** createLogger builds a winston logger writing to stderr (or the given stream). */
export function createLogger(opts: LogOptions = {}): Logger {
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
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
