/** `mflux daemon` (continuous reconciliation until SIGTERM/SIGINT) and `mflux config schema|check`. */
import { MfluxError, createLogger, wallClockNow, type Logger } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { Daemon, type DaemonCluster, type DaemonConfig, configJSONSchema, loadConfig } from '../../daemon/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import { DEFAULT_CONFIG } from '../defaults.js';
import { type ApiServerHandle, startApiServer } from '../serve/server.js';
import { ClusterSession, interruptedNotice } from '../session.js';

/** daemonCommand runs the daemon until SIGTERM or SIGINT; exit 0 after a clean stop, 2 on a bad config or an unusable state dir or address. */
export async function daemonCommand(opts: { config?: string }, io: IO): Promise<number> {
  let config: DaemonConfig;
  try {
    config = loadConfig(opts.config ?? DEFAULT_CONFIG);
  } catch (err) {
    return reportError(io, err);
  }
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  for (const w of config.warnings) logger.warn(w);
  let session: ClusterSession;
  try {
    // The daemon's cluster lives in real time: podReadyAfter is real seconds.
    session = ClusterSession.open({ stateDir: config.stateDir, mode: 'write', clock: 'real', knobs: config.simulation });
  } catch (err) {
    return reportError(io, err);
  }
  if (session.interrupted > 0) logger.warn(interruptedNotice(session.interrupted));
  const cluster = daemonCluster(session);
  const daemon = new Daemon({ config, cluster, logger, wallNow: wallClockNow });
  let api: ApiServerHandle | undefined;
  try {
    const addr = await daemon.start().catch((err: NodeJS.ErrnoException) => {
      throw new MfluxError('ListenFailed', `${config.file}: listen ${config.listen.host}:${config.listen.port}: ${err.code ?? err.message}`, { subject: config.file });
    });
    logger.info(`mflux daemon: ${config.sources.length} source(s), state ${config.stateDir}, serving ${addr.url} (/healthz /readyz /status /metrics /hook/<source>)`, { url: addr.url });
    if (config.apiServer) {
      const { host, port } = config.apiServer;
      api = await startApiServer({ stateDir: config.stateDir, host, port }).catch((err: NodeJS.ErrnoException) => {
        throw new MfluxError('ListenFailed', `${config.file}: apiServer.listen ${host}:${port}: ${err.code ?? err.message}`, { subject: config.file });
      });
      logger.info(`Kubernetes API (read-only) at ${api.url}: mflux kubeconfig --listen ${api.url.slice('http://'.length)}`, { url: api.url });
    }
  } catch (err) {
    await daemon.stop();
    session.close();
    return reportError(io, err);
  }
  const signal = await new Promise<string>((resolve) => {
    const on = (s: string) => () => resolve(s);
    process.once('SIGTERM', on('SIGTERM'));
    process.once('SIGINT', on('SIGINT'));
  });
  logger.info(`${signal}: stopping (no new passes; running passes stop at a safe point)`);
  let code: number = EXIT.ok;
  let unsaved: unknown;
  try {
    await daemon.stop();
  } catch (err) {
    unsaved = err;
  }
  try {
    await api?.close();
    session.close();
  } catch (err) {
    // After a failed final save, closing tries once more; only a first failure is news.
    if (unsaved === undefined) unsaved = err;
  }
  if (unsaved !== undefined) {
    code = reportError(io, unsaved);
    logger.error(`stopped: the last changes could NOT be saved (${(unsaved as Error)?.message ?? unsaved}); the database is closed and the next start continues from what is on disk`);
  } else {
    logger.info('stopped: state saved, database closed');
  }
  await flush(logger);
  return code;
}

/**
 * daemonCluster is the daemon's view of a write session: a client that follows reloads, and a
 * persist that rolls the in-memory cluster back to disk when a write fails (ClusterSession.saveOrRollBack).
 */
export function daemonCluster(session: ClusterSession): DaemonCluster {
  return {
    client: session.liveClient(),
    clock: session.clock,
    ledger: new Ledger(session.store),
    advance: () => session.sim.fireDue(),
    persist: (also) => session.saveOrRollBack(also),
  };
}

/** flush waits until the logger has written everything (the process exits right after). */
function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
  });
}

/** configSchemaCommand prints the config file's JSON Schema (for editors). */
export async function configSchemaCommand(io: IO): Promise<number> {
  io.out(`${JSON.stringify(configJSONSchema(), null, 2)}\n`);
  return EXIT.ok;
}

/** configCheckCommand validates a config file: exit 0 and a summary, or 2 and every problem. */
export async function configCheckCommand(opts: { config?: string }, io: IO): Promise<number> {
  try {
    const c = loadConfig(opts.config ?? DEFAULT_CONFIG);
    for (const w of c.warnings) io.err(`warning: ${w}\n`);
    io.out(`${c.file}: ok: ${c.sources.length} source(s) (${c.sources.map((s) => s.name).join(', ')}), state ${c.stateDir}, listen ${c.listen.host}:${c.listen.port}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(io, err);
  }
}
