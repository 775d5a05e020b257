/** `mflux serve` (the state dir as a read-only Kubernetes API for kubectl) and `mflux kubeconfig`. */
import { MfluxError } from '../../core/index.js';
import { type IO, EXIT, reportError } from '../io.js';
import { type CommonOptions, stateDirOf } from '../options.js';
import { kubeconfigFor, parseListen, startApiServer } from '../serve/server.js';

/** DEFAULT_LISTEN is where `serve` listens and `kubeconfig` points by default. */
export const DEFAULT_LISTEN = '127.0.0.1:6443';

function listenOf(text: string | undefined): { host: string; port: number } {
  try {
    return parseListen(text ?? DEFAULT_LISTEN);
  } catch (err) {
    throw new MfluxError('Usage', (err as Error).message);
  }
}

/** serveCommand serves the state dir until SIGINT/SIGTERM. */
export async function serveCommand(opts: CommonOptions & { listen?: string }, io: IO): Promise<number> {
  try {
    const { host, port } = listenOf(opts.listen);
    const handle = await startApiServer({ stateDir: stateDirOf(opts), host, port });
    io.err(`mflux: serving ${stateDirOf(opts)} read-only as the Kubernetes API at ${handle.url} (kubeconfig: mflux kubeconfig --listen ${handle.url.slice('http://'.length)})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void handle.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return EXIT.ok;
  } catch (err) {
    return reportError(io, err);
  }
}

/** kubeconfigCommand prints a kubeconfig whose current context `mflux` points at `serve`. */
export async function kubeconfigCommand(opts: { listen?: string }, io: IO): Promise<number> {
  try {
    const { host, port } = listenOf(opts.listen);
    io.out(kubeconfigFor(`http://${host.includes(':') ? `[${host}]` : host}:${port}`));
    return EXIT.ok;
  } catch (err) {
    return reportError(io, err);
  }
}
